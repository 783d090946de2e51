"""Reading the directory's HTML forms into the same schemas the API uses."""

from __future__ import annotations

from django.http import QueryDict
from pydantic import ValidationError

from ketacare.core.errors import Invalid
from ketacare.core.validation import human_errors
from ketacare.directory.schemas import CheckIn, ListingIn

PRICE_ROWS = 4


def _split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").replace("\n", ",").split(",") if part.strip()]


def _parse(schema, data: dict):
    try:
        return schema(**data)
    except ValidationError as wrong:
        detail, fields = human_errors(wrong.errors())
        raise Invalid(detail, fields=fields) from None


def listing_from_post(post: QueryDict) -> ListingIn:
    prices = []
    for row in range(PRICE_ROWS):
        service = post.get(f"price_service_{row}", "").strip()
        low, high = post.get(f"price_low_{row}", "").strip(), post.get(f"price_high_{row}", "")
        if service or low or high.strip():
            prices.append({"service": service, "low": low or 0, "high": high.strip() or low or 0})
    return _parse(
        ListingIn,
        {
            **{
                name: post.get(name, "")
                for name in (
                    "name",
                    "description",
                    "address_line1",
                    "city",
                    "state",
                    "postal_code",
                    "phone",
                    "email",
                    "website",
                    "opening_hours",
                    "accessibility",
                )
            },
            "routes": post.getlist("routes"),
            "indications": post.getlist("indications"),
            "price_ranges": prices,
            "insurance_accepted": _split(post.get("insurance_accepted", "")),
            "languages": _split(post.get("languages", "")),
            **{
                name: post.get(name) == "on"
                for name in (
                    "sliding_scale",
                    "bills_esketamine_to_insurance",
                    "telehealth_consultations",
                    "show_next_available",
                )
            },
        },
    )


def check_from_post(post: QueryDict) -> CheckIn:
    return _parse(
        CheckIn,
        {
            "kind": post.get("kind", ""),
            "identifier": post.get("identifier", ""),
            "issuing_state": post.get("issuing_state", ""),
            "holder": post.get("holder", ""),
            "evidence": post.get("evidence", ""),
            "covers_schedule_iii": post.get("covers_schedule_iii") == "on",
            "expires_on": post.get("expires_on") or None,
        },
    )
