"""The resource types the server offers: their sources, search parameters, includes, the
capability a role needs to read them, and whether a patient may read their own.

``ketacare.fhir.resources`` declares them (one module per group); the CapabilityStatement, the
search and read endpoints and the bulk export all read this one list, so what the server says it
supports is what it does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ketacare.core.roles import Capability
from ketacare.fhir.sources import Source

# The parameters every type answers (FHIR R4 §3.1.1.5 "Parameters for all resources").
COMMON_PARAMS = ("_id", "_lastUpdated")
# The parameters that shape the answer rather than narrow it.
RESULT_PARAMS = ("_count", "_offset", "_include", "_summary", "_format", "_total")
BASE = "http://hl7.org/fhir/SearchParameter"
CLINICAL_PATIENT = "clinical-patient"  # the one ``patient`` parameter most clinical types share


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # token, reference, date, string
    documentation: str
    definition: str = ""  # the SearchParameter's canonical URL

    def as_capability(self) -> dict[str, Any]:
        entry = {"name": self.name, "type": self.type, "documentation": self.documentation}
        if self.definition:
            entry["definition"] = self.definition
        return entry


def param(
    resource: str, name: str, kind: str, documentation: str, *, standard: str = "",
    custom: bool = False,
) -> SearchParam:
    """A search parameter of ``resource``: a standard one (its canonical is ``Resource-name``
    unless ``standard`` names a shared one, e.g. ``clinical-patient``), or Ketacare's own
    (``custom``, no canonical)."""
    if custom:
        return SearchParam(name, kind, documentation)
    return SearchParam(name, kind, documentation, f"{BASE}/{standard or f'{resource}-{name}'}")


def patient_params(resource: str, *, subject: bool = True) -> tuple[SearchParam, ...]:
    """``patient`` (the shared ``clinical-patient`` parameter) and, unless ``subject=False``,
    ``subject``: how a resource about one patient is searched by its patient."""
    by_patient = param(resource, "patient", "reference", "The patient.", standard=CLINICAL_PATIENT)
    if not subject:
        return (by_patient,)
    return (by_patient, param(resource, "subject", "reference", "The patient."))


@dataclass(frozen=True)
class Include:
    """``_include=Type:param``: the resources of ``target`` a page's resources point at."""

    param: str
    target: str
    references: Callable[[dict[str, Any]], list[str]]


def refs_at(*paths: str) -> Callable[[dict[str, Any]], list[str]]:
    """The ``reference`` values at dotted ``paths`` (lists are walked)."""

    def read(resource: dict[str, Any]) -> list[str]:
        found: list[str] = []
        for path in paths:
            nodes: list[Any] = [resource]
            for step in path.split("."):
                nxt: list[Any] = []
                for node in nodes:
                    value = node.get(step) if isinstance(node, dict) else None
                    if isinstance(value, list):
                        nxt.extend(value)
                    elif value is not None:
                        nxt.append(value)
                nodes = nxt
            found += [n["reference"] for n in nodes if isinstance(n, dict) and "reference" in n]
        return found

    return read


@dataclass(frozen=True)
class ResourceType:
    name: str
    sources: tuple[Source, ...]
    params: tuple[SearchParam, ...]
    # Who reads it: a role holding the capability (None: any staff role at the clinic).
    capability: Capability | None
    # A patient's own token (patient/*.read) may read their own resources of this type.
    patient_compartment: bool
    description: str
    profiles: tuple[str, ...] = ()
    includes: tuple[Include, ...] = ()
    # Part of Patient/$export and Group/[id]/$export (the patient compartment); every type is
    # part of the system-level $export.
    patient_export: bool = True
    operations: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def param_named(self, name: str) -> SearchParam | None:
        return next((p for p in self.params if p.name == name), None)


REGISTRY: dict[str, ResourceType] = {}


def register(*types: ResourceType) -> None:
    for resource_type in types:
        REGISTRY[resource_type.name] = resource_type


def resource_types() -> dict[str, ResourceType]:
    """Every type the server offers, by name (declared once, on first use)."""
    import ketacare.fhir.resources  # noqa: F401  (declares them)

    return REGISTRY
