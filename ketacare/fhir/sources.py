"""Where each FHIR resource comes from, and how a search narrows it.

A resource type is served from one or more *sources*: a clinic-scoped queryset from the owning
app's selectors, a way to name its rows as FHIR ids, a builder that turns a row into the
resource (a plain dict), and a filter per search parameter. An Observation, say, comes from the
flowsheet (one source per vital sign), from questionnaire totals and from in-session ratings.

Searching narrows every source in the database, counts each (one query per source), and reads
only the page asked for, with its related rows loaded alongside (``related`` and ``prefetch``):
never a query per row. Intake lists (diagnoses, medications, allergies), kept as JSON in the
patient's latest intake version, are *expanded* sources: their rows are read, split into items
and filtered in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from ketacare.core.access import Access
from ketacare.fhir.params import DateRange, Reference, Token, bad, parse_date

Resource = dict[str, Any]
NEVER = None  # a filter's answer when no row of the source can match


@dataclass(frozen=True)
class Build:
    """What a builder may need besides the row: the access scope and the time of the request."""

    access: Access
    now: dt.datetime


# --- filters: how a search parameter narrows one source ---------------------------------------


class Filter:
    """Narrows one source by one search parameter. ``q`` answers a database condition, or
    ``NEVER`` when no row of this source can match (another code system, another type)."""

    kind = "token"

    def q(self, values: Sequence[str], name: str, modifier: str, build: Build) -> Q | None:
        raise NotImplementedError

    def keep(self, resource: Resource, values: Sequence[str], name: str, build: Build) -> bool:
        """For expanded sources: whether one built resource matches."""
        raise NotImplementedError


def _any(conditions: Iterable[Q | None]) -> Q | None:
    """The OR of the conditions that can match; NEVER when none can."""
    found = [c for c in conditions if c is not None]
    if not found:
        return NEVER
    result = found[0]
    for condition in found[1:]:
        result |= condition
    return result


@dataclass(frozen=True)
class TokenField(Filter):
    """A token compared with a column: ``codes`` maps each FHIR code to the stored values (the
    code itself when no map is given); ``system`` is the code system the codes belong to."""

    path: str
    system: str | None = None
    codes: dict[str, Sequence[Any]] | None = None

    def q(self, values, name, modifier, build):
        conditions = []
        for value in values:
            token = Token.parse(name, value)
            if token.system not in (None, self.system or ""):
                continue
            if token.code is None:
                conditions.append(Q())
                continue
            stored = self.codes.get(token.code) if self.codes is not None else (token.code,)
            if stored:
                conditions.append(Q(**{f"{self.path}__in": list(stored)}))
        return _any(conditions)


@dataclass(frozen=True)
class CodeMap(Filter):
    """A token whose codes each stand for a database condition (e.g. a status that depends on
    several columns)."""

    conditions: dict[str, Q]
    system: str | None = None

    def q(self, values, name, modifier, build):
        found = []
        for value in values:
            token = Token.parse(name, value)
            if token.system not in (None, self.system or ""):
                continue
            found.append(Q() if token.code is None else self.conditions.get(token.code))
        return _any(found)


@dataclass(frozen=True)
class TokenMatch(Filter):
    """A token read by a function: ``Token -> Q`` (or NEVER)."""

    match: Callable[[Token], Q | None]

    def q(self, values, name, modifier, build):
        return _any(self.match(Token.parse(name, value)) for value in values)


@dataclass(frozen=True)
class Constant(Filter):
    """A token every row of the source has (one system and code), e.g. a category."""

    system: str
    code: str

    def q(self, values, name, modifier, build):
        matched = any(Token.parse(name, v).matches(self.system, self.code) for v in values)
        return Q() if matched else NEVER

    def keep(self, resource, values, name, build):
        return any(Token.parse(name, v).matches(self.system, self.code) for v in values)


@dataclass(frozen=True)
class CodingAt(Filter):
    """For expanded sources: a token matched against the codings at a path of the resource."""

    path: tuple[str, ...]

    def keep(self, resource, values, name, build):
        node: Any = resource
        for step in self.path:
            node = node.get(step, {}) if isinstance(node, dict) else {}
        concepts = node if isinstance(node, list) else [node]  # e.g. Condition.category
        codings = [c for concept in concepts if isinstance(concept, dict)
                   for c in concept.get("coding", [])]
        tokens = [Token.parse(name, v) for v in values]
        return any(
            t.matches(c.get("system", ""), c.get("code", "")) for t in tokens for c in codings
        )


@dataclass(frozen=True)
class DateField(Filter):
    """A date parameter on a datetime column (or a date column with ``is_date``)."""

    path: str
    is_date: bool = False
    kind = "date"

    def _one(self, value: str, name: str, build: Build) -> Q:
        zone = build.access.clinic.zone if build.access.clinic else dt.UTC
        given: DateRange = parse_date(name, value, zone=zone)
        low, high = (given.first_day, given.end_day) if self.is_date else (given.start, given.end)
        at = self.path
        return {
            "eq": Q(**{f"{at}__gte": low, f"{at}__lt": high}),
            "ne": ~Q(**{f"{at}__gte": low, f"{at}__lt": high}) & Q(**{f"{at}__isnull": False}),
            "lt": Q(**{f"{at}__lt": low}),
            "eb": Q(**{f"{at}__lt": low}),
            "le": Q(**{f"{at}__lt": high}),
            "gt": Q(**{f"{at}__gte": high}),
            "sa": Q(**{f"{at}__gte": high}),
            "ge": Q(**{f"{at}__gte": low}),
        }[given.prefix]

    def q(self, values, name, modifier, build):
        return _any(self._one(value, name, build) for value in values)

    def keep(self, resource, values, name, build):
        raise NotImplementedError


@dataclass(frozen=True)
class ReferenceField(Filter):
    """A reference parameter: ``targets`` maps each resource type it may point to onto the column
    and the function that turns that type's FHIR id into the stored value (None: not one)."""

    targets: dict[str, tuple[str, Callable[[str], Any | None]]]
    kind = "reference"

    def q(self, values, name, modifier, build):
        conditions = []
        for value in values:
            ref = Reference.parse(name, value, modifier_type=modifier or None)
            kinds = [ref.resource_type] if ref.resource_type else list(self.targets)
            for kind in kinds:
                if kind not in self.targets:
                    continue
                path, parse = self.targets[kind]
                stored = parse(ref.id)
                if stored is not None:
                    conditions.append(Q(**{path: stored}))
        return _any(conditions)


