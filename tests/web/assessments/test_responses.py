"""Collection: item-by-item storage, the scorer as the only judge, corrections as versions,
staff entry, portal and one-time links, clinic wording and settings."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.assessments.models import AssessmentResponse, ImmutableError, QuestionnaireLink
from ketacare.audit.models import AuditEntry
from tests.web.assessments.conftest import PHQ9_CALM, PHQ9_ITEM9_POSITIVE

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _form(answers, **extra) -> dict:
    return {f"item-{n}": str(v) for n, v in enumerate(answers, 1)} | extra


# --- the API ---------------------------------------------------------------------------------


def test_a_clinician_rated_madrs_is_stored_item_by_item_with_score_and_who(
    patient, client_for, staff
):
    answers = [3, 3, 2, 4, 2, 3, 3, 2, 3, 1]
    response = post(
        client_for("nurse"),
        f"/api/v1/assessments/patients/{patient.pk}/responses",
        {"instrument": "madrs", "answers": answers, "completed_at": "2026-01-05T10:00:00-05:00"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["safety_alert_id"] is None
    out = body["response"]
    assert (out["total"], out["severity"], out["source"]) == (26, "moderate", "clinician_rated")
    stored = AssessmentResponse.objects.get(pk=out["id"])
    assert stored.answers == answers and stored.scorer_version == "madrs/1"
    assert (
        stored.entered_by == staff["nurse"] and stored.entered_by_label == staff["nurse"].username
    )
    assert stored.completed_at == dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)
    entry = AuditEntry.objects.get(object_type="assessment_response", object_id=stored.pk)
    assert entry.action == "create" and entry.changes["total"] == 26


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"instrument": "phq9", "answers": [1] * 8}, "answers", "expects 9 answers"),
        ({"instrument": "phq9", "answers": [1] * 8 + [4]}, "answers", "item 9: 4 is outside 0–3"),
        ({"instrument": "phq9", "answers": [True] * 9}, "answers", ""),
        ({"instrument": "phq9", "answers": ["1"] * 9}, "answers", ""),
        ({"instrument": "bdi", "answers": [1]}, "instrument", "unknown instrument"),
        (
            {"instrument": "madrs", "answers": [1] * 10, "source": "staff_paper"},
            "request",
            "clinician_rated",
        ),
        (
            {"instrument": "gad7", "answers": [1] * 7, "completed_at": "2026-01-05T10:00:00"},
            "completed_at",
            "time zone",
        ),
        (
            {"instrument": "gad7", "answers": [1] * 7, "completed_at": "2999-01-05T10:00:00Z"},
            "completed_at",
            "future",
        ),
    ],
)
def test_bad_answers_are_a_422_naming_the_field_and_nothing_is_stored(
    patient, client_for, body, field, message
):
    response = post(
        client_for("nurse"), f"/api/v1/assessments/patients/{patient.pk}/responses", body
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert any(field in key for key in fields), fields
    assert message in json.dumps(fields, ensure_ascii=False)
    assert not AssessmentResponse.objects.exists()


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(patient, submit, client_for):
    first = submit(patient, "phq9", [2] * 8 + [0]).response
    nurse = client_for("nurse")
    corrected = post(
        nurse,
        f"/api/v1/assessments/responses/{first.pk}/corrections",
        {"answers": [1] * 8 + [0], "reason": "Item scores transcribed from the wrong sheet"},
    )
    assert corrected.status_code == 201
    v2 = corrected.json()["response"]
    assert (v2["version"], v2["supersedes_id"], v2["total"]) == (2, first.pk, 8)
    first.refresh_from_db()
    assert first.total == 16 and first.answers == [2] * 8 + [0]  # untouched
    again = post(
        nurse,
        f"/api/v1/assessments/responses/{first.pk}/corrections",
        {"answers": PHQ9_CALM, "reason": "again"},
    )
    assert again.status_code == 409
    blank = post(
        nurse,
        f"/api/v1/assessments/responses/{v2['id']}/corrections",
        {"answers": PHQ9_CALM, "reason": "   "},
    )
    assert blank.status_code == 422
    listed = nurse.get(f"/api/v1/assessments/patients/{patient.pk}/responses").json()
    assert [r["id"] for r in listed] == [v2["id"]]
    everything = nurse.get(
        f"/api/v1/assessments/patients/{patient.pk}/responses?all_versions=true"
    ).json()
    assert [(r["version"], r["current"]) for r in everything] == [(1, False), (2, True)]
    detail = nurse.get(f"/api/v1/assessments/responses/{first.pk}").json()
    assert [v["version"] for v in detail["versions"]] == [1, 2] and detail["current"] is False
    assert AuditEntry.objects.filter(object_type="assessment_response", action="update").exists()
    assert AuditEntry.objects.filter(object_type="assessment_response", action="view").exists()


def test_stored_responses_refuse_to_change(patient, submit):
    response = submit(patient, "gad7", [1] * 7).response
    response.total = 0
    with pytest.raises(ImmutableError):
        response.save()
    with pytest.raises(ImmutableError):
        response.delete()


def test_a_correction_that_adds_a_flag_opens_an_alert_but_never_a_second_one(
    patient, submit, staff_origin
):
    from ketacare.alerts.models import Alert
    from ketacare.assessments.services import response_correct

    first = submit(patient, "phq9", PHQ9_CALM).response
    v2 = response_correct(
        response=first, answers=PHQ9_ITEM9_POSITIVE, reason="item 9 misread", origin=staff_origin(),
        at=timezone.now(),
    )
    assert v2.alert is not None
    v3 = response_correct(
        response=v2.response, answers=[3] * 9, reason="all items misread",
        origin=staff_origin(),
        at=timezone.now(),
    )
    assert v3.alert is None and Alert.objects.count() == 1


# --- staff pages -----------------------------------------------------------------------------


def test_staff_entry_page_keeps_answers_when_one_is_missing(patient, client_for):
    client = client_for("nurse")
    form = _form([1] * 9, completed_at="2026-01-05T09:30")
    del form["item-4"]
    response = client.post(f"/assessments/patients/{patient.pk}/enter/phq9/", form)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose an answer for item 4" in html
    assert 'id="item-3-1" name="item-3" value="1" checked' in html
    assert not AssessmentResponse.objects.exists()


def test_cssrs_skipped_questions_may_be_left_blank(patient, client_for):
    form = {"item-1": "1", "item-2": "0", "item-6": "0", "completed_at": "2026-01-05T09:30"}
    response = client_for("nurse").post(
        f"/assessments/patients/{patient.pk}/enter/cssrs_screen/", form
    )
    assert response.status_code == 302
    stored = AssessmentResponse.objects.get()
    assert stored.answers == [1, 0, 0, 0, 0, 0, 0] and stored.severity == "low"
    assert stored.details["skipped_items"] == [3, 4, 5, 7]
    page = client_for("nurse").get(f"/assessments/patients/{patient.pk}/enter/cssrs_screen/")
    assert 'data-skip-when="item-2"' in page.content.decode()


def test_staff_correct_a_response_through_the_page(patient, submit, client_for):
    first = submit(patient, "gad7", [1] * 7).response
    client = client_for("prescriber")
    missing_reason = client.post(f"/assessments/responses/{first.pk}/correct/", _form([2] * 7))
    assert missing_reason.status_code == 422
    done = client.post(
        f"/assessments/responses/{first.pk}/correct/", _form([2] * 7, reason="Misread sheet")
    )
    assert done.status_code == 302
    latest = AssessmentResponse.objects.get(version=2)
    assert latest.total == 14 and latest.correction_reason == "Misread sheet"
    page = client.get(f"/assessments/responses/{first.pk}/").content.decode()
    assert "This version has been corrected" in page


# --- the patient's side ------------------------------------------------------------------------


def test_portal_submission_is_stored_as_the_patients_own(patient, portal_client, portal_user):
    response = portal_client.post("/assessments/portal/gad7/", _form([1] * 7))
    assert response.status_code == 200
    stored = AssessmentResponse.objects.get()
    assert (stored.source, stored.entered_by, stored.total) == ("portal", portal_user, 7)
    assert portal_client.get("/assessments/portal/madrs/").status_code == 404  # clinician-rated


def test_portal_home_offers_due_questionnaires(patient, make_plan, portal_client):
    make_plan(patient)
    html = portal_client.get("/portal/").content.decode()
    assert "Your questionnaires" in html and "Answer PHQ-9" in html and "Answer GAD-7" in html


def test_one_time_link_answers_once_and_expires(patient, client_for, settings):
    sent = client_for("nurse").post(
        f"/assessments/patients/{patient.pk}/send-link/", {"instrument": "gad7"}
    )
    assert sent.status_code == 302
    assert len(mail.outbox) == 1 and patient.email in mail.outbox[0].to
    path = re.search(r"https?://[^/]+(/assessments/q/\S+/)", mail.outbox[0].body).group(1)
    anonymous = Client()
    form = anonymous.get(path)
    assert form.status_code == 200 and "GAD-7" in form.content.decode()
    done = anonymous.post(path, _form([0] * 7))
    assert done.status_code == 200 and "answers have reached" in done.content.decode()
    stored = AssessmentResponse.objects.get()
    assert stored.source == "link" and stored.entered_by is None
    assert stored.entered_by_label == f"patient {patient.mrn} (questionnaire link)"
    used = anonymous.get(path)
    assert used.status_code == 410 and "988" in used.content.decode()

    client_for("nurse").post(
        f"/assessments/patients/{patient.pk}/send-link/", {"instrument": "phq9"}
    )
    later = re.search(r"https?://[^/]+(/assessments/q/\S+/)", mail.outbox[1].body).group(1)
    QuestionnaireLink.objects.filter(instrument="phq9").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert anonymous.get(later).status_code == 410
    assert anonymous.get("/assessments/q/not-a-token/").status_code == 410
    assert (
        QuestionnaireLink.objects.filter(token_sha256__contains=later.split("/")[-2]).count() == 0
    )


def test_links_refuse_clinician_instruments_and_patients_without_email(
    make_patient, clinic, client_for
):
    nobody = make_patient(clinic, email=None)
    api = client_for("nurse")
    assert (
        post(
            api, f"/api/v1/assessments/patients/{nobody.pk}/links", {"instrument": "phq9"}
        ).status_code
        == 409
    )
    someone = make_patient(clinic)
    refused = post(api, f"/api/v1/assessments/patients/{someone.pk}/links", {"instrument": "madrs"})
    assert refused.status_code == 409 and "clinician-rated" in refused.json()["detail"]


# --- official wording and settings -------------------------------------------------------------

WORDING = {
    "instrument": "phq9",
    "language": "en",
    "source": "Licensed text (test)",
    "stem": "Official stem",
    "items": [f"Official PHQ item {n}" for n in range(1, 10)],
    "options": [{"value": v, "label": f"Official option {v}"} for v in range(4)],
}


def test_clinic_wording_is_validated_then_shown_instead_of_project_labels(
    client_for, portal_client, patient
):
    director = client_for("medical_director")
    bad = post(director, "/api/v1/assessments/wording", WORDING | {"items": ["only one"]})
    assert bad.status_code == 422 and "has 1 items" in json.dumps(bad.json())
    page_bad = director.post("/assessments/wording/", {"document": "{not json"})
    assert page_bad.status_code == 422 and "not valid JSON" in page_bad.content.decode()

    assert "Loss of interest" in portal_client.get("/assessments/portal/phq9/").content.decode()
    loaded = director.post("/assessments/wording/", {"document": json.dumps(WORDING)})
    assert loaded.status_code == 302
    form = portal_client.get("/assessments/portal/phq9/").content.decode()
    assert "Official PHQ item 9" in form and "Official option 3" in form
    assert "Loss of interest" not in form and "Official stem" in form
    portal_client.post("/assessments/portal/phq9/", _form(PHQ9_CALM))
    assert AssessmentResponse.objects.get().wording_id is not None

    wording_id = director.get("/api/v1/assessments/wording").json()[0]["id"]
    director.post(f"/assessments/wording/{wording_id}/retire/")
    assert "Loss of interest" in portal_client.get("/assessments/portal/phq9/").content.decode()


def test_settings_stay_within_the_clinical_cores_bounds(client_for, clinic):
    director = client_for("medical_director")
    refused = director.put(
        "/api/v1/assessments/settings",
        data=json.dumps({"remission_madrs": 14, "response_min_fall_percent": 150}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert set(refused.json()["fields"]) == {
        "remission_madrs",
        "response_min_fall_percent",
    }
    ok = director.put(
        "/api/v1/assessments/settings",
        data=json.dumps({"remission_madrs": 12, "rapid_response_window_hours": 12}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["remission_madrs"] == 12
    page = director.post(
        "/assessments/settings/", {"link_ttl_hours": "0", "reminder_interval_hours": "24"}
    )
    assert page.status_code == 422


def test_each_stored_response_is_emitted_with_its_score(patient, submit):
    from ketacare.assessments.events import RESPONSE_RECORDED
    from ketacare.core import events

    heard = []

    def hear(**payload):
        heard.append(payload)

    events.subscribe(RESPONSE_RECORDED, hear)
    try:
        result = submit(patient, "phq9", [1] * 8 + [0])
    finally:
        events.unsubscribe(RESPONSE_RECORDED, hear)
    assert [h["response"].pk for h in heard] == [result.response.pk]
    assert heard[0]["score"].total == 8 and heard[0]["alert"] is None
