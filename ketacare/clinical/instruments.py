"""Measurement instruments: metadata and the one scorer per instrument.

``score(code, answers)`` is the only place in Ketacare that turns answers into a total, a severity
band and safety flags. Answers are plain ints in item order; anything else is refused with a
message that names the item. Item labels here are the project's own short paraphrases; licensed
official wording is supplied by the clinic (see ``ketacare.clinical.wording``).

Sources are tags of ``shared/clinical-reference.md`` §4; facts the reference tags
``[memory, verify]`` or ``[weak]`` carry ``Provenance(verified=False)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Provenance

# Provenance shorthands. "memory" marks a fact the reference tags [memory, verify].
MEMORY = Provenance(("memory",), verified=False, note="tagged [memory, verify] in the reference")
PROJECT_LABELS = Provenance(
    ("project wording",),
    note="short labels written by the project; not the licensed official wording",
)


@dataclass(frozen=True)
class Loinc:
    """A LOINC code with the source it was taken from."""

    code: str
    provenance: Provenance


@dataclass(frozen=True)
class Item:
    """One answer slot: its number, a short project label and the range of accepted values."""

    number: int
    label: str
    minimum: int
    maximum: int
    loinc: Loinc | None = None
    ref: str = ""  # how messages name the item; "item <number>" when empty

    @property
    def name(self) -> str:
        return self.ref or f"item {self.number}"


@dataclass(frozen=True)
class Band:
    """A severity band: totals ``low``..``high`` inclusive carry ``label``."""

    low: int
    high: int
    label: str
    provenance: Provenance


@dataclass(frozen=True)
class ResponseRule:
    """Response = a fall of at least ``min_fall_percent`` from baseline (applied in outcomes)."""

    min_fall_percent: ConfigurableDefault[int]


@dataclass(frozen=True)
class RemissionRule:
    """Remission = total ``comparator`` threshold, e.g. PHQ-9 ``<`` 5 (applied in outcomes)."""

    comparator: Literal["<", "<="]
    threshold: ConfigurableDefault[int]
    alternatives: tuple[tuple[int, Provenance], ...] = ()  # other published thresholds

    def met(self, total: int, threshold: int) -> bool:
        return total < threshold if self.comparator == "<" else total <= threshold

    def provenance_for(self, threshold: int) -> Provenance:
        """The source of ``threshold``: the default's, a published alternative's, or the clinic."""
        if threshold == self.threshold.value:
            return self.threshold.provenance
        for value, provenance in self.alternatives:
            if value == threshold:
                return provenance
        return Provenance(("clinic setting",), note=f"clinic override of {self.threshold.value}")


@dataclass(frozen=True)
class Instrument:
    """What the project knows about an instrument: items, ranges, bands, codes and their sources."""

    code: str
    name: str
    scorer_version: str
    items: tuple[Item, ...]
    completed_by: Literal["patient", "clinician"]
    recall_period: str | None  # None: the reference does not state one
    score_range: tuple[int, int] | None  # None: categorical (C-SSRS Screener)
    scoring_provenance: Provenance
    labels_provenance: Provenance
    bands: tuple[Band, ...] = ()
    loinc_panel: Loinc | None = None
    loinc_total: Loinc | None = None
    answer_loinc: tuple[tuple[int, Loinc], ...] = ()  # (value, LA code)
    response: ResponseRule | None = None
    remission: RemissionRule | None = None
    notes: tuple[str, ...] = ()

    @property
    def item_range(self) -> tuple[int, int]:
        """The common item range; every instrument here uses one range for all its items."""
        return self.items[0].minimum, self.items[0].maximum


@dataclass(frozen=True)
class FlagReason:
    """Why a flag was raised, in words for the screen, and the source it rests on."""

    flag: str
    reason: str
    provenance: Provenance


@dataclass(frozen=True)
class Score:
    """The result of scoring one completed instrument.

    ``total`` is None only for the C-SSRS Screener, which is categorical. ``severity`` is the band
    label in lower case, or None where the reference defines no band for the total.
    """

    code: str
    scorer_version: str
    total: int | None
    severity: str | None
    flags: frozenset[str]
    item_scores: tuple[int, ...]
    domain_scores: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    band: Band | None = None
    flag_reasons: tuple[FlagReason, ...] = ()
    triage_reason: str | None = None  # C-SSRS Screener: which answers decided the risk level
    triage_provenance: Provenance | None = None
    skipped_items: tuple[int, ...] = ()  # C-SSRS Screener: items ignored by the skip logic
    description: str | None = None  # MOAA/S: the level in words
    positive_screen: bool | None = None  # GAD-7 >= 10 only; None where the reference gives none


@dataclass(frozen=True)
class ScoringSettings:
    """Clinic overrides for scoring thresholds; None keeps the default (or leaves a check off)."""

    moaas_sedation_max: int | None = None
    pcl5_probable_ptsd_min: int | None = None
    madrs_item10_flag_min: int | None = None


# --- thresholds that are settings ------------------------------------------------------------

# source: S3, S16, S29 (response = >= 50 % fall from baseline on PHQ-9, MADRS, QIDS-SR16)
RESPONSE_MIN_FALL_PERCENT: ConfigurableDefault[int] = ConfigurableDefault(
    key="outcomes.response_min_fall_percent",
    label="Response: minimum fall from baseline",
    value=50,
    unit="%",
    provenance=Provenance(("S3", "S16", "S29")),
    minimum=0,
    maximum=100,
)
# source: S74, S75 (scale); sedation = MOAA/S <= 3 in Spravato trials is [memory, verify]
MOAAS_SEDATION_MAX: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.moaas.sedation_max",
    label="MOAA/S at or below which sedation is flagged",
    value=3,
    unit="points",
    provenance=Provenance(("memory",), verified=False, note="Spravato trials, [memory, verify]"),
    minimum=0,
    maximum=5,
)
# source: S72, S73 give ">= 31–33 probable PTSD": a range, so no default; the clinic picks one
PCL5_PROBABLE_PTSD_MIN: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.pcl5.probable_ptsd_min",
    label="PCL-5 total at or above which probable PTSD is flagged",
    value=None,
    unit="points",
    provenance=Provenance(("S72", "S73"), note="reference gives a range of cutoffs, 31–33"),
    minimum=31,
    maximum=33,
)
# The reference gives no cutoff for MADRS item 10 (suicidal thoughts): no flag unless set.
MADRS_ITEM10_FLAG_MIN: ConfigurableDefault[int] = ConfigurableDefault(
    key="instruments.madrs.item10_flag_min",
    label="MADRS item 10 at or above which suicidal thoughts are flagged",
    value=None,
    unit="points",
    provenance=Provenance(("clinic setting",), note="project choice; reference gives no cutoff"),
    minimum=1,
    maximum=6,
)


# --- metadata --------------------------------------------------------------------------------


def _items(
    labels: Sequence[str],
    maximum: int,
    minimum: int = 0,
    loinc: Sequence[Loinc | None] | None = None,
    refs: Sequence[str] | None = None,
) -> tuple[Item, ...]:
    return tuple(
        Item(
            number=i + 1,
            label=label,
            minimum=minimum,
            maximum=maximum,
            loinc=loinc[i] if loinc else None,
            ref=refs[i] if refs else "",
        )
        for i, label in enumerate(labels)
    )


def _bands(provenance: Provenance, *bands: tuple[int, int, str]) -> tuple[Band, ...]:
    return tuple(Band(low, high, label, provenance) for low, high, label in bands)


_S79_S80 = Provenance(("S79", "S80"))
_S83 = Provenance(("S83",))
# source: S79, S81 (LA6568-5, LA6569-3, LA6570-1); LA6571-9 is [memory, verify]
_PHQ_GAD_ANSWERS = (
    (0, Loinc("LA6568-5", Provenance(("S79", "S81")))),
    (1, Loinc("LA6569-3", Provenance(("S79", "S81")))),
    (2, Loinc("LA6570-1", Provenance(("S79", "S81")))),
    (3, Loinc("LA6571-9", MEMORY)),
)
_REMISSION_PROVENANCE_NOTE = "remission total; the clinic may change it within the bounds"

PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    scorer_version="phq9/1",
    items=_items(
        (
            "Loss of interest or enjoyment",
            "Feeling low or hopeless",
            "Sleep problems (too little or too much)",
            "Tiredness or low energy",
            "Appetite change (poor or overeating)",
            "Feeling bad about oneself",
            "Trouble concentrating",
            "Slowed down, or restless",
            "Thoughts of death or self-harm",
        ),
        maximum=3,
        loinc=[  # source: S79, S80
            Loinc(c, _S79_S80)
            for c in (
                "44250-9",
                "44255-8",
                "44259-0",
                "44254-1",
                "44251-7",
                "44258-2",
                "44252-5",
                "44253-3",
                "44260-8",
            )
        ],
    ),
    completed_by="patient",
    recall_period="past 2 weeks",  # source: S63 (§4.1 table)
    score_range=(0, 27),
    scoring_provenance=Provenance(("S63",)),
    labels_provenance=PROJECT_LABELS,
    bands=_bands(  # source: S63
        Provenance(("S63",)),
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 19, "moderately severe"),  # reference writes "mod-severe"
        (20, 27, "severe"),
    ),
    loinc_panel=Loinc("44249-1", Provenance(("S77",), verified=False, note="[weak][memory]")),
    loinc_total=Loinc("44261-6", Provenance(("S78", "S85"))),
    answer_loinc=_PHQ_GAD_ANSWERS,
    response=ResponseRule(RESPONSE_MIN_FALL_PERCENT),
    remission=RemissionRule(  # source: S29 (PHQ-9 < 5); also S16, S18
        "<",
        ConfigurableDefault(
            key="outcomes.remission.phq9",
            label="PHQ-9 remission: total below",
            value=5,
            unit="points",
            provenance=Provenance(("S29", "S16", "S18"), note=_REMISSION_PROVENANCE_NOTE),
            minimum=0,
            maximum=27,
        ),
    ),
    notes=("Item 9 >= 1 is a positive suicidal-ideation screen [S20].",),
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    scorer_version="gad7/1",
    items=_items(
        (
            "Feeling nervous or on edge",
            "Unable to stop or control worry",
            "Worrying about many things",
            "Difficulty relaxing",
            "Restlessness",
            "Irritability",
            "Fear that something bad will happen",
        ),
        maximum=3,
        loinc=[  # source: S83
            Loinc(c, _S83)
            for c in ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
        ],
    ),
    completed_by="patient",
    recall_period="past 2 weeks",  # source: S64, S65 (§4.1 table)
    score_range=(0, 21),
    scoring_provenance=Provenance(("S64", "S65")),
    labels_provenance=PROJECT_LABELS,
    bands=_bands(  # source: S64, S65
        Provenance(("S64", "S65")),
        (0, 4, "minimal"),
        (5, 9, "mild"),
        (10, 14, "moderate"),
        (15, 21, "severe"),
    ),
    loinc_panel=Loinc("69737-5", Provenance(("S81", "S82"))),
    loinc_total=Loinc("70274-6", Provenance(("S82", "S83"))),  # not 69737-5 (panel) [S85 vs S82]
    answer_loinc=_PHQ_GAD_ANSWERS,
    notes=(
        "Total >= 10 is a positive screen [S64][S65].",
        "The reference defines no response or remission for GAD-7.",
    ),
)

QIDS_SR16 = Instrument(
    code="qids_sr16",
    name="QIDS-SR16",
    scorer_version="qids_sr16/1",
    items=_items(  # item content per §4.2 [S19][S67]
        (
            "Trouble falling asleep",
            "Waking during the night",
            "Waking too early",
            "Sleeping too much",
            "Sad mood",
            "Decreased appetite",
            "Increased appetite",
            "Weight loss",
            "Weight gain",
            "Concentration or decisions",
            "View of oneself",
            "Thoughts of death or suicide",
            "Interest in people or activities",
            "Energy",
            "Feeling slowed down",
            "Feeling restless",
        ),
        maximum=3,
    ),
    completed_by="patient",
    recall_period=None,  # reference silent
    score_range=(0, 27),
    scoring_provenance=Provenance(("S19", "S67")),
    labels_provenance=Provenance(("S19", "S67"), note="item content per §4.2, project wording"),
    bands=_bands(  # source: S19, S67
        Provenance(("S19", "S67")),
        (0, 5, "none"),
        (6, 10, "mild"),
        (11, 15, "moderate"),
        (16, 20, "severe"),
        (21, 27, "very severe"),
    ),
    response=ResponseRule(RESPONSE_MIN_FALL_PERCENT),
    remission=RemissionRule(  # source: S67 (QIDS-SR16 <= 5); also S19
        "<=",
        ConfigurableDefault(
            key="outcomes.remission.qids_sr16",
            label="QIDS-SR16 remission: total at or below",
            value=5,
            unit="points",
            provenance=Provenance(("S67", "S19"), note=_REMISSION_PROVENANCE_NOTE),
            minimum=0,
            maximum=27,
        ),
    ),
    notes=("Scored as 9 domains; the 16 items are never summed [S19][S67].",),
)

MADRS = Instrument(
    code="madrs",
    name="MADRS",
    scorer_version="madrs/1",
    items=_items(  # source: S66 (§4.3)
        (
            "Apparent sadness",
            "Reported sadness",
            "Inner tension",
            "Reduced sleep",
            "Reduced appetite",
            "Concentration difficulties",
            "Lassitude",
            "Inability to feel",
            "Pessimistic thoughts",
            "Suicidal thoughts",
        ),
        maximum=6,
    ),
    completed_by="clinician",
    recall_period=None,  # reference silent
    score_range=(0, 60),
    scoring_provenance=Provenance(("S66",)),
    labels_provenance=Provenance(("S66",), note="item names per §4.3"),
    bands=_bands(  # source: S17 (Snaith)
        Provenance(("S17",)),
        (0, 6, "normal"),
        (7, 19, "mild"),
        (20, 34, "moderate"),
        (35, 60, "severe"),
    ),
    response=ResponseRule(RESPONSE_MIN_FALL_PERCENT),
    remission=RemissionRule(  # source: S17, S37 (<= 10); S18 (<= 12 in esketamine programs)
        "<=",
        ConfigurableDefault(
            key="outcomes.remission.madrs",
            label="MADRS remission: total at or below",
            value=10,
            unit="points",
            provenance=Provenance(
                ("S17", "S37"), note="<= 10 default; <= 12 in esketamine programs [S18]"
            ),
            minimum=10,
            maximum=12,
        ),
        alternatives=((12, Provenance(("S18",), note="esketamine programs")),),  # source: S18
    ),
    notes=("No LOINC code for the MADRS total was found in the reference.",),
)

CSSRS_SCREEN = Instrument(
    code="cssrs_screen",
    name="C-SSRS Screener",
    scorer_version="cssrs_screen/1",
    items=_items(  # source: S68, S69 (§4.4)
        (
            "Wish to be dead",
            "Non-specific active suicidal thoughts",
            "Suicidal thoughts with a method, no plan or intent",
            "Suicidal thoughts with some intent, no specific plan",
            "Suicidal thoughts with a specific plan and intent",
            "Suicidal behaviour (lifetime)",
            "Suicidal behaviour within the past 3 months",
        ),
        maximum=1,
        loinc=[Loinc("93246-7", Provenance(("S84",))), None, None, None, None, None, None],
        refs=("Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q6 within past 3 months"),
    ),
    completed_by="clinician",  # project choice: administered as a structured interview
    recall_period="past month (Q1–Q5); lifetime and past 3 months (Q6)",  # source: S68, S69
    score_range=None,
    scoring_provenance=Provenance(("S68", "S69", "S76")),
    labels_provenance=Provenance(("S68", "S69"), note="item content per §4.4, project wording"),
    loinc_panel=Loinc("93373-9", Provenance(("S78", "S84"))),
    notes=(
        "Answers are 0 = no, 1 = yes. If Q2 is no, Q3–Q5 are skipped [S68].",
        "The full C-SSRS panel (93245-9) is a different instrument [S78].",
    ),
)

PCL5 = Instrument(
    code="pcl5",
    name="PCL-5",
    scorer_version="pcl5/1",
    items=_items(
        (
            "Unwanted memories of the event",
            "Disturbing dreams",
            "Reliving the event",
            "Upset by reminders",
            "Physical reactions to reminders",
            "Avoiding thoughts or feelings about it",
            "Avoiding outside reminders",
            "Trouble remembering parts of it",
            "Strong negative beliefs",
            "Blaming oneself or others",
            "Strong negative feelings",
            "Loss of interest in activities",
            "Feeling distant from others",
            "Trouble feeling positive emotions",
            "Irritability or aggression",
            "Risky or harmful behaviour",
            "Being on guard",
            "Easily startled",
            "Difficulty concentrating",
            "Sleep difficulty",
        ),
        maximum=4,
    ),
    completed_by="patient",
    recall_period="past month",  # source: S72, S73
    score_range=(0, 80),
    scoring_provenance=Provenance(("S72", "S73")),
    labels_provenance=Provenance(
        ("memory",), verified=False, note="item order and content not in the reference"
    ),
    loinc_total=Loinc("91006-2", Provenance(("S85",), verified=False, note="[weak]")),
    notes=(
        "No empirically derived severity bands [S72][S73].",
        "5-point change is reliable, 10-point change clinically meaningful [S72][S73].",
    ),
)

CADSS6 = Instrument(
    code="cadss6",
    name="CADSS-6",
    scorer_version="cadss6/1",
    items=_items(  # source: S71 (items 1, 2, 6, 7, 15, 22 of the CADSS)
        tuple(f"CADSS item {n}" for n in (1, 2, 6, 7, 15, 22)),
        maximum=4,
        refs=tuple(f"item {i} (CADSS item {n})" for i, n in enumerate((1, 2, 6, 7, 15, 22), 1)),
    ),
    completed_by="clinician",
    recall_period=None,  # reference silent
    score_range=(0, 24),
    scoring_provenance=Provenance(("S71",)),
    labels_provenance=Provenance(("S71",), note="item content not in the reference"),
    notes=(
        "No bands. CADSS > 4 (full 23-item scale, [memory, verify]) does not apply to CADSS-6.",
    ),
)

PAIN_NRS = Instrument(
    code="pain_nrs",
    name="Pain NRS",
    scorer_version="pain_nrs/1",
    items=_items(("Pain intensity",), maximum=10),
    completed_by="patient",
    recall_period=None,  # reference silent
    score_range=(0, 10),
    scoring_provenance=MEMORY,
    labels_provenance=PROJECT_LABELS,
    bands=_bands(MEMORY, (1, 3, "mild"), (4, 6, "moderate"), (7, 10, "severe")),  # [memory]
    notes=("0 has no band in the reference: severity is None.",),
)

MOAAS_LEVELS: Mapping[int, str] = MappingProxyType(  # source: S74, S75 (paraphrased)
    {
        5: "responds readily to name in a normal tone",
        4: "lethargic response to name in a normal tone",
        3: "responds only to a loud or repeated name",
        2: "responds only to mild prodding or shaking",
        1: "responds only to a painful trapezius squeeze",
        0: "no response to a painful trapezius squeeze",
    }
)

MOAAS = Instrument(
    code="moaas",
    name="MOAA/S",
    scorer_version="moaas/1",
    items=_items(("Responsiveness",), maximum=5),
    completed_by="clinician",  # observer rating [S74][S75]
    recall_period=None,  # rated at the moment of observation
    score_range=(0, 5),
    scoring_provenance=Provenance(("S74", "S75")),
    labels_provenance=Provenance(("S74", "S75")),
    notes=("No bands; 5 = fully alert, 0 = no response. MOAA/S 0 = loss of consciousness [S56].",),
)

INSTRUMENTS: Mapping[str, Instrument] = MappingProxyType(
    {i.code: i for i in (PHQ9, GAD7, QIDS_SR16, MADRS, CSSRS_SCREEN, PCL5, CADSS6, PAIN_NRS, MOAAS)}
)

# source: S19, S67 (§4.2): domain -> item numbers; the domain score is the maximum of its items
QIDS_DOMAINS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("sleep", (1, 2, 3, 4)),
    ("sad_mood", (5,)),
    ("appetite_weight", (6, 7, 8, 9)),
    ("concentration", (10,)),
    ("self_view", (11,)),
    ("suicidal_ideation", (12,)),
    ("interest", (13,)),
    ("energy", (14,)),
    ("psychomotor", (15, 16)),
)


# --- scoring -----------------------------------------------------------------------------------


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
