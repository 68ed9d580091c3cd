"""Every endpoint answers bad input with a 4xx and a reason, and a rejected request changes nothing.

The cases are data (``tests/api/data/bad_requests.json``, a note on each):
malformed JSON, wrong types, non-image uploads, huge bodies, unknown plate
syntax, SQL-like strings and path tricks. Each runs as an admin (so the role
never decides the answer) against a store seeded with an event, a
declaration and a camera, which must be byte-for-byte the same afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_builders import Keys, declaration, event_json, jpeg_bytes
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from db.models import Base

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "bad_requests.json").read_text())
KEPT_OUT = {"audit_log", "api_keys"}
"""Tables a request may touch even when refused: none is written on refusal, but keys get last_used_at."""


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: sorted((tuple(r) for r in conn.execute(select(t))), key=repr)
            for t in Base.metadata.sorted_tables
            if t.name not in KEPT_OUT
        }


def _request(case: dict[str, Any]) -> dict[str, Any]:
    if "patch_event" in case:
        body = event_json("bad-1") | case["patch_event"]
        return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}
    if "patch_declaration" in case:
        return {"json": declaration("106055555550") | case["patch_declaration"]}
    if "json" in case:
        return {"json": case["json"]}
    if "text" in case or "latin1" in case:
        data = case["text"].encode() if "text" in case else case["latin1"].encode("latin-1")
        return {"content": data, "headers": {"Content-Type": case["content_type"]}}
    if "size" in case:
        return {"content": b"x" * case["size"], "headers": {"Content-Type": "application/json"}}
    if "file" in case:
        f = case["file"]
        data = jpeg_bytes() if f.get("jpeg") else f["text"].encode("latin-1")
        return {"files": {"file": (f["name"], data, f["content_type"])}}
    return {}


@pytest.fixture
def seeded(client: TestClient, keys: Keys, evidence_dir: Path) -> dict[str, Any]:
    admin = keys.headers("admin")
    assert client.post("/api/v1/events", json=event_json("seed-1", evidence_dir=evidence_dir), headers=admin).is_success
    assert client.post("/api/v1/declarations", json=declaration(), headers=admin).is_success
    camera = client.post("/api/v1/cameras", json={"name": "seed-cam", "lane": "l", "password": "pw"}, headers=admin)
    assert camera.status_code == 201
    return {"camera": camera.json()["id"]}


@pytest.mark.parametrize("case", CASES, ids=[c["note"] for c in CASES])
def test_bad_request_is_refused_with_a_reason(
    client: TestClient, keys: Keys, engine: Engine, seeded: dict[str, Any], case: dict[str, Any]
) -> None:
    before = snapshot(engine)
    extra = _request(case)
    headers = {**keys.headers("admin"), **extra.pop("headers", {})}
    path = "/api/v1" + case["path"].format(**seeded)
    answer = client.request(case["method"], path, headers=headers, **extra)
    assert answer.status_code == case["status"], answer.text[:500]
    body = answer.json()
    assert body["error"] == case["error"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert snapshot(engine) == before
