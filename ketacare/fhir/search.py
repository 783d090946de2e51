"""Search and read over the registry's sources: parse the query, narrow each source, count, read
one page, follow ``_include``.

Paging walks the type's sources in their declared order: page N skips whole sources by their
counts and reads only the rows it shows, so every page costs one count per source and one read
per source it touches (plus one per included type), whatever the page size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from ketacare.core.errors import NotFound
from ketacare.fhir.model import conformed
from ketacare.fhir.params import bad, whole_number
from ketacare.fhir.registry import (
    COMMON_PARAMS,
    RESULT_PARAMS,
    Include,
    ResourceType,
    resource_types,
)
from ketacare.fhir.sources import (
    UPDATED,
    Build,
    Criterion,
    Resource,
    expanded_items,
    narrowed,
    page_rows,
)

DEFAULT_COUNT = 50
MAX_COUNT = 1000
JSON_FORMATS = ("json", "application/json", "application/fhir+json")


@dataclass
class Query:
    criteria: list[Criterion] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[BoundInclude] = field(default_factory=list)
    summary_count: bool = False
    ignored: list[str] = field(default_factory=list)  # unknown parameters (lenient handling)

    def narrowing(self) -> list[tuple[str, str]]:
        """The parameters that narrowed the search, as (name[:modifier], value) for links."""
        pairs = []
        for c in self.criteria:
            key = f"{c.name}:{c.modifier}" if c.modifier else c.name
            pairs.append((key, ",".join(c.values)))
        for include in self.includes:
            pairs.append(("_include", f"{include.owner}:{include.param}"))
        return pairs


@dataclass(frozen=True)
class BoundInclude:
    owner: str
    include: Include

    @property
    def param(self) -> str:
        return self.include.param


def parse_query(resource_type: ResourceType, query: QueryDict, *, strict: bool) -> Query:
    """The search ``query`` of ``resource_type``; unknown parameters are ignored and reported,
    or refused with ``Prefer: handling=strict``."""
    parsed = Query()
    known = {*COMMON_PARAMS, *(p.name for p in resource_type.params)}
    for key, values in query.lists():
        name, _, modifier = key.partition(":")
        if name == "_count":
            parsed.count = whole_number(name, values[-1], minimum=0, maximum=MAX_COUNT)
        elif name == "_offset":
            parsed.offset = whole_number(name, values[-1], minimum=0)
        elif name == "_summary":
            if values[-1] not in ("count", "false"):
                raise bad(name, "only _summary=count (or false) is supported.")
            parsed.summary_count = values[-1] == "count"
        elif name == "_format":
            if values[-1] not in JSON_FORMATS:
                raise bad(name, "this server answers JSON only (_format=json).")
        elif name == "_include":
            parsed.includes += [_include(resource_type, value) for value in values]
        elif name in RESULT_PARAMS:
            continue  # _total: the total is always given
        elif name in known:
            for value in values:
                if value == "":
                    raise bad(key, "an empty value narrows nothing; leave the parameter out.")
                parsed.criteria.append(Criterion(name, modifier, tuple(value.split(","))))
        elif strict:
            raise bad(key, f"{resource_type.name} has no search parameter {name!r}.")
        else:
            parsed.ignored.append(key)
    return parsed


def _include(resource_type: ResourceType, value: str):
    owner, _, param_name = value.partition(":")
    param_name, _, target = param_name.partition(":")
    for include in resource_type.includes:
        if owner == resource_type.name and include.param == param_name and target in (
            "",
            include.target,
        ):
            return BoundInclude(owner, include)
    offered = ", ".join(f"{resource_type.name}:{i.param}" for i in resource_type.includes)
    raise bad("_include", f"{value!r} is not offered here ({offered or 'none'}).")


@dataclass
class Page:
    total: int
    matches: list[tuple[str, Resource]]
    included: list[tuple[str, str, Resource]] = field(default_factory=list)  # (type, id, res)

    def patient_ids(self) -> list[int]:
        """The patients whose data the page shows, for the audit trail."""
        found: set[int] = set()
        for _, resource in [*self.matches, *((i, r) for _, i, r in self.included)]:
            found |= patients_in(resource)
        return sorted(found)


def patients_in(resource: Resource) -> set[int]:
    if resource.get("resourceType") == "Patient":
        return {int(resource["id"])}
    found = set()
    for key in ("subject", "patient", "beneficiary"):
        reference = (resource.get(key) or {}).get("reference", "")
        if reference.startswith("Patient/") and reference[8:].isdigit():
            found.add(int(reference[8:]))
    for participant in resource.get("participant", []):
        reference = (participant.get("actor") or {}).get("reference", "")
        if reference.startswith("Patient/") and reference[8:].isdigit():
            found.add(int(reference[8:]))
    return found


def run(
    resource_type: ResourceType,
    query: Query,
    build: Build,
    *,
    patient_id: int | None = None,
    since: dt.datetime | None = None,
    may_read: Callable[[ResourceType], bool] = lambda resource_type: True,
) -> Page:
    """One page of ``resource_type`` matching ``query``, with its total; included resources
    only of the types ``may_read`` allows."""
    total = 0
    matches: list[tuple[str, Resource]] = []
    start, stop = query.offset, query.offset + query.count
    for source in resource_type.sources:
        rows, left = narrowed(source, query.criteria, build, patient_id=patient_id, since=since)
        if rows is None:
            continue
        if source.expand is not None:
            items = expanded_items(source, rows, left, build)
            if not query.summary_count:
                # Only the page's items are built by their class: a list of thousands is
                # filtered and counted as plain data.
                page = items[max(0, start - total) : max(0, stop - total)]
                matches += [(identifier, conformed(item)) for identifier, item in page]
            total += len(items)
            continue
        count = rows.count()
        low, high = max(0, start - total), min(count, stop - total)
        if high > low and not query.summary_count:
            matches += [built(source, row, build) for row in page_rows(rows, source)[low:high]]
        total += count
    page = Page(total, matches)
    if query.includes and matches:
        page.included = included(
            query.includes, matches, build, patient_id=patient_id, may_read=may_read
        )
    return page


def built(source, row: Any, build: Build) -> tuple[str, Resource]:
    """A row as its resource, with ``meta.lastUpdated`` when the source knows it exactly."""
    resource = source.build(row, build)
    moment = getattr(row, UPDATED, None)
    if moment is not None and source.updated_exact:
        meta = resource.setdefault("meta", {})
        meta["lastUpdated"] = instant(moment)
    return source.to_id(row), conformed(resource)


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def read_many(
    resource_type: ResourceType, ids: Sequence[str], build: Build, *, patient_id: int | None
) -> list[tuple[str, Resource]]:
    """The resources of ``ids`` the caller may see (others are left out)."""
    if not ids:
        return []
    query = Query(criteria=[Criterion("_id", "", tuple(ids))], count=len(ids))
    return run(resource_type, query, build, patient_id=patient_id).matches


def read_one(
    resource_type: ResourceType, identifier: str, build: Build, *, patient_id: int | None
) -> Resource:
    """One resource by id; NotFound for another clinic's, another patient's or none."""
    found = read_many(resource_type, [identifier], build, patient_id=patient_id)
    if not found:
        raise NotFound(f"{resource_type.name}/{identifier} is not known at this clinic.")
    return found[0][1]


def included(
    includes: list[BoundInclude],
    matches: list[tuple[str, Resource]],
    build: Build,
    *,
    patient_id: int | None,
    may_read: Callable[[ResourceType], bool],
) -> list[tuple[str, str, Resource]]:
    types = resource_types()
    wanted: dict[str, list[str]] = {}
    for bound in includes:
        for _, resource in matches:
            for reference in bound.include.references(resource):
                kind, _, identifier = reference.partition("/")
                if kind == bound.include.target and identifier not in wanted.setdefault(kind, []):
                    wanted[kind].append(identifier)
    found = []
    for kind, ids in wanted.items():
        if not may_read(types[kind]):
            continue
        for identifier, resource in read_many(types[kind], ids, build, patient_id=patient_id):
            found.append((kind, identifier, resource))
    return found
