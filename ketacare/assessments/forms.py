"""Posted questionnaire forms → answers (ints in item order), and field errors back.

Items are posted as ``item-<number>``. Ranges come from the instrument's metadata so each field
can carry its own message; the scorer checks everything again when the answers are stored. For
the C-SSRS Screener, questions the skip logic ignores (Q3–Q5 when Q2 is "no"; the recency
question when Q6 is "no") may be left unanswered and are stored as 0, as the scorer ignores them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from ketacare.clinical.instruments import INSTRUMENTS

CSSRS_SKIPPABLE = {3: 2, 4: 2, 5: 2, 7: 6}  # item -> the item whose "no" skips it


def field_name(number: int) -> str:
    return f"item-{number}"


def parse_answers(code: str, post) -> tuple[list[int] | None, dict[int, str], dict[str, str]]:
    """``(answers or None, posted values by item number, errors by field name)``."""
    instrument = INSTRUMENTS[code]
    values: dict[int, str] = {}
    errors: dict[str, str] = {}
    for item in instrument.items:
        values[item.number] = (post.get(field_name(item.number)) or "").strip()
    answers: list[int] = []
    for item in instrument.items:
        raw = values[item.number]
        if raw == "" and code == "cssrs_screen" and item.number in CSSRS_SKIPPABLE:
            gate = values.get(CSSRS_SKIPPABLE[item.number], "")
            if gate == "0":
                answers.append(0)
                continue
        if raw == "":
            errors[field_name(item.number)] = (
                f"Choose an answer for {item.ref or f'item {item.number}'}."
            )
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[field_name(item.number)] = f"{raw!r} is not one of the answers."
            continue
        if not item.minimum <= value <= item.maximum:
            errors[field_name(item.number)] = f"{value} is outside {item.minimum}–{item.maximum}."
            continue
        answers.append(value)
    return (None if errors else answers), values, errors


def parse_local_datetime(text: str, zone: str) -> dt.datetime | None:
    """A ``datetime-local`` value read in the clinic's zone; None when blank; ValueError if bad."""
    text = (text or "").strip()
    if not text:
        return None
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return value


def local_input(value: dt.datetime | None, zone: str) -> str:
    """A datetime as a ``datetime-local`` input value in the clinic's zone."""
    if value is None:
        return ""
    return value.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def form_rows(spec, values: dict, errors: dict) -> list[dict]:
    """One row per item for the questionnaire template: label, options, choice, error."""
    rows = []
    for item in spec.items:
        name = field_name(item.number)
        skip_gate = CSSRS_SKIPPABLE.get(item.number) if spec.code == "cssrs_screen" else None
        rows.append(
            {
                "number": item.number,
                "ref": item.ref or f"Item {item.number}",
                "label": item.label,
                "name": name,
                "options": item.options,
                "selected": str(values.get(item.number, "")),
                "error": errors.get(name, ""),
                "skip_gate": field_name(skip_gate) if skip_gate else "",
            }
        )
    return rows
