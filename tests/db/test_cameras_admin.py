"""Cameras (credentials, change records, health), audit log, API keys and webhooks on real databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from db_builders import T0, make_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from anpr.errors import ConflictError, InvalidInputError, NotFoundError
from db.config import DbSettings
from db.models import CameraRow
from db.repositories.admin import (
    append_audit,
    append_audit_rows,
    create_api_key,
    create_webhook,
    due_deliveries,
    enqueue_deliveries,
    find_api_key,
    hash_api_key,
    list_api_keys,
    list_audit,
    record_attempt,
    revoke_api_key,
    set_webhook_active,
    touch_api_key,
)
from db.repositories.cameras import (
    CameraPatch,
    camera_credentials,
    camera_health,
    create_camera,
    credential_changes,
    get_camera,
    legibility,
    list_cameras,
    mark_notified,
    oldest_evidence,
    record_heartbeat,
    update_camera,
)
from db.services import store_event


def _camera(session: Session, name: str = "gate1-plate", **extra: str) -> int:
    view = create_camera(session, name=name, lane="lane-1", role="plate", direction="in", actor="op", now=T0, **extra)
    session.commit()
    return view.id


def test_credentials_are_encrypted_and_never_returned(session: Session) -> None:
    camera_id = _camera(session, url="rtsp://10.0.0.5/stream1", username="admin", password="s3cret!")
    view = get_camera(session, camera_id)
    assert view.has_username and view.has_password and view.url == "rtsp://10.0.0.5/stream1"
    assert "s3cret" not in repr(view)
    stored = session.scalars(select(CameraRow)).one()
    assert stored.password_enc is not None and b"s3cret" not in stored.password_enc
    assert camera_credentials(session, camera_id) == ("rtsp://10.0.0.5/stream1", "admin", "s3cret!")


def test_every_credential_change_is_recorded(session: Session) -> None:
    camera_id = _camera(session, url="rtsp://10.0.0.5/a", username="admin", password="one")
    update_camera(session, camera_id, CameraPatch(password="two"), actor="op2", now=T0 + timedelta(days=1))
    update_camera(session, camera_id, CameraPatch(password="two", lane="lane-2"), actor="op2", now=T0)  # no change
    update_camera(session, camera_id, CameraPatch(url="rtsp://10.0.0.6/a", username=""), actor="op3", now=T0)
    session.commit()
    changes = credential_changes(session, camera_id=camera_id)
    assert [(c.fields, c.changed_by) for c in changes] == [
        (("url", "username", "password"), "op"),
        (("password",), "op2"),
        (("url", "username"), "op3"),
    ]
    assert (changes[2].old_url, changes[2].new_url) == ("rtsp://10.0.0.5/a", "rtsp://10.0.0.6/a")
    assert get_camera(session, camera_id).lane == "lane-2"
    assert not get_camera(session, camera_id).has_username
    assert mark_notified(session, [changes[0].id], T0) == 1
    session.commit()
    assert [c.id for c in credential_changes(session, unnotified=True)] == [changes[1].id, changes[2].id]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"url": "rtsp://admin:pw@10.0.0.5/s"}, "must not embed credentials"),
        ({"url": "ftp://10.0.0.5/s"}, "scheme"),
        ({"name": "../etc"}, "camera name"),
        ({"direction": "up"}, "direction"),
    ],
)
def test_bad_camera_input_is_refused(session: Session, extra: dict[str, str], message: str) -> None:
    args = {"name": "cam", "lane": "l1", "role": "plate", "direction": "in", **extra}
    with pytest.raises(InvalidInputError, match=message):
        create_camera(session, actor="op", now=T0, **args)  # type: ignore[arg-type]
    session.rollback()
    assert list_cameras(session) == []


def test_camera_names_are_unique(session: Session) -> None:
    _camera(session, "cam-a")
    other = _camera(session, "cam-b")
    with pytest.raises(ConflictError):
        create_camera(session, name="cam-a", lane="l", role="r", direction="in", actor="op", now=T0)
    with pytest.raises(ConflictError):
        update_camera(session, other, CameraPatch(name="cam-a"), actor="op", now=T0)
    with pytest.raises(NotFoundError):
        update_camera(session, 999, CameraPatch(lane="x"), actor="op", now=T0)


def test_heartbeats_give_uptime_and_counters(session: Session) -> None:
    camera_id = _camera(session, "cam-a")
    for minute in range(10):
        record_heartbeat(
            session,
            "cam-a",
            at=T0 + timedelta(minutes=minute),
            up=minute != 3,
            frames=0 if minute == 3 else 600,
            last_frame_at=T0 + timedelta(minutes=minute),
        )
    session.commit()
    health = camera_health(session, camera_id, T0, T0 + timedelta(hours=1))
    assert (health.samples, health.up_samples, health.frames, health.uptime) == (10, 9, 5400, 0.9)
    assert health.camera.frames_processed == 5400 and health.camera.last_frame_at == T0 + timedelta(minutes=9)
    assert camera_health(session, camera_id, T0 - timedelta(days=2), T0 - timedelta(days=1)).uptime is None
    with pytest.raises(NotFoundError):
        record_heartbeat(session, "ghost", at=T0, up=True)


def test_legibility_and_oldest_evidence(session: Session, settings: DbSettings) -> None:
    store_event(session, make_event("e1"), settings=settings, now=T0)
    store_event(
        session, make_event("e2", plate="XX", plate_valid=False, at=T0 + timedelta(hours=1)), settings=settings, now=T0
    )
    assert legibility(session, "cam-a", T0 - timedelta(days=1), T0 + timedelta(days=1)) == (2, 1)
    assert oldest_evidence(session) == T0
    assert oldest_evidence(session, "cam-a") == T0
    assert oldest_evidence(session, "cam-z") is None


def test_audit_log_is_append_and_list(session: Session) -> None:
    for i in range(5):
        append_audit(
            session,
            actor="officer-1" if i % 2 else "admin",
            action="query",
            target=f"/vehicles/{i}",
            at=T0 + timedelta(minutes=i),
            details={"i": i},
        )
    session.commit()
    page = list_audit(session, limit=2)
    assert [e.target for e in page.items] == ["/vehicles/4", "/vehicles/3"]
    rest = list_audit(session, limit=10, cursor=page.next_cursor)
    assert [e.details["i"] for e in rest.items] == [2, 1, 0] and rest.next_cursor is None
    assert [e.target for e in list_audit(session, actor="officer-1").items] == ["/vehicles/3", "/vehicles/1"]


def test_a_batch_of_audit_rows_reads_back_as_one_at_a_time(session: Session) -> None:
    """The writer's batches (COPY on PostgreSQL) store what single rows (INSERT) store."""
    rows = [
        {
            "actor": f"key:{i}:Trạm cân",
            "action": "GET /api/v1/vehicles/{plate}/entries",
            "target": f"/api/v1/vehicles/51C-123.{i:02d}/entries?q=a\tb\n'" + "x" * (600 if i == 0 else 0),
            "at": T0 + timedelta(seconds=i),
            "details": {"role": "officer", "results": i, "note": 'Đ \\ "quoted"', "none": None},
        }
        for i in range(50)
    ]
    append_audit_rows(session, rows)
    append_audit(session, **{**rows[7], "at": T0 - timedelta(days=1)})  # one row: the INSERT path
    session.commit()
    stored = list(reversed(list_audit(session, limit=100).items))
    single, batch = stored[0], stored[1:]
    assert [e.actor for e in batch] == [r["actor"] for r in rows]
    assert [e.at for e in batch] == [r["at"] for r in rows]
    assert [e.details for e in batch] == [r["details"] for r in rows]
    assert batch[0].target == rows[0]["target"][:512]
    assert [e.target for e in batch[1:]] == [r["target"] for r in rows[1:]]
    assert (single.actor, single.action, single.target, single.details) == (
        batch[7].actor, batch[7].action, batch[7].target, batch[7].details,
    )  # fmt: skip


