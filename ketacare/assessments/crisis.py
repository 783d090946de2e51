"""Crisis resources shown to a patient the moment they submit a questionnaire.

From ``shared/clinical-reference.md`` §10. The LGBTQ+ youth "press 3" option of 988 was
discontinued on 17 July 2025 [S27][S131] and is never shown. Entries the reference tags
``[memory, verify]`` (Crisis Text Line, the Trevor Project's text keyword) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrisisResource:
    name: str
    how: str  # what to do, in plain words
    href: str = ""  # tel:/sms:/https: link, when one helps
    source: str = ""


CRISIS_RESOURCES: tuple[CrisisResource, ...] = (
    CrisisResource(
        "988 Suicide & Crisis Lifeline",
        "Call or text 988, any time, day or night",
        "tel:988",
        "S26, S27",
    ),
    CrisisResource(
        "988 Lifeline chat", "Chat online at 988lifeline.org", "https://988lifeline.org", "S26, S27"
    ),
    CrisisResource(
        "Veterans Crisis Line", "Call 988 and press 1, or text 838255", "tel:988", "S27, S130"
    ),
    CrisisResource("En español", "Llame al 988 y oprima 2", "tel:988", "S27, S130"),
    CrisisResource(
        "The Trevor Project (LGBTQ+ young people)",
        "Call 1-866-488-7386, or text 678-678",
        "tel:+18664887386",
        "S130",
    ),
    CrisisResource(
        "Deaf or hard of hearing", "Use your preferred relay service, or dial 711", "", "S130"
    ),
    CrisisResource(
        "Emergency", "Call 911, or go to the nearest emergency department", "tel:911", ""
    ),
)
