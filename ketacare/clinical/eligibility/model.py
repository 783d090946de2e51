"""The shapes of screening: outcomes, rules, what a rule's check sees and returns, findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ketacare.clinical.common import Provenance, Route, Severity
from ketacare.clinical.intake import DrugClass, Indication, IntakeFacts

ALL_ROUTES = frozenset(Route)
ESKETAMINE = frozenset({Route.ESKETAMINE_NASAL})
RACEMIC = ALL_ROUTES - ESKETAMINE
ALL_INDICATIONS = frozenset(Indication)
ESKETAMINE_LABELLED = frozenset({Indication.DEPRESSION, Indication.SUICIDAL_IDEATION})
TRD_INDICATIONS = frozenset({Indication.DEPRESSION, Indication.BIPOLAR_DEPRESSION})


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    NEEDS_INFORMATION = "needs_information"
    NOT_ELIGIBLE = "not_eligible"


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one patient, with the reason, what would resolve it and its source.

    ``needs`` names what a MISSING finding waits for: an ``IntakeFacts`` field
    (``"pregnant"``, ``"antidepressant_trials[1]"``) or a clinic setting (``"setting:<key>"``).
    ``overridden_from`` is set when a clinic setting changed the rule's severity.
    """

    rule_id: str
    severity: Severity
    reason: str
    resolution: str
    provenance: Provenance
    routes: tuple[Route, ...]
    indications: tuple[Indication, ...]
    needs: str = ""
    overridden_from: Severity | None = None


@dataclass(frozen=True)
class Hit:
    """What a rule's check returns; ``evaluate`` turns it into a Finding."""

    kind: str  # "fire" (the rule's severity), "ask" (MISSING) or "note" (INFO)
    reason: str
    resolution: str = ""
    needs: str = ""


@dataclass(frozen=True)
class Context:
    """Everything a check reads, computed once per evaluation."""

    intake: IntakeFacts
    route: Route
    values: Mapping[str, int | None]
    medications_by_class: Mapping[DrugClass, tuple[str, ...]]
    unclassified: tuple[tuple[int, str], ...]  # (index, name) of medications in no class

    def names(self, drug_class: DrugClass) -> tuple[str, ...]:
        return self.medications_by_class.get(drug_class, ())


Check = Callable[[Context], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A screening rule: when it applies, how much it weighs when it fires, and its source.

    ``severity`` is what a firing finding weighs by default; MISSING marks a rule that only asks.
    ``relative``: the reference calls it relative, so a clinic may lower it to a caution.
    ``label``: an esketamine label contraindication (S50), never lowered.
    """

    rule_id: str
    description: str
    severity: Severity
    routes: frozenset[Route]
    indications: frozenset[Indication]
    provenance: Provenance
    check: Check = field(repr=False, compare=False)
    relative: bool = False
    label: bool = False
    parameters: tuple[str, ...] = ()

    def applies(self, route: Route, indication: Indication) -> bool:
        return route in self.routes and indication in self.indications

    @property
    def clinic_may_lower_to_caution(self) -> bool:
        """A contraindication the reference calls relative and that is not on the esketamine
        label."""
        return self.relative and not self.label and self.severity is Severity.CONTRAINDICATION

    @property
    def clinic_may_raise(self) -> bool:
        """A caution or a note may always be raised (to a caution or a contraindication)."""
        return self.severity in (Severity.CAUTION, Severity.INFO)


def make_rule(
    rule_id: str,
    description: str,
    severity: Severity,
    routes: frozenset[Route],
    provenance: Provenance,
    check: Check,
    *,
    indications: frozenset[Indication] = ALL_INDICATIONS,
    relative: bool = False,
    label: bool = False,
    parameters: tuple[str, ...] = (),
) -> Rule:
    """A rule, with the arguments every table row gives in the order the table reads them."""
    return Rule(
        rule_id, description, severity, routes, indications, provenance, check, relative, label,
        parameters,
    )  # fmt: skip
