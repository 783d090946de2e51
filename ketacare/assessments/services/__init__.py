"""Every write of measurement-based care: one transaction each, audited, scored by the core.

One module per aggregate: ``responses`` (the one way a questionnaire enters Ketacare, with the
safety net), ``plans``, ``rules``, ``due`` (the stored due list), ``settings`` (and official
wordings), ``links`` (one-time links and reminders); ``common`` holds the errors and the
submission result they share.
"""

from __future__ import annotations

from ketacare.assessments.services.common import (
    PATIENT_SOURCES,
    SAFETY_ACTION,
    SAFETY_FLAGS,
    STAFF_SOURCES,
    AssessmentError,
    AssessmentStateError,
    LinkInvalid,
    Submitted,
)
from ketacare.assessments.services.due import (
    DUE_AHEAD,
    due_catch_up,
    due_mark_stale,
    due_refresh,
    due_store,
    due_store_for_clinic,
    due_store_for_patient,
)
from ketacare.assessments.services.links import (
    QUESTIONNAIRE_LINK_USED,
    questionnaire_link_resolve,
    questionnaire_link_send,
    reminders_send_due,
    response_submit_via_link,
)
from ketacare.assessments.services.plans import (
    plan_start,
    plan_update,
)
from ketacare.assessments.services.responses import (
    response_correct,
    response_submit,
    score_answers,
)
from ketacare.assessments.services.rules import (
    MAX_RULE_HOURS,
    RULE_FIELDS,
    rule_create,
    rule_update,
)
from ketacare.assessments.services.settings import (
    PLAIN_BOUNDS,
    SETTING_BOUNDS,
    SETTING_FIELDS,
    SettingsInvalid,
    settings_update,
    wording_retire,
    wording_upload,
)

__all__ = [
    "DUE_AHEAD",
    "MAX_RULE_HOURS",
    "PATIENT_SOURCES",
    "PLAIN_BOUNDS",
    "QUESTIONNAIRE_LINK_USED",
    "RULE_FIELDS",
    "SAFETY_ACTION",
    "SAFETY_FLAGS",
    "SETTING_BOUNDS",
    "SETTING_FIELDS",
    "STAFF_SOURCES",
    "AssessmentError",
    "AssessmentStateError",
    "LinkInvalid",
    "SettingsInvalid",
    "Submitted",
    "due_catch_up",
    "due_mark_stale",
    "due_refresh",
    "due_store",
    "due_store_for_clinic",
    "due_store_for_patient",
    "plan_start",
    "plan_update",
    "questionnaire_link_resolve",
    "questionnaire_link_send",
    "reminders_send_due",
    "response_correct",
    "response_submit",
    "response_submit_via_link",
    "rule_create",
    "rule_update",
    "score_answers",
    "settings_update",
    "wording_retire",
    "wording_upload",
]