@dataclass(frozen=True)
class StringField(Filter):
    """A string parameter: starts with (case-insensitive) by default, ``:exact`` or
    ``:contains``, on any of ``paths``."""

    paths: tuple[str, ...]
    # Where ``:exact`` compares, when ``paths`` are lower-cased search copies of the shown values.
    exact_paths: tuple[str, ...] = ()
    kind = "string"

    def q(self, values, name, modifier, build):
        lookup = {"": "istartswith", "exact": "exact", "contains": "icontains"}.get(modifier)
        if lookup is None:
            raise bad(name, f"the :{modifier} modifier is not supported (use :exact or :contains).")
        paths = self.exact_paths if modifier == "exact" and self.exact_paths else self.paths
        return _any(_any(Q(**{f"{path}__{lookup}": value}) for path in paths) for value in values)


def int_id(text: str) -> int | None:
    """A database id from a FHIR id made of digits (anything else names no row)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def prefixed_id(prefix: str) -> Callable[[str], int | None]:
    """``chair-12`` -> 12 for ``prefixed_id("chair-")``."""

    def parse(text: str) -> int | None:
        return int_id(text[len(prefix) :]) if text.startswith(prefix) else None

    return parse


def patient_reference(path: str) -> ReferenceField:
    return ReferenceField({"Patient": (path, int_id)})


def patient_filters(path: str) -> dict[str, Filter]:
    """``patient`` and ``subject``: the two names a search by the patient at ``path`` goes by."""
    return {"patient": patient_reference(path), "subject": patient_reference(path)}


def by_pk(text: str) -> Q | None:
    number = int_id(text)
    return Q(pk=number) if number is not None else None


def pk_text(row: Any) -> str:
    return str(row.pk)


# The ids of a source whose resources are its rows, named by primary key: ``Source(..., **BY_PK)``.
BY_PK: dict[str, Any] = {"to_id": pk_text, "from_id": by_pk}


# --- sources ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One place a resource type's resources come from (see the module's description)."""

    name: str
    rows: Callable[[Access], QuerySet]
    to_id: Callable[[Any], str]
    from_id: Callable[[str], Q | None]
    build: Callable[[Any, Build], Resource]
    patient: str | None  # the ORM path of the patient's id; None: not patient data
    filters: dict[str, Filter] = field(default_factory=dict)
    # The ORM path (or expression) of when the row last changed, and whether every change of
    # the resource moves it; an inexact or missing one is not narrowed by _lastUpdated/_since.
    updated: Any = None
    updated_exact: bool = True
    related: tuple[str, ...] = ()
    prefetch: tuple[Any, ...] = ()
    order: tuple[str, ...] = ("pk",)
    # Expanded sources: a row becomes several resources, filtered with ``Filter.keep``.
    expand: Callable[[Any, Build], list[tuple[str, Resource]]] | None = None

    def narrowed_by_updated(self) -> bool:
        return self.updated is not None and self.updated_exact


