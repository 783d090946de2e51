"""The clinical core's results as the JSON this app stores and shows.

The core returns frozen dataclasses; the shapes here are what ``ScreeningResult.decision`` and an
order's ``calculation`` hold and what the protocol page and API list, so a stored record keeps its
meaning when the core's classes change.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ketacare.clinical.common import Provenance
from ketacare.clinical.eligibility import (
    EligibilityDecision,
    EligibilitySettings,
    Finding,
    ParameterInForce,
    RuleInForce,
    describe_rules,
)


def plain(value: object) -> Any:
    """JSON-ready form of a core result: dataclasses → dicts (every field, in order), enums →
    their values, dates → ISO strings, tuples → lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    return value


def provenance_record(provenance: Provenance) -> dict[str, Any]:
    return {
        "sources": list(provenance.sources),
        "verified": provenance.verified,
        "note": provenance.note,
        "cite": provenance.cite(),
    }


def finding_record(finding: Finding) -> dict[str, Any]:
    overridden_from = finding.overridden_from
    return {
        "rule_id": finding.rule_id,
        "severity": str(finding.severity),
        "reason": finding.reason,
        "resolution": finding.resolution,
        "needs": finding.needs,
        "overridden_from": None if overridden_from is None else str(overridden_from),
        "provenance": provenance_record(finding.provenance),
        "routes": [str(route) for route in finding.routes],
        "indications": [str(indication) for indication in finding.indications],
    }


def decision_record(decision: EligibilityDecision) -> dict[str, Any]:
    """The decision as stored on the screening: strings, numbers, booleans, lists and dicts."""
    return {
        "outcome": str(decision.outcome),
        "route": str(decision.route),
        "indication": str(decision.indication),
        "summary": decision.summary,
        "findings": [finding_record(finding) for finding in decision.findings],
        "settings_in_force": dict(decision.settings_in_force),
    }


def _parameter_row(item: ParameterInForce) -> dict[str, Any]:
    parameter = item.parameter
    return {
        "key": parameter.key,
        "label": parameter.label,
        "default": parameter.value,
        "value_in_force": item.value_in_force,
        "unit": parameter.unit,
        "minimum": parameter.minimum,
        "maximum": parameter.maximum,
        "required_setting": parameter.value is None,
        "provenance": provenance_record(parameter.provenance),
    }


def rule_row(item: RuleInForce) -> dict[str, Any]:
    rule = item.rule
    return {
        "rule_id": rule.rule_id,
        "description": rule.description,
        "severity": str(rule.severity),
        "severity_in_force": str(item.severity_in_force),
        "clinic_may_lower_to_caution": rule.clinic_may_lower_to_caution,
        "clinic_may_raise": rule.clinic_may_raise,
        "esketamine_label_contraindication": rule.label,
        "routes": sorted(str(route) for route in rule.routes),
        "indications": sorted(str(indication) for indication in rule.indications),
        "provenance": provenance_record(rule.provenance),
        "parameters": [_parameter_row(parameter) for parameter in item.parameters],
    }


def rule_rows(settings: EligibilitySettings | None = None) -> list[dict[str, Any]]:
    """Every screening rule with its source, severity and numbers in force (protocol page)."""
    return [rule_row(item) for item in describe_rules(settings)]
