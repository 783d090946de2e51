"""Clinic-supplied official wording: the JSON format, its validation and item labels."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.instruments import INSTRUMENTS
from ketacare.clinical.wording import Wording, WordingOption, item_labels, load_wording


def document(**changes: Any) -> dict[str, Any]:
    """A valid GAD-7 wording document (placeholder text, not the licensed wording)."""
    doc: dict[str, Any] = {
        "instrument": "gad7",
        "language": "en",
        "source": "Clinic licence note: official English text, used under licence",
        "stem": "Stem text",
        "items": [f"Official item {n}" for n in range(1, 8)],
        "options": [{"value": v, "label": f"Option {v}"} for v in range(4)],
    }
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not ...}


def test_load_from_json_text() -> None:
    wording = load_wording(json.dumps(document()))
    assert wording == Wording(
        instrument="gad7",
        language="en",
        source="Clinic licence note: official English text, used under licence",
        items=tuple(f"Official item {n}" for n in range(1, 8)),
        options=tuple(WordingOption(v, f"Option {v}") for v in range(4)),
        stem="Stem text",
    )
    assert wording.option_label(2) == "Option 2"


def test_load_from_bytes_and_from_a_mapping_agree() -> None:
    assert load_wording(json.dumps(document()).encode()) == load_wording(document())


def test_stem_and_version_are_optional() -> None:
    wording = load_wording(document(stem=..., version="2024-01"))
    assert wording.stem == ""
    assert wording.version == "2024-01"


def test_options_keep_the_clinic_order() -> None:
    options = [{"value": v, "label": f"L{v}"} for v in (3, 2, 1, 0)]
    assert [o.value for o in load_wording(document(options=options)).options] == [3, 2, 1, 0]


def test_item_labels_use_official_wording_when_supplied() -> None:
    wording = load_wording(document())
    assert item_labels("gad7", wording) == tuple(f"Official item {n}" for n in range(1, 8))


def test_item_labels_fall_back_to_project_labels() -> None:
    assert item_labels("phq9")[8] == "Thoughts of death or self-harm"
    assert len(item_labels("qids_sr16")) == 16
    for code, inst in INSTRUMENTS.items():
        assert item_labels(code) == tuple(i.label for i in inst.items)


def test_item_labels_refuse_wording_for_another_instrument() -> None:
    with pytest.raises(ClinicalRuleError, match=re.escape("wording is for gad7, not PHQ-9")):
        item_labels("phq9", load_wording(document()))


def test_cssrs_wording_has_seven_items_and_yes_no_options() -> None:
    wording = load_wording(
        {
            "instrument": "cssrs_screen",
            "language": "es-MX",
            "source": "licence note",
            "items": [f"P{n}" for n in range(1, 8)],
            "options": [{"value": 1, "label": "Sí"}, {"value": 0, "label": "No"}],
        }
    )
    assert wording.language == "es-MX"
    assert len(wording.items) == 7


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "wording is not valid JSON"),
        ("[1, 2]", "wording must be a JSON object"),
        (document(source=...), "wording is missing: source"),
        (document(items=..., options=...), "wording is missing: items, options"),
        (document(notes="x"), "wording has unknown fields: notes"),
        (document(instrument="bdi"), "wording names unknown instrument 'bdi'"),
        (document(instrument=7), "wording names unknown instrument 7"),
        (document(language="English"), "GAD-7 wording: language 'English' is not a language tag"),
        (document(language=""), "GAD-7 wording: language is empty"),
        (document(source="  "), "GAD-7 wording: source (licence note) is empty"),
        (document(stem=3), "GAD-7 wording: stem must be text, got int"),
        (document(items=["a"] * 6), "GAD-7 wording has 6 items; GAD-7 has 7"),
        (document(items=["a"] * 8), "GAD-7 wording has 8 items; GAD-7 has 7"),
        (document(items="a,b"), "GAD-7 wording: items must be a list of strings"),
        (document(items=["a"] * 6 + [""]), "GAD-7 wording: item 7 is empty"),
        (document(items=["a"] * 6 + [None]), "GAD-7 wording: item 7 must be text, got NoneType"),
        (document(options={"0": "x"}), "GAD-7 wording: options must be a list"),
        (
            document(options=[{"value": v, "label": "x"} for v in range(3)]),
            "GAD-7 wording: options must cover exactly 0–3 (missing 3)",
        ),
        (
            document(options=[{"value": v, "label": "x"} for v in range(5)]),
            "GAD-7 wording: options must cover exactly 0–3 (outside the item range: 4)",
        ),
        (
            document(options=[{"value": v, "label": "x"} for v in (0, 1, 1, 2, 3)]),
            "GAD-7 wording: option values repeat: 1",
        ),
        (
            document(options=[{"value": True, "label": "x"}]),
            "GAD-7 wording: option 1 value True is not a whole number",
        ),
        (
            document(options=[{"value": 0}]),
            "GAD-7 wording: option 1 must be an object with exactly value and label",
        ),
        (
            document(options=[{"value": 0, "label": "x", "score": 0}]),
            "GAD-7 wording: option 1 must be an object with exactly value and label",
        ),
        (
            document(options=[{"value": 0, "label": ""}]),
            "GAD-7 option 0 is empty",
        ),
    ],
)
def test_invalid_wording_is_refused_with_a_clear_message(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_wording(data)  # type: ignore[arg-type]


def test_item_count_for_every_instrument_matches_its_metadata() -> None:
    for code, inst in INSTRUMENTS.items():
        low, high = inst.item_range
        wording = load_wording(
            {
                "instrument": code,
                "language": "en",
                "source": "test",
                "items": ["x"] * len(inst.items),
                "options": [{"value": v, "label": str(v)} for v in range(low, high + 1)],
            }
        )
        assert len(item_labels(code, wording)) == len(inst.items)
