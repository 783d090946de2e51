"""The facts the discharge criteria are checked against (``monitoring.discharge_check`` decides)."""

from __future__ import annotations

import datetime as dt

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.monitoring import DischargeFacts
from ketacare.sessions.models import TreatmentSession
from ketacare.sessions.records import (
    InvalidEntry,
    reading_of,
)
from ketacare.sessions.selectors.administration import (
    first_dose_at,
)
from ketacare.sessions.selectors.flowsheet import (
    baseline_entry,
)

DISCHARGE_ANSWERS = (
    "mental_status_at_baseline",
    "walking_steadily",
    "nausea_controlled",
    "escort_present",
    "sedation_resolved",
    "dissociation_resolved",
    "respiratory_depression_resolved",
)


def discharge_facts(
    session: TreatmentSession, answers: dict[str, str], *, at: dt.datetime
) -> DischargeFacts:
    base = baseline_entry(session)
    latest = (
        session.vitals.filter(phase="post_dose", systolic_mmhg__isnull=False)
        .order_by("-taken_at", "-pk")
        .first()
    )
    try:
        return DischargeFacts(
            assessed_at=at,
            first_dose_at=first_dose_at(session),
            dosing_ended_at=session.dosing_ended_at,
            baseline=reading_of(base) if base else None,
            latest=reading_of(latest) if latest else None,
            **{k: answers.get(k, "unknown") for k in DISCHARGE_ANSWERS},
        )
    except ClinicalRuleError as bad:
        raise InvalidEntry(str(bad)) from bad
