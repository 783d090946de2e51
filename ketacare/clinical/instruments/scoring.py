"""The one scorer per instrument: answers in, total, severity band and safety flags out.

``score(code, answers)`` is the only place in Ketacare that turns answers into a total, a severity
band and safety flags. Answers are plain ints in item order; anything else is refused with a
message that names the item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from ketacare.clinical.common import ClinicalRuleError, Provenance
from ketacare.clinical.instruments.catalogue import INSTRUMENTS, MOAAS_LEVELS, QIDS_DOMAINS
from ketacare.clinical.instruments.model import Band, FlagReason, Instrument, Score, ScoringSettings
from ketacare.clinical.instruments.settings import (
    MADRS_ITEM10_FLAG_MIN,
    MOAAS_SEDATION_MAX,
    PCL5_PROBABLE_PTSD_MIN,
)


def get_instrument(code: str) -> Instrument:
    """The instrument for ``code``; an unknown code raises ClinicalRuleError (a ValueError)."""
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        known = ", ".join(INSTRUMENTS)
        raise ClinicalRuleError(f"unknown instrument {code!r}; expected one of {known}") from None


def score(code: str, answers: Sequence[int], *, settings: ScoringSettings | None = None) -> Score:
    """Score one completed instrument from its answers (ints in item order)."""
    instrument = get_instrument(code)
    values = _validated(instrument, answers)
    return _SCORERS[code](instrument, values, settings or ScoringSettings())


def _validated(instrument: Instrument, answers: object) -> tuple[int, ...]:
    if not isinstance(answers, (list, tuple)):
        raise ClinicalRuleError(
            f"{instrument.name}: answers must be a list of whole numbers in item order, "
            f"got {type(answers).__name__}"
        )
    if len(answers) != len(instrument.items):
        raise ClinicalRuleError(
            f"{instrument.name} expects {len(instrument.items)} answers, one per item; "
            f"got {len(answers)}"
        )
    for item, value in zip(instrument.items, answers, strict=True):
        # bool is an int subtype; a True/False here is a programming error, not an answer
        if isinstance(value, bool) or not isinstance(value, int):
            raise ClinicalRuleError(
                f"{instrument.name} {item.name}: {value!r} is not a whole-number answer"
            )
        if not item.minimum <= value <= item.maximum:
            raise ClinicalRuleError(
                f"{instrument.name} {item.name}: {value} is outside {item.minimum}–{item.maximum}"
            )
    return tuple(answers)


def _band(instrument: Instrument, total: int) -> Band | None:
    return next((b for b in instrument.bands if b.low <= total <= b.high), None)


def _banded(
    instrument: Instrument,
    values: tuple[int, ...],
    total: int,
    flag_reasons: tuple[FlagReason, ...] = (),
    *,
    domain_scores: Mapping[str, int] | None = None,
    description: str | None = None,
    positive_screen: bool | None = None,
) -> Score:
    band = _band(instrument, total)
    return Score(
        code=instrument.code,
        scorer_version=instrument.scorer_version,
        total=total,
        severity=band.label if band else None,
        flags=frozenset(f.flag for f in flag_reasons),
        item_scores=values,
        domain_scores=domain_scores if domain_scores is not None else MappingProxyType({}),
        band=band,
        flag_reasons=flag_reasons,
        description=description,
        positive_screen=positive_screen,
    )


def _score_phq9(inst: Instrument, values: tuple[int, ...], _: ScoringSettings) -> Score:
    """Sum of the 9 items (0–27) [S63]; item 9 >= 1 flags suicidal ideation [S20]."""
    reasons: tuple[FlagReason, ...] = ()
    if values[8] >= 1:  # source: S20
        reasons = (
            FlagReason(
                "suicidal_ideation",
                f"PHQ-9 item 9 is {values[8]} (any answer above 0 is a positive screen): "
                "same-day suicide-risk assessment, e.g. C-SSRS",
                Provenance(("S20",)),
            ),
        )
    return _banded(inst, values, sum(values), reasons)


def _score_gad7(inst: Instrument, values: tuple[int, ...], _: ScoringSettings) -> Score:
    """Sum of the 7 items (0–21) [S64][S65]; total >= 10 is a positive screen [S64][S65]."""
    total = sum(values)
    return _banded(inst, values, total, positive_screen=total >= 10)  # source: S64, S65


def _score_qids(inst: Instrument, values: tuple[int, ...], _: ScoringSettings) -> Score:
    """Sum of 9 domain scores (0–27); multi-item domains take their maximum item [S19][S67]."""
    domains = {name: max(values[n - 1] for n in items) for name, items in QIDS_DOMAINS}
    reasons: tuple[FlagReason, ...] = ()
    if values[11] >= 1:  # project rule, mirrors PHQ-9 item 9 [S20]
        reasons = (
            FlagReason(
                "suicidal_ideation",
                f"QIDS-SR16 item 12 (thoughts of death or suicide) is {values[11]}",
                Provenance(
                    ("project rule", "S19", "S67"),
                    verified=False,
                    note="item 12 >= 1 treated like PHQ-9 item 9 >= 1 [S20]; reference is silent",
                ),
            ),
        )
    return _banded(
        inst, values, sum(domains.values()), reasons, domain_scores=MappingProxyType(domains)
    )


def _score_madrs(inst: Instrument, values: tuple[int, ...], settings: ScoringSettings) -> Score:
    """Sum of the 10 items (0–60) [S66]; bands after Snaith [S17]."""
    reasons: tuple[FlagReason, ...] = ()
    if settings.madrs_item10_flag_min is not None:  # off unless the clinic sets a cutoff
        cutoff = MADRS_ITEM10_FLAG_MIN.validate(settings.madrs_item10_flag_min)
        if values[9] >= cutoff:
            reasons = (
                FlagReason(
                    "madrs_suicidal_thoughts",
                    f"MADRS item 10 (suicidal thoughts) is {values[9]}, at or above the "
                    f"clinic's cutoff {cutoff}",
                    MADRS_ITEM10_FLAG_MIN.provenance,
                ),
            )
    return _banded(inst, values, sum(values), reasons)


def _score_pcl5(inst: Instrument, values: tuple[int, ...], settings: ScoringSettings) -> Score:
    """Sum of the 20 items (0–80) [S72][S73]; no bands."""
    total = sum(values)
    reasons: tuple[FlagReason, ...] = ()
    if settings.pcl5_probable_ptsd_min is not None:  # no default: the reference gives 31–33
        cutoff = PCL5_PROBABLE_PTSD_MIN.validate(settings.pcl5_probable_ptsd_min)
        if total >= cutoff:
            reasons = (
                FlagReason(
                    "probable_ptsd",
                    f"PCL-5 total {total} is at or above the clinic's cutoff {cutoff}",
                    PCL5_PROBABLE_PTSD_MIN.provenance,
                ),
            )
    return _banded(inst, values, total, reasons)


def _score_sum(inst: Instrument, values: tuple[int, ...], _: ScoringSettings) -> Score:
    """Plain sum (CADSS-6 [S71]; pain NRS single item, bands [memory, verify])."""
    return _banded(inst, values, sum(values))


def _score_moaas(inst: Instrument, values: tuple[int, ...], settings: ScoringSettings) -> Score:
    """The observed level 0–5 [S74][S75]; 0 = loss of consciousness [S56]."""
    level = values[0]
    sedation_max = MOAAS_SEDATION_MAX.resolve(settings.moaas_sedation_max)
    reasons: list[FlagReason] = []
    if level <= sedation_max:
        reasons.append(
            FlagReason(
                "sedation",
                f"MOAA/S {level} is at or below {sedation_max}",
                MOAAS_SEDATION_MAX.provenance,
            )
        )
    if level == 0:  # source: S56
        reasons.append(
            FlagReason(
                "loss_of_consciousness",
                "MOAA/S 0: no response to a painful trapezius squeeze",
                Provenance(("S56",)),
            )
        )
    return _banded(inst, values, level, tuple(reasons), description=MOAAS_LEVELS[level])


_CSSRS_HIGH = Provenance(("S69",))
_CSSRS_MODERATE = Provenance(
    ("S76", "memory"), verified=False, note="Blueprint summary and Columbia triage sheets"
)
_CSSRS_LOW = Provenance(("S68", "S69", "S76"))


def _score_cssrs(inst: Instrument, values: tuple[int, ...], _: ScoringSettings) -> Score:
    """Columbia triage (§4.4): none, low, moderate or high; no total (categorical)."""
    q1, q2, q3, q4, q5, q6, q6_recent = values
    skipped: tuple[int, ...] = ()
    if q2 == 0:  # source: S68 (if Q2 = no, skip Q3–Q5)
        q3 = q4 = q5 = 0
        skipped += (3, 4, 5)
    if q6 == 0:  # recency only matters for behaviour reported
        q6_recent = 0
        skipped += (7,)
    high = [
        text
        for met, text in (
            (q4, "yes to Q4 (suicidal thoughts with some intent)"),
            (q5, "yes to Q5 (suicidal thoughts with a specific plan and intent)"),
            (q6 and q6_recent, "yes to Q6 with suicidal behaviour within the past 3 months"),
        )
        if met
    ]
    moderate = [
        text
        for met, text in (
            (q3, "yes to Q3 (suicidal thoughts with a method)"),
            (q6 and not q6_recent, "yes to Q6 with suicidal behaviour more than 3 months ago"),
        )
        if met
    ]
    low = [text for met, text in ((q1, "yes to Q1"), (q2, "yes to Q2")) if met]
    reasons: tuple[FlagReason, ...] = ()
    if high:  # source: S69
        severity, provenance = "high", _CSSRS_HIGH
        reason = f"High risk: {'; '.join(high)}. Immediate evaluation and safety precautions."
        reasons = (FlagReason("suicide_risk_high", reason, provenance),)
    elif moderate:  # source: S76 [memory, verify]
        severity, provenance = "moderate", _CSSRS_MODERATE
        reason = f"Moderate risk: {'; '.join(moderate)}."
        reasons = (FlagReason("suicide_risk_moderate", reason, provenance),)
    elif low:  # source: S68, S69, S76
        severity, provenance = "low", _CSSRS_LOW
        reason = f"Low risk: {' and '.join(low)} only."
    else:
        severity, provenance = "none", _CSSRS_LOW
        reason = "No risk level: no to every question."
    return Score(
        code=inst.code,
        scorer_version=inst.scorer_version,
        total=None,
        severity=severity,
        flags=frozenset(f.flag for f in reasons),
        item_scores=values,
        flag_reasons=reasons,
        triage_reason=reason,
        triage_provenance=provenance,
        skipped_items=skipped,
    )


_SCORERS: Mapping[str, Callable[[Instrument, tuple[int, ...], ScoringSettings], Score]] = {
    "phq9": _score_phq9,
    "gad7": _score_gad7,
    "qids_sr16": _score_qids,
    "madrs": _score_madrs,
    "cssrs_screen": _score_cssrs,
    "pcl5": _score_pcl5,
    "cadss6": _score_sum,
    "pain_nrs": _score_sum,
    "moaas": _score_moaas,
}
