"""What the intake's fields and coded answers are called on screen: question labels for the
review page and error messages, and words for codes (``no_response`` → "No response")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketacare.core.validation import field_label
from ketacare.patients.intake import CONDITIONS

ANSWER_LABELS = {"yes": "Yes", "no": "No", "unknown": "Don't know"}
TRI_CHOICES = (("unknown", "Don't know"), ("yes", "Yes"), ("no", "No"))
OUTCOME_CHOICES = (
    ("unknown", "Don't know"),
    ("no_response", "No response"),
    ("partial", "Partial response"),
    ("response", "Response"),
    ("intolerance", "Stopped: side effects"),
)
OUTCOME_LABELS = dict(OUTCOME_CHOICES)
DRUG_CLASS_LABELS = {
    "benzodiazepine": "Benzodiazepine",
    "z_drug": "Z-drug (zolpidem, zopiclone, ...)",
    "lamotrigine": "Lamotrigine",
    "maoi": "MAO inhibitor",
    "psychostimulant": "Psychostimulant",
    "opioid": "Opioid",
    "cns_depressant": "Other CNS depressant",
    "methylxanthine": "Methylxanthine (theophylline)",
    "sympathomimetic": "Sympathomimetic",
    "cyp_inhibitor": "Strong CYP3A4/CYP2B6 inhibitor",
    "cyp_inducer": "CYP3A4/CYP2B6 inducer",
    "antipsychotic": "Antipsychotic",
    "naltrexone": "Naltrexone",
    "lithium": "Lithium",
    "antidepressant": "Antidepressant",
    "other": "None of these (checked)",
}

# One question about pregnancy, stored as the two facts screening reads: whether pregnancy is
# possible at all (``pregnancy_possible``) and whether the patient is pregnant (``pregnant``).
PREGNANCY_CHOICES: tuple[tuple[str, str, str, str], ...] = (
    # (choice, label, pregnancy_possible, conditions.pregnant)
    ("unknown", "Don't know", "unknown", "unknown"),
    ("pregnant", "Yes, pregnant now", "yes", "yes"),
    ("unsure", "Could be: not sure (e.g. no reliable contraception)", "yes", "unknown"),
    ("possible", "Not pregnant, but pregnancy is possible", "yes", "no"),
    ("not_possible", "No: pregnancy is not possible", "no", "no"),
)
PREGNANCY_QUESTION = "Are you pregnant, or could you be?"
PREGNANCY_QUESTION_STAFF = "Pregnant, or could be pregnant?"


def pregnancy_choice(values: dict[str, Any]) -> str:
    """The single pregnancy answer the two stored facts amount to. Versions saved before the
    question was merged may hold other pairs; each maps to the answer that keeps what screening
    reads (``pregnant``, and ``pregnancy_possible`` only while ``pregnant`` is unknown)."""
    possible = str(values.get("pregnancy_possible") or "unknown")
    pregnant = str((values.get("conditions") or {}).get("pregnant") or "unknown")
    if pregnant == "yes":
        return "pregnant"
    if pregnant == "no":
        return "not_possible" if possible == "no" else "possible"
    return {"yes": "unsure", "no": "not_possible"}.get(possible, "unknown")


def pregnancy_facts(choice: str) -> tuple[str, str]:
    """``(pregnancy_possible, pregnant)`` for a pregnancy answer; unknown for anything else."""
    for value, _, possible, pregnant in PREGNANCY_CHOICES:
        if value == choice:
            return possible, pregnant
    return "unknown", "unknown"


def pregnancy_label(values: dict[str, Any]) -> str:
    choice = pregnancy_choice(values)
    return next(label for value, label, _, _ in PREGNANCY_CHOICES if value == choice)


FIELD_LABELS: dict[str, str] = {
    "height_cm": "Height (cm)",
    "weight_kg": "Weight (kg)",
    "diagnoses": "Diagnoses (ICD-10-CM)",
    "medications": "Current medications",
    "medications_complete": "Every current medication is listed",
    "no_known_allergies": "No known allergies",
    "allergies": "Allergies",
    "psychiatric": "Psychiatric history",
    "antidepressant_trials": "Antidepressant trials",
    "antidepressant_history_complete": "Every antidepressant tried is listed",
    "pregnancy_possible": "Pregnancy",
    "psychotherapy": "Psychotherapy",
    "conditions": "Medical history",
    "substance_use_details": "Alcohol and drug use",
    "baseline_vitals": "Baseline vital signs",
    "labs": "Laboratory results",
    "notes": "Notes",
    "psychiatric.depressive_episodes": "Depressive episodes",
    "psychiatric.hospitalisations": "Psychiatric hospitalisations",
    "psychiatric.suicide_attempts": "Suicide attempts",
    "psychiatric.most_recent_attempt": "Most recent attempt",
    "psychiatric.current_episode_started": "Current episode started",
    "psychiatric.notes": "Psychiatric history notes",
    "baseline_vitals.systolic_mmhg": "Systolic BP (mmHg)",
    "baseline_vitals.diastolic_mmhg": "Diastolic BP (mmHg)",
    "baseline_vitals.heart_rate_bpm": "Heart rate (bpm)",
    "baseline_vitals.spo2_percent": "SpO2 (%)",
    "baseline_vitals.measured_on": "Vital signs measured on",
    **{f"conditions.{name}": label for name, label in CONDITIONS},
}
ROW_LABELS = {
    "diagnoses": "Diagnosis",
    "medications": "Medication",
    "allergies": "Allergy",
    "antidepressant_trials": "Antidepressant trial",
    "psychotherapy": "Psychotherapy",
    "labs": "Lab result",
}
ROW_FIELD_LABELS = {
    "code": "ICD-10-CM code",
    "description": "description",
    "name": "name",
    "dose": "dose and frequency",
    "drug_class": "interaction class",
    "substance": "substance",
    "reaction": "reaction",
    "drug": "drug",
    "dose_mg": "dose (mg/day)",
    "weeks": "weeks",
    "adequate": "adequate trial",
    "outcome": "outcome",
    "current_episode": "in this episode",
    "kind": "kind",
    "current": "current",
    "value": "value",
    "unit": "unit",
    "taken_on": "date",
}


def where(key: str) -> str:
    """Where an error or change is, in words: ``medications.1.name`` → "Medication 2, name"."""
    parts = key.split(".")
    if parts[0] in ROW_LABELS and len(parts) >= 2 and parts[1].isdigit():
        label = f"{ROW_LABELS[parts[0]]} {int(parts[1]) + 1}"
        return f"{label}, {ROW_FIELD_LABELS.get(parts[2], parts[2])}" if len(parts) > 2 else label
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    if parts[0] in FIELD_LABELS:
        return FIELD_LABELS[parts[0]]
    if key in ("form", "request", ""):
        return "The questionnaire"
    return field_label(key)


@dataclass(frozen=True)
class ReviewRow:
    label: str
    value: str
    tone: str = ""  # "warning" for a condition answered yes, "ok" for no


def _condition_row(label: str, answer: Any) -> ReviewRow:
    tone = {"yes": "warning", "no": "ok"}.get(str(answer), "")
    return ReviewRow(label, _answer(answer), tone)


def _answer(value: Any) -> str:
    return ANSWER_LABELS.get(str(value), str(value))


def _yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def _number(value: Any, unit: str = "") -> str:
    if value in (None, ""):
        return "—"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def _rows(items: list[dict], describe) -> list[str]:
    return [describe(item) for item in items] or ["None listed"]


def _trial(t: dict) -> str:
    dose = f" {_number(t.get('dose_mg'))} mg/day" if t.get("dose_mg") else ""
    weeks = f" for {_number(t.get('weeks'))} weeks" if t.get("weeks") is not None else ""
    return (
        f"{t.get('drug')}{dose}{weeks} — adequate trial: {_answer(t.get('adequate'))}; outcome: "
        f"{OUTCOME_LABELS.get(t.get('outcome', 'unknown'), t.get('outcome'))}; this episode: "
        f"{_answer(t.get('current_episode'))}"
    )


def _medication(m: dict) -> str:
    text = " ".join(part for part in (m.get("name"), m.get("dose")) if part)
    if m.get("drug_class"):
        text += f" ({DRUG_CLASS_LABELS.get(m['drug_class'], m['drug_class'])})"
    return text


def review_sections(data: dict[str, Any]) -> list[tuple[str, list[ReviewRow]]]:
    """The intake as question and answer, section by section, for the prescriber's review."""
    psych = data.get("psychiatric") or {}
    vitals = data.get("baseline_vitals") or {}
    conditions = data.get("conditions") or {}
    allergies = data.get("allergies") or []
    allergy_text = (
        _rows(
            allergies,
            lambda a: (
                f"{a['substance']} ({a['reaction']})" if a.get("reaction") else a["substance"]
            ),
        )
        if allergies
        else ["None known" if data.get("no_known_allergies") else "Not recorded"]
    )
    return [
        (
            "Body",
            [
                ReviewRow("Height", _number(data.get("height_cm"), "cm")),
                ReviewRow("Weight", _number(data.get("weight_kg"), "kg")),
            ],
        ),
        (
            "Medicines and allergies",
            [
                *(
                    ReviewRow("Medication", text)
                    for text in _rows(data.get("medications") or [], _medication)
                ),
                ReviewRow(
                    FIELD_LABELS["medications_complete"], _yes_no(data.get("medications_complete"))
                ),
                *(ReviewRow("Allergy", text) for text in allergy_text),
            ],
        ),
        (
            "Depression history",
            [
                *(
                    ReviewRow("Antidepressant trial", text)
                    for text in _rows(data.get("antidepressant_trials") or [], _trial)
                ),
                ReviewRow(
                    FIELD_LABELS["antidepressant_history_complete"],
                    _yes_no(data.get("antidepressant_history_complete")),
                ),
                *(
                    ReviewRow(FIELD_LABELS[f"psychiatric.{name}"], _number(psych.get(name)))
                    for name in (
                        "depressive_episodes",
                        "current_episode_started",
                        "hospitalisations",
                        "suicide_attempts",
                        "most_recent_attempt",
                    )
                ),
                *(
                    ReviewRow(
                        "Psychotherapy", f"{p['kind']} (current: {_answer(p.get('current'))})"
                    )
                    for p in data.get("psychotherapy") or []
                ),
            ],
        ),
        (
            "Medical history",
            [
                ReviewRow(PREGNANCY_QUESTION_STAFF, pregnancy_label(data)),
                *(
                    _condition_row(label, conditions.get(name, "unknown"))
                    for name, label in CONDITIONS
                    if name != "pregnant"
                ),
                ReviewRow(
                    FIELD_LABELS["substance_use_details"], data.get("substance_use_details") or "—"
                ),
            ],
        ),
        (
            "Baseline vital signs",
            [
                ReviewRow(
                    "Blood pressure",
                    f"{_number(vitals.get('systolic_mmhg'))}/"
                    f"{_number(vitals.get('diastolic_mmhg'))} mmHg",
                ),
                ReviewRow("Heart rate", _number(vitals.get("heart_rate_bpm"), "bpm")),
                ReviewRow("SpO2", _number(vitals.get("spo2_percent"), "%")),
                ReviewRow("Measured on", _number(vitals.get("measured_on"))),
            ],
        ),
        (
            "Entered by staff",
            [
                *(
                    ReviewRow("Diagnosis", f"{d['code']} {d.get('description', '')}".strip())
                    for d in data.get("diagnoses") or []
                ),
                *(
                    ReviewRow(
                        "Lab",
                        f"{lab['name']}: {lab['value']} {lab.get('unit', '')}".strip()
                        + (f" ({lab['taken_on']})" if lab.get("taken_on") else ""),
                    )
                    for lab in data.get("labs") or []
                ),
            ]
            or [ReviewRow("Diagnoses and labs", "None entered")],
        ),
        ("Notes", [ReviewRow("Notes", data.get("notes") or "—")]),
    ]


def changed_labels(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two intake versions, named as the questions are."""
    order = list(FIELD_LABELS)
    labels: list[str] = []
    for key in sorted(
        set(before) | set(after),
        key=lambda k: (k not in order, order.index(k) if k in order else 0, k),
    ):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, dict) or isinstance(new, dict):
            old, new = old or {}, new or {}
            labels.extend(
                where(f"{key}.{name}")
                for name in sorted(set(old) | set(new))
                if old.get(name) != new.get(name)
            )
        else:
            labels.append(where(key))
    return list(dict.fromkeys(labels))
