"""Webhook delivery: signed POSTs of discrepancy notifications, retried with exponential back-off.

The cross-check queues a delivery per subscriber in the same transaction
that changes a status (:func:`db.repositories.admin.enqueue_deliveries`), so
nothing is lost whoever stored the data. :func:`deliver_due` sends what is
due; :class:`Dispatcher` runs it in a background thread of the server.

Each POST has a JSON body ``{"id", "type", "data"}`` and the headers
``X-Anpr-Delivery`` (the delivery id, stable across retries, for de-duplication),
``X-Anpr-Timestamp`` (Unix seconds) and ``X-Anpr-Signature: sha256=<hex>``,
the HMAC-SHA256 of ``<timestamp>.<body>`` under the subscription's secret.
A 2xx answer is a delivery; anything else (or no answer) is retried after
``backoff * 2**(attempt-1)`` until ``max_attempts``, then marked failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from anpr.errors import AnprError
from api.config import ApiSettings
from db.models import utcnow
from db.repositories import admin

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Anpr-Signature"
TIMESTAMP_HEADER = "X-Anpr-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``b"<timestamp>." + body`` under ``secret``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """What a subscriber does on receipt (constant-time compare)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True, slots=True)
class DeliveryRun:
    attempted: int
    delivered: int
    failed: int


def _post(client: httpx.Client, delivery: admin.Delivery, now: datetime, timeout: float) -> str | None:
    """Send one delivery; ``None`` on success, else the reason it failed."""
    body = json.dumps({"id": delivery.id, "type": delivery.event_type, "data": delivery.payload}).encode()
    stamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "anpr-gate-webhooks/1",
        "X-Anpr-Delivery": str(delivery.id),
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(delivery.secret, stamp, body),
    }
    try:
        answer = client.post(delivery.url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"


def deliver_due(
    sessions: sessionmaker[Session], client: httpx.Client, settings: ApiSettings, now: datetime | None = None
) -> DeliveryRun:
    """Send every due delivery once and record each attempt (its own transaction)."""
    now = now or utcnow()
    with sessions() as session:
        due = admin.due_deliveries(session, now, limit=100)
    delivered = failed = 0
    for delivery in due:
        error = _post(client, delivery, now, settings.webhook_timeout_seconds)
        with sessions() as session:
            status = admin.record_attempt(
                session, delivery.id, ok=error is None, now=now, error=error,
                max_attempts=settings.webhook_max_attempts,
                base_delay=timedelta(seconds=settings.webhook_backoff_seconds),
            )  # fmt: skip
            session.commit()
        delivered += status == "delivered"
        failed += status == "failed"
        if error is not None:
            log.warning("webhook delivery %s to %s failed (%s): %s", delivery.id, delivery.url, status, error)
    return DeliveryRun(len(due), delivered, failed)


class Dispatcher:
    """A daemon thread that calls :func:`deliver_due` every ``webhook_poll_seconds``; it never dies
    on an error (logged, retried next tick)."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: ApiSettings, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.client = httpx.Client(transport=transport, follow_redirects=False)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhook-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.wait(self.settings.webhook_poll_seconds):
            try:
                deliver_due(self.sessions, self.client, self.settings)
            except (SQLAlchemyError, AnprError, OSError):
                log.exception("webhook dispatcher tick failed; retrying next tick")
