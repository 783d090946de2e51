"""A clinic's measurement set-up on first use: settings and the default schedule rules.

Default rules follow the measurement issue's example: PHQ-9 and GAD-7 at baseline, before each
treatment and 24 h after it (induction), weekly in maintenance; the C-SSRS Screener at every
visit. The windows (hours) are project choices — the clinical reference gives none — and every
clinic may change them (docs/measurement.md).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketacare.assessments.models import AssessmentSettings, ScheduleRule
from ketacare.audit.services import RequestOrigin, audit_record

# (instrument, trigger, phase, offset_hours, interval_days, window_hours, grace_hours)
DEFAULT_RULES: tuple[tuple[str, str, str, int, int | None, int, int], ...] = (
    *(
        (code, *rest)
        for code in ("phq9", "gad7")
        for rest in (
            ("baseline", "any", 0, None, 7 * 24, 72),
            ("before_treatment", "induction", 0, None, 72, 2),
            ("after_treatment", "induction", 24, None, 12, 24),
            ("every_n_days", "maintenance", 0, 7, 48, 72),
        )
    ),
    ("cssrs_screen", "every_visit", "any", 0, None, 24, 2),
)


def clinic_setup(clinic) -> AssessmentSettings:
    """The clinic's measurement settings; the first call also installs the default rules."""
    existing = AssessmentSettings.objects.filter(clinic=clinic).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        settings, created = AssessmentSettings.objects.get_or_create(clinic=clinic)
        if created and not ScheduleRule.objects.filter(clinic=clinic).exists():
            install_default_rules(clinic)
    return settings


def install_default_rules(clinic) -> list[ScheduleRule]:
    now = timezone.now()
    rules = ScheduleRule.objects.bulk_create(
        ScheduleRule(
            clinic=clinic,
            instrument=code,
            trigger=trigger,
            phase=phase,
            offset_hours=offset,
            interval_days=interval,
            window_hours=window,
            grace_hours=grace,
            created_at=now,
            updated_at=now,
        )
        for code, trigger, phase, offset, interval, window, grace in DEFAULT_RULES
    )
    audit_record(
        origin=RequestOrigin.system("measurement set-up"),
        action="create",
        object_type="schedule_rule",
        clinic_id=clinic.pk,
        summary=f"Installed {len(rules)} default assessment schedule rules",
    )
    return rules
