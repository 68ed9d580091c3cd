"""Cameras: registration, updates with a credential-change record, heartbeats and health.

Credentials (user, password) are write-only: they are stored encrypted
(:mod:`db.crypto`) and :class:`CameraView` only says whether they are set.
URLs must not embed credentials. Every change of URL, user or password (the
first registration included) adds a :class:`~db.models.CameraCredentialChangeRow`
for the written notice to Customs. Nothing here commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anpr.errors import ConflictError, InvalidInputError, NotFoundError
from db.crypto import decrypt, encrypt
from db.models import (
    CameraCredentialChangeRow,
    CameraHealthSampleRow,
    CameraRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
)
from db.repositories.events import latest_review

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")


@dataclass(frozen=True, slots=True)
class CameraView:
    id: int
    name: str
    lane: str
    role: str
    direction: str
    url: str | None
    has_username: bool
    has_password: bool
    enabled: bool
    frames_processed: int
    last_frame_at: datetime | None
    last_heartbeat_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CameraPatch:
    """A partial update: ``None`` leaves a field alone; ``""`` clears url, username or password."""

    name: str | None = None
    lane: str | None = None
    role: str | None = None
    direction: str | None = None
    url: str | None = None
    username: str | None = None
    password: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class CredentialChange:
    id: int
    camera_id: int | None
    camera_name: str
    changed_at: datetime
    changed_by: str
    fields: tuple[str, ...]
    old_url: str | None
    new_url: str | None
    notified_at: datetime | None


@dataclass(frozen=True, slots=True)
class CameraHealth:
    """Health over ``[start, end]``: ``uptime`` is the share of heartbeats that were up (None: no data)."""

    camera: CameraView
    samples: int
    up_samples: int
    frames: int
    uptime: float | None


def _view(row: CameraRow) -> CameraView:
    return CameraView(
        id=row.id,
        name=row.name,
        lane=row.lane,
        role=row.role,
        direction=row.direction,
        url=row.url,
        has_username=row.username_enc is not None,
        has_password=row.password_enc is not None,
        enabled=row.enabled,
        frames_processed=row.frames_processed,
        last_frame_at=row.last_frame_at,
        last_heartbeat_at=row.last_heartbeat_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _text(value: str, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInputError(f"camera {name} must be 1-{limit} characters")
    return value.strip()


def _check_url(url: str) -> str | None:
    if url == "":
        return None
    if not isinstance(url, str) or len(url) > 1024:
        raise InvalidInputError("camera url must be at most 1024 characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        raise InvalidInputError(f"camera url scheme must be one of {list(_SCHEMES)}")
    if parts.username or parts.password:
        raise InvalidInputError("camera url must not embed credentials; set username and password instead")
    return url


def _check(patch: CameraPatch) -> None:
    if patch.name is not None and not _NAME.fullmatch(patch.name):
        raise InvalidInputError("camera name: 1-64 of A-Z a-z 0-9 . _ - (starting with a letter or digit)")
    if patch.lane is not None:
        _text(patch.lane, "lane", 64)
    if patch.role is not None:
        _text(patch.role, "role", 32)
    if patch.direction is not None and patch.direction not in ("in", "out", "unknown"):
        raise InvalidInputError("camera direction must be in, out or unknown")
    for name, secret in (("username", patch.username), ("password", patch.password)):
        if secret is not None and len(secret) > 256:
            raise InvalidInputError(f"camera {name} must be at most 256 characters")
    if patch.url is not None:
        _check_url(patch.url)


def _secret(value: str) -> bytes | None:
    return encrypt(value) if value else None


def _apply(session: Session, row: CameraRow, patch: CameraPatch, actor: str, now: datetime) -> None:
    changed: list[str] = []
    old_url = row.url
    if patch.url is not None and _check_url(patch.url) != row.url:
        row.url = _check_url(patch.url)
        changed.append("url")
    for name in ("username", "password"):
        value = getattr(patch, name)
        if value is None:
            continue
        current = getattr(row, f"{name}_enc")
        if (current is None and value == "") or (current is not None and value and decrypt(current) == value):
            continue
        setattr(row, f"{name}_enc", _secret(value))
        changed.append(name)
    for name in ("name", "lane", "role", "direction", "enabled"):
        value = getattr(patch, name)
        if value is not None:
            setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.updated_at = now
    if changed:
        session.add(
            CameraCredentialChangeRow(
                camera_id=row.id,
                camera_name=row.name,
                changed_at=now,
                changed_by=actor[:128],
                fields=changed,
                old_url=old_url,
                new_url=row.url,
            )
        )


def _unique_name(session: Session, name: str, other_than: int | None = None) -> None:
    found = session.scalar(select(CameraRow.id).where(CameraRow.name == name))
    if found is not None and found != other_than:
        raise ConflictError(f"a camera named {name!r} already exists")


def create_camera(
    session: Session,
    *,
    name: str,
    lane: str,
    role: str,
    direction: str,
    actor: str,
    now: datetime,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    enabled: bool = True,
) -> CameraView:
    """Register a camera; any URL or credential given is recorded as a credential change."""
    patch = CameraPatch(name, lane, role, direction, url, username, password, enabled)
    _check(patch)
    _unique_name(session, name)
    row = CameraRow(
        name=name,
        lane=lane.strip(),
        role=role.strip(),
        direction=direction,
        enabled=enabled,
        frames_processed=0,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _apply(session, row, patch, actor, now)
    session.flush()
    return _view(row)


def _row(session: Session, camera_id: int) -> CameraRow:
    row = session.get(CameraRow, camera_id)
    if row is None:
        raise NotFoundError(f"no camera {camera_id}")
    return row


def update_camera(session: Session, camera_id: int, patch: CameraPatch, *, actor: str, now: datetime) -> CameraView:
    """Apply ``patch``; a change of url, username or password adds a credential-change record."""
    _check(patch)
    row = _row(session, camera_id)
    if patch.name is not None:
        _unique_name(session, patch.name, other_than=camera_id)
    _apply(session, row, patch, actor, now)
    session.flush()
    return _view(row)


def get_camera(session: Session, camera_id: int) -> CameraView:
    return _view(_row(session, camera_id))


def list_cameras(session: Session) -> list[CameraView]:
    return [_view(r) for r in session.scalars(select(CameraRow).order_by(CameraRow.lane, CameraRow.name))]


def camera_credentials(session: Session, camera_id: int) -> tuple[str | None, str | None, str | None]:
    """``(url, username, password)`` decrypted, for the process that connects to the camera."""
    row = _row(session, camera_id)
    return (
        row.url,
        decrypt(row.username_enc) if row.username_enc else None,
        decrypt(row.password_enc) if row.password_enc else None,
    )


def credential_changes(
    session: Session, *, camera_id: int | None = None, unnotified: bool = False
) -> list[CredentialChange]:
    """Credential-change records, oldest first (``unnotified``: not yet reported to Customs)."""
    stmt = select(CameraCredentialChangeRow).order_by(CameraCredentialChangeRow.id)
    if camera_id is not None:
        stmt = stmt.where(CameraCredentialChangeRow.camera_id == camera_id)
    if unnotified:
        stmt = stmt.where(CameraCredentialChangeRow.notified_at.is_(None))
    return [
        CredentialChange(
            r.id,
            r.camera_id,
            r.camera_name,
            r.changed_at,
            r.changed_by,
            tuple(r.fields),
            r.old_url,
            r.new_url,
            r.notified_at,
        )
        for r in session.scalars(stmt)
    ]


def mark_notified(session: Session, change_ids: list[int], at: datetime) -> int:
    rows = list(session.scalars(select(CameraCredentialChangeRow).where(CameraCredentialChangeRow.id.in_(change_ids))))
    for r in rows:
        r.notified_at = at
    return len(rows)


def record_heartbeat(
    session: Session,
    camera_name: str,
    *,
    at: datetime,
    up: bool,
    frames: int = 0,
    last_frame_at: datetime | None = None,
) -> None:
    """Add a health sample for the named camera and advance its counters."""
    if frames < 0:
        raise InvalidInputError("frames must not be negative")
    row = session.scalar(select(CameraRow).where(CameraRow.name == camera_name))
    if row is None:
        raise NotFoundError(f"no camera named {camera_name!r}")
    session.add(CameraHealthSampleRow(camera_id=row.id, at=at, up=up, frames=frames))
    row.frames_processed += frames
    row.last_heartbeat_at = at
    if last_frame_at is not None and (row.last_frame_at is None or last_frame_at > row.last_frame_at):
        row.last_frame_at = last_frame_at


def camera_health(session: Session, camera_id: int, start: datetime, end: datetime) -> CameraHealth:
    row = _row(session, camera_id)
    samples, up, frames = session.execute(
        select(
            func.count(CameraHealthSampleRow.id),
            func.count(CameraHealthSampleRow.id).filter(CameraHealthSampleRow.up),
            func.coalesce(func.sum(CameraHealthSampleRow.frames), 0),
        ).where(CameraHealthSampleRow.camera_id == camera_id, CameraHealthSampleRow.at.between(start, end))
    ).one()
    return CameraHealth(_view(row), int(samples), int(up), int(frames), (up / samples) if samples else None)


def oldest_evidence(session: Session, camera_name: str | None = None) -> datetime | None:
    """Capture time of the oldest evidence image still stored (for one camera, or any)."""
    stmt = select(func.min(EvidenceRow.taken_at))
    if camera_name is not None:
        stmt = stmt.where(EvidenceRow.camera == camera_name)
    value = session.scalar(stmt)
    return value if isinstance(value, datetime) else None


def officer_looks(session: Session, lane: str, start: datetime, end: datetime) -> tuple[int, int]:
    """``(passes reviewed, passes whose latest review found the evidence illegible)`` among the
    passes through ``lane`` in ``[start, end]``: legibility as officers judged it. Counted per lane,
    not per camera: a camera that could read nothing in a pass left no read to tie the verdict to."""
    verdicts = (
        select(latest_review(GateEventRow.id, "verdict").label("verdict"))
        .where(GateEventRow.lane == lane, GateEventRow.first_seen.between(start, end))
        .subquery()
    )
    reviewed, illegible = session.execute(
        select(func.count(verdicts.c.verdict), func.count(verdicts.c.verdict).filter(verdicts.c.verdict == "illegible"))
    ).one()
    return int(reviewed), int(illegible)


def legibility(session: Session, camera_name: str, start: datetime, end: datetime) -> tuple[int, int]:
    """``(passes, passes with a valid read)`` among events the camera read something in, in ``[start, end]``."""
    seen = (
        select(ObservationRow.event_pk)
        .where(ObservationRow.camera == camera_name, ObservationRow.timestamp.between(start, end))
        .distinct()
        .subquery()
    )
    total, valid = session.execute(
        select(func.count(GateEventRow.id), func.count(GateEventRow.id).filter(GateEventRow.has_valid_read)).where(
            GateEventRow.id.in_(select(seen.c.event_pk))
        )
    ).one()
    return int(total), int(valid)