@dataclass(frozen=True)
class Criterion:
    """One occurrence of a search parameter: ``name:modifier=v1,v2`` (values are ORed)."""

    name: str
    modifier: str
    values: tuple[str, ...]


UPDATED = "_fhir_updated"


def narrowed(
    source: Source,
    criteria: Sequence[Criterion],
    build: Build,
    *,
    patient_id: int | None = None,
    since: dt.datetime | None = None,
) -> tuple[QuerySet | None, list[Criterion]]:
    """The source's rows that can match ``criteria`` in the database (None: none can), and the
    criteria left for ``Filter.keep`` on an expanded source's items."""
    rows = source.rows(build.access)
    if patient_id is not None and source.patient is not None:
        # A patient's own token: only their rows (types without patients, such as the clinic's
        # practitioners and locations, are allowed or refused by type before this).
        rows = rows.filter(**{source.patient: patient_id})
    if source.updated is not None:
        rows = rows.annotate(**{UPDATED: _expression(source.updated)})
    if since is not None and source.narrowed_by_updated():
        rows = rows.filter(**{f"{UPDATED}__gt": since})
    left: list[Criterion] = []
    for criterion in criteria:
        condition = _condition(source, criterion, build, left)
        if condition is NEVER:
            return None, []
        rows = rows.filter(condition)
    return rows, left


def _expression(updated: Any) -> Any:
    from django.db.models import F

    return F(updated) if isinstance(updated, str) else updated


def _condition(source: Source, criterion: Criterion, build: Build, left: list) -> Q | None:
    name, values = criterion.name, criterion.values
    if name == "_id":
        if source.expand is not None:
            left.append(criterion)  # the row's id narrows the rows; the item's is checked after
        return _any(source.from_id(value) for value in values)
    if name == "_lastUpdated":
        if not source.narrowed_by_updated():
            return Q()
        return DateField(UPDATED).q(values, name, criterion.modifier, build)
    found = source.filters.get(name)
    if found is None:
        return NEVER
    if source.expand is not None and isinstance(found, CodingAt | Constant):
        left.append(criterion)
        return Q()
    return found.q(values, name, criterion.modifier, build)


def page_rows(rows: QuerySet, source: Source) -> QuerySet:
    """The rows as a builder reads them: related rows joined or prefetched, in a stable order."""
    if source.related:
        rows = rows.select_related(*source.related)
    if source.prefetch:
        rows = rows.prefetch_related(*source.prefetch)
    return rows.order_by(*source.order)


def expanded_items(
    source: Source, rows: QuerySet, left: Sequence[Criterion], build: Build
) -> list[tuple[str, Resource]]:
    """Every item of an expanded source's rows that the remaining criteria keep, as plain data
    (the caller builds the ones it serves with their class: ``model.conformed``)."""
    assert source.expand is not None
    items = []
    for row in page_rows(rows, source):
        for identifier, resource in source.expand(row, build):
            if all(_keeps(source, c, identifier, resource, build) for c in left):
                items.append((identifier, resource))
    return items


def _keeps(
    source: Source, criterion: Criterion, identifier: str, resource: Resource, build: Build
) -> bool:
    if criterion.name == "_id":
        return identifier in criterion.values
    return source.filters[criterion.name].keep(resource, criterion.values, criterion.name, build)
