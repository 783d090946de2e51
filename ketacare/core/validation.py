"""Human messages for input validation errors (pydantic / django-ninja), never framework strings.

``human_errors(errors)`` turns pydantic's error list into ``(summary, fields)``: one sentence per
field, keyed by the field's path without the ``body``/``payload`` prefix (``vitals.spo2_percent``,
``medications.0.name``). A message a service or a validator wrote itself (a ``ValueError`` text)
is kept as written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

_LOCATION_PREFIXES = frozenset({"body", "payload", "query", "path", "form", "header", "cookie"})


def field_key(loc: Iterable[Any]) -> str:
    """``("body", "payload", "vitals", "spo2_percent")`` → ``"vitals.spo2_percent"``."""
    parts = [str(part) for part in loc]
    while parts and parts[0] in _LOCATION_PREFIXES:
        parts.pop(0)
    return ".".join(parts) or "request"


def field_label(key: str) -> str:
    """``"vitals.spo2_percent"`` → ``"Spo2 percent"``: the last named part, in words."""
    names = [part for part in key.split(".") if not part.isdigit()]
    name = names[-1] if names else key
    return name.replace("_", " ").strip().capitalize() or "This value"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _choices(expected: Any) -> str:
    return str(expected).replace("'", "").replace(" or ", ", or ")


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    msg = str(error.get("msg", ""))
    if kind in ("value_error", "assertion_error"):
        # Written by our own validators: keep the text, without pydantic's prefix.
        return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "missing":
        return "is required"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"must be at least {minimum} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"must have {word} {bound} item{'s' if bound != 1 else ''}"
    limits = {
        "greater_than": ("must be above", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be below", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in limits:
        words, key = limits[kind]
        return f"{words} {_number(ctx.get(key))}"
    simple = {
        "int_parsing": "must be a whole number",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "decimal_parsing": "must be a number",
        "decimal_type": "must be a number",
        "finite_number": "must be a finite number",
        "bool_parsing": "must be true or false",
        "bool_type": "must be true or false",
        "string_type": "must be text",
        "list_type": "must be a list",
        "dict_type": "must be an object",
        "model_type": "must be an object",
        "model_attributes_type": "must be an object",
        "date_parsing": "must be a date (YYYY-MM-DD)",
        "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
        "date_type": "must be a date (YYYY-MM-DD)",
        "datetime_parsing": "must be a date and time (e.g. 2026-03-03T15:00:00-05:00)",
        "datetime_from_date_parsing": "must be a date and time (e.g. 2026-03-03T15:00:00-05:00)",
        "datetime_type": "must be a date and time (e.g. 2026-03-03T15:00:00-05:00)",
        "time_parsing": "must be a time (HH:MM)",
        "timezone_aware": "must include a time zone offset",
        "extra_forbidden": "is not a field this request accepts",
        "string_pattern_mismatch": "is not in the expected format",
        "uuid_parsing": "must be a UUID",
        "url_parsing": "must be a web address",
        "json_invalid": "is not valid JSON",
        "none_required": "must be empty",
        "decimal_whole_digits": "has too many digits before the decimal point",
        "decimal_max_digits": "has too many digits",
    }
    if kind in simple:
        return simple[kind]
    if kind == "decimal_max_places":
        places = ctx.get("decimal_places")
        return f"must have at most {places} decimal place{'s' if places != 1 else ''}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {_choices(ctx.get('expected', ''))}"
    if kind == "union_tag_invalid":
        return f"must be one of {_choices(ctx.get('expected_tags', ''))}"
    return "is not valid"


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def human_errors(
    errors: Iterable[Mapping[str, Any]], *, label: Callable[[str], str] | None = None
) -> tuple[str, dict[str, str]]:
    """``(summary, fields)`` for a list of pydantic errors: the first message per field.
    ``label(key)`` names a field as its form does (default: the field's name in words)."""
    label = label or field_label
    fields: dict[str, str] = {}
    for error in errors:
        key = field_key(error.get("loc", ()))
        if key in fields:
            continue
        text = _message(error)
        own_words = error.get("type") in ("value_error", "assertion_error")
        if own_words and (text[:1].isupper() or key == "request"):
            fields[key] = _sentence(text)  # a validator's own sentence, kept as written
        elif key == "request":
            fields[key] = f"The request {text}."
        else:
            fields[key] = f"{label(key)} {text}."
    if not fields:
        return "The request could not be read.", {}
    summary = (
        " ".join(fields.values())
        if len(fields) <= 3
        else (
            f"{len(fields)} fields need correcting: " + " ".join(list(fields.values())[:3]) + " …"
        )
    )
    return summary, fields
