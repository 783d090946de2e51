"""API shapes of the clinic protocol settings."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class SettingOut(Schema):
    key: str
    section: str
    label: str
    unit: str
    value: Any
    default: Any
    set_by_clinic: bool
    required: bool
    verified: bool
    confirmed: bool
    sources: list[str]
    note: str
    minimum: float | None
    maximum: float | None
    choices: list[str]


class ProtocolOut(Schema):
    clinic_id: int
    settings: list[SettingOut]
    unconfigured: list[str]
    unconfirmed: list[str]


class ProtocolIn(Schema):
    """Keys are full setting keys; ``null`` clears a value back to the reference default."""

    values: dict[str, int | float | bool | str | None]
