"""Event queries for the API: by plate (exact or fuzzy), by container, by time, and event detail.

Lists are newest first with keyset pagination on ``(first_seen, row id)``:
pass the returned ``next_cursor`` back for the next page. Plate lookups use
the ``(text, seen_at)`` and ``(folded, seen_at)`` indexes of ``plate_reads``;
a fuzzy lookup reads the rows whose folded plate shares a deletion key with the
query's (:mod:`db.plate_keys`, :mod:`db.fuzzy_index`) and keeps those within the
threshold of :func:`anpr.plates.confusion_distance`. Nothing here commits.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, Subquery, and_, bindparam, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased, selectinload

from anpr import containers as iso6346
from anpr.errors import InvalidInputError, NotFoundError
from anpr.plates import confusion_distance, normalize
from anpr.review import check_threshold
from db import direct
from db.crosscheck import EventStatus
from db.direct import Db, connection_of
from db.fuzzy_index import plates_under
from db.models import (
    ContainerReadRow,
    CrosscheckResultRow,
    EventReviewRow,
    EvidenceRow,
    GateEventRow,
    PlateReadRow,
    ReviewContainerRow,
)
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
    review_view,
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
    review_below: float | None = None
    """Only the events an officer should review at this plate-confidence threshold
    (:func:`anpr.review.review_reasons`, the same rules as SQL) and no officer has reviewed yet."""

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
        if self.review_below is not None:
            check_threshold(self.review_below)


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


_EVENT_FILTERS = ("direction", "status", "lane")


def _bound(query: EventQuery, cursor: str | None, **values: Any) -> dict[str, Any]:
    """A list's parameters by bind name: ``values``, the filters of ``query`` that are set, and the
    position after ``cursor``. Which filter names are present picks the list's cached statement."""
    params = dict(values)
    for name in ("start", "end", "review_below", *_EVENT_FILTERS):
        value = getattr(query, name)
        if value is not None:
            params[name] = value
    if cursor is not None:
        params["after_at"], params["after_pk"] = decode_cursor(cursor)
    return params


def _filter_names(params: dict[str, Any]) -> frozenset[str]:
    return frozenset(params).intersection(("start", "end", "after_at", "review_below", *_EVENT_FILTERS))


def _filters(names: frozenset[str], at: Any, pk: Any) -> list[ColumnElement[bool]]:
    """The WHERE terms of the filters ``names``, each a bound parameter of the same name."""
    out: list[ColumnElement[bool]] = []
    if "start" in names:
        out.append(at >= bindparam("start"))
    if "end" in names:
        out.append(at <= bindparam("end"))
    out.extend(getattr(GateEventRow, name) == bindparam(name) for name in _EVENT_FILTERS if name in names)
    if "review_below" in names:
        out.append(_needs_review())
    if "after_at" in names:
        out.append(or_(at < bindparam("after_at"), and_(at == bindparam("after_at"), pk < bindparam("after_pk"))))
    return out


def _needs_review() -> ColumnElement[bool]:
    """Whether an event needs review at the bound ``review_below``: the rules of
    :func:`anpr.review.review_reasons` (no plate; a plate invalid or under the threshold; a
    container number failing its check digit), and no officer has looked at it yet. Columns of
    the event row, copied at insert (:func:`anpr.review.plate_trust`) and set by a review, so a
    newest-first scan tests each event without a lookup."""
    below = bindparam("review_below", type_=Float)
    doubtful = or_(GateEventRow.plate_trust < below, GateEventRow.container_unverified.is_(True))
    return and_(doubtful, GateEventRow.reviewed_at.is_(None))


def _summary_select(dialect: str, hits: Subquery | None = None) -> Select[*tuple[Any, ...]]:
    """Events with their plate, trailer plate and containers (copied onto the event row at insert):
    those of ``hits`` (event id and time columns first), newest first, or without ``hits`` those
    whose ids are bound as ``ids``."""
    stmt = select(
        GateEventRow.id,
        GateEventRow.event_id,
        GateEventRow.lane,
        GateEventRow.direction,
        GateEventRow.first_seen,
        GateEventRow.last_seen,
        GateEventRow.status,
        GateEventRow.status_reason,
        GateEventRow.has_valid_read,
        GateEventRow.plate_text,
        GateEventRow.plate_formatted,
        GateEventRow.trailer_plate_text,
        GateEventRow.first_container,
        GateEventRow.second_container,
    )
    if hits is None:
        return stmt.where(one_of(GateEventRow.id, "ids", dialect))
    hit_pk, hit_at = hits.c[0], hits.c[1]
    return stmt.select_from(hits).join(GateEventRow, GateEventRow.id == hit_pk).order_by(hit_at.desc(), hit_pk.desc())


