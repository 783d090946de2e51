"""Staff accounts: invitations (expiry, reuse, re-send), roles, deactivation, the network page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.audit.models import AuditEntry
from ketacare.core.models import ApiToken, StaffInvitation, StaffMembership, User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-staff-passphrase"
INVITE = {
    "email": "Pat.Prescriber@example.org",
    "first_name": "Pat",
    "last_name": "Prescriber",
    "roles": ["prescriber"],
    "credential": "NP",
}


def _link_path() -> str:
    url = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.outbox[-1].body).group(0)
    return "/accounts/invitation/" + url.split("/accounts/invitation/", 1)[1]


def _accept(path: str, password: str = NEW_PASSWORD, again: str | None = None) -> tuple:
    client = Client()
    response = client.post(path, {"password": password, "password_again": again or password})
    return client, response


def test_admin_invites_a_prescriber_who_sets_a_password_once(client_for, clinic):
    admin = client_for("clinic_admin")
    assert admin.post("/clinic/staff/", INVITE).status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["Pat.Prescriber@example.org"]
    assert "as prescriber" in message.body and "expires on" in message.body
    invitation = StaffInvitation.objects.get()
    assert invitation.roles == ["prescriber"] and invitation.credential == "NP"
    assert "Pat Prescriber" in admin.get("/clinic/staff/").content.decode()

    path = _link_path()
    page = Client().get(path).content.decode()
    assert "Harbor Clinic" in page and "prescriber" in page
    _, weak = _accept(path, "short")
    assert weak.status_code == 422 and "too short" in weak.content.decode()
    _, differ = _accept(path, NEW_PASSWORD, "another-long-passphrase")
    assert differ.status_code == 422 and "not the same" in differ.content.decode()

    client, done = _accept(path)
    assert done.status_code == 302 and done.url == "/"
    user = User.objects.get(username="pat.prescriber@example.org")
    membership = StaffMembership.objects.get(user=user, clinic=clinic)
    assert (membership.role, membership.credential, membership.active) == ("prescriber", "NP", True)
    assert client.get("/").status_code == 200  # signed in
    assert Client().login(username="pat.prescriber@example.org", password=NEW_PASSWORD)

    reused = Client().get(path)
    assert reused.status_code == 410 and "already been used" in reused.content.decode()
    assert AuditEntry.objects.filter(object_type="staff_invitation", action="send").exists()


def test_an_expired_invitation_is_refused_and_a_resent_one_works(client_for, clinic):
    admin = client_for("clinic_admin")
    admin.post("/clinic/staff/", INVITE)
    first = _link_path()
    invitation = StaffInvitation.objects.get()
    StaffInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    expired = Client().get(first)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    assert "expired" in admin.get("/clinic/staff/").content.decode()

    assert admin.post(f"/clinic/staff/invitations/{invitation.pk}/resend/").status_code == 302
    second = _link_path()
    assert second != first
    assert Client().get(first).status_code == 410  # the earlier link stops working
    _, done = _accept(second)
    assert done.status_code == 302


def test_a_cancelled_invitation_cannot_be_used(client_for):
    admin = client_for("clinic_admin")
    admin.post("/clinic/staff/", INVITE)
    path = _link_path()
    invitation = StaffInvitation.objects.get()
    assert admin.post(f"/clinic/staff/invitations/{invitation.pk}/cancel/").status_code == 302
    assert Client().get(path).status_code == 410


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"credential": ""}, "credential", "A prescriber needs an MD, DO, NP, PA or CRNA"),
        ({"roles": []}, "roles", "Choose at least one role"),
        ({"email": "pat-at-example"}, "email", "Give a valid e-mail address"),
        ({"npi": "12"}, "npi", "An NPI is 10 digits"),
    ],
)
def test_bad_invitations_are_refused_with_a_message(client_for, changes, field, message):
    response = client_for("clinic_admin").post("/clinic/staff/", INVITE | changes)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not StaffInvitation.objects.exists() and not mail.outbox


def test_only_a_medical_director_makes_a_medical_director(client_for):
    director_invite = INVITE | {"roles": ["medical_director"], "credential": "MD"}
    refused = client_for("clinic_admin").post("/clinic/staff/", director_invite)
    assert refused.status_code == 409
    assert "Only a medical director" in refused.content.decode()
    assert client_for("medical_director").post("/clinic/staff/", director_invite).status_code == 302


def test_the_staff_page_is_for_clinic_managers(client_for):
    for role in ("front_desk", "nurse", "prescriber", "billing"):
        assert client_for(role).get("/clinic/staff/").status_code == 403, role
        assert client_for(role).post("/clinic/staff/", INVITE).status_code == 403, role


def test_a_clinic_that_requires_two_factor_sets_it_up_after_the_password(client_for, clinic):
    client_for("clinic_admin").post("/clinic/staff/", INVITE)
    clinic.require_two_factor = True
    clinic.save()
    path = _link_path()
    assert "requires two-factor sign-in" in Client().get(path).content.decode()
    client, _ = _accept(path)
    home = client.get("/")
    assert home.status_code == 302 and home.url.startswith("/accounts/two-factor/")
    assert "Set up two-factor sign-in" in client.get(home.url).content.decode()


def test_an_existing_account_gets_the_roles_at_once(client_for, staff, other_clinic):
    """A nurse of Harbor Clinic also works at Hill Clinic: the Hill admin adds her by e-mail."""
    from ketacare.core.models import StaffMembership as Membership

    hill_admin = User.objects.create_user("hill-admin", password="x-long-password-1")
    Membership.objects.create(
        user=hill_admin,
        role="clinic_admin",
        clinic=other_clinic,
        organisation=other_clinic.organisation,
    )
    client = Client()
    client.force_login(hill_admin)
    nurse = staff["nurse"]
    nurse.username = nurse.email
    nurse.save()
    response = client.post(
        "/clinic/staff/",
        {
            "email": nurse.email,
            "first_name": "N",
            "last_name": "T",
            "roles": ["nurse"],
            "credential": "RN",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=nurse, clinic=other_clinic, active=True).exists()
    assert not StaffInvitation.objects.exists()
    assert "you have a new role" in mail.outbox[-1].subject


def test_admin_changes_roles_and_the_change_is_audited(client_for, staff, clinic):
    admin = client_for("clinic_admin")
    nurse = staff["nurse"]
    response = admin.post(
        f"/clinic/staff/{nurse.pk}/", {"roles": ["nurse", "front_desk"], "credential": "RN"}
    )
    assert response.status_code == 302
    roles = set(
        StaffMembership.objects.filter(user=nurse, clinic=clinic, active=True).values_list(
            "role", flat=True
        )
    )
    assert roles == {"nurse", "front_desk"}
    entry = AuditEntry.objects.filter(object_type="staff_membership").latest("sequence")
    assert entry.changes["roles"] == {"before": ["nurse"], "after": ["front_desk", "nurse"]}


def test_deactivation_ends_sessions_and_api_tokens_at_once(client_for, staff, patient):
    nurse = staff["nurse"]
    signed_in = client_for("nurse")
    assert signed_in.get(f"/patients/{patient.pk}/").status_code == 200
    _, token = ApiToken.issue(user=nurse, name="script")
    api = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert api.get(f"/api/v1/patients/{patient.pk}", **auth).status_code == 200

    admin = client_for("clinic_admin")
    done = admin.post(f"/clinic/staff/{nurse.pk}/deactivate/", {"reason": "Left the clinic"})
    assert done.status_code == 302
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert not StaffMembership.objects.filter(user=nurse, active=True).exists()
    after = signed_in.get(f"/patients/{patient.pk}/")
    assert after.status_code == 302 and "/accounts/login/" in after.url
    assert api.get(f"/api/v1/patients/{patient.pk}", **auth).status_code == 401
    assert ApiToken.objects.get(user=nurse).revoked_at is not None
    entry = AuditEntry.objects.filter(summary__startswith="Deactivated").get()
    assert entry.changes["sessions_ended"] >= 1 and entry.changes["api_access_revoked"] == 1
    assert "Deactivated" in admin.get("/clinic/staff/").content.decode()


def test_deactivation_refusals(client_for, staff, clinic):
    admin = client_for("clinic_admin")
    me = staff["clinic_admin"]
    refused = admin.post(f"/clinic/staff/{me.pk}/deactivate/", follow=True)
    assert "cannot deactivate yourself" in refused.content.decode()
    director = staff["medical_director"]
    refused = admin.post(f"/clinic/staff/{director.pk}/deactivate/", follow=True)
    assert "Only a medical director may deactivate" in refused.content.decode()
    assert StaffMembership.objects.filter(user=director, active=True).exists()
    # The director may deactivate the admin, but then cannot lose the last managing role.
    client_for("medical_director").post(f"/clinic/staff/{me.pk}/deactivate/")
    last = client_for("medical_director").post(
        f"/clinic/staff/{director.pk}/", {"roles": ["prescriber"], "credential": "MD"}
    )
    assert last.status_code == 409 and "last clinic admin or medical director" in (
        last.content.decode()
    )


# --- the network page ------------------------------------------------------------------------


@pytest.fixture
def network_director(make_staff):
    return make_staff("medical_director", None)


@pytest.fixture
def network_client(network_director):
    client = Client()
    client.force_login(network_director)
    return client


def test_the_network_page_is_for_the_organisation_wide_director(client_for, network_client):
    assert network_client.get("/network/").status_code == 200
    for role in ("clinic_admin", "medical_director", "nurse"):
        assert client_for(role).get("/network/").status_code == 403, role
    assert 'href="/network/"' in network_client.get("/").content.decode()
    assert 'href="/network/"' not in client_for("clinic_admin").get("/").content.decode()


def test_network_director_adds_a_clinic_and_manages_people_across_it(network_client, staff, clinic):
    added = network_client.post(
        "/network/", {"form": "clinic", "name": "Lake Clinic", "time_zone": "America/Denver"}
    )
    assert added.status_code == 302
    lake = clinic.organisation.clinics.get(name="Lake Clinic")
    assert (lake.time_zone, lake.mrn_prefix) == ("America/Denver", "LC")

    invited = network_client.post(
        "/network/",
        {
            "form": "invite",
            "clinic": str(lake.pk),
            "email": "kim@example.org",
            "first_name": "Kim",
            "last_name": "Lee",
            "roles": ["clinic_admin"],
        },
    )
    assert invited.status_code == 302
    assert StaffInvitation.objects.get().clinic == lake

    network_wide = network_client.post(
        "/network/",
        {
            "form": "invite",
            "clinic": "",
            "email": "dr@example.org",
            "first_name": "Dr",
            "last_name": "Wide",
            "roles": ["nurse"],
        },
    )
    assert network_wide.status_code == 422
    assert "Only a medical director works network-wide" in network_wide.content.decode()

    nurse = staff["nurse"]
    page = network_client.get(f"/network/people/{nurse.pk}/").content.decode()
    assert "Harbor Clinic" in page and "Lake Clinic" in page
    network_client.post(
        f"/network/people/{nurse.pk}/",
        {"clinic": str(lake.pk), "roles": ["nurse"], "credential": "RN"},
    )
    assert StaffMembership.objects.filter(user=nurse, clinic=lake, active=True).exists()
    network_client.post(f"/network/people/{nurse.pk}/deactivate/", {"clinic": str(clinic.pk)})
    assert not StaffMembership.objects.filter(user=nurse, clinic=clinic, active=True).exists()
    nurse.refresh_from_db()
    assert nurse.is_active  # still works at Lake Clinic
