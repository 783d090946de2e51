"""The instruments: items, answer ranges, severity bands, LOINC codes, response and remission
rules, each with its source (``shared/clinical-reference.md`` §4). Item labels are the project's
own short paraphrases; licensed official wording is supplied by the clinic (``wording``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from ketacare.clinical.common import Provenance
from ketacare.clinical.instruments.model import (
    Band,
    Instrument,
    Item,
    Loinc,
    RemissionRule,
    ResponseRule,
)
from ketacare.clinical.instruments.settings import (
    REMISSION_MADRS,
    REMISSION_PHQ9,
    REMISSION_QIDS_SR16,
    RESPONSE_MIN_FALL_PERCENT,
)

# Provenance shorthands. "memory" marks a fact the reference tags [memory, verify].
MEMORY = Provenance(("memory",), verified=False, note="tagged [memory, verify] in the reference")
PROJECT_LABELS = Provenance(
    ("project wording",),
    note="short labels written by the project; not the licensed official wording",
)


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
        REMISSION_PHQ9,
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
        REMISSION_QIDS_SR16,
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
        REMISSION_MADRS,
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
