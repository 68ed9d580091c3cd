"""Builders shared by the storage tests: gate events, declarations, evidence files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

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
from anpr.types import BBox
from db.models import (
    ContainerReadRow,
    CrosscheckResultRow,
    EventReviewRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
    PlateReadRow,
    ReviewContainerRow,
)
from db.views import EventSummary, Page

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
"""A Monday morning; declarations in the tests are valid around it."""

C1, C2, C3 = "MSCU1234566", "CSQU3054383", "TGHU1234567"
"""Check-digit-valid ISO 6346 numbers."""


STORED_TABLES = (
    GateEventRow,
    PlateReadRow,
    ContainerReadRow,
    ObservationRow,
    EvidenceRow,
    CrosscheckResultRow,
    EventReviewRow,
    ReviewContainerRow,
)
"""Every table one stored event writes to."""


def every_page(fetch: Callable[[str | None], Page[EventSummary]]) -> list[str]:
    """The event ids of every page ``fetch(cursor)`` returns, following the cursors to the last."""
    seen: list[str] = []
    cursor = None
    while True:
        page = fetch(cursor)
        seen += [s.event_id for s in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table of :data:`STORED_TABLES` (the read is rolled back)."""
    out = {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in STORED_TABLES}
    session.rollback()
    return out


@contextmanager
def failing_crosscheck(session: Session) -> Iterator[None]:
    """A real trigger that makes every cross-check write fail while inside (no mocks); dropped after."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        session.execute(
            text("CREATE TRIGGER boom BEFORE INSERT ON crosscheck_results BEGIN SELECT RAISE(ABORT, 'boom'); END")
        )
    else:
        session.execute(
            text("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql")
        )
        session.execute(
            text("CREATE TRIGGER boom BEFORE INSERT ON crosscheck_results FOR EACH ROW EXECUTE FUNCTION boom()")
        )
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        session.execute(text("DROP TRIGGER boom" if sqlite else "DROP TRIGGER boom ON crosscheck_results"))
        if not sqlite:
            session.execute(text("DROP FUNCTION boom()"))
        session.commit()


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def observed(camera: str, at: datetime, text: str, valid: bool = True, evidence: str | None = None) -> ObservedRead:
    return ObservedRead(camera, at, text, 0.9, valid, BBox(10, 20, 110, 60), sha(evidence) if evidence else None)


def make_event(
    event_id: str,
    *,
    plate: str | None = "51C12345",
    plate_valid: bool = True,
    plate_confidence: float = 0.91,
    trailer: str | None = None,
    trailer_confidence: float = 0.8,
    containers: tuple[tuple[str, bool], ...] = (),
    direction: Direction = Direction.IN,
    at: datetime = T0,
    evidence: int = 1,
    lane: str = "lane-1",
) -> GateEvent:
    """A gate event with ``evidence`` frames (paths ``<event_id>/<n>.jpg``) and one read per field."""
    images = tuple(
        EvidenceImage(
            "cam-a",
            EvidenceKind.FRAME,
            f"{event_id}/{n}.jpg",
            sha(f"{event_id}/{n}"),
            1000 + n,
            at + timedelta(seconds=n),
            1280,
            720,
            (BBox(1, 2, 30, 40),),
        )
        for n in range(evidence)
    )
    link = f"{event_id}/0" if evidence else None
    plate_result = None
    if plate is not None:
        plate_result = PlateResult(
            plate,
            plate,
            plate_confidence,
            plate_valid,
            PlateRole.TRUCK,
            1,
            (observed("cam-a", at, plate, plate_valid, link),),
        )
    trailer_result = None
    if trailer is not None:
        trailer_result = PlateResult(
            trailer,
            trailer,
            trailer_confidence,
            True,
            PlateRole.TRAILER,
            2,
            (observed("cam-b", at, trailer, True, None),),
        )
    boxes = tuple(
        ContainerResult(number, ok, 0.88, "45G1", reads=(observed("cam-c", at, number, ok, link),))
        for number, ok in containers
    )
    return GateEvent(
        event_id,
        lane,
        direction,
        at,
        at + timedelta(seconds=8),
        plate_result,
        trailer_result,
        boxes,
        images,
        ("cam-a", "cam-b", "cam-c"),
    )


def declaration(
    number: str = "100000000010",
    *,
    type_code: str = "C11",
    plates: list[str] | None = None,
    containers: list[str] | None = None,
    valid_from: datetime = T0 - timedelta(days=1),
    valid_to: datetime = T0 + timedelta(days=1),
) -> dict[str, Any]:
    """A declaration in its JSON import form."""
    return {
        "number": number,
        "type_code": type_code,
        "office_code": "02CI",
        "location_code": "02CIOZZ",
        "plates": ["51C-123.45"] if plates is None else plates,
        "containers": [f"{C1}:SEAL001"] if containers is None else containers,
        "valid_from": valid_from.isoformat(),
        "valid_to": valid_to.isoformat(),
    }


def write_evidence(root: Path, event: GateEvent) -> list[Path]:
    """Create the event's evidence files under ``root`` and return their paths."""
    paths = []
    for image in event.evidence:
        path = root / image.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\xff\xd8" + image.sha256.encode() + b"\xff\xd9")
        paths.append(path)
    return paths
