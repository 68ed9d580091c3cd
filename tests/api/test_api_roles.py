"""Each role can do exactly what its row of the role table grants; no key, no access.

| role        | may                            |
| officer     | read, export                   |
| operator    | cameras, declarations          |
| integration | declarations, events, webhooks |
| admin       | everything                     |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from api_builders import ROLES, Keys, declaration, event_json, jpeg_bytes
from fastapi.testclient import TestClient

READERS = {"officer", "admin"}
DECLARERS = {"operator", "integration", "admin"}
ANY_DECL_READER = {"officer", "operator", "integration", "admin"}
CAMERA_ADMINS = {"operator", "admin"}
CAMERA_VIEWERS = {"officer", "operator", "admin"}
INGEST = {"integration", "admin"}
ADMIN = {"admin"}
REVIEWERS = {"officer", "admin"}

Body = Callable[[str], dict[str, Any]]


def _none(role: str) -> dict[str, Any]:
    return {}


def _event(role: str) -> dict[str, Any]:
    return {"json": event_json(f"role-{role}")}


def _image(role: str) -> dict[str, Any]:
    return {"files": {"file": ("gate.jpg", jpeg_bytes(), "image/jpeg")}}


def _declaration(role: str) -> dict[str, Any]:
    return {"json": declaration(f"1060123456{ROLES.index(role)}0")}


def _csv(role: str) -> dict[str, Any]:
    d = declaration(f"1070123456{ROLES.index(role)}0")
    text = ",".join(d) + "\n" + ",".join(";".join(v) if isinstance(v, list) else v for v in d.values()) + "\n"
    return {"content": text.encode(), "headers": {"Content-Type": "text/csv"}}


def _camera(role: str) -> dict[str, Any]:
    return {"json": {"name": f"cam-{role}", "lane": "lane-1", "password": "s3cret"}}


def _review(role: str) -> dict[str, Any]:
    return {"json": {"verdict": "confirmed"}}


def _webhook(role: str) -> dict[str, Any]:
    return {"json": {"url": "https://example.invalid/hook"}}


def _apikey(role: str) -> dict[str, Any]:
    return {"json": {"role": "officer", "name": f"made by {role}"}}


# (method, path, body, roles allowed, status when allowed)
TABLE: list[tuple[str, str, Body, set[str], int]] = [
    ("GET", "/vehicles/51C12345/entries", _none, READERS, 200),
    ("GET", "/vehicles/51C12345/suggestions", _none, READERS, 200),
    ("GET", "/containers/MSCU1234566/movements", _none, READERS, 200),
    ("GET", "/events", _none, READERS, 200),
    ("GET", "/events/no-such-event", _none, READERS, 404),
    ("GET", "/events/no-such-event/images/1", _none, READERS, 404),
    ("POST", "/events", _event, INGEST, 201),
    ("POST", "/events/no-such-event/reviews", _review, REVIEWERS, 404),
    ("POST", "/recognize", _image, INGEST, 200),
    ("POST", "/declarations", _declaration, DECLARERS, 200),
    ("POST", "/declarations/import", _csv, DECLARERS, 200),
    ("GET", "/declarations/106099999990", _none, ANY_DECL_READER, 404),
    ("GET", "/declarations/106099999990/crosscheck", _none, ANY_DECL_READER, 404),
    ("GET", "/discrepancies", _none, READERS, 200),
    ("GET", "/exports", _none, READERS, 200),
    ("POST", "/cameras", _camera, CAMERA_ADMINS, 201),
    ("GET", "/cameras", _none, CAMERA_VIEWERS, 200),
    ("GET", "/cameras/99999", _none, CAMERA_VIEWERS, 404),
    ("PATCH", "/cameras/99999", lambda r: {"json": {"lane": "lane-2"}}, CAMERA_ADMINS, 404),
    ("GET", "/cameras/99999/health", _none, CAMERA_VIEWERS, 404),
    ("GET", "/cameras/99999/credential-changes", _none, CAMERA_ADMINS, 404),
    ("GET", "/reports/camera-compliance?quarter=2026Q4", _none, CAMERA_VIEWERS, 200),
    ("POST", "/webhooks", _webhook, INGEST, 201),
    ("GET", "/webhooks", _none, INGEST, 200),
    ("DELETE", "/webhooks/99999", _none, INGEST, 404),
    ("GET", "/audit", _none, ADMIN, 200),
    ("POST", "/apikeys", _apikey, ADMIN, 201),
    ("GET", "/apikeys", _none, ADMIN, 200),
    ("DELETE", "/apikeys/99999", _none, ADMIN, 404),
    ("GET", "/me", _none, set(ROLES), 200),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed", "status"), TABLE, ids=[f"{m} {p}" for m, p, *_ in TABLE])
def test_role_table(
    client: TestClient, keys: Keys, method: str, path: str, body: Body, allowed: set[str], status: int
) -> None:
    for role in ROLES:
        extra = body(role)
        headers = {**keys.headers(role), **extra.pop("headers", {})}
        answer = client.request(method, f"/api/v1{path}", headers=headers, **extra)
        expected = status if role in allowed else 403
        assert answer.status_code == expected, f"{role}: {answer.status_code} {answer.text[:300]}"
        if expected == 403:
            assert answer.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (None, "missing Authorization"),  # no header at all
        ("Basic dXNlcjpwYXNz", "Bearer"),  # another scheme
        ("Bearer ", "Bearer"),  # empty key
        ("Bearer anpr_not-a-real-key", "unknown or revoked"),  # well-formed but unknown
        ("Bearer ' OR '1'='1", "unknown or revoked"),  # SQL-like junk
    ],
)
def test_requests_without_a_valid_key_are_401(client: TestClient, authorization: str | None, reason: str) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    answer = client.get("/api/v1/events", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert reason in answer.json()["detail"]


def test_a_revoked_key_stops_working(client: TestClient, keys: Keys) -> None:
    me = client.get("/api/v1/me", headers=keys.headers("officer")).json()
    assert me["role"] == "officer" and me["permissions"] == ["export", "read", "review"]
    assert client.delete(f"/api/v1/apikeys/{me['key_id']}", headers=keys.headers("admin")).status_code == 200
    assert client.get("/api/v1/me", headers=keys.headers("officer")).status_code == 401


def test_a_created_key_is_shown_once_and_works(client: TestClient, keys: Keys) -> None:
    made = client.post("/api/v1/apikeys", json={"role": "operator", "name": "gate ops"}, headers=keys.headers("admin"))
    assert made.status_code == 201
    secret = made.json()["key"]
    listed = client.get("/api/v1/apikeys", headers=keys.headers("admin")).json()
    assert all("key" not in k and secret not in str(k) for k in listed)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["role"] == "operator" and me["name"] == "gate ops"
