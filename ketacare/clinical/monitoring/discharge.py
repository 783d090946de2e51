"""Discharge criteria: each documented criterion with its reason and source; meeting them all lets
the clinician assess readiness to leave, it never discharges on its own.

A criterion that needs a setting the clinic has not set is reported unmet with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ketacare.clinical.common import (
    ISSUE_PRACTICE,
    Answer,
    ClinicalRuleError,
    Provenance,
    Route,
    parse_answers,
    require_aware,
    require_not_after,
)
from ketacare.clinical.monitoring.alerts import evaluate_vitals
from ketacare.clinical.monitoring.protocol import MonitoringProtocol
from ketacare.clinical.monitoring.readings import Phase, VitalsReading
from ketacare.clinical.thresholds import VITAL_LABELS


@dataclass(frozen=True)
class DischargeFacts:
    """What the nurse documents before discharge. Answers accept Answer, bool, None or a string.

    ``first_dose_at`` is the first device (esketamine) or the start of dosing; ``dosing_ended_at``
    the end of the infusion or the last device. ``latest`` is the most recent post-dose reading.
    """

    assessed_at: datetime
    first_dose_at: datetime | None
    dosing_ended_at: datetime | None
    baseline: VitalsReading | None
    latest: VitalsReading | None
    mental_status_at_baseline: Answer = Answer.UNKNOWN  # alert and oriented as before dosing
    walking_steadily: Answer = Answer.UNKNOWN
    nausea_controlled: Answer = Answer.UNKNOWN
    escort_present: Answer = Answer.UNKNOWN
    sedation_resolved: Answer = Answer.UNKNOWN  # YES also when it never occurred
    dissociation_resolved: Answer = Answer.UNKNOWN
    respiratory_depression_resolved: Answer = Answer.UNKNOWN

    def __post_init__(self) -> None:
        require_aware("The assessment time", self.assessed_at)
        times = ("first_dose_at", "dosing_ended_at")
        require_not_after(self, times, self.assessed_at, "discharge assessment")
        for r in (self.baseline, self.latest):
            if r is not None and r.taken_at > self.assessed_at:
                raise ClinicalRuleError("A reading is later than the discharge assessment")
        parse_answers(self)


@dataclass(frozen=True)
class Criterion:
    """One discharge criterion. ``met`` None: not documented or not decidable; counts as unmet."""

    id: str
    met: bool | None
    reason: str
    provenance: Provenance


@dataclass(frozen=True)
class DischargeAssessment:
    """``all_met`` True lets the clinician assess readiness to leave; it does not discharge."""

    criteria: tuple[Criterion, ...]
    all_met: bool

    @property
    def unmet(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.met is not True)


_ANSWER_CRITERIA: tuple[tuple[str, str, Provenance], ...] = (
    (
        "mental_status_at_baseline",
        "alert and oriented, mental status back to baseline",
        Provenance(("§2",), False, "APA discharge: mental status at baseline [memory, verify]"),
    ),
    (
        "walking_steadily",
        "walking steadily",
        ISSUE_PRACTICE,
    ),
    (
        "nausea_controlled",
        "nausea controlled",
        ISSUE_PRACTICE,
    ),
    (
        "escort_present",
        "responsible adult escort present",
        # source: S99 (released accompanied by a responsible adult); S10, S11 (no driving)
        Provenance(("S99", "S10", "S11"), note="§2 APA wording [memory, verify]"),
    ),
    (
        "sedation_resolved",
        "sedation resolved",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
    (
        "dissociation_resolved",
        "dissociation resolved",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
    (
        "respiratory_depression_resolved",
        "respiratory depression resolved or absent",
        Provenance(("S12",), note="REMS: monitor at least 2 h and until these resolve"),
    ),
)


def _answer_criterion(cid: str, text: str, prov: Provenance, answer: Answer) -> Criterion:
    if answer is Answer.YES:
        return Criterion(cid, True, f"{text[0].upper()}{text[1:]}", prov)
    if answer is Answer.NO:
        return Criterion(cid, False, f"Not yet: {text}", prov)
    return Criterion(cid, None, f"Not documented: {text}", prov)


def _vitals_criterion(facts: DischargeFacts, protocol: MonitoringProtocol) -> Criterion:
    prov = Provenance(("S94", "S95"), note="BP/HR returned to baseline after dosing")
    bp_m = protocol.discharge_bp_margin_mmhg.value
    hr_m = protocol.discharge_heart_rate_margin_bpm.value
    base, last = facts.baseline, facts.latest
    cid = "vitals_near_baseline"
    if bp_m is None or hr_m is None:
        return Criterion(cid, None, "Near-baseline margin not configured for this clinic", prov)
    if base is None or last is None:
        return Criterion(cid, None, "Not documented: baseline and post-dose vitals", prov)
    if facts.dosing_ended_at is None or last.taken_at < facts.dosing_ended_at:
        return Criterion(cid, None, "Not documented: a reading taken after dosing ended", prov)
    needed = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm")
    if any(getattr(r, a) is None for r in (base, last) for a in needed):
        return Criterion(cid, None, "Not documented: BP and heart rate at baseline and now", prov)
    gaps = [
        f"{VITAL_LABELS[a]} {getattr(last, a)} vs baseline {getattr(base, a)}"
        for a, margin in zip(needed, (bp_m, bp_m, hr_m), strict=True)
        if abs(getattr(last, a) - getattr(base, a)) > margin
    ]
    if gaps:
        return Criterion(cid, False, "Not near baseline: " + "; ".join(gaps), prov)
    open_alerts = [
        a for a in evaluate_vitals(last, phase=Phase.POST_DOSE, baseline=base, protocol=protocol)
    ]
    if open_alerts:
        return Criterion(cid, False, "Latest reading: " + open_alerts[0].message, prov)
    return Criterion(cid, True, f"Vitals within {bp_m} mmHg / {hr_m} bpm of baseline", prov)


def _observation_criterion(facts: DischargeFacts, protocol: MonitoringProtocol) -> Criterion:
    setting = protocol.minimum_observation_minutes
    cid = "minimum_observation_elapsed"
    esk = protocol.route is Route.ESKETAMINE_NASAL
    # Esketamine: counted from the first device, as the REMS form does (source: S12, S15).
    # Other routes: from the end of dosing (post-infusion monitoring, source: S94) — project choice.
    start, start_text = (
        (facts.first_dose_at, "the first device")
        if esk
        else (facts.dosing_ended_at, "end of dosing")
    )
    if setting.value is None:
        return Criterion(
            cid, None, "Minimum observation time not configured for this clinic", setting.provenance
        )
    if start is None:
        return Criterion(cid, None, f"Not documented: time of {start_text}", setting.provenance)
    elapsed = (facts.assessed_at - start) / timedelta(minutes=1)
    met = elapsed >= setting.value
    # whole minutes, rounded down, so the text never shows a minimum as reached before it is
    text = f"{int(elapsed)} min observed since {start_text} (minimum {setting.value} min)"
    return Criterion(cid, met, text if met else "Not yet: " + text, setting.provenance)


def discharge_check(facts: DischargeFacts, protocol: MonitoringProtocol) -> DischargeAssessment:
    """Every discharge criterion with its reason; ``all_met`` only when each is documented met.

    Meeting all criteria allows the clinician's assessment of readiness to leave (source: S10,
    S11: "then clinician decides"); it never discharges on its own.
    """
    criteria = [
        _vitals_criterion(facts, protocol),
        _observation_criterion(facts, protocol),
        *(
            _answer_criterion(cid, text, prov, getattr(facts, cid))
            for cid, text, prov in _ANSWER_CRITERIA
        ),
    ]
    return DischargeAssessment(tuple(criteria), all(c.met is True for c in criteria))
