"""Side effects seen during a session, each with the source that lists it, and whether it is
reportable (a serious adverse event, decided by the clinician)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ketacare.clinical.common import ISSUE_PRACTICE, ClinicalRuleError, Provenance, require_aware


class SideEffect(StrEnum):
    NAUSEA = "nausea"
    VOMITING = "vomiting"
    DIZZINESS = "dizziness"
    VERTIGO = "vertigo"
    DIPLOPIA = "diplopia"
    DROWSINESS = "drowsiness"  # somnolence
    SEDATION = "sedation"
    CONFUSION = "confusion"
    ANXIETY = "anxiety"
    HEADACHE = "headache"
    RAISED_BP = "raised_bp"
    DISSOCIATION = "dissociation"
    BLURRED_VISION = "blurred_vision"
    PARESTHESIA = "paresthesia"
    DYSGEUSIA = "dysgeusia"
    HYPOESTHESIA = "hypoesthesia"
    OTHER = "other"  # describe in the note


_S93_S97 = Provenance(("S93", "S97"))
_S97 = Provenance(("S97",))
_LABEL_TABLE = Provenance(("§6.1",), False, "Spravato TRD label table [memory, verify]")
SIDE_EFFECT_PROVENANCE: dict[SideEffect, Provenance] = {
    SideEffect.NAUSEA: _S97,  # source: S97
    SideEffect.VOMITING: _S97,  # source: S97
    SideEffect.DIZZINESS: _S93_S97,  # source: S93, S97
    SideEffect.VERTIGO: _LABEL_TABLE,
    SideEffect.DIPLOPIA: Provenance(
        ("§6.1",), False, "reported; counts not found [memory, verify]"
    ),
    SideEffect.DROWSINESS: _S97,  # somnolence. source: S97
    SideEffect.SEDATION: _S97,  # source: S97
    SideEffect.CONFUSION: ISSUE_PRACTICE,
    SideEffect.ANXIETY: _S93_S97,  # source: S93, S97
    SideEffect.HEADACHE: _S93_S97,  # source: S93, S97
    SideEffect.RAISED_BP: _S93_S97,  # source: S93, S97
    SideEffect.DISSOCIATION: _S93_S97,  # source: S93, S97
    SideEffect.BLURRED_VISION: _S93_S97,  # source: S93, S97
    SideEffect.PARESTHESIA: _S97,  # source: S97
    SideEffect.DYSGEUSIA: _S97,  # source: S97
    SideEffect.HYPOESTHESIA: _LABEL_TABLE,
    SideEffect.OTHER: Provenance((), True, "free text"),
}


class SideEffectSeverity(StrEnum):
    """The nurse's grading; the reference defines no grading criteria."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


@dataclass(frozen=True)
class SideEffectObservation:
    """One side effect seen during the session.

    ``serious_adverse_event`` is the regulatory seriousness of the outcome, decided by the
    clinician, not the severity: a severe headache is not necessarily serious. Serious events
    are flagged for reporting (FDA MedWatch, source: S106; REMS form adverse events, S15).
    """

    effect: SideEffect
    severity: SideEffectSeverity
    observed_at: datetime
    serious_adverse_event: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "effect", SideEffect(self.effect))
        object.__setattr__(self, "severity", SideEffectSeverity(self.severity))
        require_aware("The observation time", self.observed_at)
        if self.effect is SideEffect.OTHER and not self.note.strip():
            raise ClinicalRuleError("Describe the side effect in the note when choosing 'other'")

    @property
    def provenance(self) -> Provenance:
        return SIDE_EFFECT_PROVENANCE[self.effect]

    @property
    def reportable(self) -> bool:
        return self.serious_adverse_event