def test_api_keys_are_found_by_hash_only_while_active(session: Session) -> None:
    key = "anpr_live_0123456789abcdef0123456789abcdef"
    view = create_api_key(
        session, name="officer desk", role="officer", key_hash=hash_api_key(key), prefix=key[:12], now=T0
    )
    session.commit()
    assert find_api_key(session, hash_api_key(key)) == view
    assert find_api_key(session, hash_api_key(key + "x")) is None
    touch_api_key(session, view.id, T0 + timedelta(minutes=1))
    revoke_api_key(session, view.id, T0 + timedelta(days=1))
    session.commit()
    assert find_api_key(session, hash_api_key(key)) is None
    revoked = find_api_key(session, hash_api_key(key), active_only=False)
    assert revoked is not None and not revoked.active and revoked.last_used_at == T0 + timedelta(minutes=1)
    assert [k.prefix for k in list_api_keys(session)] == [key[:12]]
    with pytest.raises(InvalidInputError, match="role"):
        create_api_key(session, name="x", role="root", key_hash="a" * 64, prefix="x", now=T0)


def test_webhook_deliveries_retry_with_backoff_then_fail(session: Session) -> None:
    hook = create_webhook(session, url="https://example.org/h", secret="k" * 20, events=["*"], actor="a", now=T0)
    assert enqueue_deliveries(session, "missing", {"ref": "1"}, T0) == 1
    session.commit()
    (delivery,) = due_deliveries(session, T0)
    assert (delivery.secret, delivery.url, delivery.payload) == ("k" * 20, "https://example.org/h", {"ref": "1"})
    assert record_attempt(session, delivery.id, ok=False, error="timeout", now=T0, max_attempts=2) == "pending"
    session.commit()
    assert due_deliveries(session, T0 + timedelta(seconds=29)) == []
    assert len(due_deliveries(session, T0 + timedelta(seconds=30))) == 1
    assert record_attempt(session, delivery.id, ok=False, error="500", now=T0, max_attempts=2) == "failed"
    set_webhook_active(session, hook.id, False)
    assert enqueue_deliveries(session, "missing", {}, T0) == 0
    with pytest.raises(InvalidInputError):
        create_webhook(session, url="file:///etc/passwd", secret="k" * 20, events=["*"], actor="a", now=T0)
    with pytest.raises(InvalidInputError):
        create_webhook(session, url="https://e.org", secret="short", events=["*"], actor="a", now=T0)
    with pytest.raises(InvalidInputError):
        create_webhook(session, url="https://e.org", secret="k" * 20, events=["matched"], actor="a", now=T0)
