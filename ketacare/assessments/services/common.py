"""What the measurement services share: errors, the safety flags, the result of a submission."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ketacare.alerts.models import Alert
from ketacare.assessments.models import (
    AssessmentResponse,
)
from ketacare.clinical.instruments import (
    INSTRUMENTS,
    Score,
)
from ketacare.core.errors import Invalid, Refused

logger = logging.getLogger(__name__)

# Flags from ``score()`` that open a safety alert, and the alert level each one carries.
SAFETY_FLAGS: dict[str, str] = {
    "suicide_risk_high": Alert.Level.CRITICAL,  # C-SSRS high: immediate evaluation [S69]
    "suicide_risk_moderate": Alert.Level.WARNING,  # C-SSRS moderate [S76]
    # PHQ-9 item 9 >= 1 [S20] (QIDS-SR16 item 12 >= 1): same-day suicide-risk assessment, the
    # highest level there is short of an emergency; pinned on every on-duty dashboard until
    # acknowledged (ketacare.alerts.panels).
    "suicidal_ideation": Alert.Level.CRITICAL,
    "madrs_suicidal_thoughts": Alert.Level.WARNING,  # only when the clinic sets a cutoff
}
SAFETY_ACTION = (
    "Acknowledge with the action taken: safety plan, same-day assessment or emergency referral."
)
PATIENT_SOURCES = (AssessmentResponse.Source.PORTAL, AssessmentResponse.Source.LINK)
STAFF_SOURCES = (AssessmentResponse.Source.STAFF_PAPER, AssessmentResponse.Source.CLINICIAN_RATED)


class AssessmentError(Invalid):
    """Input the measurement rules refuse (422), with the field it concerns."""


class AssessmentStateError(Refused):
    """An action the record's state does not allow, e.g. correcting a superseded version (409)."""


class LinkInvalid(AssessmentStateError):
    """The one-time questionnaire link is unknown, used or expired."""


@dataclass(frozen=True)
class Submitted:
    response: AssessmentResponse
    score: Score
    alert: Alert | None

    @property
    def safety_flagged(self) -> bool:
        return self.alert is not None or bool(self.score.flags & SAFETY_FLAGS.keys())


def _name(code: str) -> str:
    return INSTRUMENTS[code].name


def _how(source: str) -> str:
    return {
        "portal": "completed by the patient in the portal",
        "link": "completed by the patient through a link",
        "staff_paper": "entered from paper",
        "clinician_rated": "rated by a clinician",
        "demo": "demo data",
    }[source]
