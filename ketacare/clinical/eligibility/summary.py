"""The plain-language summary of a screening decision, for the screen and the record."""

from __future__ import annotations

from collections.abc import Sequence

from ketacare.clinical.common import ROUTE_LABELS, Route, Severity
from ketacare.clinical.eligibility.model import Finding, Outcome


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def summarise(outcome: Outcome, route: Route, findings: Sequence[Finding]) -> str:
    """One paragraph: the outcome for the route, then the reasons that decided it."""
    label = ROUTE_LABELS[route]
    blocking = [f.reason for f in findings if f.severity is Severity.CONTRAINDICATION]
    missing = [f.reason for f in findings if f.severity is Severity.MISSING]
    cautions = [f.reason for f in findings if f.severity is Severity.CAUTION]
    if outcome is Outcome.ELIGIBLE:
        return f"Eligible for {label}: no contraindications or cautions in the answers given."
    if outcome is Outcome.ELIGIBLE_WITH_CAUTIONS:
        return (
            f"Eligible for {label} with {_count(len(cautions), 'caution')} needing a documented "
            f"risk-benefit decision: {' '.join(cautions)}"
        )
    tail = []
    if outcome is Outcome.NOT_ELIGIBLE and missing:
        tail.append(f"{_count(len(missing), 'question')} also unanswered.")
    if cautions:
        tail.append(f"{_count(len(cautions), 'caution')} to review.")
    if outcome is Outcome.NOT_ELIGIBLE:
        head = f"Not eligible for {label}: {' '.join(blocking)}"
    else:
        head = f"Needs information before {label} can be decided: {' '.join(missing)}"
    return " ".join([head, *tail])
