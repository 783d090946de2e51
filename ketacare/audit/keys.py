"""The audit trail's keys: entries are sealed with HMAC-SHA256 under a key kept out of the database.

A keyring is a list of ``id:secret`` entries, the first one current: new entries are sealed with
it and record its id (``AuditEntry.key_id``); older keys stay in the ring so that the entries they
sealed still verify. Rotation (docs/deployment.md): put a new key first, keep the old ones after
it, restart. The ring comes from ``AUDIT_KEYS`` (comma-separated) or ``AUDIT_KEYS_FILE`` (one
entry per line, ``#`` comments), read by the settings at start-up; production refuses to start
without one. This module imports nothing from Django at import time: the settings use it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

DEVELOPMENT_KEY_ID = "dev"
DEVELOPMENT_SECRET = "ketacare-development-only-audit-key-do-not-use-in-production"
DEVELOPMENT_KEYRING = {DEVELOPMENT_KEY_ID: DEVELOPMENT_SECRET.encode()}
MIN_SECRET_LENGTH = 32
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,16}")


class KeyringError(ValueError):
    """The configured keyring cannot be used; the message says what to fix."""


def parse_keyring(text: str, *, source: str) -> dict[str, bytes]:
    """``id:secret`` entries (commas or new lines between them) in order, the first current."""
    ring: dict[str, bytes] = {}
    for raw in re.split(r"[,\n]", text):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key_id, sep, secret = entry.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not KEY_ID_PATTERN.fullmatch(key_id):
            raise KeyringError(
                f"{source}: each key is 'id:secret' with an id of 1-16 letters, digits, '.', '_' "
                f"or '-' (e.g. 2026a:…)."
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise KeyringError(
                f"{source}: the secret of key {key_id!r} is shorter than {MIN_SECRET_LENGTH} "
                'characters; make one with: python3 -c "import secrets; '
                'print(secrets.token_urlsafe(48))"'
            )
        if key_id in ring:
            raise KeyringError(f"{source}: key id {key_id!r} appears twice.")
        ring[key_id] = secret.encode()
    return ring


def load_keyring(keys: str, keys_file: str) -> dict[str, bytes]:
    """The keyring from ``AUDIT_KEYS`` or the file ``AUDIT_KEYS_FILE`` (not both); {} if neither."""
    if keys and keys_file:
        raise KeyringError("Set AUDIT_KEYS or AUDIT_KEYS_FILE, not both.")
    if keys_file:
        try:
            text = Path(keys_file).read_text()
        except OSError as error:
            raise KeyringError(f"AUDIT_KEYS_FILE {keys_file!r} cannot be read: {error}") from None
        return parse_keyring(text, source="AUDIT_KEYS_FILE")
    return parse_keyring(keys, source="AUDIT_KEYS")


def _keyring() -> dict[str, bytes]:
    from django.conf import settings

    return settings.AUDIT_KEYRING


def current_key_id() -> str:
    return next(iter(_keyring()))


def known_key(key_id: str) -> bool:
    return key_id in _keyring()


def canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def seal(key_id: str, previous_hash: str, content: dict[str, Any]) -> str:
    """HMAC-SHA256 of the previous seal and the canonical content under key ``key_id``; an
    empty ``key_id`` is the unkeyed SHA-256 of entries written before the trail had keys."""
    message = (previous_hash + canonical(content)).encode()
    if not key_id:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(_keyring()[key_id], message, hashlib.sha256).hexdigest()


def sign(content: dict[str, Any]) -> tuple[str, str]:
    """A stand-alone seal (key id, MAC) for records outside the chain, e.g. anchor lines."""
    key_id = current_key_id()
    return key_id, seal(key_id, "", content)


def signature_valid(key_id: str, mac: str, content: dict[str, Any]) -> bool:
    return known_key(key_id) and hmac.compare_digest(seal(key_id, "", content), mac)
