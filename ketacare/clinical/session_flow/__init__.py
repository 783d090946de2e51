"""The treatment session: lifecycle, pre-check gate and side effects.

Pure Python: times are aware datetimes passed in. Instruments (CADSS-6, MOAA/S) are scored in
``ketacare.clinical.instruments``, never here; vital-sign rules live in ``monitoring``; the
administration arithmetic in ``infusion``.

The package: ``lifecycle`` (states and events), ``precheck`` (the gate before dosing and its
override) and ``side_effects``.
"""

from ketacare.clinical.session_flow.lifecycle import (
    ABORTABLE_STATES,
    CANCELLABLE_STATES,
    TERMINAL_STATES,
    SessionEvent,
    SessionState,
    phase_for_state,
    transition,
)
from ketacare.clinical.session_flow.precheck import (
    OVERRIDE_ROLES,
    CheckFailure,
    GateOverride,
    GateResult,
    PrecheckFacts,
    override,
    precheck_gate,
)
from ketacare.clinical.session_flow.side_effects import (
    SIDE_EFFECT_PROVENANCE,
    SideEffect,
    SideEffectObservation,
    SideEffectSeverity,
)

__all__ = [
    "ABORTABLE_STATES",
    "CANCELLABLE_STATES",
    "OVERRIDE_ROLES",
    "SIDE_EFFECT_PROVENANCE",
    "TERMINAL_STATES",
    "CheckFailure",
    "GateOverride",
    "GateResult",
    "PrecheckFacts",
    "SessionEvent",
    "SessionState",
    "SideEffect",
    "SideEffectObservation",
    "SideEffectSeverity",
    "override",
    "phase_for_state",
    "precheck_gate",
    "transition",
]
