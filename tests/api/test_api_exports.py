"""Exports: a zip with the images, events.csv, events.json and a manifest of SHA-256 digests."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

from api_builders import C1, T0, Keys, event_json
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api.services.exports import verify_zip
from db.models import ExportLeaseRow

API = "/api/v1"


def _ingest(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    for i in range(3):
        body = event_json(
            f"ev-{i}",
            at=T0 + timedelta(hours=i),
            containers=(C1,) if i == 1 else (),
            evidence_dir=evidence_dir,
            plate="51C12345" if i < 2 else "29H12345",
        )
        assert client.post(f"{API}/events", json=body, headers=keys.headers("integration")).status_code == 201


def test_export_zip_is_complete_and_verifiable(
    client: TestClient, keys: Keys, evidence_dir: Path, engine: Engine
) -> None:
    _ingest(client, keys, evidence_dir)
    answer = client.get(f"{API}/exports", params={"plate": "51C-123.45"}, headers=keys.headers("officer"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["x-export-events"] == "2"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
        image = archive.read("images/ev-1/" + next(n.split("/")[-1] for n in names if n.startswith("images/ev-1/")))
    assert names == {"manifest.json", "events.csv", "events.json", *(f["path"] for f in manifest["files"])}
    assert {f["path"] for f in manifest["files"]} >= {"events.csv", "events.json"}
    assert manifest["query"]["plate"] == "51C12345" and manifest["events"] == 2 and manifest["problems"] == []
    assert [r["event_id"] for r in rows] == ["ev-1", "ev-0"]
    assert rows[0]["containers"] == C1 and rows[0]["images"].startswith("images/ev-1/")
    assert image == (evidence_dir / "ev-1/0.jpg").read_bytes()
    assert verify_zip(answer.content) == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ExportLeaseRow)) == 0  # lease released


def test_export_reports_missing_and_altered_images(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    _ingest(client, keys, evidence_dir)
    (evidence_dir / "ev-0/0.jpg").unlink()
    (evidence_dir / "ev-1/0.jpg").write_bytes(b"tampered")
    answer = client.get(f"{API}/exports", headers=keys.headers("officer"))
    assert answer.headers["x-export-problems"] == "2"
    problems = json.loads(zipfile.ZipFile(io.BytesIO(answer.content)).read("manifest.json"))["problems"]
    assert {p["event_id"] for p in problems} == {"ev-0", "ev-1"}
    assert any("sha256 differs" in p["problem"] for p in problems)
    assert len(verify_zip(answer.content)) == 2


def test_export_time_range_and_limit(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    _ingest(client, keys, evidence_dir)
    window = {"from": (T0 + timedelta(minutes=30)).isoformat(), "to": (T0 + timedelta(hours=5)).isoformat()}
    answer = client.get(f"{API}/exports", params=window, headers=keys.headers("officer"))
    assert answer.headers["x-export-events"] == "2"
    client.app.state.anpr.settings = client.app.state.anpr.settings.model_copy(update={"export_max_events": 1})  # type: ignore[attr-defined]
    too_many = client.get(f"{API}/exports", headers=keys.headers("officer"))
    assert too_many.status_code == 422 and "narrow" in too_many.json()["detail"]


def test_every_export_and_query_is_audited(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    _ingest(client, keys, evidence_dir)
    officer = keys.headers("officer")
    client.get(f"{API}/vehicles/51C12345/entries", headers=officer)
    client.get(f"{API}/exports", params={"container": C1}, headers=officer)
    client.get(f"{API}/vehicles/NOTAPLATE/entries", headers=officer)  # refused: not audited as a query
    log = client.get(f"{API}/audit", params={"limit": 10}, headers=keys.headers("admin")).json()["items"]
    officer_rows = [a for a in log if a["actor"].endswith("test officer")]
    assert [a["action"] for a in officer_rows] == ["GET /api/v1/exports", "GET /api/v1/vehicles/{plate}/entries"]
    export_row = officer_rows[0]
    assert export_row["target"] == f"/api/v1/exports?container={C1}"
    assert export_row["details"]["events"] == 1 and export_row["details"]["role"] == "officer"


def test_export_says_which_passes_need_review(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    passes = [
        event_json("sure", at=T0, evidence_dir=evidence_dir),
        event_json("unsure", plate_confidence=0.6, at=T0 + timedelta(hours=1), evidence_dir=evidence_dir),
        event_json("box", unverified=("MSKU1234560",), at=T0 + timedelta(hours=2), evidence_dir=evidence_dir),
    ]
    for body in passes:
        assert client.post(f"{API}/events", json=body, headers=keys.headers("integration")).status_code == 201
    look = {"verdict": "corrected", "plate": "51C-123.46", "note": "dirt on the 5"}
    assert client.post(f"{API}/events/unsure/reviews", json=look, headers=keys.headers("officer")).status_code == 201
    answer = client.get(f"{API}/exports", headers=keys.headers("officer"))
    assert answer.status_code == 200, answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        table = list(csv.DictReader(io.StringIO(archive.read("events.csv").decode())))
        events = {e["event_id"]: e for e in json.loads(archive.read("events.json"))}
    assert {r["event_id"]: r["review"] for r in table} == {
        "sure": "",
        "unsure": "plate_unsure",
        "box": "container_unverified",
    }
    assert {r["event_id"]: r["officer_review"] for r in table} == {
        "sure": "",
        "unsure": "corrected 51C-123.46",
        "box": "",
    }
    assert {k: e["review"] for k, e in events.items()} == {
        "sure": [],
        "unsure": ["plate_unsure"],
        "box": ["container_unverified"],
    }
    (officer,) = events["unsure"]["officer_reviews"]
    assert (officer["verdict"], officer["plate"], officer["note"]) == ("corrected", "51C12346", "dirt on the 5")
    assert events["sure"]["officer_reviews"] == []
    assert verify_zip(answer.content) == []
