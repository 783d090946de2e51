"""Vital-sign thresholds and alerts, the vitals schedule, overdue readings, discharge criteria.

Pure Python: no clock and no database; every time is an aware ``datetime`` passed in.

The package, by idea: ``readings`` (a set of vital signs, checked for plausibility; the session
phases), ``protocol`` (every setting of a route's protocol, declared once in ``SETTINGS``;
``configurable_defaults(route)`` for the clinic-settings registry), ``alerts`` (the ``VITAL_RULES``
table that both ``evaluate_vitals`` and ``alert_resolved`` read), ``schedule`` (when the next
reading is due) and ``discharge`` (the discharge criteria).

Where the reference gives no number (SpO2 and RR thresholds, a pre-dose heart-rate caution,
racemic observation time, the "near baseline" discharge margin, ...) the protocol holds a required
setting with value None. ``evaluate_vitals`` never skips such a check silently: a measured value it
cannot judge yields an alert of level ``UNCONFIGURED``. The schedule functions raise
ClinicalRuleError instead, naming the missing setting; discharge criteria that need one are
reported unmet with the reason.
"""

from ketacare.clinical.common import Route
from ketacare.clinical.monitoring.alerts import (
    RULES_BY_CODE,
    VITAL_RULES,
    AlertLevel,
    VitalAlert,
    VitalRule,
    alert_resolved,
    evaluate_vitals,
)
from ketacare.clinical.monitoring.discharge import (
    Criterion,
    DischargeAssessment,
    DischargeFacts,
    discharge_check,
)
from ketacare.clinical.monitoring.protocol import (
    SETTINGS,
    SHARED_WITH_SCREENING,
    MonitoringProtocol,
    MonitoringSetting,
    configurable_defaults,
    default_protocol,
)
from ketacare.clinical.monitoring.readings import CrisisSymptom, Phase, VitalsReading
from ketacare.clinical.monitoring.schedule import is_overdue, next_reading_due
from ketacare.clinical.thresholds import PLAUSIBLE_RANGES

__all__ = [
    "PLAUSIBLE_RANGES",
    "RULES_BY_CODE",
    "SETTINGS",
    "SHARED_WITH_SCREENING",
    "VITAL_RULES",
    "AlertLevel",
    "CrisisSymptom",
    "Criterion",
    "DischargeAssessment",
    "DischargeFacts",
    "MonitoringProtocol",
    "MonitoringSetting",
    "Phase",
    "Route",
    "VitalAlert",
    "VitalRule",
    "VitalsReading",
    "alert_resolved",
    "configurable_defaults",
    "default_protocol",
    "discharge_check",
    "evaluate_vitals",
    "is_overdue",
    "next_reading_due",
]
