"""A clinic's screening settings: the numbers in force and each rule's severity.

``CONFIGURABLE_DEFAULTS`` lists every value a clinic may set for screening, for the clinic-settings
registry: the numbers (``parameters``), then one severity per rule a clinic may change
(``severity.<rule_id>``), derived from the rule table so that each is declared once. A
contraindication may be lowered to a caution only where the reference calls it relative, never
for an esketamine label contraindication; a caution or a note may always be raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ketacare.clinical.common import ClinicalRuleError, ConfigurableDefault, Severity
from ketacare.clinical.eligibility.model import Rule
from ketacare.clinical.eligibility.parameters import PARAMETERS
from ketacare.clinical.eligibility.rules import RULES, RULES_BY_ID

SEVERITY_KEY_PREFIX = "severity."
_SEVERITY_RANK = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.CONTRAINDICATION: 2}


def severity_choices(rule: Rule) -> tuple[str, ...]:
    """The severities a clinic may give ``rule``, its default first; () when it may not change."""
    if rule.clinic_may_lower_to_caution:  # relative, and not an esketamine label one
        return (Severity.CONTRAINDICATION.value, Severity.CAUTION.value)
    if rule.severity is Severity.CAUTION:
        return (Severity.CAUTION.value, Severity.CONTRAINDICATION.value)
    if rule.severity is Severity.INFO:
        return (Severity.INFO.value, Severity.CAUTION.value, Severity.CONTRAINDICATION.value)
    return ()  # a question (MISSING), or a contraindication the reference does not call relative


SEVERITY_DEFAULTS: tuple[ConfigurableDefault[str], ...] = tuple(
    ConfigurableDefault(
        key=f"{SEVERITY_KEY_PREFIX}{rule.rule_id}",
        label=f"{rule.rule_id}: {rule.description}",
        value=rule.severity.value,
        unit="",
        provenance=rule.provenance,
        choices=severity_choices(rule),
    )
    for rule in RULES
    if severity_choices(rule)
)

CONFIGURABLE_DEFAULTS: tuple[ConfigurableDefault, ...] = (
    *PARAMETERS.values(),
    *SEVERITY_DEFAULTS,
)


@dataclass(frozen=True)
class EligibilitySettings:
    """A clinic's overrides: ``values`` by parameter key, ``severities`` by rule id.

    Validated on construction: a value outside its safe bounds, an unknown key, or lowering a
    contraindication the reference does not call relative raises ClinicalRuleError.
    """

    values: Mapping[str, int] = field(default_factory=dict)
    severities: Mapping[str, Severity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = {k: v for k, v in dict(self.values).items() if v is not None}
        for key, value in values.items():
            parameter = PARAMETERS.get(key)
            if parameter is None:
                raise ClinicalRuleError(
                    f"Unknown eligibility setting {key!r}; known: {', '.join(PARAMETERS)}"
                )
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ClinicalRuleError(
                    f"{parameter.label}: expected a positive whole number of {parameter.unit}, "
                    f"got {value!r}"
                )
            parameter.validate(value)
        severities: dict[str, Severity] = {}
        for rule_id, target in dict(self.severities).items():
            rule = RULES_BY_ID.get(rule_id)
            if rule is None:
                raise ClinicalRuleError(f"Unknown eligibility rule {rule_id!r}")
            severities[rule_id] = _check_severity_change(rule, Severity(target))
        object.__setattr__(self, "values", MappingProxyType(values))
        object.__setattr__(self, "severities", MappingProxyType(severities))

    def value(self, key: str) -> int | None:
        """The value in force: the clinic's, else the reference default (None if required)."""
        return self.values.get(key, PARAMETERS[key].value)

    def severity_for(self, rule: Rule) -> Severity:
        return self.severities.get(rule.rule_id, rule.severity)

    def unset_required(self) -> tuple[ConfigurableDefault[int], ...]:
        """Required settings (no reference default) the clinic has not set yet."""
        return tuple(p for k, p in PARAMETERS.items() if self.value(k) is None)


def _check_severity_change(rule: Rule, target: Severity) -> Severity:
    if rule.severity is Severity.MISSING:
        raise ClinicalRuleError(f"Rule {rule.rule_id!r} only asks for information; no severity")
    if target is rule.severity:
        return target  # the rule's own severity: nothing changes
    if target not in (Severity.CAUTION, Severity.CONTRAINDICATION):
        raise ClinicalRuleError(
            f"Rule {rule.rule_id!r}: a clinic may set 'caution' or 'contraindication', "
            f"not {str(target)!r}"
        )
    if _SEVERITY_RANK[target] < _SEVERITY_RANK[rule.severity]:
        if rule.label:
            raise ClinicalRuleError(
                f"{rule.description}: an esketamine label contraindication (S50) cannot be "
                "lowered to a caution"
            )
        if not rule.relative:
            raise ClinicalRuleError(
                f"{rule.description}: the clinical reference does not call this a relative "
                "contraindication, so it cannot be lowered to a caution"
            )
    return target