@lru_cache(maxsize=4)
def _summary_statement(dialect: str) -> Select[*tuple[Any, ...]]:
    return _summary_select(dialect)


@lru_cache(maxsize=256)
def _page_statement(dialect: str, scan: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
    """The summaries of what ``scan`` (a cached statement) finds, in one statement: one round trip."""
    return _summary_select(dialect, scan.subquery("hits"))


Match = tuple[float | None, str | None]
"""A summary's ``distance`` to the searched plate and the ``matched_plate``."""
NO_MATCH: Match = (None, None)


def _summary(row: Sequence[Any], match: Match = NO_MATCH) -> EventSummary:
    """The summary in a row of :func:`_summary_select`, with its ``match`` to the searched plate."""
    pk, event_id, lane, direction, first, last, status, reason, valid, plate, formatted, trailer, *boxes = row
    distance, matched = match
    return EventSummary(
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
        containers=tuple(number for number in boxes if number is not None),
        has_valid_read=valid,
        distance=distance,
        matched_plate=matched,
    )


def _summaries(db: Db, ids: Sequence[int], extra: dict[int, tuple[float, str]] | None = None) -> list[EventSummary]:
    """Summaries of the events ``ids``, in that order (one statement, run directly: :mod:`db.direct`)."""
    if not ids:
        return []
    connection = connection_of(db)
    rows = direct.rows(connection, _summary_statement(connection.dialect.name), {"ids": list(ids)})
    extra = extra or {}
    by_id = {row[0]: _summary(row, extra.get(row[0], NO_MATCH)) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _scanned(
    db: Db, scan: Select[*tuple[Any, ...]], params: dict[str, Any], match: Match = NO_MATCH
) -> list[EventSummary]:
    """Summaries of the events ``scan`` finds with ``params``, in its order, each once (a list
    page is the hottest read of the API: one statement, run directly: :mod:`db.direct`)."""
    connection = connection_of(db)
    found: dict[int, EventSummary] = {}
    for row in direct.rows(connection, _page_statement(connection.dialect.name, scan), params):
        if row[0] not in found:
            found[row[0]] = _summary(row, match)
    return list(found.values())


def _page(items: list[EventSummary], limit: int) -> Page[EventSummary]:
    if len(items) <= limit:
        return Page(items)
    last = items[limit - 1]
    return Page(items[:limit], encode_cursor(last.first_seen, last.id))


@lru_cache(maxsize=64)
def _event_scan(names: frozenset[str]) -> Select[int, datetime]:
    """Event ids newest first, with the filters ``names``; built once per combination of filters
    (building and keying a statement costs more than running it on a warm index)."""
    at = GateEventRow.first_seen
    return (
        select(GateEventRow.id, at)
        .where(*_filters(names, at, GateEventRow.id))
        .order_by(at.desc(), GateEventRow.id.desc())
        .limit(bindparam("limit"))
    )


def list_events(
    db: Db, query: EventQuery | None = None, *, limit: int = 50, cursor: str | None = None
) -> Page[EventSummary]:
    """Events matching ``query``, newest first."""
    query, limit = query or EventQuery(), check_limit(limit)
    params = _bound(query, cursor, limit=limit + 1)
    return _page(_scanned(db, _event_scan(_filter_names(params)), params), limit)


_READS = {
    "plate": (PlateReadRow.event_pk, PlateReadRow.seen_at, PlateReadRow.text),
    "container": (ContainerReadRow.event_pk, ContainerReadRow.seen_at, ContainerReadRow.number),
    "reviewed": (EventReviewRow.event_pk, EventReviewRow.seen_at, EventReviewRow.plate_text),
    "reviewed_container": (ReviewContainerRow.event_pk, ReviewContainerRow.seen_at, ReviewContainerRow.number),
}


def _by_read(
    read_pk: InstrumentedAttribute[int], read_at: InstrumentedAttribute[datetime], names: frozenset[str]
) -> Select[int, datetime]:
    stmt = select(read_pk, read_at).where(*_filters(names, read_at, read_pk))
    if names.intersection(_EVENT_FILTERS) or "review_below" in names:
        stmt = stmt.join(GateEventRow, GateEventRow.id == read_pk)
    return stmt.order_by(read_at.desc(), read_pk.desc())


def latest_review(event_pk: Any, column: str = "id") -> Any:
    """``column`` of the latest review of the event ``event_pk`` (a correlated scalar subquery on the
    ``(event_pk, reviewed_at)`` index): only the latest look counts."""
    look = aliased(EventReviewRow)
    return (
        select(getattr(look, column))
        .where(look.event_pk == event_pk)
        .order_by(look.reviewed_at.desc(), look.id.desc())
        .limit(1)
        .scalar_subquery()
    )


_LATEST = {
    "reviewed": lambda: EventReviewRow.id == latest_review(EventReviewRow.event_pk),
    "reviewed_container": lambda: ReviewContainerRow.review_pk == latest_review(ReviewContainerRow.event_pk),
}
"""For the officers' corrections: only those of each event's latest review (a superseded
correction no longer names the pass, and each event yields at most one row, so pages stay full)."""


@lru_cache(maxsize=128)
def _read_scan(kind: str, names: frozenset[str]) -> Select[int, datetime]:
    """Event ids and times of the ``kind`` reads equal to ``key`` (bound), newest first, at most
    ``limit`` (bound) rows; built once per kind and combination of filters."""
    pk, at, key = _READS[kind]
    stmt = _by_read(pk, at, names).where(key == bindparam("key"))
    if kind in _LATEST:
        stmt = stmt.where(_LATEST[kind]())
    return stmt.limit(bindparam("limit"))


def _read_page(db: Db, kind: str, key: str, query: EventQuery, cursor: str | None, limit: int) -> Page[EventSummary]:
    """A page of the events with a ``kind`` read equal to ``key``, newest first."""
    params = _bound(query, cursor, key=key, limit=limit + 2)  # + 1 for the cursor, + 1 for a repeated event
    match: Match = (0.0, key) if kind in ("plate", "reviewed") else NO_MATCH
    found = _scanned(db, _read_scan(kind, _filter_names(params)), params, match)
    return _page(found[: limit + 1], limit)


def container_movements(
    db: Db, number: str, query: EventQuery | None = None, *, limit: int = 50, cursor: str | None = None
) -> Page[EventSummary]:
    """Passes of one container (exact number, any spelling), newest first: as the cameras read it
    or as an officer corrected it."""
    query, limit, norm = query or EventQuery(), check_limit(limit), normalize_container(number)
    read = _read_page(db, "container", norm, query, cursor, limit)
    return _merged(read, _read_page(db, "reviewed_container", norm, query, cursor, limit), limit)


def events_by_plate(
    db: Db,
    plate: str,
    query: EventQuery | None = None,
    *,
    fuzzy: bool = False,
    threshold: float = 1.5,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[EventSummary]:
    """Passes of a vehicle, newest first, by the cameras' plates and officers' corrections. ``fuzzy``
    also returns plates within ``threshold`` (at most 1.5) of the query; each summary carries its
    ``distance`` and ``matched_plate``."""
    query, limit, norm = query or EventQuery(), check_limit(limit), normalize_plate(plate)
    if not fuzzy:
        read = _read_page(db, "plate", norm, query, cursor, limit)
        corrected = _read_page(db, "reviewed", norm, query, cursor, limit)
        return _merged(read, corrected, limit)
    if not 0 <= threshold <= 1.5:
        raise InvalidInputError("fuzzy threshold must be in [0, 1.5]")
    found = _fuzzy_hits(db, norm, threshold, query, cursor, limit)
    for pk, hit in _reviewed_fuzzy_hits(db, norm, threshold, query, cursor, limit).items():
        if pk not in found or hit[0] < found[pk][0]:
            found[pk] = hit
    newest = sorted(_summaries(db, list(found), found), key=lambda s: (s.first_seen, s.id), reverse=True)
    return _page(newest[: limit + 1], limit)


def _merged(first: Page[EventSummary], second: Page[EventSummary], limit: int) -> Page[EventSummary]:
    """Two newest-first pages of one search as one: each event once (its first page's summary), the
    cursor after the last one shown whenever either page had more."""
    seen: dict[int, EventSummary] = {s.id: s for s in second.items}
    seen.update({s.id: s for s in first.items})
    items = sorted(seen.values(), key=lambda s: (s.first_seen, s.id), reverse=True)
    if len(items) <= limit and first.next_cursor is None and second.next_cursor is None:
        return Page(items)
    shown = items[:limit]
    return Page(shown, encode_cursor(shown[-1].first_seen, shown[-1].id))


@lru_cache(maxsize=64)
def _reviewed_fuzzy_scan(dialect: str, names: frozenset[str]) -> Select[*tuple[Any, ...]]:
    """Officers' corrected plates (of each event's latest review) whose folded text is stored under
    one of ``keys`` (bound), with the filters ``names``, newest first, at most ``limit`` (bound)."""
    under = select(plates_under("keys", dialect).c.key)
    return (
        _by_read(EventReviewRow.event_pk, EventReviewRow.seen_at, names)
        .with_only_columns(EventReviewRow.event_pk, EventReviewRow.seen_at, EventReviewRow.plate_text)
        .where(EventReviewRow.plate_folded.in_(under), _LATEST["reviewed"]())
        .limit(bindparam("limit"))
    )


def _reviewed_fuzzy_hits(
    db: Db, norm: str, threshold: float, query: EventQuery, cursor: str | None, limit: int
) -> dict[int, tuple[float, str]]:
    """Up to ``limit + 1`` events, newest first, whose latest review corrected the plate to one within
    ``threshold`` of ``norm``. The keys also find plates further away, so a scan that filled its
    quota without enough hits is repeated with a larger one: the result is exact."""
    connection = connection_of(db)
    params = _bound(query, cursor, keys=sorted(lookup_keys(norm, threshold)))
    scan = _reviewed_fuzzy_scan(connection.dialect.name, _filter_names(params))
    quota = limit + 1
    while True:
        rows = direct.rows(connection, scan, {**params, "limit": quota})
        found: dict[int, tuple[float, str]] = {}
        for pk, _at, text in rows:
            d = confusion_distance(norm, text)
            if d <= threshold:
                found[pk] = (d, text)  # one row per event: its latest review's plate
                if len(found) > limit:
                    return found
        if len(rows) < quota:
            return found
        quota *= 4


def _fuzzy_hits(
    db: Db, norm: str, threshold: float, query: EventQuery, cursor: str | None, limit: int
) -> dict[int, tuple[float, str]]:
    """Up to ``limit + 1`` events, newest first, whose plate is within ``threshold`` of ``norm``.

    On PostgreSQL each folded key is read with its own index scan, newest
    first and at most ``per_key`` rows; if a key filled its quota before enough
    hits were found, the scan is repeated with a larger quota, so the result
    is exact."""
    connection = connection_of(db)
    dialect = connection.dialect.name
    params = _bound(query, cursor, keys=sorted(lookup_keys(norm, threshold)))
    names = _filter_names(params)
    distances: dict[str, float] = {}
    per_key = limit + 1
    while True:
        rows = direct.rows(connection, _fuzzy_scan(dialect, names, per_key), params)
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


@lru_cache(maxsize=256)
def _fuzzy_scan(dialect: str, names: frozenset[str], per_key: int) -> Select[*tuple[Any, ...]]:
    """The plate reads whose folded text is one of ``keys`` (bound), with the filters ``names``;
    on PostgreSQL at most ``per_key`` rows per key (see :func:`db.sql.rows_for_keys`)."""
    base = _by_read(PlateReadRow.event_pk, PlateReadRow.seen_at, names).with_only_columns(
        PlateReadRow.event_pk, PlateReadRow.seen_at, PlateReadRow.text, PlateReadRow.folded
    )
    return rows_for_keys(
        base,
        PlateReadRow.folded,
        plates_under("keys", dialect),
        dialect,
        per_key_limit=per_key,
        newest_first=("seen_at", "event_pk"),
    )


def plate_suggestions(
    session: Session, plate: str, threshold: float = 1.5, limit: int = 10
) -> list[tuple[str, float, int]]:
    """Distinct stored plates within ``threshold`` of ``plate``: ``(text, distance, passes)``, closest first."""
    norm = normalize_plate(plate)
    dialect = session.get_bind().dialect.name
    under = plates_under("keys", dialect)
    hits = rows_for_keys(select(PlateReadRow.text), PlateReadRow.folded, under, dialect).subquery()
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
        reviews=tuple(review_view(r, row.event_id) for r in row.reviews),
    )


_FULL = (
    selectinload(GateEventRow.plates),
    selectinload(GateEventRow.containers),
    selectinload(GateEventRow.observations),
    selectinload(GateEventRow.evidence),
    selectinload(GateEventRow.reviews),
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
