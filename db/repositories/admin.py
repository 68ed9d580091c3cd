"""Audit log, API keys (stored as hashes) and webhook subscriptions/deliveries. Nothing here commits.

Webhook event types are the discrepancy statuses (``undeclared``,
``plate_mismatch``, ``unreadable``, ``missing``, ``partial``) or ``*`` for all;
:func:`enqueue_deliveries` is called by the cross-check service when a status
turns into one of them, whoever stored the data (pipeline, API or CLI).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError, NotFoundError
from db.crypto import decrypt, encrypt
from db.models import ApiKeyRow, AuditLogRow, WebhookDeliveryRow, WebhookSubscriptionRow
from db.repositories.events import check_limit
from db.views import Page, decode_cursor, encode_cursor

ROLES = ("officer", "operator", "integration", "admin")
WEBHOOK_EVENTS = ("undeclared", "plate_mismatch", "unreadable", "missing", "partial", "reviewed", "*")
"""Discrepancy statuses a check turns a pass or declaration into, ``reviewed`` (an officer's look at
a pass, :mod:`db.review_service`), or ``*`` for all."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    subscription_id: int
    url: str
    secret: str
    event_type: str
    payload: dict[str, Any]
    attempts: int


def append_audit(
    session: Session, *, actor: str, action: str, target: str, at: datetime, details: dict[str, Any] | None = None
) -> None:
    """Add one audit entry in the session's transaction (see :func:`append_audit_rows`)."""
    append_audit_rows(session, [{"actor": actor, "action": action, "target": target, "at": at, "details": details}])


_AUDIT_COLUMNS = ("at", "actor", "action", "target", "details")


