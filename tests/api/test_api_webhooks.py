"""Webhooks: discrepancies are POSTed to subscribers, signed with HMAC-SHA256, retried, then given up."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from api_builders import C2, Keys, event_json
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from api.config import ApiSettings
from api.services.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver_due, sign, verify
from db.models import WebhookDeliveryRow, utcnow

SECRET = "a-shared-secret-of-some-length"
SETTINGS = ApiSettings(webhook_max_attempts=3, webhook_backoff_seconds=10)


def _subscribe_and_trigger(client: TestClient, keys: Keys) -> None:
    hook = {"url": "https://customs.example/hook", "events": ["undeclared"], "secret": SECRET}
    made = client.post("/api/v1/webhooks", json=hook, headers=keys.headers("integration"))
    assert made.status_code == 201 and made.json()["secret"] == SECRET
    listed = client.get("/api/v1/webhooks", headers=keys.headers("integration")).text
    assert SECRET not in listed
    event = event_json("undeclared-1", containers=(C2,))
    assert (
        client.post("/api/v1/events", json=event, headers=keys.headers("integration")).json()["status"] == "undeclared"
    )


def test_signature_round_trip() -> None:
    body = b'{"id": 1}'
    signature = sign(SECRET, 1_700_000_000, body)
    assert signature.startswith("sha256=") and len(signature) == 71
    assert verify(SECRET, 1_700_000_000, body, signature)
    assert not verify(SECRET, 1_700_000_001, body, signature)  # a replayed signature with a new time
    assert not verify("another-secret-entirely", 1_700_000_000, body, signature)


def test_discrepancy_is_delivered_signed(client: TestClient, keys: Keys, sessions: sessionmaker[Session]) -> None:
    _subscribe_and_trigger(client, keys)
    received: list[httpx.Request] = []

    def subscriber(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(subscriber)) as http:
        run = deliver_due(sessions, http, SETTINGS)
        again = deliver_due(sessions, http, SETTINGS)
    assert (run.attempted, run.delivered) == (1, 1) and again.attempted == 0
    [request] = received
    body = json.loads(request.content)
    assert str(request.url) == "https://customs.example/hook"
    assert body["type"] == "undeclared" and body["data"]["ref"] == "undeclared-1" and body["data"]["reason"]
    stamp = int(request.headers[TIMESTAMP_HEADER])
    assert verify(SECRET, stamp, request.content, request.headers[SIGNATURE_HEADER])
    assert request.headers["X-Anpr-Delivery"] == str(body["id"])


def test_failures_back_off_then_give_up(
    client: TestClient, keys: Keys, sessions: sessionmaker[Session], engine: Engine
) -> None:
    _subscribe_and_trigger(client, keys)
    answers: list[httpx.Response | Exception] = [
        httpx.Response(500),
        httpx.ConnectError("refused"),
        httpx.Response(503),
    ]

    def flaky(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    now = utcnow()
    with httpx.Client(transport=httpx.MockTransport(flaky)) as http:
        assert deliver_due(sessions, http, SETTINGS, now).attempted == 1
        assert deliver_due(sessions, http, SETTINGS, now + timedelta(seconds=5)).attempted == 0  # backing off
        assert deliver_due(sessions, http, SETTINGS, now + timedelta(seconds=11)).attempted == 1
        assert deliver_due(sessions, http, SETTINGS, now + timedelta(seconds=25)).attempted == 0  # 20 s now
        last = deliver_due(sessions, http, SETTINGS, now + timedelta(seconds=32))
    assert last.failed == 1
    with Session(engine) as session:
        row = session.scalar(select(WebhookDeliveryRow))
        assert row is not None and (row.status, row.attempts) == ("failed", 3) and row.last_error == "HTTP 503"


def test_only_subscribed_statuses_are_queued(client: TestClient, keys: Keys, engine: Engine) -> None:
    hook = {"url": "https://customs.example/hook", "events": ["plate_mismatch"]}
    client.post("/api/v1/webhooks", json=hook, headers=keys.headers("integration"))
    client.post("/api/v1/events", json=event_json("u-1", containers=(C2,)), headers=keys.headers("integration"))
    with Session(engine) as session:
        assert session.scalar(select(WebhookDeliveryRow)) is None
