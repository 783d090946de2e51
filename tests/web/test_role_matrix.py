"""Every page and API endpoint of the foundation against every role, the denials included.

The expected outcome comes from the permission matrix in ketacare.core.roles (docs/roles.md);
each case names the capability it needs, so a change to the matrix changes these expectations.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from ketacare.core.roles import MATRIX, Capability
from tests.conftest import ROLES, base_world, from_module_world, intake_payload
from tests.web.expected_status import signed_out, success

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_world(module_data):
    """A clinic, its staff and a patient, made once for the module."""
    with module_data.building():
        return base_world()


organisation, clinic, staff, patient = from_module_world(
    "organisation", "clinic", "staff", "patient"
)

# (label, method, url template, capability, body)
PAGES = [
    ("patient list", "get", "/patients/", Capability.PATIENT_LIST, None),
    ("patient search", "get", "/patients/?q=doe", Capability.PATIENT_LIST, None),
    ("register form", "get", "/patients/new/", Capability.PATIENT_REGISTER, None),
    ("patient chart", "get", "/patients/{pid}/", Capability.PATIENT_LIST, None),
    ("edit form", "get", "/patients/{pid}/edit/", Capability.PATIENT_REGISTER, None),
    ("intake form", "get", "/patients/{pid}/intake/", Capability.INTAKE_EDIT, None),
    ("intake review", "get", "/patients/{pid}/intake/v1/", Capability.INTAKE_SIGN, None),
    (
        "send intake link",
        "post",
        "/patients/{pid}/intake/send-link/",
        Capability.INTAKE_SEND_LINK,
        {},
    ),
    ("audit log", "get", "/audit/", Capability.AUDIT_VIEW, None),
    ("clinic settings", "get", "/clinic/settings/", Capability.CLINIC_MANAGE, None),
    (
        "add chair",
        "post",
        "/clinic/chairs/",
        Capability.CLINIC_MANAGE,
        {"name": "Chair 9", "kind": "chair"},
    ),
    ("audit export", "get", "/audit/export.csv", Capability.AUDIT_VIEW, None),
]

API = [
    ("list", "get", "/api/v1/patients", Capability.PATIENT_LIST, None),
    ("detail", "get", "/api/v1/patients/{pid}", Capability.PATIENT_LIST, None),
    (
        "create",
        "post",
        "/api/v1/patients",
        Capability.PATIENT_REGISTER,
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1990-01-02",
            "sex_at_birth": "female",
        },
    ),
    (
        "update",
        "put",
        "/api/v1/patients/{pid}",
        Capability.PATIENT_REGISTER,
        {
            "first_name": "Jane",
            "last_name": "Doe",
            "date_of_birth": "1985-04-12",
            "sex_at_birth": "female",
            "email": "jane@example.com",
        },
    ),
    ("intake", "get", "/api/v1/patients/{pid}/intake", Capability.CHART_VIEW, None),
    (
        "intake versions",
        "get",
        "/api/v1/patients/{pid}/intake/versions",
        Capability.CHART_VIEW,
        None,
    ),
    (
        "submit intake",
        "post",
        "/api/v1/patients/{pid}/intake",
        Capability.INTAKE_EDIT,
        intake_payload(),
    ),
    (
        "sign intake",
        "post",
        "/api/v1/patients/{pid}/intake/1/sign",
        Capability.INTAKE_SIGN,
        {"note": ""},
    ),
    ("send link", "post", "/api/v1/patients/{pid}/intake-links", Capability.INTAKE_SEND_LINK, None),
    ("timeline", "get", "/api/v1/patients/{pid}/timeline", Capability.CHART_VIEW, None),
    ("audit", "get", "/api/v1/audit", Capability.AUDIT_VIEW, None),
]


@pytest.fixture
def submitted_intake(patient):
    from ketacare.audit.services import RequestOrigin
    from ketacare.patients.intake import IntakeData
    from ketacare.patients.services import intake_submit

    return intake_submit(
        patient=patient,
        data=IntakeData(**intake_payload()),
        source="staff",
        origin=RequestOrigin.system(),
        at=timezone.now(),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), PAGES, ids=[p[0] for p in PAGES]
)
def test_pages_follow_the_matrix(
    client_for, patient, submitted_intake, role, label, method, url, capability, body
):
    client = client_for(role)
    response = getattr(client, method)(url.format(pid=patient.pk), body or {})
    if role in MATRIX[capability]:
        expected = success(method, url)
        assert response.status_code == expected, (label, role, response.status_code)
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("label", "method", "url", "capability", "body"), API, ids=[a[0] for a in API]
)
def test_api_follows_the_matrix(
    client_for, patient, submitted_intake, role, label, method, url, capability, body
):
    client = client_for(role)
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    response = getattr(client, method)(url.format(pid=patient.pk), **kwargs)
    if role in MATRIX[capability]:
        assert response.status_code == success(method, url), (
            label,
            role,
            response.status_code,
            response.content[:300],
        )
    else:
        assert response.status_code == 403, (label, role, response.status_code)


@pytest.mark.parametrize("url", ["/patients/", "/audit/", "/api/v1/patients"])
def test_anonymous_is_turned_away(client, url):
    response = client.get(url)
    assert response.status_code == signed_out(url)
    if response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_staff_of_one_clinic_cannot_see_another_clinics_patient(
    make_staff, make_patient, other_clinic, patient, client
):
    outsider = make_staff("medical_director", other_clinic)
    client.force_login(outsider)
    assert client.get(f"/patients/{patient.pk}/").status_code == 404
    assert client.get(f"/api/v1/patients/{patient.pk}").status_code == 404
    listing = client.get("/api/v1/patients").json()
    assert patient.pk not in [row["id"] for row in listing["results"]]


def test_network_director_sees_each_clinic_after_switching(
    make_staff, make_patient, clinic, other_clinic, client
):
    network = make_staff("medical_director", None)
    here = make_patient(clinic, last_name="Here")
    there = make_patient(other_clinic, last_name="There")
    client.force_login(network)
    client.post("/clinic/switch/", {"clinic": clinic.pk})
    assert client.get(f"/patients/{here.pk}/").status_code == 200
    assert client.get(f"/patients/{there.pk}/").status_code == 404
    client.post("/clinic/switch/", {"clinic": other_clinic.pk})
    assert client.get(f"/patients/{there.pk}/").status_code == 200


def test_switching_to_a_clinic_without_a_role_is_refused(staff, other_clinic, client):
    client.force_login(staff["nurse"])
    assert client.post("/clinic/switch/", {"clinic": other_clinic.pk}).status_code == 403


def test_front_desk_sees_demographics_but_not_the_clinical_chart(
    client_for, signed_intake, patient
):
    page = client_for("front_desk").get(f"/patients/{patient.pk}/").content.decode()
    assert patient.mrn in page
    assert "penicillin" not in page  # allergies live in the clinical chart
    assert "Antidepressant trials" not in page
    chart = client_for("nurse").get(f"/patients/{patient.pk}/").content.decode()
    assert "penicillin" in chart