def append_audit_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add audit entries in one statement; each row holds the keyword arguments of :func:`append_audit`
    (actor, action and target are cut to their column sizes).

    On PostgreSQL a batch goes in with ``COPY``: the API's background writer flushes every read's row
    this way, and a multi-row ``INSERT`` cost three times the CPU (binding five parameters a row),
    all of it holding up the worker's requests (``benchmarks/README.md``).
    """
    values = [
        {
            "at": r["at"],
            "actor": r["actor"][:128],
            "action": r["action"][:64],
            "target": r["target"][:512],
            "details": r.get("details") or {},
        }
        for r in rows
    ]
    if not values:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(values) == 1:
        connection.execute(insert(AuditLogRow), values)
        return
    columns = ", ".join(_AUDIT_COLUMNS)
    driver: Any = connection.connection.driver_connection  # psycopg's own connection: it has COPY
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {AuditLogRow.__tablename__} ({columns}) FROM STDIN") as copy,
    ):
        for v in values:
            row = {**v, "details": json.dumps(v["details"])}  # COPY takes the JSON column as text
            copy.write_row(tuple(row[c] for c in _AUDIT_COLUMNS))


def list_audit(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> Page[AuditEntry]:
    """Audit entries, newest first, with keyset pagination."""
    check_limit(limit)
    stmt = select(AuditLogRow)
    for column, value in ((AuditLogRow.actor, actor), (AuditLogRow.action, action)):
        if value is not None:
            stmt = stmt.where(column == value)
    if start is not None:
        stmt = stmt.where(AuditLogRow.at >= start)
    if end is not None:
        stmt = stmt.where(AuditLogRow.at <= end)
    if cursor is not None:
        when, last = decode_cursor(cursor)
        stmt = stmt.where((AuditLogRow.at < when) | ((AuditLogRow.at == when) & (AuditLogRow.id < last)))
    rows = list(session.scalars(stmt.order_by(AuditLogRow.at.desc(), AuditLogRow.id.desc()).limit(limit + 1)))
    items = [AuditEntry(r.id, r.at, r.actor, r.action, r.target, dict(r.details)) for r in rows[:limit]]
    more = len(rows) > limit
    return Page(items, encode_cursor(items[-1].at, items[-1].id) if more else None)


def hash_api_key(key: str) -> str:
    """The stored form of an API key: sha256 hex (keys are long random tokens, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _key_view(row: ApiKeyRow) -> ApiKeyView:
    return ApiKeyView(row.id, row.name, row.role, row.prefix, row.created_at, row.revoked_at, row.last_used_at)


def create_api_key(session: Session, *, name: str, role: str, key_hash: str, prefix: str, now: datetime) -> ApiKeyView:
    """Store a new key by its hash (see :func:`hash_api_key`); the plain key is never stored."""
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {list(ROLES)}")
    if not name.strip() or len(name) > 128:
        raise InvalidInputError("key name must be 1-128 characters")
    if len(key_hash) < 32 or len(key_hash) > 128 or len(prefix) > 16:
        raise InvalidInputError("key hash must be 32-128 characters and prefix at most 16")
    row = ApiKeyRow(name=name.strip(), role=role, key_hash=key_hash, prefix=prefix, created_at=now)
    session.add(row)
    session.flush()
    return _key_view(row)


def find_api_key(session: Session, key_hash: str, *, active_only: bool = True) -> ApiKeyView | None:
    """The key with this hash (``None`` if unknown, or revoked when ``active_only``)."""
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
    if row is None or (active_only and row.revoked_at is not None):
        return None
    return _key_view(row)


def list_api_keys(session: Session) -> list[ApiKeyView]:
    return [_key_view(r) for r in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def revoke_api_key(session: Session, key_id: int, now: datetime) -> ApiKeyView:
    row = session.get(ApiKeyRow, key_id)
    if row is None:
        raise NotFoundError(f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
    return _key_view(row)


def touch_api_key(session: Session, key_id: int, now: datetime) -> None:
    row = session.get(ApiKeyRow, key_id)
    if row is not None:
        row.last_used_at = now


def _hook_view(row: WebhookSubscriptionRow) -> WebhookView:
    return WebhookView(row.id, row.url, tuple(row.events), row.active, row.created_by, row.created_at)


def create_webhook(
    session: Session, *, url: str, secret: str, events: list[str], actor: str, now: datetime
) -> WebhookView:
    """Subscribe ``url`` to ``events``; the HMAC ``secret`` is stored encrypted."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2048:
        raise InvalidInputError("webhook url must be an http(s) URL of at most 2048 characters")
    if not 16 <= len(secret) <= 256:
        raise InvalidInputError("webhook secret must be 16-256 characters")
    if not events or any(e not in WEBHOOK_EVENTS for e in events):
        raise InvalidInputError(f"webhook events must be among {list(WEBHOOK_EVENTS)}")
    row = WebhookSubscriptionRow(
        url=url,
        secret_enc=encrypt(secret),
        events=sorted(set(events)),
        active=True,
        created_by=actor[:128],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _hook_view(row)


def list_webhooks(session: Session) -> list[WebhookView]:
    return [_hook_view(r) for r in session.scalars(select(WebhookSubscriptionRow).order_by(WebhookSubscriptionRow.id))]


def set_webhook_active(session: Session, webhook_id: int, active: bool) -> WebhookView:
    row = session.get(WebhookSubscriptionRow, webhook_id)
    if row is None:
        raise NotFoundError(f"no webhook {webhook_id}")
    row.active = active
    return _hook_view(row)


def enqueue_deliveries(session: Session, event_type: str, payload: dict[str, Any], now: datetime) -> int:
    """Queue ``payload`` for every active subscriber of ``event_type``; returns how many were queued."""
    subs = session.execute(
        select(WebhookSubscriptionRow.id, WebhookSubscriptionRow.events).where(WebhookSubscriptionRow.active)
    ).all()
    rows = [
        {
            "subscription_id": sub_id,
            "event_type": event_type,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for sub_id, events in subs
        if event_type in events or "*" in events
    ]
    if rows:
        session.connection().execute(insert(WebhookDeliveryRow), rows)
    return len(rows)


def due_deliveries(session: Session, now: datetime, limit: int = 50) -> list[Delivery]:
    """Pending deliveries whose next attempt is due, oldest first, with the decrypted secret."""
    rows = session.execute(
        select(WebhookDeliveryRow, WebhookSubscriptionRow)
        .join(WebhookSubscriptionRow)
        .where(
            WebhookDeliveryRow.status == "pending",
            WebhookDeliveryRow.next_attempt_at <= now,
            WebhookSubscriptionRow.active,
        )
        .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
        .limit(check_limit(limit))
    ).all()
    return [
        Delivery(d.id, s.id, s.url, decrypt(s.secret_enc), d.event_type, dict(d.payload), d.attempts) for d, s in rows
    ]


def record_attempt(
    session: Session,
    delivery_id: int,
    *,
    ok: bool,
    now: datetime,
    error: str | None = None,
    max_attempts: int = 8,
    base_delay: timedelta = timedelta(seconds=30),
) -> str:
    """Record one attempt; failures back off exponentially and give up after ``max_attempts``.
    Returns the new status."""
    row = session.get(WebhookDeliveryRow, delivery_id)
    if row is None:
        raise NotFoundError(f"no webhook delivery {delivery_id}")
    row.attempts += 1
    if ok:
        row.status, row.delivered_at, row.last_error = "delivered", now, None
    elif row.attempts >= max_attempts:
        row.status, row.last_error = "failed", (error or "")[:2000]
    else:
        row.next_attempt_at = now + base_delay * (2 ** (row.attempts - 1))
        row.last_error = (error or "")[:2000]
    return row.status
