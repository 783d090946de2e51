"""From the stored intake to the clinical core's ``IntakeFacts``, and back to words for the screen.

``intake_facts`` is the one place the intake JSON (``ketacare.patients.intake.IntakeData``) and the
patient's age and sex become screening input. An unticked "this list is complete" box is read as
*unknown*, never as *no*: missing data is not absence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from ketacare.clinical.common import Answer
from ketacare.clinical.intake import (
    QUESTIONS,
    AntidepressantTrial,
    Indication,
    IntakeFacts,
    Medication,
)
from ketacare.patients.models import Patient
from ketacare.patients.selectors import age_on
from ketacare.treatment.clinical_records import plain

_ANSWER_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(IntakeFacts)
    if f.type in ("Answer", Answer)
    and f.name not in ("medications_complete", "antidepressant_history_complete")
)


def _confirmed(value: object) -> Answer:
    """A ticked "complete" box is YES; an unticked one is UNKNOWN (not confirmed), never NO."""
    if value is True:
        return Answer.YES
    return Answer.parse(value) if isinstance(value, str) else Answer.UNKNOWN


def intake_facts(
    patient: Patient, data: dict[str, Any], *, indication: Indication | str, on: dt.date
) -> IntakeFacts:
    """The screening input for ``patient`` from one intake version's JSON, ages taken ``on``.

    Raises ClinicalRuleError when the intake holds something the rules refuse.
    """
    conditions = data.get("conditions") or {}
    vitals = data.get("baseline_vitals") or {}
    answers = {name: conditions.get(name, Answer.UNKNOWN) for name in _ANSWER_FIELDS}
    answers["pregnancy_possible"] = data.get("pregnancy_possible", Answer.UNKNOWN)
    sex = patient.sex_at_birth if patient.sex_at_birth in ("female", "male") else None
    return IntakeFacts(
        indication=indication,
        age_years=age_on(patient.date_of_birth, on),
        sex=sex,  # type: ignore[arg-type]
        diagnoses=tuple(d["code"] for d in data.get("diagnoses", [])),
        current_medications=tuple(
            Medication(
                name=m["name"], dose_text=m.get("dose", ""), drug_class=m.get("drug_class") or None
            )
            for m in data.get("medications", [])
        ),
        medications_complete=_confirmed(data.get("medications_complete")),
        antidepressant_trials=tuple(
            AntidepressantTrial(
                drug=t["drug"],
                dose_mg=t.get("dose_mg"),
                weeks=t.get("weeks"),
                adequate=t.get("adequate", Answer.UNKNOWN),
                outcome=t.get("outcome", "unknown"),
                current_episode=t.get("current_episode", Answer.UNKNOWN),
            )
            for t in data.get("antidepressant_trials", [])
        ),
        antidepressant_history_complete=_confirmed(data.get("antidepressant_history_complete")),
        systolic_mmhg=vitals.get("systolic_mmhg"),
        diastolic_mmhg=vitals.get("diastolic_mmhg"),
        heart_rate_bpm=vitals.get("heart_rate_bpm"),
        **answers,
    )


def facts_to_dict(facts: IntakeFacts) -> dict[str, Any]:
    record = plain(facts)
    assert isinstance(record, dict)
    return record


_ITEM = re.compile(r"^(antidepressant_trials|current_medications)\[(\d+)\](?:\.(\w+))?$")
_EXTRA_QUESTIONS = {
    "systolic_mmhg": "What is the patient's blood pressure (seated, recent)?",
    "diastolic_mmhg": "What is the patient's blood pressure (seated, recent)?",
    "age_years": "What is the patient's date of birth?",
    "sex": "What sex was the patient assigned at birth?",
    "diagnoses": "What is the patient's diagnosis (ICD-10-CM)?",
    "current_medications": "What medications does the patient take now?",
}


def needs_text(needs: str, facts: dict[str, Any] | None = None, labels: dict | None = None) -> str:
    """What to answer for a ``missing`` finding, in words: a question, an item or a setting."""
    if not needs:
        return ""
    if needs.startswith("setting:"):
        key = needs.removeprefix("setting:")
        label = (labels or {}).get(key, key)
        return f"Clinic setting to be set by the medical director: {label}"
    match = _ITEM.match(needs)
    if match:
        group, index, attribute = match.group(1), int(match.group(2)), match.group(3)
        items = (facts or {}).get(group) or []
        name = ""
        if index < len(items):
            item = items[index]
            name = item.get("drug") or item.get("name") or ""
        what = "Antidepressant trial" if group == "antidepressant_trials" else "Medication"
        detail = " (dose, weeks, adequate, outcome, this episode)" if not attribute else ""
        if attribute == "drug_class":
            return f"{what} {index + 1}{f' ({name})' if name else ''}: choose its interaction class"
        return f"{what} {index + 1}{f' ({name})' if name else ''}: complete the details{detail}"
    return QUESTIONS.get(needs) or _EXTRA_QUESTIONS.get(needs) or needs.replace("_", " ")
