"""``anpr demo`` end to end on a small render: the pipeline stores the scenario and the API serves it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from anpr.config import AnprSettings
from anpr.demo import PASSES, prepare_demo
from api.config import ApiSettings
from api.main import create_app
from db.config import DbSettings

EXPECTED = {
    ("51C12345", "in"): "matched",  # declared on C11
    ("29H12345", "in"): "undeclared",  # no declaration
    ("15C23456", "in"): "plate_mismatch",  # declared for another truck
    ("43C56789", "in"): "matched",  # one of two declared containers
    ("51C12345", "out"): "matched",  # declared on C12
    (None, "in"): "unreadable",  # plate under mud: the container is declared, the plate cannot be checked
}


def test_demo_scenario_through_the_pipeline(tmp_path: Path) -> None:
    said: list[str] = []
    result = prepare_demo(tmp_path / "demo", mode="truth", n_frames=8, size=(960, 540), say=said.append)
    assert result.events == len(PASSES) and result.recognizer == "truth"
    assert result.declarations["ok"] is True
    statuses = {r["number"]: r["status"] for r in result.declarations["rows"]}
    assert statuses["106012345690"] == "partial" and statuses["106012345700"] == "missing"
    app = create_app(
        ApiSettings(webhooks_enabled=False), db_settings=DbSettings(database_url=result.database_url),
        anpr_settings=AnprSettings(evidence_dir=result.evidence_dir),
    )  # fmt: skip
    officer = {"Authorization": f"Bearer {result.officer_key}"}
    with TestClient(app) as client:
        events = client.get("/api/v1/events", headers=officer).json()["items"]
        assert {(e["plate"], e["direction"]): e["status"] for e in events} == EXPECTED
        detail = client.get(f"/api/v1/events/{events[0]['event_id']}", headers=officer).json()
        assert detail["evidence"], "the pipeline wrote evidence images"
        image = client.get(detail["evidence"][0]["url"], headers=officer)
        assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
        queue = client.get("/api/v1/discrepancies", headers=officer).json()["items"]
        assert {d["status"] for d in queue} == {"undeclared", "plate_mismatch", "partial", "missing"}
        cameras = client.get("/api/v1/cameras", headers=officer).json()
        frames = {c["name"]: c["frames_processed"] for c in cameras}
        assert frames == {"in-plate": 5 * 8, "in-side": 5 * 8, "out-plate": 8, "out-side": 8}  # 5 passes in, 1 out
        doubtful = client.get("/api/v1/events", params={"needs_review": "true"}, headers=officer).json()["items"]
        assert [(e["plate"], e["containers"]) for e in doubtful] == [(None, ["BMOU2468137"])]
        muddy = doubtful[0]["event_id"]
        assert client.get(f"/api/v1/events/{muddy}", headers=officer).json()["review"] == ["no_plate"]
        look = {"verdict": "corrected", "plate": "60C-246.80", "note": "plate under mud; read at the booth"}
        assert client.post(f"/api/v1/events/{muddy}/reviews", json=look, headers=officer).status_code == 201
        assert client.get(f"/api/v1/events/{muddy}", headers=officer).json()["summary"]["status"] == "matched"
        assert client.get("/api/v1/events", params={"needs_review": "true"}, headers=officer).json()["items"] == []
