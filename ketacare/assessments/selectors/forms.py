"""Official wording and the forms patients and staff fill in."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketacare.assessments.models import (
    InstrumentWording,
)
from ketacare.assessments.selectors.plans import rules_for
from ketacare.assessments.selectors.settings import settings_for
from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import INSTRUMENTS, MOAAS_LEVELS
from ketacare.clinical.wording import Wording, load_wording

# Project answer labels. PHQ-9/GAD-7 answers are the LOINC answer texts in the reference (§4.5);
# the others are neutral anchors written by the project, not licensed wording.
_PHQ_GAD = ("Not at all", "Several days", "More than half the days", "Nearly every day")
_ANCHORS: dict[str, tuple[str, str]] = {
    "qids_sr16": ("none", "most"),
    "madrs": ("none", "most severe"),
    "pcl5": ("not at all", "extremely"),
    "cadss6": ("not at all", "extremely"),
    "pain_nrs": ("no pain", "worst pain imaginable"),
}


@dataclass(frozen=True)
class FormOption:
    value: int
    label: str


@dataclass(frozen=True)
class FormItem:
    number: int
    label: str
    options: tuple[FormOption, ...]
    ref: str = ""


@dataclass(frozen=True)
class FormSpec:
    code: str
    name: str
    stem: str
    recall_period: str | None
    completed_by: str
    items: tuple[FormItem, ...]
    wording_id: int | None = None
    wording_source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def wording_for(clinic, code: str) -> tuple[InstrumentWording | None, Wording | None]:
    """The clinic's active official wording for ``code`` in its language, validated again."""
    language = settings_for(clinic).language
    row = InstrumentWording.objects.filter(
        clinic=clinic, instrument=code, language=language, active=True
    ).first()
    if row is None:
        return None, None
    try:
        return row, load_wording(row.document)
    except ClinicalRuleError:
        return None, None  # an invalid stored document falls back to the project labels


def _default_options(code: str) -> tuple[FormOption, ...]:
    instrument = INSTRUMENTS[code]
    low, high = instrument.item_range
    if code in ("phq9", "gad7"):
        return tuple(FormOption(v, _PHQ_GAD[v]) for v in range(low, high + 1))
    if code == "cssrs_screen":
        return (FormOption(0, "No"), FormOption(1, "Yes"))
    if code == "moaas":
        return tuple(FormOption(v, f"{v} — {MOAAS_LEVELS[v]}") for v in range(high, low - 1, -1))
    least, most = _ANCHORS.get(code, ("", ""))

    def label(v: int) -> str:
        if v == low and least:
            return f"{v} ({least})"
        if v == high and most:
            return f"{v} ({most})"
        return str(v)

    return tuple(FormOption(v, label(v)) for v in range(low, high + 1))


def form_spec(clinic, code: str) -> FormSpec:
    """Items and answer choices to show: the clinic's official wording, else project labels."""
    instrument = INSTRUMENTS[code]
    row, wording = wording_for(clinic, code)
    if wording is not None:
        options = tuple(FormOption(o.value, o.label) for o in wording.options)
        labels = wording.items
    else:
        options = _default_options(code)
        labels = tuple(item.label for item in instrument.items)
    items = tuple(
        FormItem(item.number, text, options, item.ref)
        for item, text in zip(instrument.items, labels, strict=True)
    )
    stem = wording.stem if wording and wording.stem else _default_stem(code)
    return FormSpec(
        code=code,
        name=instrument.name,
        stem=stem,
        recall_period=instrument.recall_period,
        completed_by=instrument.completed_by,
        items=items,
        wording_id=row.pk if row else None,
        wording_source=wording.source if wording else "",
    )


def _default_stem(code: str) -> str:
    recall = INSTRUMENTS[code].recall_period
    if INSTRUMENTS[code].completed_by == "clinician":
        return "Rate each item."
    if recall:
        return f"Over the {recall}, how often have you been bothered by the following?"
    return "Choose the answer that fits you best for each item."


def patient_instruments(clinic) -> list[str]:
    """Instruments patients complete themselves that the clinic's rules use."""
    codes = {r.instrument for r in rules_for(clinic)}
    return [c for c in INSTRUMENTS if c in codes and INSTRUMENTS[c].completed_by == "patient"]
