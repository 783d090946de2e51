"""Every write of the treatment app: one transaction each, audited, rules from the clinical core.
One module per aggregate: ``screening``, ``courses``, ``orders``, ``booking``, ``consent``,
``protocol``. Reads live in ``selectors``."""

from __future__ import annotations

from ketacare.treatment.services.booking import (
    appointment_book,
    appointment_cancel,
    course_book_series,
)
from ketacare.treatment.services.consent import (
    consent_countersign,
    consent_document_publish,
    consent_documents_ensure,
    consent_patient_sign,
    consent_revoke,
)
from ketacare.treatment.services.courses import (
    aftercare_save,
    checklist_clear,
    checklist_confirm,
    course_create,
    course_move,
    course_rems_enrol,
)
from ketacare.treatment.services.orders import (
    order_cancel,
    order_draft,
    order_sign,
)
from ketacare.treatment.services.protocol import (
    protocol_setting_reset,
    protocol_setting_set,
)
from ketacare.treatment.services.rems import rems_enrolment_set
from ketacare.treatment.services.screening import (
    screening_run,
)

__all__ = [
    "aftercare_save",
    "appointment_book",
    "appointment_cancel",
    "checklist_clear",
    "checklist_confirm",
    "consent_countersign",
    "consent_document_publish",
    "consent_documents_ensure",
    "consent_patient_sign",
    "consent_revoke",
    "course_book_series",
    "course_create",
    "course_move",
    "course_rems_enrol",
    "order_cancel",
    "order_draft",
    "order_sign",
    "protocol_setting_reset",
    "protocol_setting_set",
    "rems_enrolment_set",
    "screening_run",
]
