"""API keys: created once, shown once, stored only as a hash (:func:`db.repositories.admin.hash_api_key`).

A key is ``anpr_`` followed by 43 URL-safe characters (256 random bits), so a
plain SHA-256 is enough: there is nothing to brute-force that a slow hash
would protect. The stored ``prefix`` (first 12 characters) identifies a key in
listings without revealing it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError
from api.roles import Role
from db.models import utcnow
from db.repositories import admin

KEY_PREFIX = "anpr_"
MAX_KEY_CHARS = 128


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A freshly created key: ``secret`` is the only copy of the plain key."""

    key: admin.ApiKeyView
    secret: str


def create_api_key(session: Session, role: str, name: str = "") -> NewApiKey:
    """Store a new key's hash (no commit) and return the key with its one plain copy."""
    try:
        checked = Role(role)
    except ValueError as exc:
        raise InvalidInputError(f"role must be one of {[r.value for r in Role]}, got {role!r}") from exc
    label = (name or f"{checked.value} key").strip()
    if not label.isprintable():
        raise InvalidInputError("key name must be printable")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    view = admin.create_api_key(
        session, name=label, role=checked.value, key_hash=admin.hash_api_key(secret), prefix=secret[:12], now=utcnow()
    )
    return NewApiKey(view, secret)


def find_active_key(session: Session, secret: str) -> admin.ApiKeyView | None:
    """The unrevoked key matching ``secret`` (``None`` for anything else, without a query for junk)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_KEY_CHARS:
        return None
    return admin.find_api_key(session, admin.hash_api_key(secret))
