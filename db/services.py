"""Event ingestion: store a :class:`~anpr.events.GateEvent` once, then cross-check it.

Services own their transactions: each call commits what it did or rolls it
all back, so pass a session with nothing pending. Repositories
(:mod:`db.repositories`) never commit; their callers do.

:func:`store_event` is idempotent on ``event_id``: a retried event returns the
stored one (``created=False``), also when a concurrent retry wins the race
(``INSERT ... ON CONFLICT DO NOTHING`` on the unique ``event_id``, then the
winner is read back). The event, its reads, observations and evidence rows
are written with Core statements in one transaction, together with the
cross-check: one commit per event keeps ingest fast on PostgreSQL, where each
commit waits for the WAL to reach disk. A failing cross-check never loses the
event: the transaction is rolled back and the event stored again alone, as
``unchecked``, for :func:`db.checks.recheck_due` to pick up.

:func:`store_events` stores a batch the same way in one transaction (one
commit for all, the big cost on PostgreSQL); on any database error it rolls
the batch back and stores its events one by one with :func:`store_event`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError
from anpr.events import ContainerResult, GateEvent, ObservedRead, PlateResult
from anpr.review import plate_trust
from anpr.types import BBox
from db import checks
from db.candidates import facts_of
from db.config import DbSettings, get_db_settings
from db.crosscheck import EventStatus
from db.fuzzy_index import register as register_plates
from db.models import (
    ContainerReadRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
    PlateReadRow,
    utcnow,
)
from db.plate_keys import fold
from db.retention import add_months

log = logging.getLogger(__name__)

_LIMITS = {
    "lane": 64,
    "camera": 64,
    "plate": 32,
    "formatted": 64,
    "container": 16,
    "size_type": 8,
    "read": 64,
    "path": 512,
}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What :func:`store_event` did: the row id, the event's status, and whether it was new."""

    id: int
    event_id: str
    status: EventStatus
    created: bool


def _fits(kind: str, value: str, where: str) -> None:
    if len(value) > _LIMITS[kind]:
        raise InvalidInputError(f"{where}: longer than {_LIMITS[kind]} characters")


def validate_event(event: GateEvent) -> None:
    """Column limits the dataclass does not check (SQLite would not enforce them either)."""
    _fits("lane", event.lane, "event.lane")
    for name, plate in (("plate", event.plate), ("trailer_plate", event.trailer_plate)):
        if plate is not None:
            _fits("plate", plate.text, f"event.{name}.text")
            _fits("formatted", plate.formatted, f"event.{name}.formatted")
    for i, c in enumerate(event.containers):
        _fits("container", c.number, f"event.containers[{i}].number")
        if c.size_type is not None:
            _fits("size_type", c.size_type, f"event.containers[{i}].size_type")
    reads = [r for p in (event.plate, event.trailer_plate) if p for r in p.reads]
    reads += [r for c in event.containers for r in c.reads]
    for r in reads:
        _fits("camera", r.camera, "read.camera")
        _fits("read", r.text, "read.text")
    for i, e in enumerate(event.evidence):
        _fits("camera", e.camera, f"event.evidence[{i}].camera")
        _fits("path", e.path, f"event.evidence[{i}].path")


def _box(b: BBox | None) -> list[float] | None:
    return None if b is None else [b.x1, b.y1, b.x2, b.y2]


def _best(reads: tuple[ObservedRead, ...]) -> ObservedRead | None:
    return max(reads, key=lambda r: (r.valid, r.confidence), default=None)


def _event_values(event: GateEvent, now: datetime) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "lane": event.lane,
        "direction": event.direction.value,
        "first_seen": event.first_seen,
        "last_seen": event.last_seen,
        "status": EventStatus.UNCHECKED.value,
        "status_reason": "",
        "checked_at": None,
        "has_valid_read": event.has_valid_read,
        "cameras": list(event.cameras),
        "stored_at": now,
        # Copies of the reads' headline values (see GateEventRow): written once, with the reads.
        "plate_text": event.plate.text if event.plate else None,
        "plate_formatted": event.plate.formatted if event.plate else None,
        "trailer_plate_text": event.trailer_plate.text if event.trailer_plate else None,
        "first_container": event.containers[0].number if event.containers else None,
        "second_container": event.containers[1].number if len(event.containers) > 1 else None,
        # What the officers' review list compares (see GateEventRow and anpr.review.plate_trust).
        "plate_trust": plate_trust(event),
        "container_unverified": any(not c.check_digit_ok for c in event.containers),
        "reviewed_at": None,
    }


