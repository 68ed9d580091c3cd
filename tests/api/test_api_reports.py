"""The quarterly camera compliance report, JSON and printable HTML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from api_builders import T0, Keys, event_json
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError
from api.services.reports import parse_quarter
from db.repositories.cameras import record_heartbeat

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "start", "end_day"),
    [
        ("2026Q4", datetime(2026, 10, 1, tzinfo=HCM), (2026, 12, 31)),  # the example
        ("2026-q1", datetime(2026, 1, 1, tzinfo=HCM), (2026, 3, 31)),  # dash and lower case
        ("2024Q1", datetime(2024, 1, 1, tzinfo=HCM), (2024, 3, 31)),  # leap year
        (" 2025Q2 ", datetime(2025, 4, 1, tzinfo=HCM), (2025, 6, 30)),  # spaces
    ],
)
def test_parse_quarter(text: str, start: datetime, end_day: tuple[int, int, int]) -> None:
    q = parse_quarter(text, HCM)
    assert q.start == start
    assert (q.end.year, q.end.month, q.end.day, q.end.hour) == (*end_day, 23)
    following = datetime(end_day[0] + (end_day[1] == 12), end_day[1] % 12 + 1, 1, tzinfo=HCM)
    assert q.end + timedelta(microseconds=1) == following  # no gap, no overlap with the next quarter


@pytest.mark.parametrize("text", ["2026Q0", "2026Q5", "26Q1", "Q4 2026", "2026", "1999Q1", "2026Q4; DROP"])
def test_bad_quarters(text: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_quarter(text, HCM)


def _setup(client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path) -> None:
    body = {"name": "plate-front", "lane": "lane-1", "direction": "in"}
    assert client.post("/api/v1/cameras", json=body, headers=keys.headers("operator")).status_code == 201
    for i, valid in enumerate((True, True, False)):
        event = event_json(
            f"q-{i}",
            at=T0 + timedelta(hours=i),
            plate_valid=valid,
            plate="51C12345" if valid else "51C1Z3",
            evidence_dir=evidence_dir,
        )
        assert client.post("/api/v1/events", json=event, headers=keys.headers("integration")).status_code == 201
    with Session(engine) as session:
        for i in range(10):
            record_heartbeat(session, "plate-front", at=T0 + timedelta(hours=i), up=i != 0, frames=50)
        session.commit()


def test_json_report(client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path) -> None:
    _setup(client, keys, engine, evidence_dir)
    answer = client.get(
        "/api/v1/reports/camera-compliance", params={"quarter": "2026Q4"}, headers=keys.headers("officer")
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["quarter"]["label"] == "2026Q4" and report["retention_months"] == 12
    [cam] = report["cameras"]
    assert cam["uptime"] == 0.9 and cam["frames_in_quarter"] == 500
    assert (cam["passes"], cam["legible_passes"]) == (3, 2)
    assert (cam["reviewed_passes"], cam["illegible_by_officers"]) == (0, 0)
    assert cam["oldest_image_at"].startswith("2026-10-15T01:30")
    assert cam["export_self_test"]["ok"] is True and cam["export_self_test"]["event_id"] == "q-2"
    other = client.get(
        "/api/v1/reports/camera-compliance", params={"quarter": "2026Q3"}, headers=keys.headers("officer")
    ).json()
    assert other["cameras"][0]["passes"] == 0 and other["cameras"][0]["legibility"] is None


def test_report_counts_what_officers_found_illegible(
    client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path
) -> None:
    _setup(client, keys, engine, evidence_dir)
    officer = keys.headers("officer")
    looks = [("q-0", "confirmed"), ("q-1", "illegible"), ("q-2", "illegible"), ("q-2", "confirmed")]
    for event_id, verdict in looks:  # q-2 was judged illegible, then confirmed: the latest look counts
        answer = client.post(f"/api/v1/events/{event_id}/reviews", json={"verdict": verdict}, headers=officer)
        assert answer.status_code == 201, answer.text
    report = client.get("/api/v1/reports/camera-compliance?quarter=2026Q4", headers=officer).json()
    [cam] = report["cameras"]
    assert (cam["reviewed_passes"], cam["illegible_by_officers"]) == (3, 1)
    html = client.get(
        "/api/v1/reports/camera-compliance", params={"quarter": "2026Q4", "format": "html"}, headers=officer
    )
    assert "officers: 1 of 3 reviewed illegible" in html.text


def test_self_test_fails_when_an_image_is_altered(
    client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path
) -> None:
    _setup(client, keys, engine, evidence_dir)
    (evidence_dir / "q-2/0.jpg").write_bytes(b"not the captured image")
    report = client.get("/api/v1/reports/camera-compliance?quarter=2026Q4", headers=keys.headers("officer")).json()
    test = report["cameras"][0]["export_self_test"]
    assert test["ok"] is False and "sha256 differs" in " ".join(test["problems"])
    assert report["ok"] is False


def test_html_report_is_printable(client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path) -> None:
    _setup(client, keys, engine, evidence_dir)
    answer = client.get("/api/v1/reports/camera-compliance?quarter=2026Q4&format=html", headers=keys.headers("officer"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "Quarterly camera compliance check: 2026Q4" in answer.text
    assert "plate-front" in answer.text and "90.0 %" in answer.text and "@media print" in answer.text


def test_camera_names_are_escaped_in_html(client: TestClient, keys: Keys) -> None:
    body = {"name": "cam-1", "lane": "<script>alert(1)</script>"}
    client.post("/api/v1/cameras", json=body, headers=keys.headers("operator"))
    page = client.get("/api/v1/reports/camera-compliance?quarter=2026Q4&format=html", headers=keys.headers("admin"))
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_retention_gap_is_flagged(client: TestClient, keys: Keys, engine: Engine, evidence_dir: Path) -> None:
    _setup(client, keys, engine, evidence_dir)
    with Session(engine) as session:
        from db.models import CameraRow

        camera = session.query(CameraRow).one()
        camera.created_at = datetime(2020, 1, 1, tzinfo=UTC)  # registered long before its oldest image
        session.commit()
    report = client.get("/api/v1/reports/camera-compliance?quarter=2026Q4", headers=keys.headers("officer")).json()
    assert report["cameras"][0]["retention_status"] == "gap"
