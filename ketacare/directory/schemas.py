"""Shapes of the directory's API and forms."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import field_validator

from ketacare.clinical.common import Route
from ketacare.clinical.intake import Indication


class PriceRange(Schema):
    service: str = Field(min_length=1, max_length=80)
    low: int = Field(ge=0, le=100_000)
    high: int = Field(ge=0, le=100_000)


class ListingIn(Schema):
    """What a clinic admin edits; the ZIP gives the map position."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    address_line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=2, max_length=2)
    postal_code: str = Field(min_length=5, max_length=10)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    website: str = Field(default="", max_length=200)
    opening_hours: str = Field(default="", max_length=1000)
    routes: list[Route] = []
    indications: list[Indication] = []
    price_ranges: list[PriceRange] = []
    sliding_scale: bool = False
    insurance_accepted: list[str] = []
    bills_esketamine_to_insurance: bool = False
    languages: list[str] = []
    accessibility: str = Field(default="", max_length=300)
    telehealth_consultations: bool = False
    show_next_available: bool = False

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        return value.strip().upper()


class CheckIn(Schema):
    kind: str
    identifier: str = Field(min_length=1, max_length=60)
    issuing_state: str = Field(default="", max_length=2)
    holder: str = Field(min_length=1, max_length=200)
    evidence: str = Field(min_length=1, max_length=300)
    covers_schedule_iii: bool = False  # DEA registrations: the schedules seen include III
    expires_on: dt.date | None = None


class ListingOut(Schema):
    slug: str
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    website: str
    routes: list[str]
    route_labels: list[str]
    indications: list[str]
    price_ranges: list[PriceRange]
    prices_from_fee_schedule: bool = Field(
        False,
        description="The prices are the clinic's current fee schedule (low: its lowest "
        "sliding-scale fee), not figures typed into the listing.",
    )
    sliding_scale: bool
    insurance_accepted: list[str]
    bills_esketamine_to_insurance: bool
    languages: list[str]
    accessibility: str
    telehealth_consultations: bool
    verified: bool
    verified_until: dt.date | None
    distance_miles: float | None = None
    next_available: dt.datetime | None = Field(
        None,
        description="The next free new-patient consultation (profile only, where the "
        "clinic opted in and set its consultation length).",
    )
    profile_url: str


class SearchOut(Schema):
    near: str
    radius_miles: float
    count: int
    items: list[ListingOut]
