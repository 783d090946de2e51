"""Route-specific treatment schedules as editable templates, date planning, and course phases.

A ``RegimenTemplate`` is data the medical director may edit: each count or frequency is a
``ConfigurableDefault`` carrying its source, and ``with_settings`` returns a changed copy after
checking each value against its bounds. Values the reference is silent on have no default and
planning raises ``ClinicalRuleError`` until the clinic sets them.

Planning is pure: dates are passed in and planned dates are returned. Weekdays are integers as
``date.weekday()`` gives them (Monday 0 … Sunday 6).

Course phases: induction → evaluation → maintenance → booster (only when relapse is detected,
which ``outcomes`` decides) → maintenance … → completed; any active phase may be paused and
resumed into the phase it left. ``next_phase`` refuses any other move.

The package: ``model`` (templates and schedule blocks), ``templates`` (the templates the reference
describes; ``CONFIGURABLE_DEFAULTS``), ``planning`` (dates) and ``phases`` (course phases).
"""

from ketacare.clinical.regimens.model import (
    Phase,
    PlannedTreatment,
    RegimenTemplate,
    ScheduleBlock,
)
from ketacare.clinical.regimens.phases import (
    TRANSITIONS,
    CoursePhaseState,
    allowed_phases,
    next_phase,
)
from ketacare.clinical.regimens.planning import (
    course_week,
    default_weekdays,
    plan_booster,
    plan_induction,
    plan_maintenance,
)
from ketacare.clinical.regimens.templates import (
    CONFIGURABLE_DEFAULTS,
    CRPS_CONTINUOUS_4_DAY,
    CRPS_DAILY_10,
    ESKETAMINE_MDSI,
    ESKETAMINE_TRD,
    IM_DEPRESSION,
    IV_DEPRESSION,
    PAIN_INDICATIONS,
    PAIN_TEMPLATE_KEYS,
    SUBLINGUAL_CLINIC,
    SUBLINGUAL_HOME,
    TEMPLATES,
    template_serves,
    templates_for,
)

__all__ = [
    "CONFIGURABLE_DEFAULTS",
    "CRPS_CONTINUOUS_4_DAY",
    "CRPS_DAILY_10",
    "ESKETAMINE_MDSI",
    "ESKETAMINE_TRD",
    "IM_DEPRESSION",
    "IV_DEPRESSION",
    "PAIN_INDICATIONS",
    "PAIN_TEMPLATE_KEYS",
    "SUBLINGUAL_CLINIC",
    "SUBLINGUAL_HOME",
    "TEMPLATES",
    "TRANSITIONS",
    "CoursePhaseState",
    "Phase",
    "PlannedTreatment",
    "RegimenTemplate",
    "ScheduleBlock",
    "allowed_phases",
    "course_week",
    "default_weekdays",
    "next_phase",
    "plan_booster",
    "plan_induction",
    "plan_maintenance",
    "template_serves",
    "templates_for",
]
