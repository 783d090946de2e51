"""Words for the codes records store (``no_response`` → "No response", ``esketamine_nasal`` →
"Esketamine nasal spray"), so no page shows a machine key. Apps add their own with ``register``
in ``AppConfig.ready``; a code nobody named is shown as words (underscores to spaces)."""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.common import ROUTE_LABELS

_LABELS: dict[str, str] = {
    **{route.value: text[:1].upper() + text[1:] for route, text in ROUTE_LABELS.items()},
    "yes": "Yes",
    "no": "No",
    "unknown": "Don't know",
    # Antidepressant trial outcomes.
    "no_response": "No response",
    "partial": "Partial response",
    "response": "Response",
    "intolerance": "Stopped: side effects",
    # Finding severities.
    "contraindication": "Contraindication",
    "caution": "Caution",
    "missing": "Needs information",
    "info": "Information",
    # Screening outcomes, order states, measurement schedule states.
    "eligible": "Eligible",
    "eligible_with_cautions": "Eligible with cautions",
    "needs_information": "Needs information",
    "not_eligible": "Not eligible",
    "draft": "Draft",
    "signed": "Signed",
    "superseded": "Superseded",
    "cancelled": "Cancelled",
    "due": "Due",
    "overdue": "Overdue",
    "done": "Done",
    "missed": "Missed",
    "upcoming": "Upcoming",
    # Safety flags of questionnaires.
    "suicidal_ideation": "Suicidal ideation",
    "suicide_risk_high": "Suicide risk: high",
    "suicide_risk_moderate": "Suicide risk: moderate",
    "suicide_risk_low": "Suicide risk: low",
    "madrs_suicidal_thoughts": "MADRS suicidal thoughts",
}


def register(labels: Mapping[str, str]) -> None:
    """Add words for an app's codes (a code already named keeps its first label)."""
    for code, text in labels.items():
        _LABELS.setdefault(code, text)


def label(code: object) -> str:
    """The words for ``code``; an unnamed code with underscores, as words."""
    text = str(code if code is not None else "")
    if text in _LABELS:
        return _LABELS[text]
    if "_" in text:
        words = text.replace("_", " ")
        return words[:1].upper() + words[1:]
    return text


def person_name(user) -> str | None:
    """How a record names the person who did something: their full name, else their username;
    None when nobody is recorded."""
    if user is None:
        return None
    return user.get_full_name() or user.get_username()
