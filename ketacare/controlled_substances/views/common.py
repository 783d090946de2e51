"""Parsing the ledger pages' posts into the API's schemas (one path to the services)."""

from __future__ import annotations

from django.http import QueryDict

from ketacare.controlled_substances.schemas import AmountIn, WitnessIn
from ketacare.core.errors import Invalid


def text(post: QueryDict, name: str) -> str:
    return (post.get(name) or "").strip()


def optional(post: QueryDict, name: str) -> str | None:
    return text(post, name) or None


def stock_ids(post: QueryDict, name: str = "stock") -> tuple[int, int]:
    """``"<lot id>-<location id>"`` from a stock choice."""
    raw = text(post, name)
    try:
        lot, location = (int(part) for part in raw.split("-", 1))
    except ValueError:
        raise Invalid.field(name, "Choose the lot and location it comes from") from None
    return lot, location


def amount(post: QueryDict) -> AmountIn:
    given = {k: text(post, k) for k in ("mg", "units", "containers") if text(post, k)}
    if len(given) != 1:
        raise Invalid.field("quantity", "Give the amount once: in mg, in units or in containers")
    try:
        return AmountIn(**given)
    except ValueError:
        raise Invalid.field("quantity", "The amount must be a number") from None


def witnesses(post: QueryDict) -> list[WitnessIn]:
    names, passwords = post.getlist("witness_username"), post.getlist("witness_password")
    return [
        WitnessIn(username=u, password=p)
        for u, p in zip(names, passwords, strict=False)
        if u.strip() or p
    ]
