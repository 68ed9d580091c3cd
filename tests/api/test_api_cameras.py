"""Cameras: credentials are write-only and encrypted; every URL/user/password change is recorded."""

from __future__ import annotations

from datetime import timedelta

from api_builders import Keys
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import CameraRow, utcnow
from db.repositories.cameras import camera_credentials, record_heartbeat

API = "/api/v1"
SECRET_USER, SECRET_PASS = "gate-admin", "Pa55-w0rd-xyz"


def _create(client: TestClient, keys: Keys) -> dict[str, object]:
    body = {
        "name": "lane1-plate",
        "lane": "lane-1",
        "direction": "in",
        "url": "rtsp://10.0.0.5/stream1",
        "username": SECRET_USER,
        "password": SECRET_PASS,
    }
    answer = client.post(f"{API}/cameras", json=body, headers=keys.headers("operator"))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_credentials_are_never_returned_and_stored_encrypted(client: TestClient, keys: Keys, engine: Engine) -> None:
    made = _create(client, keys)
    assert made["has_username"] is True and made["has_password"] is True
    listed = client.get(f"{API}/cameras", headers=keys.headers("operator")).text
    one = client.get(f"{API}/cameras/{made['id']}", headers=keys.headers("officer")).text
    for text in (str(made), listed, one):
        assert SECRET_USER not in text and SECRET_PASS not in text
    with Session(engine) as session:
        row = session.scalar(select(CameraRow))
        assert row is not None and row.password_enc is not None
        assert SECRET_PASS.encode() not in row.password_enc
        assert camera_credentials(session, row.id) == ("rtsp://10.0.0.5/stream1", SECRET_USER, SECRET_PASS)


def test_every_credential_change_is_recorded(client: TestClient, keys: Keys) -> None:
    made = _create(client, keys)
    op = keys.headers("operator")
    path = f"{API}/cameras/{made['id']}"
    client.patch(path, json={"lane": "lane-2"}, headers=op)  # not a credential
    client.patch(path, json={"password": SECRET_PASS}, headers=op)  # same password: no change
    client.patch(path, json={"password": "n3w-secret"}, headers=op)
    client.patch(path, json={"url": "rtsp://10.0.0.6/stream1", "username": "other"}, headers=op)
    client.patch(path, json={"username": ""}, headers=op)  # cleared
    changes = client.get(f"{path}/credential-changes", headers=op).json()
    assert [c["fields"] for c in changes] == [
        ["url", "username", "password"],
        ["password"],
        ["url", "username"],
        ["username"],
    ]
    assert changes[2]["old_url"] == "rtsp://10.0.0.5/stream1" and changes[2]["new_url"] == "rtsp://10.0.0.6/stream1"
    assert all(c["changed_by"].endswith("test operator") for c in changes)
    assert "n3w-secret" not in str(changes)
    current = client.get(path, headers=op).json()
    assert current["lane"] == "lane-2" and current["has_username"] is False and current["has_password"] is True


def test_health_reports_uptime_and_frames(client: TestClient, keys: Keys, engine: Engine) -> None:
    made = _create(client, keys)
    now = utcnow()
    with Session(engine) as session:
        for i, up in enumerate((True, True, True, False)):
            record_heartbeat(
                session,
                "lane1-plate",
                at=now - timedelta(minutes=10 * i),
                up=up,
                frames=100 if up else 0,
                last_frame_at=now - timedelta(minutes=10 * i) if up else None,
            )
        session.commit()
    health = client.get(f"{API}/cameras/{made['id']}/health", headers=keys.headers("officer")).json()
    assert health["samples"] == 4 and health["uptime"] == 0.75 and health["frames"] == 300
    assert health["camera"]["frames_processed"] == 300
