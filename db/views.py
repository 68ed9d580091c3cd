"""Read models the repositories return: frozen dataclasses, detached from any session.

The API turns these into its Pydantic schemas; nothing here lazy-loads. The
stored event comes back as the original :class:`~anpr.events.GateEvent`
(:func:`gate_event`), so ``event_to_json`` gives the same JSON as the pipeline.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from anpr.errors import InvalidInputError
from anpr.events import (
    ContainerResult,
    Direction,
    EvidenceImage,
    EvidenceKind,
    GateEvent,
    ObservedRead,
    PlateResult,
    PlateRole,
)
from anpr.types import BBox, Orientation
from db.models import (
    CrosscheckResultRow,
    DeclarationRow,
    EventReviewRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results; pass ``next_cursor`` back to get the next (``None`` on the last page)."""

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(at: datetime, pk: int) -> str:
    raw = json.dumps([at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """``(time, row id)`` of a cursor from :func:`encode_cursor`; anything else is ``InvalidInputError``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, pk = json.loads(raw)
        when = datetime.fromisoformat(at)
        if not isinstance(pk, int) or isinstance(pk, bool) or when.tzinfo is None:
            raise ValueError(cursor)
        return when, pk
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInputError("invalid page cursor") from exc


@dataclass(frozen=True, slots=True)
class EventSummary:
    """An event as listed: ``distance`` is set by fuzzy plate search (0 for an exact hit)."""

    id: int
    event_id: str
    lane: str
    direction: str
    first_seen: datetime
    last_seen: datetime
    status: str
    status_reason: str
    plate: str | None
    plate_formatted: str | None
    trailer_plate: str | None
    containers: tuple[str, ...]
    has_valid_read: bool
    distance: float | None = None
    matched_plate: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceView:
    id: int
    event_id: str
    camera: str
    kind: str
    path: str
    sha256: str
    size_bytes: int
    taken_at: datetime
    retain_until: datetime
    width: int
    height: int
    boxes: tuple[BBox, ...]


@dataclass(frozen=True, slots=True)
class FindingView:
    status: str
    rule: str
    ok: bool
    fields: tuple[str, ...]
    reason: str
    declaration_number: str | None
    event_ref: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewView:
    """An officer's look at a pass; ``plate``/``plate_formatted`` and ``containers`` only for a correction."""

    id: int
    event_id: str
    reviewed_at: datetime
    reviewer: str
    verdict: str
    plate: str | None
    plate_formatted: str | None
    plate_valid: bool | None
    note: str
    containers: tuple[tuple[str, bool], ...] = ()
    """Corrected container numbers with whether each passes its check digit (a correction only)."""


@dataclass(frozen=True, slots=True)
class EventDetail:
    summary: EventSummary
    event: GateEvent
    evidence: tuple[EvidenceView, ...]
    findings: tuple[FindingView, ...]
    checked_at: datetime | None
    reviews: tuple[ReviewView, ...] = ()
    """Oldest first; the last one counts."""


@dataclass(frozen=True, slots=True)
class DeclarationView:
    id: int
    number: str
    base_number: str
    amendment: int
    type_code: str
    direction: str
    office_code: str
    location_code: str
    valid_from: datetime
    valid_to: datetime
    is_current: bool
    superseded_at: datetime | None
    status: str
    status_reason: str
    checked_at: datetime | None
    plates: tuple[tuple[str, str], ...]
    containers: tuple[tuple[str, str | None], ...]
    source: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class DeclarationDetail:
    """A declaration version, its findings, and every version of the same base number (newest first)."""

    declaration: DeclarationView
    findings: tuple[FindingView, ...]
    history: tuple[DeclarationView, ...]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """An item of the discrepancy queue: an event (undeclared, plate_mismatch) or a declaration
    (missing, partial). ``ref`` is the event_id or the 12-digit number; ``at`` the pass or window end."""

    kind: str
    id: int
    ref: str
    status: str
    at: datetime
    reason: str


def _box(raw: Any) -> BBox | None:
    return None if raw is None else BBox(*(float(v) for v in raw))


def summary(row: GateEventRow, distance: float | None = None, matched: str | None = None) -> EventSummary:
    plates = {p.slot: p for p in row.plates}
    plate, trailer = plates.get("plate"), plates.get("trailer_plate")
    return EventSummary(
        id=row.id,
        event_id=row.event_id,
        lane=row.lane,
        direction=row.direction,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        status=row.status,
        status_reason=row.status_reason,
        plate=plate.text if plate else None,
        plate_formatted=plate.formatted if plate else None,
        trailer_plate=trailer.text if trailer else None,
        containers=tuple(c.number for c in row.containers),
        has_valid_read=row.has_valid_read,
        distance=distance,
        matched_plate=matched,
    )


def evidence_view(row: EvidenceRow, event_id: str) -> EvidenceView:
    return EvidenceView(
        id=row.id,
        event_id=event_id,
        camera=row.camera,
        kind=row.kind,
        path=row.path,
        sha256=row.sha256,
        size_bytes=row.size_bytes,
        taken_at=row.taken_at,
        retain_until=row.retain_until,
        width=row.width,
        height=row.height,
        boxes=tuple(b for b in (_box(x) for x in row.boxes) if b is not None),
    )


def review_view(row: EventReviewRow, event_id: str) -> ReviewView:
    return ReviewView(
        id=row.id,
        event_id=event_id,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer,
        verdict=row.verdict,
        plate=row.plate_text,
        plate_formatted=row.plate_formatted,
        plate_valid=row.plate_valid,
        note=row.note,
        containers=tuple((c.number, c.check_digit_ok) for c in row.containers),
    )


def finding_view(row: CrosscheckResultRow) -> FindingView:
    return FindingView(
        status=row.status,
        rule=row.rule,
        ok=row.ok,
        fields=tuple(row.fields),
        reason=row.reason,
        declaration_number=row.declaration_number,
        event_ref=row.event_ref,
        created_at=row.created_at,
    )


def declaration_view(row: DeclarationRow) -> DeclarationView:
    return DeclarationView(
        id=row.id,
        number=row.number,
        base_number=row.base_number,
        amendment=row.amendment,
        type_code=row.type_code,
        direction=row.direction,
        office_code=row.office_code,
        location_code=row.location_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        is_current=row.is_current,
        superseded_at=row.superseded_at,
        status=row.status,
        status_reason=row.status_reason,
        checked_at=row.checked_at,
        plates=tuple((p.text, p.formatted) for p in row.plates),
        containers=tuple((c.number, c.seal) for c in row.containers),
        source=row.source,
        imported_at=row.imported_at,
    )


def _reads(observations: list[ObservationRow], target: str, position: int) -> tuple[ObservedRead, ...]:
    return tuple(
        ObservedRead(
            camera=o.camera,
            timestamp=o.timestamp,
            text=o.text,
            confidence=o.confidence,
            valid=o.valid,
            bbox=_box(o.bbox),
            evidence_sha256=o.evidence_sha256,
        )
        for o in observations
        if o.target == target and o.position == position
    )


def _plate_results(row: GateEventRow) -> dict[str, PlateResult]:
    return {
        p.slot: PlateResult(
            text=p.text,
            formatted=p.formatted,
            confidence=p.confidence,
            valid=p.valid,
            role=PlateRole(p.role),
            rows=p.rows,
            reads=_reads(row.observations, p.slot, 0),
        )
        for p in row.plates
    }


def _evidence_images(row: GateEventRow) -> tuple[EvidenceImage, ...]:
    return tuple(
        EvidenceImage(
            camera=e.camera,
            kind=EvidenceKind(e.kind),
            path=e.path,
            sha256=e.sha256,
            size_bytes=e.size_bytes,
            taken_at=e.taken_at,
            width=e.width,
            height=e.height,
            boxes=tuple(b for b in (_box(x) for x in e.boxes) if b is not None),
        )
        for e in row.evidence
    )


def gate_event(row: GateEventRow) -> GateEvent:
    """The stored event as the pipeline emitted it (evidence rows already purged are left out)."""
    plates = _plate_results(row)
    containers = tuple(
        ContainerResult(
            number=c.number,
            check_digit_ok=c.check_digit_ok,
            confidence=c.confidence,
            size_type=c.size_type,
            orientation=Orientation(c.orientation),
            reads=_reads(row.observations, "container", c.position),
        )
        for c in row.containers
    )
    return GateEvent(
        event_id=row.event_id,
        lane=row.lane,
        direction=Direction(row.direction),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        plate=plates.get("plate"),
        trailer_plate=plates.get("trailer_plate"),
        containers=containers,
        evidence=_evidence_images(row),
        cameras=tuple(str(c) for c in row.cameras),
    )