def _evidence_values(event: GateEvent, pk: int, months: int) -> list[dict[str, Any]]:
    return [
        {
            "event_pk": pk,
            "position": i,
            "camera": e.camera,
            "kind": e.kind.value,
            "path": e.path,
            "sha256": e.sha256,
            "size_bytes": e.size_bytes,
            "taken_at": e.taken_at,
            "retain_until": add_months(e.taken_at, months),
            "width": e.width,
            "height": e.height,
            "boxes": [_box(b) for b in e.boxes],
        }
        for i, e in enumerate(event.evidence)
    ]


def _best_values(reads: tuple[ObservedRead, ...], evidence: dict[str, int]) -> dict[str, Any]:
    best = _best(reads)
    if best is None:
        return {"camera": None, "bbox": None, "evidence_id": None}
    return {"camera": best.camera, "bbox": _box(best.bbox), "evidence_id": evidence.get(best.evidence_sha256 or "")}


def _observation_values(
    pk: int, target: str, position: int, reads: tuple[ObservedRead, ...], evidence: dict[str, int]
) -> list[dict[str, Any]]:
    return [
        {
            "event_pk": pk,
            "target": target,
            "position": position,
            "camera": r.camera,
            "timestamp": r.timestamp,
            "text": r.text,
            "confidence": r.confidence,
            "valid": r.valid,
            "bbox": _box(r.bbox),
            "evidence_sha256": r.evidence_sha256,
            "evidence_id": evidence.get(r.evidence_sha256 or ""),
        }
        for r in reads
    ]


def _plate_values(pk: int, slot: str, p: PlateResult, at: datetime, evidence: dict[str, int]) -> dict[str, Any]:
    return {
        "event_pk": pk,
        "slot": slot,
        "role": p.role.value,
        "text": p.text,
        "folded": fold(p.text),
        "formatted": p.formatted,
        "confidence": p.confidence,
        "valid": p.valid,
        "rows": p.rows,
        "seen_at": at,
        **_best_values(p.reads, evidence),
    }


def _container_values(pk: int, i: int, c: ContainerResult, at: datetime, evidence: dict[str, int]) -> dict[str, Any]:
    return {
        "event_pk": pk,
        "position": i,
        "number": c.number,
        "check_digit_ok": c.check_digit_ok,
        "confidence": c.confidence,
        "size_type": c.size_type,
        "orientation": c.orientation.value,
        "seen_at": at,
        **_best_values(c.reads, evidence),
    }


