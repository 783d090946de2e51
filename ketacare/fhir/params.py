"""Reading FHIR search parameter values: tokens, references, strings and dates with prefixes.

Only the value syntax lives here (FHIR R4 §3.1.1 "Search"); which parameters a resource type has
and what they filter is declared with its sources (``ketacare.fhir.sources``). A value that
cannot be read is a ``BadRequest`` naming the parameter, answered as an OperationOutcome.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from ketacare.core.errors import BadRequest

DATE_PREFIXES = ("eq", "ne", "lt", "gt", "le", "ge", "sa", "eb")
_DATE = re.compile(
    r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2})"
    r"(T(?P<hour>\d{2}):(?P<minute>\d{2})(:(?P<second>\d{2})(\.(?P<fraction>\d{1,6}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def bad(name: str, message: str) -> BadRequest:
    return BadRequest(f"Search parameter {name}: {message}", fields={name: message})


@dataclass(frozen=True)
class Token:
    """``system|code``, ``|code`` (no system), ``code`` (any system) or ``system|`` (any code)."""

    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code

    @classmethod
    def parse(cls, name: str, text: str) -> Token:
        if not text:
            raise bad(name, "a token needs a code, system|code or system|.")
        if "|" not in text:
            return cls(None, text)
        system, _, code = text.partition("|")
        if not system and not code:
            raise bad(name, "'|' alone names neither a system nor a code.")
        return cls(system, code or None)

    def matches(self, system: str, code: str) -> bool:
        if self.system is not None and self.system != system:
            return False
        return self.code is None or self.code == code


@dataclass(frozen=True)
class Reference:
    """``Type/id``, an id alone, or an absolute URL ending in ``Type/id``."""

    resource_type: str | None
    id: str

    @classmethod
    def parse(cls, name: str, text: str, *, modifier_type: str | None = None) -> Reference:
        parts = [part for part in text.rstrip("/").split("/") if part]
        if not parts:
            raise bad(name, "a reference needs an id or Type/id.")
        if "_history" in parts:
            parts = parts[: parts.index("_history")]
        if len(parts) == 1:
            return cls(modifier_type, parts[0])
        resource_type, identifier = parts[-2], parts[-1]
        if modifier_type and modifier_type != resource_type:
            raise bad(name, f"{text!r} is not a {modifier_type}.")
        return cls(resource_type, identifier)


@dataclass(frozen=True)
class DateRange:
    """A date parameter: its prefix and the half-open instant range its precision covers."""

    prefix: str
    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> dt.date:
        return self.start.date()

    @property
    def end_day(self) -> dt.date:
        """The first day after the range, for comparisons with dates."""
        end = self.end.date()
        return end if self.end.time() == dt.time(0) else end + dt.timedelta(days=1)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    total = moment.month - 1 + months
    return moment.replace(year=moment.year + total // 12, month=total % 12 + 1)


def parse_date(name: str, text: str, *, zone: zoneinfo.ZoneInfo) -> DateRange:
    """``ge2024-03``, ``2024-03-05``, ``lt2024-03-05T10:00:00Z``; a date without a time zone is
    read in ``zone`` (the clinic's), so ``2024-03-05`` is that day at the clinic."""
    prefix = text[:2] if text[:2] in (*DATE_PREFIXES, "ap") else "eq"
    value = text[2:] if text[:2] == prefix else text
    if prefix == "ap":
        raise bad(name, "the 'ap' (approximately) prefix is not supported; use ge and le.")
    match = _DATE.match(value)
    if match is None:
        raise bad(
            name,
            f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or "
            "YYYY-MM-DDThh:mm:ss+zz:zz, after an optional prefix eq, ne, lt, gt, le, ge, sa, eb).",
        )
    part = {key: int(val) for key, val in match.groupdict().items() if val and key != "zone"}
    tz: dt.tzinfo = zone
    if match["zone"]:
        tz = dt.UTC if match["zone"] == "Z" else _offset(match["zone"])
    try:
        start = dt.datetime(
            part["year"],
            part.get("month", 1),
            part.get("day", 1),
            part.get("hour", 0),
            part.get("minute", 0),
            part.get("second", 0),
            int(match["fraction"].ljust(6, "0")) if match["fraction"] else 0,
            tzinfo=tz,
        )
    except ValueError as error:
        raise bad(name, f"{text!r} is not a calendar date ({error}).") from None
    if "second" in part:
        step = dt.timedelta(microseconds=1) if match["fraction"] else dt.timedelta(seconds=1)
        end = start + step
    elif "minute" in part:
        end = start + dt.timedelta(minutes=1)
    elif "day" in part:
        end = start + dt.timedelta(days=1)
    elif "month" in part:
        end = _add_months(start, 1)
    else:
        end = start.replace(year=start.year + 1)
    return DateRange(prefix, start, end)


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def parse_instant(name: str, text: str) -> dt.datetime:
    """``_since``: an instant with its time zone (a date alone is read as UTC midnight)."""
    match = _DATE.match(text)
    if match is None:
        raise bad(name, f"{text!r} is not a FHIR instant (e.g. 2024-03-05T10:00:00Z).")
    return parse_date(name, text, zone=zoneinfo.ZoneInfo("UTC")).start


def whole_number(name: str, text: str, *, minimum: int, maximum: int | None = None) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise bad(name, f"{text!r} is not a whole number.")
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        limit = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise bad(name, f"must be {limit}, not {value}.")
    return value
