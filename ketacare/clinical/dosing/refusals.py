"""Doses the protocol refuses, and the refusals the routes share."""

from __future__ import annotations

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.dosing.rounding import is_above


class DoseRefused(ClinicalRuleError):
    """A dose the protocol does not allow (above a maximum, not a permitted esketamine dose...)."""


class TitrationRefused(DoseRefused):
    """A dose change between sessions that the rules do not accept (e.g. no documented reason)."""


def mg_per_kg_refusal(dose: float, maximum: float, route: str, sources: str) -> DoseRefused:
    return DoseRefused(
        f"{route} dose {dose:g} mg/kg is above this protocol's maximum of {maximum:g} mg/kg "
        f"({sources}). Lower the dose, or ask the medical director to review the protocol."
    )


def check_session_cap(exact_mg: float, cap_mg: float | None, route: str) -> None:
    if cap_mg is not None and is_above(exact_mg, cap_mg):
        raise DoseRefused(
            f"{route} dose {exact_mg:.1f} mg is above the clinic's maximum of {cap_mg:g} mg per "
            "session. Lower the dose, or ask the medical director to review the protocol."
        )