def _read_values(
    event: GateEvent, pk: int, evidence: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for plate_reads, container_reads and read_observations; ``evidence`` maps sha256 to row id."""
    plates, observations = [], []
    for slot, p in (("plate", event.plate), ("trailer_plate", event.trailer_plate)):
        if p is not None:
            plates.append(_plate_values(pk, slot, p, event.first_seen, evidence))
            observations += _observation_values(pk, slot, 0, p.reads, evidence)
    containers = []
    for i, c in enumerate(event.containers):
        containers.append(_container_values(pk, i, c, event.first_seen, evidence))
        observations += _observation_values(pk, "container", i, c.reads, evidence)
    return plates, containers, observations


def _insert_head(session: Session, event: GateEvent, now: datetime) -> int | None:
    """Insert the event row unless its ``event_id`` exists (then ``None``), in one statement: on
    PostgreSQL a concurrent insert of the same id is waited for, never duplicated."""
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(GateEventRow).on_conflict_do_nothing(
        index_elements=[GateEventRow.event_id]
    )
    pk = session.connection().execute(stmt.returning(GateEventRow.id), _event_values(event, now)).scalar()
    return None if pk is None else int(pk)


def insert_event(session: Session, event: GateEvent, retention_months: int, now: datetime) -> int | None:
    """Insert ``event`` with its evidence, reads and observations (Core executemany, no commit) and
    return the new row id, or ``None`` when the event_id is already stored. Much lighter than
    building an ORM graph for every pass."""
    pk = _insert_head(session, event, now)
    if pk is None:
        return None
    conn = session.connection()
    evidence: dict[str, int] = {}
    if event.evidence:
        stmt = insert(EvidenceRow).returning(EvidenceRow.id, sort_by_parameter_order=True)
        ids = conn.execute(stmt, _evidence_values(event, pk, retention_months)).scalars().all()
        for image, row_id in reversed(list(zip(event.evidence, ids, strict=True))):
            evidence[image.sha256] = row_id  # the first image wins when two share a hash
    plates, containers, observations = _read_values(event, pk, evidence)
    for model, rows in ((PlateReadRow, plates), (ContainerReadRow, containers), (ObservationRow, observations)):
        if rows:
            conn.execute(insert(model), rows)
    register_plates(conn, (p["folded"] for p in plates))
    return pk


def _stored(session: Session, event_id: str) -> StoredEvent:
    found = session.execute(select(GateEventRow.id, GateEventRow.status).where(GateEventRow.event_id == event_id)).one()
    return StoredEvent(found.id, event_id, EventStatus(found.status), created=False)


def _existing(session: Session, event_id: str) -> StoredEvent:
    stored = _stored(session, event_id)
    session.rollback()
    return stored


def _insert(session: Session, event: GateEvent, settings: DbSettings, now: datetime) -> int | None:
    try:
        return insert_event(session, event, settings.retention_months, now)
    except (IntegrityError, DataError) as exc:  # a CHECK or limit the database enforces: nothing is kept
        session.rollback()
        raise InvalidInputError(f"event {event.event_id} rejected by the database: {exc.orig}") from exc
    except SQLAlchemyError:  # the database is unavailable or locked: not the event's fault, let it surface
        session.rollback()
        raise


def store_event(
    session: Session, event: GateEvent, *, settings: DbSettings | None = None, now: datetime | None = None
) -> StoredEvent:
    """Store ``event`` once and cross-check it, in one transaction; a retry returns the stored event.

    Raises :class:`~anpr.errors.InvalidInputError` when the database refuses the
    event (nothing of it is kept).
    """
    settings = settings or get_db_settings()
    validate_event(event)
    now = now or utcnow()
    pk = _insert(session, event, settings, now)
    if pk is None:
        session.rollback()
        return _existing(session, event.event_id)
    try:
        status = checks.after_event_stored(session, pk, settings=settings, now=now, facts=facts_of(event))
        session.commit()
    except SQLAlchemyError:
        # The cross-check failed: store the event alone, as unchecked; `anpr db recheck` retries the check.
        log.exception("cross-check of event %s failed; storing it unchecked", event.event_id)
        session.rollback()
        pk = _insert(session, event, settings, now)
        session.commit()
        if pk is None:
            return _existing(session, event.event_id)
        status = EventStatus.UNCHECKED
    return StoredEvent(pk, event.event_id, status, created=True)


def store_events(
    session: Session,
    events: Sequence[GateEvent],
    *,
    settings: DbSettings | None = None,
    now: datetime | None = None,
) -> list[StoredEvent]:
    """Store and cross-check ``events`` in one transaction, in order; as :func:`store_event` for each
    (a retried or repeated ``event_id`` returns the stored event with ``created=False``).

    Raises :class:`~anpr.errors.InvalidInputError` before writing anything when an
    event breaks a column limit. When the database refuses the batch (a constraint, a
    failing cross-check), it is rolled back and its events are stored one by one with
    :func:`store_event`, each in its own transaction.
    """
    settings = settings or get_db_settings()
    for event in events:
        validate_event(event)
    now = now or utcnow()
    out: list[StoredEvent] = []
    try:
        for event in events:
            pk = insert_event(session, event, settings.retention_months, now)
            if pk is None:
                out.append(_stored(session, event.event_id))
                continue
            status = checks.after_event_stored(session, pk, settings=settings, now=now, facts=facts_of(event))
            out.append(StoredEvent(pk, event.event_id, status, created=True))
        session.commit()
    except SQLAlchemyError:
        log.exception("batch of %d events failed; storing them one by one", len(events))
        session.rollback()
        return [store_event(session, event, settings=settings, now=now) for event in events]
    return out
