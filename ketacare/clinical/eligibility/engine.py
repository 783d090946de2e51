"""Running the rules: ``evaluate`` screens one intake for one route and decides.

Any contraindication -> ``not_eligible``; else any unanswered question or unset clinic setting a
rule needs -> ``needs_information``; else any caution -> ``eligible_with_cautions``; else
``eligible``. Findings are ordered blocking first, in rule order within a severity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ketacare.clinical.common import ConfigurableDefault, Route, Severity
from ketacare.clinical.eligibility.model import Context, Finding, Hit, Outcome, Rule
from ketacare.clinical.eligibility.parameters import PARAMETERS
from ketacare.clinical.eligibility.rules import RULES
from ketacare.clinical.eligibility.settings import EligibilitySettings
from ketacare.clinical.eligibility.summary import summarise
from ketacare.clinical.intake import DrugClass, Indication, IntakeFacts

_ORDER = {Severity.CONTRAINDICATION: 0, Severity.MISSING: 1, Severity.CAUTION: 2, Severity.INFO: 3}


@dataclass(frozen=True)
class EligibilityDecision:
    """The outcome, a plain-language summary, and every finding (blocking ones first)."""

    outcome: Outcome
    route: Route
    indication: Indication
    summary: str
    findings: tuple[Finding, ...]
    settings_in_force: Mapping[str, int | None]

    def _with(self, severity: Severity) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is severity)

    @property
    def contraindications(self) -> tuple[Finding, ...]:
        return self._with(Severity.CONTRAINDICATION)

    @property
    def missing(self) -> tuple[Finding, ...]:
        return self._with(Severity.MISSING)

    @property
    def cautions(self) -> tuple[Finding, ...]:
        return self._with(Severity.CAUTION)

    @property
    def info(self) -> tuple[Finding, ...]:
        return self._with(Severity.INFO)

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(f.rule_id for f in self.findings)


@dataclass(frozen=True)
class ParameterInForce:
    """A number a rule reads: its default (None: a required setting) and the value in force."""

    parameter: ConfigurableDefault[int]
    value_in_force: int | None


@dataclass(frozen=True)
class RuleInForce:
    """A rule as the protocol page shows it: its severity and numbers at one clinic."""

    rule: Rule
    severity_in_force: Severity
    parameters: tuple[ParameterInForce, ...]


def evaluate(
    intake: IntakeFacts, *, route: Route | str, settings: EligibilitySettings | None = None
) -> EligibilityDecision:
    """Screen ``intake`` for ``route``: run every applicable rule and decide."""
    route = Route(route)
    settings = settings or EligibilitySettings()
    context = _context(intake, route, settings)
    findings: list[Finding] = []
    for rule in RULES:
        if not rule.applies(route, intake.indication):
            continue
        for hit in rule.check(context):
            findings.append(_finding(rule, hit, settings))
    findings.sort(key=lambda f: _ORDER[f.severity])  # stable: rule order within a severity
    outcome = _outcome(findings)
    return EligibilityDecision(
        outcome=outcome,
        route=route,
        indication=intake.indication,
        summary=summarise(outcome, route, findings),
        findings=tuple(findings),
        settings_in_force=MappingProxyType(dict(context.values)),
    )


def describe_rules(settings: EligibilitySettings | None = None) -> tuple[RuleInForce, ...]:
    """Every rule, in evaluation order, with its severity and numbers in force (protocol page)."""
    settings = settings or EligibilitySettings()
    return tuple(
        RuleInForce(
            rule=rule,
            severity_in_force=settings.severity_for(rule),
            parameters=tuple(
                ParameterInForce(PARAMETERS[key], settings.value(key)) for key in rule.parameters
            ),
        )
        for rule in RULES
    )


def _context(intake: IntakeFacts, route: Route, settings: EligibilitySettings) -> Context:
    by_class: dict[DrugClass, list[str]] = {}
    unclassified: list[tuple[int, str]] = []
    for index, medication in enumerate(intake.current_medications):
        classes = medication.classes
        if not classes:
            unclassified.append((index, medication.name))
        for drug_class in classes:
            by_class.setdefault(drug_class, []).append(medication.name)
    return Context(
        intake=intake,
        route=route,
        values={key: settings.value(key) for key in PARAMETERS},
        medications_by_class={k: tuple(v) for k, v in by_class.items()},
        unclassified=tuple(unclassified),
    )


def _finding(rule: Rule, hit: Hit, settings: EligibilitySettings) -> Finding:
    overridden_from: Severity | None = None
    if hit.kind == "ask":
        severity = Severity.MISSING
    elif hit.kind == "note":
        severity = Severity.INFO
    else:
        severity = settings.severity_for(rule)
        if severity is not rule.severity:
            overridden_from = rule.severity
    return Finding(
        rule_id=rule.rule_id,
        severity=severity,
        reason=hit.reason,
        resolution=hit.resolution,
        provenance=rule.provenance,
        routes=tuple(sorted(rule.routes)),
        indications=tuple(sorted(rule.indications)),
        needs=hit.needs,
        overridden_from=overridden_from,
    )


def _outcome(findings: list[Finding]) -> Outcome:
    severities = {f.severity for f in findings}
    if Severity.CONTRAINDICATION in severities:
        return Outcome.NOT_ELIGIBLE
    if Severity.MISSING in severities:
        return Outcome.NEEDS_INFORMATION
    if Severity.CAUTION in severities:
        return Outcome.ELIGIBLE_WITH_CAUTIONS
    return Outcome.ELIGIBLE
