"""Ingest from edge workers, searches by plate and container, event detail and evidence images."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from api_builders import C1, C2, T0, Keys, declaration, event_json
from fastapi.testclient import TestClient

from anpr.events import Direction
from api.config import ApiSettings

API = "/api/v1"


def _post(client: TestClient, keys: Keys, body: dict[str, object], **headers: str) -> tuple[int, dict[str, object]]:
    answer = client.post(f"{API}/events", json=body, headers={**keys.headers("integration"), **headers})
    return answer.status_code, answer.json()


def test_ingest_is_idempotent(client: TestClient, keys: Keys) -> None:
    body = event_json("lane1-0001", containers=(C1,))
    first = _post(client, keys, body)
    again = _post(client, keys, body)
    assert first[0] == 201 and first[1]["created"] is True
    assert again[0] == 200 and again[1]["created"] is False and again[1]["id"] == first[1]["id"]
    found = client.get(f"{API}/events", headers=keys.headers("officer")).json()["items"]
    assert [e["event_id"] for e in found] == ["lane1-0001"]


def test_idempotency_key_stands_in_for_a_missing_event_id(client: TestClient, keys: Keys) -> None:
    body = event_json("ignored")
    del body["event_id"]
    status, stored = _post(client, keys, body, **{"Idempotency-Key": "edge-7:42"})
    assert status == 201 and stored["event_id"] == "edge-7:42"


def test_idempotency_key_must_match_event_id(client: TestClient, keys: Keys) -> None:
    status, error = _post(client, keys, event_json("a-1"), **{"Idempotency-Key": "b-2"})
    assert status == 422 and "Idempotency-Key" in str(error["detail"])
    assert client.get(f"{API}/events", headers=keys.headers("officer")).json()["items"] == []


@pytest.mark.parametrize(
    ("typed", "fuzzy", "expected"),
    [
        ("51C-123.45", False, ["p-1", "p-0"]),  # display form
        ("51c12345", False, ["p-1", "p-0"]),  # lower case, no punctuation
        ("51 C 123 45", False, ["p-1", "p-0"]),  # spaces
        ("51C-128.45", False, []),  # another plate
        ("51C-I23.4S", True, ["p-1", "p-0"]),  # OCR confusions, fuzzy
    ],
)
def test_vehicle_entries_any_spelling(
    client: TestClient, keys: Keys, typed: str, fuzzy: bool, expected: list[str]
) -> None:
    for i in range(2):
        _post(client, keys, event_json(f"p-{i}", at=T0 + timedelta(minutes=i)))
    _post(client, keys, event_json("other", plate="29H12345"))
    params = {"fuzzy": "true", "raw": "true"} if fuzzy else {}
    answer = client.get(f"{API}/vehicles/{typed}/entries", params=params, headers=keys.headers("officer"))
    assert answer.status_code == 200, answer.text
    assert [e["event_id"] for e in answer.json()["items"]] == expected


def test_vehicle_entries_filters_and_pages(client: TestClient, keys: Keys) -> None:
    for i in range(5):
        direction = Direction.IN if i % 2 == 0 else Direction.OUT
        _post(client, keys, event_json(f"e-{i}", at=T0 + timedelta(hours=i), direction=direction))
    officer = keys.headers("officer")
    ins = client.get(f"{API}/vehicles/51C12345/entries", params={"direction": "in"}, headers=officer).json()
    assert [e["event_id"] for e in ins["items"]] == ["e-4", "e-2", "e-0"]
    window = {"from": (T0 + timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(hours=3)).isoformat()}
    ranged = client.get(f"{API}/vehicles/51C12345/entries", params=window, headers=officer).json()
    assert [e["event_id"] for e in ranged["items"]] == ["e-3", "e-2", "e-1"]
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{API}/vehicles/51C12345/entries", params=params, headers=officer).json()
        seen += [e["event_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["e-4", "e-3", "e-2", "e-1", "e-0"]


def test_container_movements(client: TestClient, keys: Keys) -> None:
    _post(client, keys, event_json("in-1", containers=(C1, C2)))
    _post(client, keys, event_json("out-1", containers=(C1,), direction=Direction.OUT, at=T0 + timedelta(days=1)))
    answer = client.get(f"{API}/containers/mscu 123456 6/movements", headers=keys.headers("officer"))
    assert [(e["event_id"], e["direction"]) for e in answer.json()["items"]] == [("out-1", "out"), ("in-1", "in")]


def test_event_detail_has_reads_evidence_and_findings(client: TestClient, keys: Keys, evidence_dir: Path) -> None:
    client.post(f"{API}/declarations", json=declaration(containers=(C1,)), headers=keys.headers("operator"))
    _post(client, keys, event_json("lane1-0002", containers=(C1,), evidence_dir=evidence_dir))
    detail = client.get(f"{API}/events/lane1-0002", headers=keys.headers("officer")).json()
    assert detail["summary"]["status"] == "matched"
    assert detail["event"]["plate"]["reads"][0]["camera"] == "plate-front"
    assert {f["rule"] for f in detail["findings"]} >= {"container_declared", "plate_match"}
    assert all(f["reason"] for f in detail["findings"])
    [image] = detail["evidence"]
    assert image["boxes"] == [[80, 50, 240, 150]]
    served = client.get(image["url"], headers=keys.headers("officer"))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == (evidence_dir / "lane1-0002/0.jpg").read_bytes()


def test_images_of_another_event_or_outside_the_folder_are_not_served(
    client: TestClient, keys: Keys, evidence_dir: Path
) -> None:
    _post(client, keys, event_json("a-1", evidence_dir=evidence_dir))
    _post(client, keys, event_json("b-1", evidence_dir=evidence_dir))
    officer = keys.headers("officer")
    image_a = client.get(f"{API}/events/a-1", headers=officer).json()["evidence"][0]["id"]
    assert client.get(f"{API}/events/b-1/images/{image_a}", headers=officer).status_code == 404
    for trick in ("..%2F..%2Fetc%2Fpasswd", "%2e%2e", "1%20OR%201=1", "-1", "0"):
        answer = client.get(f"{API}/events/a-1/images/{trick}", headers=officer)
        assert answer.status_code in (404, 422), trick
    (evidence_dir / "a-1/0.jpg").unlink()
    gone = client.get(f"{API}/events/a-1/images/{image_a}", headers=officer)
    assert gone.status_code == 404 and "no longer on disk" in gone.json()["detail"]


def test_review_list_and_reasons(client: TestClient, keys: Keys) -> None:
    passes = {
        "sure": event_json("sure", containers=(C1,), at=T0),
        "unsure": event_json("unsure", plate_confidence=0.9, at=T0 + timedelta(minutes=1)),
        "invalid": event_json("invalid", plate="51C1234", plate_valid=False, at=T0 + timedelta(minutes=2)),
        "no-plate": event_json("no-plate", plate=None, containers=(C2,), at=T0 + timedelta(minutes=3)),
        "box": event_json("box", unverified=("MSKU1234560",), at=T0 + timedelta(minutes=4)),
    }
    for body in passes.values():
        assert _post(client, keys, body)[0] == 201
    officer = keys.headers("officer")
    listed = client.get(f"{API}/events", params={"needs_review": "true"}, headers=officer)
    assert listed.status_code == 200, listed.text
    assert [e["event_id"] for e in listed.json()["items"]] == ["box", "no-plate", "invalid", "unsure"]
    everything = client.get(f"{API}/events", params={"needs_review": "false"}, headers=officer).json()["items"]
    assert len(everything) == 5
    reasons = {
        event_id: client.get(f"{API}/events/{event_id}", headers=officer).json()["review"] for event_id in passes
    }
    assert reasons == {
        "sure": [],
        "unsure": ["plate_unsure"],
        "invalid": ["plate_invalid"],
        "no-plate": ["no_plate"],
        "box": ["container_unverified"],
    }
    bad = client.get(f"{API}/events", params={"needs_review": "maybe"}, headers=officer)
    assert bad.status_code == 422 and "needs_review" in bad.text


@pytest.mark.parametrize(
    "api_settings", [ApiSettings(webhooks_enabled=False, migrate_on_start=False, review_below=0.8)]
)
def test_review_threshold_is_the_servers_setting(client: TestClient, keys: Keys) -> None:
    _post(client, keys, event_json("fairly-sure", plate_confidence=0.9))
    _post(client, keys, event_json("doubtful", plate_confidence=0.7, at=T0 + timedelta(minutes=1)))
    officer = keys.headers("officer")
    listed = client.get(f"{API}/events", params={"needs_review": "true"}, headers=officer).json()["items"]
    assert [e["event_id"] for e in listed] == ["doubtful"]
    assert client.get(f"{API}/events/fairly-sure", headers=officer).json()["review"] == []


def test_review_threshold_setting_is_checked() -> None:
    with pytest.raises(ValueError, match="review_below"):
        ApiSettings(review_below=1.5)


def test_an_officer_reviews_a_pass(client: TestClient, keys: Keys) -> None:
    assert client.post(f"{API}/declarations", json=declaration(), headers=keys.headers("integration")).is_success
    _post(client, keys, event_json("e", plate="29H12345", plate_confidence=0.8, containers=(C1,)))
    officer = keys.headers("officer")
    assert client.get(f"{API}/events/e", headers=officer).json()["summary"]["status"] == "plate_mismatch"
    body = {"verdict": "corrected", "plate": "51C-123.45", "note": "read from the crop"}
    answer = client.post(f"{API}/events/e/reviews", json=body, headers=officer)
    assert answer.status_code == 201, answer.text
    look = answer.json()
    assert (look["verdict"], look["plate"], look["plate_formatted"], look["plate_valid"]) == (
        "corrected",
        "51C12345",
        "51C-123.45",
        True,
    )
    assert look["reviewer"].startswith("key:")  # the officer's API key: who looked is on record
    detail = client.get(f"{API}/events/e", headers=officer).json()
    assert detail["summary"]["status"] == "matched"
    assert detail["event"]["plate"]["text"] == "29H12345"  # the cameras' read is kept
    assert detail["review"] == ["plate_unsure"] and [r["verdict"] for r in detail["reviews"]] == ["corrected"]
    assert client.get(f"{API}/events", params={"needs_review": "true"}, headers=officer).json()["items"] == []
    found = client.get(f"{API}/vehicles/51C-123.45/entries", headers=officer).json()["items"]
    assert [e["event_id"] for e in found] == ["e"]
    audit = client.get(f"{API}/audit", headers=keys.headers("admin")).json()["items"]
    assert any(
        a["action"].endswith("/events/{event_id}/reviews") and a["details"].get("verdict") == "corrected" for a in audit
    )


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"verdict": "approved"}, 422, "verdict"),
        ({"verdict": "corrected"}, 422, "needs the plate"),
        ({"verdict": "confirmed", "plate": "51C12345"}, 422, "only a correction"),
        ({"verdict": "corrected", "plate": "5?"}, 422, "not a plate"),
        ({"verdict": "illegible", "note": "x" * 2001}, 422, "note"),
    ],
)
def test_bad_reviews_are_refused_and_store_nothing(
    client: TestClient, keys: Keys, body: dict[str, object], status: int, reason: str
) -> None:
    _post(client, keys, event_json("e", plate_confidence=0.8))
    officer = keys.headers("officer")
    answer = client.post(f"{API}/events/e/reviews", json=body, headers=officer)
    assert answer.status_code == status and reason in answer.text, answer.text
    assert client.get(f"{API}/events/e", headers=officer).json()["reviews"] == []
    assert [
        e["event_id"]
        for e in client.get(f"{API}/events", params={"needs_review": "true"}, headers=officer).json()["items"]
    ] == ["e"]
    missing = client.post(f"{API}/events/nope/reviews", json={"verdict": "confirmed"}, headers=officer)
    assert missing.status_code == 404 and "no event" in missing.text


def test_an_officer_corrects_a_container_number(client: TestClient, keys: Keys) -> None:
    assert client.post(f"{API}/declarations", json=declaration(), headers=keys.headers("integration")).is_success
    _post(client, keys, event_json("e", unverified=("MSCU1234560",)))
    officer = keys.headers("officer")
    assert client.get(f"{API}/events/e", headers=officer).json()["review"] == ["container_unverified"]
    body = {"verdict": "corrected", "containers": ["mscu 123456 6"]}
    answer = client.post(f"{API}/events/e/reviews", json=body, headers=officer)
    assert answer.status_code == 201, answer.text
    assert answer.json()["containers"] == [{"number": C1, "check_digit_ok": True}]
    assert answer.json()["plate"] is None
    assert client.get(f"{API}/events/e", headers=officer).json()["summary"]["status"] == "matched"
    moves = client.get(f"{API}/containers/{C1}/movements", headers=officer).json()["items"]
    assert [e["event_id"] for e in moves] == ["e"]
    three = {"verdict": "corrected", "containers": [C1, C2, "TGHU1234567"]}
    refused = client.post(f"{API}/events/e/reviews", json=three, headers=officer)
    assert refused.status_code == 422 and "containers" in refused.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"verdict": "corrected", "plate": "51C-123.45", "container": ["MSCU1234566"]}, "container"),  # a typo
        ({"verdict": "illegible", "note": "mud\u0000"}, "control characters"),
    ],
)
def test_reviews_refuse_unknown_fields_and_control_characters(
    client: TestClient, keys: Keys, body: dict[str, object], reason: str
) -> None:
    _post(client, keys, event_json("e", plate_confidence=0.8))
    officer = keys.headers("officer")
    answer = client.post(f"{API}/events/e/reviews", json=body, headers=officer)
    assert answer.status_code == 422 and reason in answer.text, answer.text
    assert client.get(f"{API}/events/e", headers=officer).json()["reviews"] == []
