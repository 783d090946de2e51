"""What "verified" means for a listing (pure: no database).

A listing is verified while every required check is on file and none has expired: medical
licence, DEA registration covering Schedule III, NPI and board certification; REMS certification
of the treatment setting too when it offers esketamine (reference §3.4 [S12]: outpatient
settings are certified). A check that expires takes the badge away on its expiry date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class CheckKind(StrEnum):
    MEDICAL_LICENSE = "medical_license"
    DEA_REGISTRATION = "dea_registration"
    NPI = "npi"
    BOARD_CERTIFICATION = "board_certification"
    REMS_CERTIFICATION = "rems_certification"


CHECK_LABELS: dict[CheckKind, str] = {
    CheckKind.MEDICAL_LICENSE: "Medical licence",
    CheckKind.DEA_REGISTRATION: "DEA registration (Schedule III)",
    CheckKind.NPI: "National Provider Identifier (NPI)",
    CheckKind.BOARD_CERTIFICATION: "Board certification",
    CheckKind.REMS_CERTIFICATION: "Spravato REMS certification of the setting",
}
ALWAYS_REQUIRED = (
    CheckKind.MEDICAL_LICENSE,
    CheckKind.DEA_REGISTRATION,
    CheckKind.NPI,
    CheckKind.BOARD_CERTIFICATION,
)


@dataclass(frozen=True)
class CheckFact:
    kind: CheckKind
    expires_on: dt.date | None  # None: does not expire (e.g. an NPI)


@dataclass(frozen=True)
class VerificationStatus:
    verified: bool
    missing: tuple[CheckKind, ...]
    expired: tuple[CheckKind, ...]
    expires_on: dt.date | None  # the earliest expiry among the checks in force

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(
            [f"{CHECK_LABELS[k]} not on file" for k in self.missing]
            + [f"{CHECK_LABELS[k]} expired" for k in self.expired]
        )


def required_checks(*, offers_esketamine: bool) -> tuple[CheckKind, ...]:
    return ALWAYS_REQUIRED + ((CheckKind.REMS_CERTIFICATION,) if offers_esketamine else ())


def verification_status(
    checks: Iterable[CheckFact], *, offers_esketamine: bool, today: dt.date
) -> VerificationStatus:
    """Verified when every required kind has a check valid today (the latest check of a kind
    counts); an expiry date is the last day the document is valid."""
    latest: dict[CheckKind, CheckFact] = {}
    for check in checks:
        current = latest.get(check.kind)
        if current is None or _later(check.expires_on, current.expires_on):
            latest[check.kind] = check
    missing, expired, expiries = [], [], []
    for kind in required_checks(offers_esketamine=offers_esketamine):
        check = latest.get(kind)
        if check is None:
            missing.append(kind)
        elif check.expires_on is not None and check.expires_on < today:
            expired.append(kind)
        elif check.expires_on is not None:
            expiries.append(check.expires_on)
    return VerificationStatus(
        verified=not missing and not expired,
        missing=tuple(missing),
        expired=tuple(expired),
        expires_on=min(expiries) if expiries else None,
    )


def _later(a: dt.date | None, b: dt.date | None) -> bool:
    if a is None:
        return True
    return b is not None and a > b
