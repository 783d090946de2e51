"""E-mail to a patient (an intake, portal or questionnaire link): the one greeting, the one line
that says whom to call about an unexpected message, and the audit entry of the send."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.mail import send_mail

from ketacare.audit.services import RequestOrigin, audit_record
from ketacare.patients.models import Patient


def patient_email_body(patient: Patient, text: str) -> str:
    """``text`` after a greeting by the patient's preferred name, and before the clinic's phone
    number to call if the message was not expected."""
    return (
        f"Hello {patient.preferred_name or patient.first_name},\n\n"
        f"{text}"
        f"If you did not expect this message, call {patient.clinic.phone or 'the clinic'}.\n"
    )


def email_patient(
    *,
    patient: Patient,
    subject: str,
    text: str,
    object_type: str,
    object_id: object,
    summary: str,
    origin: RequestOrigin,
    at: dt.datetime,
    changes: dict[str, Any] | None = None,
) -> None:
    """E-mail ``text`` (see ``patient_email_body``) to the patient's address on file and audit
    the send as ``object_type`` ``object_id``."""
    send_mail(
        subject=subject,
        message=patient_email_body(patient, text),
        from_email=None,
        recipient_list=[patient.email],
    )
    audit_record(
        origin=origin,
        action="send",
        object_type=object_type,
        object_id=object_id,
        patient=patient,
        summary=summary,
        changes=changes,
        at=at,
    )
