"""Declarations in (JSON, CSV), read back with history and cross-check, and the discrepancy queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_builders import C1, C2, Keys, declaration, event_json
from fastapi.testclient import TestClient

from anpr.events import Direction

API = "/api/v1"


def _csv(*rows: dict[str, object]) -> bytes:
    header = list(rows[0])
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(";".join(v) if isinstance(v, list) else str(v) for v in row.values()))
    return ("\n".join(lines) + "\n").encode()


def test_one_and_many_declarations(client: TestClient, keys: Keys) -> None:
    op = keys.headers("operator")
    one = client.post(f"{API}/declarations", json=declaration("106012345670"), headers=op)
    assert one.status_code == 200 and one.json()["counts"]["created"] == 1
    many = client.post(
        f"{API}/declarations",
        json=[declaration("106012345680", containers=(C2,)), declaration("106012345670")],
        headers=op,
    )
    assert many.status_code == 200
    assert [r["outcome"] for r in many.json()["rows"]] == ["created", "unchanged"]


def test_a_bad_row_is_reported_and_the_good_ones_stored(client: TestClient, keys: Keys) -> None:
    rows = [declaration("106012345670"), declaration("106012345680", type_code="Z99")]
    answer = client.post(f"{API}/declarations", json=rows, headers=keys.headers("integration"))
    assert answer.status_code == 207
    report = answer.json()
    assert report["ok"] is False and report["counts"] == {"created": 1, "amended": 0, "unchanged": 0, "error": 1}
    assert "Z99" in report["rows"][1]["reason"]
    assert client.get(f"{API}/declarations/106012345670", headers=keys.headers("officer")).status_code == 200
    assert client.get(f"{API}/declarations/106012345680", headers=keys.headers("officer")).status_code == 404


def test_csv_import_and_amendment_history(client: TestClient, keys: Keys) -> None:
    op = {**keys.headers("operator"), "Content-Type": "text/csv"}
    first = client.post(f"{API}/declarations/import", content=_csv(declaration("106012345670")), headers=op)
    assert first.status_code == 200, first.text
    amended = declaration("106012345671", containers=(C1, C2))
    second = client.post(f"{API}/declarations/import", content=_csv(amended), headers=op)
    assert second.json()["rows"][0]["outcome"] == "amended"
    current = client.get(f"{API}/declarations/10601234567", headers=keys.headers("officer")).json()
    assert current["declaration"]["number"] == "106012345671"
    assert [c["number"] for c in current["declaration"]["containers"]] == [C1, C2]
    assert [v["number"] for v in current["history"]] == ["106012345671", "106012345670"]
    assert current["history"][1]["is_current"] is False


def test_crosscheck_links_the_events_that_fulfilled_it(client: TestClient, keys: Keys) -> None:
    now = datetime.now(UTC)
    window = {"valid_from": (now - timedelta(days=1)).isoformat(), "valid_to": (now + timedelta(days=1)).isoformat()}
    open_now = declaration(containers=(C1,)) | window
    assert client.post(f"{API}/declarations", json=open_now, headers=keys.headers("operator")).is_success
    event = event_json("in-1", containers=(C1,), at=now - timedelta(hours=1))
    client.post(f"{API}/events", json=event, headers=keys.headers("integration"))
    check = client.get(f"{API}/declarations/106012345670/crosscheck", headers=keys.headers("officer")).json()
    assert check["status"] == "complete"
    assert [e["event_id"] for e in check["events"]] == ["in-1"]
    assert check["findings"][0]["rule"] == "container_seen" and check["findings"][0]["ok"] is True


def test_discrepancy_queue(client: TestClient, keys: Keys) -> None:
    integration, now = keys.headers("integration"), datetime.now(UTC)
    window = {"valid_from": (now - timedelta(days=1)).isoformat(), "valid_to": (now + timedelta(days=1)).isoformat()}
    client.post(f"{API}/declarations", json=declaration(containers=(C1,)) | window, headers=keys.headers("operator"))
    passes = [
        event_json("ok-1", containers=(C1,), at=now - timedelta(hours=4)),
        event_json("undeclared-1", containers=(C2,), at=now - timedelta(hours=3)),
        event_json("mismatch-1", plate="29H12345", containers=(C1,), at=now - timedelta(hours=2)),
        event_json("out-1", containers=(C1,), direction=Direction.OUT, at=now - timedelta(hours=1)),
    ]
    for body in passes:
        assert client.post(f"{API}/events", json=body, headers=integration).status_code == 201
    officer = keys.headers("officer")
    queue = client.get(f"{API}/discrepancies", headers=officer).json()
    assert [(d["ref"], d["status"]) for d in queue["items"]] == [
        ("out-1", "undeclared"), ("mismatch-1", "plate_mismatch"), ("undeclared-1", "undeclared"),
    ]  # fmt: skip
    assert all(d["reason"] for d in queue["items"])
    only = client.get(f"{API}/discrepancies", params={"status": "plate_mismatch"}, headers=officer).json()
    assert [d["ref"] for d in only["items"]] == ["mismatch-1"]
    paged = client.get(f"{API}/discrepancies", params={"limit": 2}, headers=officer).json()
    assert len(paged["items"]) == 2 and paged["next_offset"] == 2
