"""Event queries for the API: by plate (exact or fuzzy), by container, by time, and event detail.

Lists are newest first with keyset pagination on ``(first_seen, row id)``:
pass the returned ``next_cursor`` back for the next page. Plate lookups use
the ``(text, seen_at)`` and ``(folded, seen_at)`` indexes of ``plate_reads``;
a fuzzy lookup reads the rows whose folded plate is within one edit of the
query's (:mod:`db.plate_keys`) and keeps those within the threshold of
:func:`anpr.plates.confusion_distance`. Nothing here commits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, selectinload

from anpr import containers as iso6346
from anpr.errors import InvalidInputError, NotFoundError
from anpr.plates import confusion_distance, normalize
from db.crosscheck import EventStatus
from db.models import ContainerReadRow, CrosscheckResultRow, EvidenceRow, GateEventRow, PlateReadRow
from db.plate_keys import lookup_keys
from db.sql import one_of, rows_for_keys
from db.views import (
    EventDetail,
    EventSummary,
    EvidenceView,
    Page,
    decode_cursor,
    encode_cursor,
    evidence_view,
    finding_view,
    gate_event,
    summary,
)

MAX_LIMIT = 500
DIRECTIONS = ("in", "out", "unknown")


@dataclass(frozen=True, slots=True)
class EventQuery:
    """Filters shared by every event list; times are tz-aware and inclusive."""

    start: datetime | None = None
    end: datetime | None = None
    direction: str | None = None
    status: str | None = None
    lane: str | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidInputError(f"{name} must carry a time zone")
        if self.start and self.end and self.end < self.start:
            raise InvalidInputError("end is before start")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise InvalidInputError(f"direction must be one of {list(DIRECTIONS)}")
        if self.status is not None and self.status not in {s.value for s in EventStatus}:
            raise InvalidInputError(f"status must be one of {[s.value for s in EventStatus]}")


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be an integer in 1..{MAX_LIMIT}")
    return limit


_PLATE_CHARS = re.compile(r"[A-Za-z0-9Đđ\s.\-/|·]{1,64}")


def normalize_plate(plate: str) -> str:
    """The searchable form of a plate typed any way (``51c-123.45`` -> ``51C12345``): letters,
    digits and the separators printed on plates only, 4-12 characters once separators are dropped."""
    norm = normalize(plate) if isinstance(plate, str) and _PLATE_CHARS.fullmatch(plate) else ""
    if not 4 <= len(norm) <= 12:
        raise InvalidInputError(f"not a plate: {plate!r} (4-12 letters and digits expected)")
    return norm


_CONTAINER_SHAPE = re.compile(r"[A-Z]{4}[0-9]{7}")


def normalize_container(number: str) -> str:
    """The searchable form of a container number: 4 letters and 7 digits once spacing is dropped
    (the check digit is not required, so misread numbers stored as read can be found too)."""
    norm = iso6346.normalize(number) if isinstance(number, str) else None
    if not norm or not _CONTAINER_SHAPE.fullmatch(norm):
        raise InvalidInputError(f"not a container number: {number!r} (4 letters and 7 digits expected)")
    return norm


def _filters(query: EventQuery, at: InstrumentedAttribute[datetime]) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if query.start is not None:
        out.append(at >= query.start)
    if query.end is not None:
        out.append(at <= query.end)
    if query.direction is not None:
        out.append(GateEventRow.direction == query.direction)
    if query.status is not None:
        out.append(GateEventRow.status == query.status)
    if query.lane is not None:
        out.append(GateEventRow.lane == query.lane)
    return out


def _after(cursor: str | None, at: Any, pk: Any) -> list[ColumnElement[bool]]:
    if cursor is None:
        return []
    when, last = decode_cursor(cursor)
    return [or_(at < when, and_(at == when, pk < last))]


@lru_cache(maxsize=4)
def _summary_statements(dialect: str) -> tuple[Select[*tuple[Any, ...]], Select[int, str]]:
    """The two Core queries behind a page of summaries, built once per dialect: events with their
    plate and trailer plate, and their containers."""
    plate, trailer = aliased(PlateReadRow), aliased(PlateReadRow)
    heads = (
        select(
            GateEventRow.id,
            GateEventRow.event_id,
            GateEventRow.lane,
            GateEventRow.direction,
            GateEventRow.first_seen,
            GateEventRow.last_seen,
            GateEventRow.status,
            GateEventRow.status_reason,
            GateEventRow.has_valid_read,
            plate.text,
            plate.formatted,
            trailer.text,
        )
        .outerjoin(plate, and_(plate.event_pk == GateEventRow.id, plate.slot == "plate"))
        .outerjoin(trailer, and_(trailer.event_pk == GateEventRow.id, trailer.slot == "trailer_plate"))
        .where(one_of(GateEventRow.id, "ids", dialect))
    )
    boxes = (
        select(ContainerReadRow.event_pk, ContainerReadRow.number)
        .where(one_of(ContainerReadRow.event_pk, "ids", dialect))
        .order_by(ContainerReadRow.event_pk, ContainerReadRow.position)
    )
    return heads, boxes


def _summaries(
    session: Session, ids: Sequence[int], extra: dict[int, tuple[float, str]] | None = None
) -> list[EventSummary]:
    """Summaries of the events ``ids``, in that order (two Core queries, no ORM objects: a list
    page is the hottest read of the API)."""
    if not ids:
        return []
    heads, boxes = _summary_statements(session.get_bind().dialect.name)
    conn, wanted = session.connection(), {"ids": list(ids)}
    containers: dict[int, list[str]] = {}
    for pk, number in conn.execute(boxes, wanted):
        containers.setdefault(pk, []).append(number)
    extra = extra or {}
    by_id: dict[int, EventSummary] = {}
    for pk, event_id, lane, direction, first, last, status, reason, valid, plate, formatted, trailer in conn.execute(
        heads, wanted
    ):
        distance, matched = extra.get(pk, (None, None))
        by_id[pk] = EventSummary(
            id=pk,
            event_id=event_id,
            lane=lane,
            direction=direction,
            first_seen=first,
            last_seen=last,
            status=status,
            status_reason=reason,
            plate=plate,
            plate_formatted=formatted,
            trailer_plate=trailer,
            containers=tuple(containers.get(pk, ())),
            has_valid_read=valid,
            distance=distance,
            matched_plate=matched,
        )
    return [by_id[i] for i in ids if i in by_id]


def _page(items: list[EventSummary], limit: int) -> Page[EventSummary]:
    if len(items) <= limit:
        return Page(items)
    last = items[limit - 1]
    return Page(items[:limit], encode_cursor(last.first_seen, last.id))


def list_events(
    session: Session, query: EventQuery | None = None, *, limit: int = 50, cursor: str | None = None
) -> Page[EventSummary]:
    """Events matching ``query``, newest first."""
    query, limit = query or EventQuery(), check_limit(limit)
    stmt = (
        select(GateEventRow.id)
        .where(*_filters(query, GateEventRow.first_seen), *_after(cursor, GateEventRow.first_seen, GateEventRow.id))
        .order_by(GateEventRow.first_seen.desc(), GateEventRow.id.desc())
        .limit(limit + 1)
    )
    return _page(_summaries(session, list(session.scalars(stmt))), limit)


def _by_read(
    read_pk: InstrumentedAttribute[int],
    read_at: InstrumentedAttribute[datetime],
    match: ColumnElement[bool],
    query: EventQuery,
    cursor: str | None,
) -> Select[int, datetime]:
    stmt = select(read_pk, read_at).where(match, *_filters(query, read_at), *_after(cursor, read_at, read_pk))
    if query.direction or query.status or query.lane:
        stmt = stmt.join(GateEventRow, GateEventRow.id == read_pk)
    return stmt.order_by(read_at.desc(), read_pk.desc())


def _dedupe(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def container_movements(
    session: Session, number: str, query: EventQuery | None = None, *, limit: int = 50, cursor: str | None = None
) -> Page[EventSummary]:
    """Passes of one container (exact number, any spelling), newest first."""
    query, limit, norm = query or EventQuery(), check_limit(limit), normalize_container(number)
    stmt = _by_read(ContainerReadRow.event_pk, ContainerReadRow.seen_at, ContainerReadRow.number == norm, query, cursor)
    ids = _dedupe([r[0] for r in session.execute(stmt.limit(limit + 2))])
    return _page(_summaries(session, ids[: limit + 1]), limit)


def events_by_plate(
    session: Session,
    plate: str,
    query: EventQuery | None = None,
    *,
    fuzzy: bool = False,
    threshold: float = 1.5,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[EventSummary]:
    """Passes of a vehicle, newest first. ``fuzzy`` also returns plates within ``threshold``
    (at most 1.5) of the query; each summary carries its ``distance`` and ``matched_plate``."""
    query, limit, norm = query or EventQuery(), check_limit(limit), normalize_plate(plate)
    if not fuzzy:
        stmt = _by_read(PlateReadRow.event_pk, PlateReadRow.seen_at, PlateReadRow.text == norm, query, cursor)
        ids = _dedupe([r[0] for r in session.execute(stmt.limit(limit + 2))])
        return _page(_summaries(session, ids[: limit + 1], {i: (0.0, norm) for i in ids}), limit)
    if not 0 <= threshold <= 1.5:
        raise InvalidInputError("fuzzy threshold must be in [0, 1.5]")
    found = _fuzzy_hits(session, norm, threshold, query, cursor, limit)
    return _page(_summaries(session, list(found), found), limit)


def _fuzzy_hits(
    session: Session, norm: str, threshold: float, query: EventQuery, cursor: str | None, limit: int
) -> dict[int, tuple[float, str]]:
    """Up to ``limit + 1`` events, newest first, whose plate is within ``threshold`` of ``norm``.

    On PostgreSQL each folded key is read with its own index scan, newest
    first and at most ``per_key`` rows; if a key filled its quota before enough
    hits were found, the scan is repeated with a larger quota, so the result
    is exact."""
    dialect = session.get_bind().dialect.name
    base = _by_read(PlateReadRow.event_pk, PlateReadRow.seen_at, true(), query, cursor).with_only_columns(
        PlateReadRow.event_pk, PlateReadRow.seen_at, PlateReadRow.text, PlateReadRow.folded
    )
    params = {"keys": sorted(lookup_keys(norm, threshold))}
    distances: dict[str, float] = {}
    per_key = limit + 1
    while True:
        scan = rows_for_keys(
            base, PlateReadRow.folded, "keys", dialect, per_key_limit=per_key, newest_first=("seen_at", "event_pk")
        )
        rows = session.execute(scan, params).all()
        found: dict[int, tuple[float, str]] = {}
        for pk, _at, text, _folded in rows:
            d = distances.setdefault(text, confusion_distance(norm, text))
            if d <= threshold and (pk not in found or d < found[pk][0]):
                found[pk] = (d, text)
                if len(found) > limit:
                    return found
        saturated = dialect == "postgresql" and max(Counter(r[3] for r in rows).values(), default=0) >= per_key
        if not saturated:
            return found
        per_key *= 4


def plate_suggestions(
    session: Session, plate: str, threshold: float = 1.5, limit: int = 10
) -> list[tuple[str, float, int]]:
    """Distinct stored plates within ``threshold`` of ``plate``: ``(text, distance, passes)``, closest first."""
    norm = normalize_plate(plate)
    dialect = session.get_bind().dialect.name
    hits = rows_for_keys(select(PlateReadRow.text), PlateReadRow.folded, "keys", dialect).subquery()
    stmt = select(hits.c.text, func.count()).group_by(hits.c.text)
    rows = session.execute(stmt, {"keys": sorted(lookup_keys(norm, threshold))})
    scored = [(text, confusion_distance(norm, text), int(n)) for text, n in rows]
    return sorted((s for s in scored if s[1] <= threshold), key=lambda s: (s[1], -s[2], s[0]))[:limit]


def _detail(session: Session, row: GateEventRow) -> EventDetail:
    findings = session.scalars(
        select(CrosscheckResultRow).where(CrosscheckResultRow.event_pk == row.id).order_by(CrosscheckResultRow.id)
    )
    return EventDetail(
        summary=summary(row),
        event=gate_event(row),
        evidence=tuple(evidence_view(e, row.event_id) for e in row.evidence),
        findings=tuple(finding_view(f) for f in findings),
        checked_at=row.checked_at,
    )


_FULL = (
    selectinload(GateEventRow.plates),
    selectinload(GateEventRow.containers),
    selectinload(GateEventRow.observations),
    selectinload(GateEventRow.evidence),
)


def get_event_detail(session: Session, event_id: str) -> EventDetail:
    """The event with its reads, observations, evidence and cross-check findings."""
    row = session.scalar(select(GateEventRow).where(GateEventRow.event_id == event_id).options(*_FULL))
    if row is None:
        raise NotFoundError(f"no event {event_id!r}")
    return _detail(session, row)


def event_details(session: Session, ids: Sequence[int]) -> list[EventDetail]:
    """Details of several events by row id (as in :attr:`EventSummary.id`), in the order given."""
    rows = {r.id: r for r in session.scalars(select(GateEventRow).where(GateEventRow.id.in_(ids)).options(*_FULL))}
    return [_detail(session, rows[i]) for i in ids if i in rows]


def get_evidence(session: Session, event_id: str, image_id: int) -> EvidenceView:
    """One evidence image of one event; an id of another event's image is not found."""
    row = session.scalar(
        select(EvidenceRow).join(GateEventRow).where(GateEventRow.event_id == event_id, EvidenceRow.id == image_id)
    )
    if row is None:
        raise NotFoundError(f"no image {image_id} on event {event_id!r}")
    return evidence_view(row, event_id)
