"""Reads shared by the pages and the API, one module per aggregate: ``settings``, ``plans``
(rules and plans), ``responses``, ``due`` (a patient's schedule and the clinic's stored due
list), ``forms`` (wording and forms), ``trajectories`` (scores over time, course status)."""

from __future__ import annotations

from ketacare.assessments.selectors.due import (
    DUE_PAGE_SIZE,
    DueCounts,
    DueList,
    DuePatient,
    DueRow,
    assessments_due_for,
    clinic_due,
    due_counts,
    due_rows,
    schedule_for,
)
from ketacare.assessments.selectors.forms import (
    FormItem,
    FormOption,
    FormSpec,
    form_spec,
    patient_instruments,
    wording_for,
)
from ketacare.assessments.selectors.plans import (
    plan_current,
    plan_spec,
    rule_get,
    rule_spec,
    rules_for,
)
from ketacare.assessments.selectors.responses import (
    baseline_recorded,
    dated_scores,
    is_current,
    response_get,
    response_in_clinic,
    response_versions,
    responses_current,
    responses_in_scope,
)
from ketacare.assessments.selectors.settings import (
    MeasurementSettings,
    outcome_settings,
    outcome_settings_of,
    scoring_settings,
    settings_for,
)
from ketacare.assessments.selectors.trajectories import Trajectory, trajectories

__all__ = [
    "DUE_PAGE_SIZE",
    "DueCounts",
    "DueList",
    "DuePatient",
    "DueRow",
    "FormItem",
    "FormOption",
    "FormSpec",
    "MeasurementSettings",
    "Trajectory",
    "assessments_due_for",
    "baseline_recorded",
    "clinic_due",
    "dated_scores",
    "due_counts",
    "due_rows",
    "form_spec",
    "is_current",
    "outcome_settings",
    "outcome_settings_of",
    "patient_instruments",
    "plan_current",
    "plan_spec",
    "response_get",
    "response_in_clinic",
    "response_versions",
    "responses_current",
    "responses_in_scope",
    "rule_get",
    "rule_spec",
    "rules_for",
    "schedule_for",
    "scoring_settings",
    "settings_for",
    "trajectories",
    "wording_for",
]
