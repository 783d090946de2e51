"""One-time, expiring links e-mailed to patients (intake, questionnaires).

Only a token's SHA-256 is stored, so a database dump cannot open a link. Each kind of link keeps
its own model (its own fields and purpose); the token handling lives here once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TypeVar

from django.db.models import Model, QuerySet

L = TypeVar("L", bound=Model)

INVALID = "This link is not valid. Please ask the clinic for a new one."
EXPIRED = "This link has expired. Please ask the clinic for a new one."


def public_url(path: str) -> str:
    """``path`` on the address the application is served at (``PUBLIC_BASE_URL``; in
    development ``http://127.0.0.1:$PORT``), for links in e-mails."""
    from django.conf import settings

    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token() -> tuple[str, str]:
    """A fresh token to e-mail and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, link_digest(token)


def find_usable_link(
    links: QuerySet[L],
    token: str,
    *,
    error: type[Exception],
    used_message: str,
    now: dt.datetime,
) -> L:
    """The unused, unexpired link for ``token``, or ``error`` saying why it cannot be used."""
    link = links.filter(token_sha256=link_digest(token)).first()
    if link is None:
        raise error(INVALID)
    if link.used_at is not None:
        raise error(used_message)
    if now >= link.expires_at:
        raise error(EXPIRED)
    return link


def use_link(
    links: QuerySet[L], link: L, *, error: type[Exception], used_message: str, at: dt.datetime
) -> L:
    """Mark ``link`` used under a row lock, so two submissions cannot both get through.
    Call inside a transaction."""
    # Lock the link row only: the queryset may join nullable relations (a network invitation has
    # no clinic), and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    locked = links.select_for_update(of=("self",)).get(pk=link.pk)
    if locked.used_at is not None:
        raise error(used_message)
    locked.used_at = at
    locked.save(update_fields=["used_at"])
    return locked
