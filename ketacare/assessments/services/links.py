"""One-time questionnaire links and the reminders that carry them."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Max

from ketacare.assessments import selectors
from ketacare.assessments.models import (
    MAX_REMINDERS,
    AssessmentPlan,
    AssessmentResponse,
    QuestionnaireLink,
    Reminder,
)
from ketacare.assessments.selectors import assessments_due_for
from ketacare.assessments.services.common import (
    AssessmentStateError,
    LinkInvalid,
    Submitted,
    _name,
)
from ketacare.assessments.services.responses import response_submit
from ketacare.assessments.treatments import treatment_times_for
from ketacare.audit.services import RequestOrigin
from ketacare.clinical.instruments import (
    INSTRUMENTS,
)
from ketacare.core.links import find_usable_link, new_link_token, use_link
from ketacare.patients.mail import email_patient
from ketacare.patients.models import Patient

logger = logging.getLogger(__name__)

# --- questionnaire links ------------------------------------------------------------------------


def _link_url(token: str) -> str:
    from django.urls import reverse

    path = reverse("assessments:by_link", args=[token])
    return f"{django_settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _new_link(
    *,
    patient: Patient,
    instrument: str,
    origin: RequestOrigin,
    at: dt.datetime,
    due_key: str = "",
) -> tuple[QuestionnaireLink, str]:
    if not patient.email:
        raise AssessmentStateError(
            "The patient has no e-mail address; add one before sending a link."
        )
    if INSTRUMENTS[instrument].completed_by != "patient":
        raise AssessmentStateError(
            f"{_name(instrument)} is clinician-rated; it has no patient link."
        )
    token, digest = new_link_token()
    now = at
    ttl = selectors.settings_for(patient.clinic).link_ttl_hours
    link = QuestionnaireLink.objects.create(
        patient=patient,
        instrument=instrument,
        token_sha256=digest,
        created_at=now,
        created_by=origin.actor,
        expires_at=now + dt.timedelta(hours=ttl),
        sent_to=patient.email,
        due_key=due_key,
    )
    return link, _link_url(token)


def _link_message(patient: Patient, instrument: str, url: str, ttl_hours: int, *, reminder: int):
    clinic = patient.clinic
    name = _name(instrument)
    subject = f"{clinic.name}: your {name} questionnaire"
    if reminder:
        subject = f"Reminder {reminder} of {MAX_REMINDERS} — {subject}"
    text = (
        f"Your care team asks you to answer a short questionnaire ({name}):\n{url}\n\n"
        f"The link works once and expires in {ttl_hours} hours. You can also answer it when you "
        "sign in to your patient portal.\n\n"
        "If you are thinking about suicide or are in crisis, call or text 988 now, or call 911.\n"
    )
    return subject, text


@transaction.atomic
def questionnaire_link_send(
    *, patient: Patient, instrument: str, origin: RequestOrigin, at: dt.datetime
) -> tuple[QuestionnaireLink, str]:
    """E-mail the patient a one-time link to one questionnaire; returns the link and its URL."""
    link, url = _new_link(patient=patient, instrument=instrument, origin=origin, at=at)
    ttl = selectors.settings_for(patient.clinic).link_ttl_hours
    subject, text = _link_message(patient, instrument, url, ttl, reminder=0)
    email_patient(
        patient=patient,
        subject=subject,
        text=text,
        object_type="questionnaire_link",
        object_id=link.pk,
        summary=f"{_name(instrument)} link e-mailed to {patient.email}",
        origin=origin,
        at=at,
    )
    return link, url


QUESTIONNAIRE_LINK_USED = "This questionnaire has already been answered with this link. Thank you."


def questionnaire_link_resolve(token: str, *, at: dt.datetime) -> QuestionnaireLink:
    """The usable link for ``token``, or LinkInvalid saying why not."""
    return find_usable_link(
        QuestionnaireLink.objects.select_related("patient", "patient__clinic"),
        token,
        error=LinkInvalid,
        used_message=QUESTIONNAIRE_LINK_USED,
        now=at,
    )


def response_submit_via_link(
    *,
    token: str,
    answers: list[int],
    origin: RequestOrigin,
    at: dt.datetime,
    wording_id: int | None = None,
) -> Submitted:
    """The patient's answers through a one-time link; the link is then used up."""
    with transaction.atomic():
        link = use_link(
            QuestionnaireLink.objects.select_related("patient"),
            questionnaire_link_resolve(token, at=at),
            error=LinkInvalid,
            used_message=QUESTIONNAIRE_LINK_USED,
            at=at,
        )
        patient_origin = origin.by_patient(link.patient, "questionnaire link")
        return response_submit(
            patient=link.patient,
            instrument=link.instrument,
            answers=answers,
            source=AssessmentResponse.Source.LINK,
            origin=patient_origin,
            link=link,
            wording_id=wording_id,
            at=at,
        )


# --- reminders ----------------------------------------------------------------------------------


def reminders_send_due(*, at: dt.datetime) -> int:
    """E-mail a reminder for each due or overdue patient questionnaire; returns how many.

    At most ``MAX_REMINDERS`` per questionnaire, at least the clinic's reminder interval apart.
    Idempotent: a second run at the same moment sends nothing. A failing e-mail records nothing,
    so the next run tries again.
    """
    sent = 0
    plans = AssessmentPlan.objects.filter(ended_at__isnull=True).select_related(
        "patient", "patient__clinic"
    )
    for plan in plans.iterator():
        patient = plan.patient
        if not patient.email:
            continue
        items = [
            item
            for item in assessments_due_for(
                patient, treatments=treatment_times_for(patient), now=at
            )
            if item.completed_by_patient
        ]
        if not items:
            continue
        interval = dt.timedelta(
            hours=selectors.settings_for(patient.clinic).reminder_interval_hours
        )
        for item in items:
            try:
                sent += _remind(patient, item, at=at, interval=interval)
            except Exception:
                logger.exception("Reminder for patient %s (%s) failed", patient.pk, item.key)
    return sent


def _remind(patient: Patient, item, *, at: dt.datetime, interval: dt.timedelta) -> int:
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        last = Reminder.objects.filter(patient=patient, due_key=item.key).aggregate(
            n=Max("number"), at=Max("sent_at")
        )
        number = (last["n"] or 0) + 1
        if number > MAX_REMINDERS or (last["at"] and at - last["at"] < interval):
            return 0
        origin = RequestOrigin.system("send_assessment_reminders")
        link, url = _new_link(
            patient=patient, instrument=item.instrument, origin=origin, at=at, due_key=item.key
        )
        ttl = selectors.settings_for(patient.clinic).link_ttl_hours
        subject, text = _link_message(patient, item.instrument, url, ttl, reminder=number)
        Reminder.objects.create(
            patient=patient,
            due_key=item.key,
            instrument=item.instrument,
            number=number,
            sent_at=at,
            sent_to=patient.email,
            link=link,
        )
        email_patient(
            patient=patient,
            subject=subject,
            text=text,
            object_type="assessment_reminder",
            object_id=link.pk,
            summary=f"Reminder {number} of {MAX_REMINDERS}: {_name(item.instrument)} e-mailed",
            origin=origin,
            at=at,
            changes={"due_key": item.key},
        )
    return 1
