"""What the intake form page needs to draw: rows of each list with their own errors, questions
with their answers, and the labels of coded answers. Shared by the staff page, the e-mailed
link, the portal and kiosk mode."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from ketacare.patients.forms import BLANK_ROWS, LIST_FIELDS, rows_with_blanks
from ketacare.patients.intake import CONDITIONS, DRUG_CLASS_CHOICES, STAFF_ONLY_LISTS
from ketacare.patients.intake_labels import (
    DRUG_CLASS_LABELS,
    OUTCOME_CHOICES,
    PREGNANCY_CHOICES,
    PREGNANCY_QUESTION,
    PREGNANCY_QUESTION_STAFF,
    TRI_CHOICES,
    pregnancy_choice,
)


def _errors_under(errors: dict, prefix: str) -> dict:
    return {
        key.removeprefix(prefix): message
        for key, message in errors.items()
        if key.startswith(prefix)
    }


def blank_rows(post: QueryDict | None, *, add: str | None = None) -> dict[str, int]:
    """How many blank rows each list shows: as many as the page had, one more where "Add a
    row" was pressed."""
    counts = {}
    for group in LIST_FIELDS:
        shown = (post or {}).get(f"blank-{group}", "")
        counts[group] = int(shown) if str(shown).isdigit() else BLANK_ROWS
        counts[group] = min(counts[group] + (group == add), 20)
    return counts


def intake_form_context(
    values: dict, errors: dict, *, blanks: dict[str, int] | None = None, **extra: Any
) -> dict:
    """Rows and conditions zipped with their own errors, since templates cannot index by loop."""
    blanks = blanks or {}
    public = bool(extra.get("public"))
    lists = {
        group: [
            {
                "index": i,
                "values": row,
                "errors": _errors_under(errors, f"{group}.{i}."),
                "blank": i >= len(values.get(group) or []),
            }
            for i, row in enumerate(
                rows_with_blanks(
                    values.get(group) or [], fields, blanks=blanks.get(group, BLANK_ROWS)
                )
            )
        ]
        for group, fields in LIST_FIELDS.items()
        if not (public and group in STAFF_ONLY_LISTS)
    }
    conditions = [
        (
            name,
            label,
            (values.get("conditions") or {}).get(name, "unknown"),
            errors.get(f"conditions.{name}"),
        )
        for name, label in CONDITIONS
        if name != "pregnant"  # asked once, as the pregnancy question
    ]
    nested = {
        group: _errors_under(errors, f"{group}.") for group in ("psychiatric", "baseline_vitals")
    }
    return {
        "values": values,
        "errors": errors,
        "error_list": list(errors.values()),
        "nested_errors": nested,
        "lists": lists,
        "blank_counts": {group: blanks.get(group, BLANK_ROWS) for group in LIST_FIELDS},
        "conditions": conditions,
        "pregnancy": pregnancy_choice(values),
        "pregnancy_choices": [(value, label) for value, label, _, _ in PREGNANCY_CHOICES],
        "pregnancy_question": PREGNANCY_QUESTION if public else PREGNANCY_QUESTION_STAFF,
        "tri_choices": TRI_CHOICES,
        "drug_classes": [(c, DRUG_CLASS_LABELS.get(c, c)) for c in DRUG_CLASS_CHOICES],
        "outcome_choices": OUTCOME_CHOICES,
        **extra,
    }


def read_intake_form(post: QueryDict, *, patient_facing: bool = False):
    """``(intake or None, values, errors, blank rows)`` from a posted intake form. A post from
    "Add a row" or "Remove" (pages work without JavaScript) is not a submission: the form comes
    back with the row added or removed and no errors."""
    from ketacare.patients.forms import intake_from_post, parse_intake, row_edit

    edit = row_edit(post)
    if edit is not None:
        action, group, index = edit
        removed = (group, index) if action == "remove" and index is not None else None
        values = intake_from_post(post, patient_facing=patient_facing, removed=removed)
        return None, values, {}, blank_rows(post, add=group if action == "add" else None)
    data, values, errors = parse_intake(post, patient_facing=patient_facing)
    return data, values, errors, blank_rows(post)
