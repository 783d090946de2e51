"""The vitals schedule: when the next reading is due in each phase, and whether it is overdue.

Pure Python: no clock; every time is an aware ``datetime`` passed in. A schedule that needs an
interval the clinic has not set raises ClinicalRuleError naming the missing setting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ketacare.clinical.common import ClinicalRuleError, require_aware
from ketacare.clinical.monitoring.protocol import MonitoringProtocol
from ketacare.clinical.monitoring.readings import Phase


def next_reading_due(
    *,
    phase: Phase | str,
    last_reading_at: datetime | None,
    phase_started_at: datetime,
    protocol: MonitoringProtocol,
) -> datetime | None:
    """When the next reading is due in ``phase``; None when the phase schedules no more.

    - Pre-dose: one reading before dosing, due when the phase starts; None once taken.
      source: S13 (esketamine BP before dosing); §2 baseline vitals [memory, verify].
    - Dosing: every ``dosing_reading_interval_minutes`` from the later of phase start and last
      reading. source: S94 (IV, 10 min); other routes: clinic setting.
    - After dosing: esketamine first at ``post_dose_first_reading_at_minutes`` (~40 min,
      source: S13, S46) after the phase starts — a reading taken earlier does not count —, then
      every ``post_dose_reading_interval_minutes`` ("as clinically warranted": clinic setting).
      Other routes: every ``post_dose_reading_interval_minutes`` (IV 15 min, source: S94).

    Raises ClinicalRuleError when the interval this needs is not configured.
    """
    phase = Phase(phase)
    require_aware("The phase start", phase_started_at)
    if last_reading_at is not None:
        require_aware("The last reading time", last_reading_at)
    in_phase = last_reading_at if last_reading_at and last_reading_at >= phase_started_at else None

    if phase is Phase.PRE_DOSE:
        return None if in_phase else phase_started_at
    if phase is Phase.DOSING:
        interval = protocol.dosing_reading_interval_minutes.resolve()
        return (in_phase or phase_started_at) + timedelta(minutes=interval)
    first = protocol.post_dose_first_reading_at_minutes
    if first is not None:
        first_due = phase_started_at + timedelta(minutes=first.resolve())
        if in_phase is None or in_phase < first_due:
            return first_due
    interval = protocol.post_dose_reading_interval_minutes.resolve()
    return (in_phase or phase_started_at) + timedelta(minutes=interval)


def is_overdue(
    *,
    phase: Phase | str,
    last_reading_at: datetime | None,
    phase_started_at: datetime,
    protocol: MonitoringProtocol,
    now: datetime,
) -> bool:
    """True when ``now`` is past the due time (strictly; no grace period in the reference).

    The pre-dose reading is never overdue: it is due *before dosing* (S13; §2 [memory, verify]),
    not by a clock time — the pre-check gate refuses dosing without it. At check-in it is due,
    not late.
    """
    require_aware("'now'", now)
    if last_reading_at is not None and last_reading_at > now:
        raise ClinicalRuleError("The last reading is later than 'now'")
    if Phase(phase) is Phase.PRE_DOSE:
        return False
    due = next_reading_due(
        phase=phase,
        last_reading_at=last_reading_at,
        phase_started_at=phase_started_at,
        protocol=protocol,
    )
    return due is not None and now > due
