"""Schedule rules and measurement plans, and their plain-data form for ``schedule``."""

from __future__ import annotations

from django.db.models import QuerySet

from ketacare.assessments import schedule
from ketacare.assessments.models import (
    AssessmentPlan,
    ScheduleRule,
)
from ketacare.assessments.selectors.settings import settings_for
from ketacare.core.lookups import one_or_not_found
from ketacare.patients.models import Patient


def rules_for(clinic, *, active_only: bool = True) -> QuerySet[ScheduleRule]:
    settings_for(clinic)  # installs the defaults on first use
    rules = ScheduleRule.objects.filter(clinic=clinic)
    return rules.filter(active=True) if active_only else rules


def rule_get(clinic, rule_id: int) -> ScheduleRule:
    """One schedule rule of the clinic (active or retired)."""
    return one_or_not_found(
        ScheduleRule.objects.all(),
        "No such schedule rule at this clinic.",
        pk=rule_id,
        clinic=clinic,
    )


def rule_spec(rule: ScheduleRule) -> schedule.RuleSpec:
    return schedule.RuleSpec(
        id=rule.pk,
        instrument=rule.instrument,
        trigger=rule.trigger,
        phase=rule.phase,
        offset_hours=rule.offset_hours,
        interval_days=rule.interval_days,
        window_hours=rule.window_hours,
        grace_hours=rule.grace_hours,
    )


def plan_current(patient: Patient) -> AssessmentPlan | None:
    """The patient's open measurement plan, if any."""
    return (
        AssessmentPlan.objects.filter(patient=patient, ended_at__isnull=True)
        .select_related("prescriber")
        .first()
    )


def plan_spec(plan: AssessmentPlan) -> schedule.PlanSpec:
    return schedule.PlanSpec(
        started_at=plan.started_at,
        maintenance_started_at=plan.maintenance_started_at,
        ended_at=plan.ended_at,
    )
