"""Course phases: induction → evaluation → maintenance → booster (only when relapse is detected,
which ``outcomes`` decides) → maintenance … → completed; any active phase may be paused and
resumed into the phase it left. ``next_phase`` refuses any other move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ketacare.clinical.common import ClinicalRuleError
from ketacare.clinical.regimens.model import Phase

_ACTIVE: Final = frozenset({Phase.INDUCTION, Phase.EVALUATION, Phase.MAINTENANCE, Phase.BOOSTER})
TRANSITIONS: Final[Mapping[Phase, frozenset[Phase]]] = {
    Phase.INDUCTION: frozenset({Phase.EVALUATION, Phase.PAUSED, Phase.COMPLETED}),
    Phase.EVALUATION: frozenset({Phase.MAINTENANCE, Phase.PAUSED, Phase.COMPLETED}),
    Phase.MAINTENANCE: frozenset({Phase.BOOSTER, Phase.PAUSED, Phase.COMPLETED}),
    Phase.BOOSTER: frozenset({Phase.MAINTENANCE, Phase.PAUSED, Phase.COMPLETED}),
    Phase.PAUSED: frozenset({Phase.COMPLETED}),  # plus resuming into ``paused_from``
    Phase.COMPLETED: frozenset(),
}


@dataclass(frozen=True)
class CoursePhaseState:
    """Where a course stands; ``paused_from`` is the phase a paused course resumes into."""

    phase: Phase = Phase.INDUCTION
    paused_from: Phase | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "phase", Phase(self.phase))
        if (self.phase is Phase.PAUSED) != (self.paused_from is not None):
            raise ClinicalRuleError("A paused course, and only a paused course, has paused_from")
        if self.paused_from is not None and self.paused_from not in _ACTIVE:
            raise ClinicalRuleError(f"A course cannot be paused from {self.paused_from}")


def allowed_phases(state: CoursePhaseState) -> frozenset[Phase]:
    """The phases ``state`` may move to (a booster additionally needs a detected relapse)."""
    allowed = TRANSITIONS[state.phase]
    if state.paused_from is not None:
        allowed = allowed | {state.paused_from}
    return allowed


def next_phase(
    state: CoursePhaseState, *, to: Phase | str, relapse_detected: bool = False
) -> CoursePhaseState:
    """Move the course to ``to`` if the transition is allowed, else raise ClinicalRuleError.

    Entering a booster from maintenance needs ``relapse_detected`` (computed by ``outcomes``);
    resuming a paused booster does not.
    """
    target = Phase(to)
    if target not in allowed_phases(state):
        allowed = ", ".join(sorted(phase.value for phase in allowed_phases(state))) or "none"
        raise ClinicalRuleError(
            f"A course in {state.phase.value} cannot move to {target.value} (allowed: {allowed})"
        )
    if target is Phase.BOOSTER and state.phase is Phase.MAINTENANCE and not relapse_detected:
        raise ClinicalRuleError("A booster series starts only after a relapse is detected")
    if target is Phase.PAUSED:
        return CoursePhaseState(Phase.PAUSED, paused_from=state.phase)
    return CoursePhaseState(target)
