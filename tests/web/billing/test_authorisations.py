"""Esketamine prior authorisation: the payer's process (submitted, approved with period and
units, denied, appealed), warnings before sessions are booked beyond what was authorised, and
REMS and prior-authorisation status side by side on the course and booking pages."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from ketacare.billing.coverage import coverage_of, rems_status
from ketacare.billing.services import authorisations
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.prior_authorisation import WarningKind
from ketacare.core.errors import Invalid
from ketacare.treatment.models import Appointment, RemsEnrolment, TreatmentCourse

pytestmark = pytest.mark.django_db


@pytest.fixture
def esketamine_course(patient, staff, clinic):
    return TreatmentCourse.objects.create(
        clinic=clinic, patient=patient, route="esketamine_nasal", indication="depression",
        regimen_key="esketamine", phase="induction", created_at=timezone.now(),
        created_by=staff["prescriber"])


def book(course, day: dt.date, hour: int = 10) -> Appointment:
    start = dt.datetime.combine(day, dt.time(hour), course.clinic.zone)
    return Appointment.objects.create(
        clinic=course.clinic, patient=course.patient, course=course, kind="treatment",
        starts_at=start, ends_at=start + dt.timedelta(hours=2), created_at=timezone.now())


def approved(course, origin, *, starts_on, ends_on, units):
    request = authorisations.authorisation_submit(
        patient=course.patient, course=course, payer="Acme Health",
        submitted_on=starts_on - dt.timedelta(days=7), origin=origin, at=timezone.now())
    return authorisations.authorisation_decide(
        authorisation=request, status="approved", on=starts_on - dt.timedelta(days=2),
        starts_on=starts_on, ends_on=ends_on, approved_units=units, origin=origin,
        at=timezone.now())


def test_sessions_booked_beyond_the_period_and_units_are_warned_of(esketamine_course,
                                                                  billing_origin):
    today = dt.date(2026, 3, 2)
    authorisation = approved(esketamine_course, billing_origin, starts_on=dt.date(2026, 2, 1),
                             ends_on=dt.date(2026, 3, 12), units=3)
    for day in (3, 5, 10, 16):
        book(esketamine_course, dt.date(2026, 3, day))
    cover = coverage_of(authorisation, today=today)
    assert [w.kind for w in cover.warnings] == [
        WarningKind.EXPIRING, WarningKind.BOOKED_AFTER_PERIOD]
    assert cover.warnings[1].dates == (dt.date(2026, 3, 16),)
    book(esketamine_course, dt.date(2026, 3, 11))  # a fourth inside a 3-session approval
    kinds = [w.kind for w in coverage_of(authorisation, today=today).warnings]
    assert WarningKind.UNITS_EXCEEDED in kinds


def test_the_payer_process_is_followed(esketamine_course, billing_origin):
    request = authorisations.authorisation_submit(
        patient=esketamine_course.patient, course=esketamine_course, payer="Acme Health",
        submitted_on=dt.date(2025, 3, 1), origin=billing_origin, at=timezone.now())
    with pytest.raises(Invalid, match="reason for the denial"):
        authorisations.authorisation_decide(authorisation=request, status="denied",
                                            on=dt.date(2025, 3, 5), origin=billing_origin,
                                            at=timezone.now())
    denied = authorisations.authorisation_decide(
        authorisation=request, status="denied", on=dt.date(2025, 3, 5),
        denial_reason="Two antidepressant trials not documented", origin=billing_origin,
        at=timezone.now())
    with pytest.raises(ClinicalRuleError, match="cannot become approved"):
        authorisations.authorisation_decide(authorisation=denied, status="approved",
                                            on=dt.date(2025, 3, 6), origin=billing_origin,
                                            at=timezone.now())
    appealed = authorisations.authorisation_decide(authorisation=denied, status="appealed",
                                                   on=dt.date(2025, 3, 6),
                                                   origin=billing_origin, at=timezone.now())
    with pytest.raises(Invalid) as missing:
        authorisations.authorisation_decide(authorisation=appealed, status="approved",
                                            on=dt.date(2025, 3, 20), origin=billing_origin,
                                            at=timezone.now())
    assert set(missing.value.fields) == {"starts_on", "ends_on", "approved_units"}
    done = authorisations.authorisation_decide(
        authorisation=appealed, status="approved", on=dt.date(2025, 3, 20),
        starts_on=dt.date(2025, 3, 20), ends_on=dt.date(2025, 6, 20), approved_units=16,
        origin=billing_origin, at=timezone.now())
    assert [e.to_status for e in done.events.all()] == [
        "submitted", "denied", "appealed", "approved"]


def test_an_illegal_decision_answers_422_through_the_api(esketamine_course, client_for,
                                                         billing_origin):
    authorisation = approved(esketamine_course, billing_origin, starts_on=dt.date(2025, 3, 1),
                             ends_on=dt.date(2025, 6, 1), units=8)
    response = client_for("billing").post(
        f"/api/v1/billing/authorisations/{authorisation.pk}/decision",
        data=json.dumps({"status": "denied", "on": "2025-03-05", "denial_reason": "x"}),
        content_type="application/json")
    assert response.status_code == 422
    assert "cannot become denied" in response.json()["detail"]


def test_rems_and_prior_authorisation_show_side_by_side_on_the_course_and_booking_pages(
    esketamine_course, billing_origin, client_for
):
    today = timezone.localdate()
    RemsEnrolment.objects.create(
        patient=esketamine_course.patient, status="enrolled", updated_at=timezone.now(),
        enrolled_on=today - dt.timedelta(days=20), enrolment_id="RMS-4411",
    )  # fmt: skip
    approved(esketamine_course, billing_origin, starts_on=today - dt.timedelta(days=10),
             ends_on=today + dt.timedelta(days=5), units=8)
    book(esketamine_course, today + dt.timedelta(days=9))
    assert rems_status(esketamine_course.patient_id).enrolled is True

    for url in (f"/treatment/courses/{esketamine_course.pk}/",
                f"/scheduling/courses/{esketamine_course.pk}/book/"):
        page = client_for("prescriber").get(url).content.decode()
        assert "REMS and prior authorisation" in page, url
        assert "RMS-4411" in page and "Approved — Acme Health" in page
        assert "fall after the authorised period ends" in page
        assert "The authorisation ends in 5 days" in page


def test_the_billing_home_reads_authorisations_in_a_fixed_number_of_queries(
    make_patient, clinic, staff, billing_origin, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("billing")
    client.get("/billing/")  # the first request also loads the session and the user

    def queries_with(count: int) -> int:
        for _ in range(count):
            course = TreatmentCourse.objects.create(
                clinic=clinic, patient=make_patient(clinic), route="esketamine_nasal",
                indication="depression", regimen_key="esketamine", phase="induction",
                created_at=timezone.now(), created_by=staff["prescriber"])
            book(course, timezone.localdate() + dt.timedelta(days=3))
            authorisations.authorisation_submit(
                patient=course.patient, course=course, payer="Acme",
                submitted_on=timezone.localdate(), origin=billing_origin, at=timezone.now())
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/billing/").status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(5)
