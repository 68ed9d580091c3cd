"""Candidate lookups for the cross-check, and the facts the pure rules take.

Candidate declarations of an event are the current versions listing one of
its containers, or a plate whose confusion-folded form shares a deletion key
with the event's (see :mod:`db.plate_keys`); candidate events of a declaration are
found the same way, inside its validity window. The pure functions of
:mod:`db.crosscheck` make the final call, so these queries only need to be
generous, never exact. They run for every stored event, so they use Core
statements built once per dialect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, literal, select, union, union_all
from sqlalchemy.orm import Session

from anpr.events import GateEvent
from db.crosscheck import ContainerFact, DeclarationFacts, EventFacts, PlateFact
from db.fuzzy_index import plates_under
from db.models import (
    ContainerReadRow,
    DeclarationContainerRow,
    DeclarationPlateRow,
    DeclarationRow,
    EventReviewRow,
    GateEventRow,
    PlateReadRow,
    ReviewContainerRow,
)
from db.plate_keys import lookup_keys
from db.sql import one_of, rows_for_keys

Correction = tuple[tuple[str, bool] | None, tuple[ContainerFact, ...] | None]
"""What the latest review of a pass changes: the truck's plate (text, valid) and the containers,
each ``None`` where it leaves the cameras' reads standing."""
NO_CORRECTION: Correction = (None, None)


def _as_reviewed(
    plates: tuple[PlateFact, ...], containers: tuple[ContainerFact, ...], corrected: Correction
) -> tuple[tuple[PlateFact, ...], tuple[ContainerFact, ...]]:
    """The facts with an officer's correction in place of the cameras' reads it covers: the officer
    read the evidence, so the check goes by their reading."""
    plate, boxes = corrected
    if plate is not None:
        text, valid = plate
        plates = (PlateFact(text, valid, "plate"), *(p for p in plates if p.field != "plate"))
    return plates, containers if boxes is None else boxes


def _container_facts(numbers: Iterable[tuple[str, bool]]) -> tuple[ContainerFact, ...]:
    return tuple(ContainerFact(number, ok, f"containers[{i}]") for i, (number, ok) in enumerate(numbers))


def latest_correction(reviews: Sequence[EventReviewRow]) -> Correction:
    """What the latest review changes (reviews oldest first): nothing unless it is a correction."""
    if not reviews:
        return NO_CORRECTION
    last = reviews[-1]
    plate = (last.plate_text, bool(last.plate_valid)) if last.plate_text is not None else None
    boxes = _container_facts((c.number, c.check_digit_ok) for c in last.containers) if last.containers else None
    return plate, boxes


def event_facts(row: GateEventRow) -> EventFacts:
    plates, containers = _as_reviewed(
        tuple(PlateFact(p.text, p.valid, p.slot) for p in row.plates),
        tuple(ContainerFact(c.number, c.check_digit_ok, f"containers[{c.position}]") for c in row.containers),
        latest_correction(row.reviews),
    )
    return EventFacts(row.event_id, row.direction, row.first_seen, plates, containers)


def declaration_facts(row: DeclarationRow) -> DeclarationFacts:
    return DeclarationFacts(
        number=row.number,
        type_code=row.type_code,
        direction=row.direction,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        plates=tuple(p.text for p in row.plates),
        containers=tuple(c.number for c in row.containers),
    )


def _plate_keys(texts: Iterable[str], threshold: float) -> set[str]:
    keys: set[str] = set()
    for text in texts:
        keys |= lookup_keys(text, threshold)
    return keys


@lru_cache(maxsize=4)
def _statements(dialect: str) -> dict[str, Any]:
    """The per-event candidate queries, built once per dialect (see :func:`db.sql.one_of`)."""
    ids = union(
        select(DeclarationContainerRow.declaration_id).where(
            one_of(DeclarationContainerRow.number, "numbers", dialect)
        ),
        rows_for_keys(
            select(DeclarationPlateRow.declaration_id),
            DeclarationPlateRow.folded,
            plates_under("keys", dialect),
            dialect,
        ),
    )
    return {
        "heads": select(
            DeclarationRow.id,
            DeclarationRow.number,
            DeclarationRow.type_code,
            DeclarationRow.direction,
            DeclarationRow.valid_from,
            DeclarationRow.valid_to,
        )
        .where(DeclarationRow.id.in_(ids), DeclarationRow.is_current)
        .order_by(DeclarationRow.id),
        "listed": union_all(
            select(
                DeclarationPlateRow.declaration_id.label("declaration_id"),
                literal("plate").label("kind"),
                DeclarationPlateRow.position.label("position"),
                DeclarationPlateRow.text.label("value"),
            ).where(one_of(DeclarationPlateRow.declaration_id, "ids", dialect)),
            select(
                DeclarationContainerRow.declaration_id,
                literal("container"),
                DeclarationContainerRow.position,
                DeclarationContainerRow.number,
            ).where(one_of(DeclarationContainerRow.declaration_id, "ids", dialect)),
        ).order_by("declaration_id", "kind", "position"),
        "event_heads": select(GateEventRow.id, GateEventRow.event_id, GateEventRow.direction, GateEventRow.first_seen)
        .where(one_of(GateEventRow.id, "ids", dialect))
        .order_by(GateEventRow.first_seen, GateEventRow.id),
        "event_plates": select(PlateReadRow.event_pk, PlateReadRow.text, PlateReadRow.valid, PlateReadRow.slot)
        .where(one_of(PlateReadRow.event_pk, "ids", dialect))
        .order_by(PlateReadRow.event_pk, PlateReadRow.slot),
        "event_containers": select(
            ContainerReadRow.event_pk,
            ContainerReadRow.number,
            ContainerReadRow.check_digit_ok,
            ContainerReadRow.position,
        )
        .where(one_of(ContainerReadRow.event_pk, "ids", dialect))
        .order_by(ContainerReadRow.event_pk, ContainerReadRow.position),
        "events_by_container": select(ContainerReadRow.event_pk).where(
            one_of(ContainerReadRow.number, "values", dialect),
            ContainerReadRow.seen_at.between(bindparam("lo"), bindparam("hi")),
        ),
        "event_reviews": select(
            EventReviewRow.event_pk, EventReviewRow.id, EventReviewRow.plate_text, EventReviewRow.plate_valid
        )
        .where(one_of(EventReviewRow.event_pk, "ids", dialect))
        .order_by(EventReviewRow.event_pk, EventReviewRow.reviewed_at, EventReviewRow.id),
        "review_containers": select(
            ReviewContainerRow.review_pk, ReviewContainerRow.number, ReviewContainerRow.check_digit_ok
        )
        .where(one_of(ReviewContainerRow.review_pk, "ids", dialect))
        .order_by(ReviewContainerRow.review_pk, ReviewContainerRow.position),
        "reviewed_by_container": select(ReviewContainerRow.event_pk).where(
            one_of(ReviewContainerRow.number, "values", dialect),
            ReviewContainerRow.seen_at.between(bindparam("lo"), bindparam("hi")),
        ),
        "reviewed_by_plate_key": select(EventReviewRow.event_pk).where(
            EventReviewRow.plate_folded.in_(select(plates_under("values", dialect).c.key)),
            EventReviewRow.seen_at.between(bindparam("lo"), bindparam("hi")),
        ),
        "events_by_plate_key": rows_for_keys(
            select(PlateReadRow.event_pk).where(PlateReadRow.seen_at.between(bindparam("lo"), bindparam("hi"))),
            PlateReadRow.folded,
            plates_under("values", dialect),
            dialect,
        ),
    }


def _sql(session: Session) -> dict[str, Any]:
    return _statements(session.get_bind().dialect.name)


def candidate_declarations(
    session: Session, plates: Sequence[str], containers: Sequence[str], threshold: float
) -> list[DeclarationFacts]:
    """Current declarations listing one of ``containers`` or a plate near one of ``plates``, as facts
    (two Core queries: this runs for every stored event)."""
    keys = _plate_keys(plates, threshold)
    if not containers and not keys:
        return []
    params = {"numbers": sorted(set(containers)), "keys": sorted(keys)}
    sql = _sql(session)
    heads = session.execute(sql["heads"], params).all()
    if not heads:
        return []
    listed: dict[tuple[int, str], list[str]] = {}
    for declaration_id, kind, _position, value in session.execute(sql["listed"], {"ids": [h.id for h in heads]}):
        listed.setdefault((declaration_id, kind), []).append(value)
    return [
        DeclarationFacts(
            h.number,
            h.type_code,
            h.direction,
            h.valid_from,
            h.valid_to,
            tuple(listed.get((h.id, "plate"), ())),
            tuple(listed.get((h.id, "container"), ())),
        )
        for h in heads
    ]


def candidate_event_pks(
    session: Session, declarations: Sequence[DeclarationRow], slack: timedelta, threshold: float
) -> set[int]:
    """Events inside any of the declarations' windows that carry one of their containers or plates."""
    if not declarations:
        return set()
    lo = min(d.valid_from for d in declarations) - slack
    hi = max(d.valid_to for d in declarations) + slack
    numbers = {c.number for d in declarations for c in d.containers}
    keys = _plate_keys((p.text for d in declarations for p in d.plates), threshold)
    found: set[int] = set()
    if numbers:
        params = {"values": sorted(numbers), "lo": lo, "hi": hi}
        found |= set(session.scalars(_sql(session)["events_by_container"], params))
        found |= set(session.scalars(_sql(session)["reviewed_by_container"], params))  # officers' corrections
    if keys:
        params = {"values": sorted(keys), "lo": lo, "hi": hi}
        found |= set(session.scalars(_sql(session)["events_by_plate_key"], params))
        found |= set(session.scalars(_sql(session)["reviewed_by_plate_key"], params))  # officers' corrections
    return found


def stored_facts(session: Session, pks: Iterable[int]) -> list[EventFacts]:
    """Cross-check facts of stored events, read with Core queries (no ORM objects), officers'
    corrections in place of the reads they cover."""
    sql, wanted = _sql(session), {"ids": sorted(pks)}
    if not wanted["ids"]:
        return []
    plates: dict[int, list[PlateFact]] = {}
    for pk, text, valid, slot in session.execute(sql["event_plates"], wanted):
        plates.setdefault(pk, []).append(PlateFact(text, valid, slot))
    containers: dict[int, list[ContainerFact]] = {}
    for pk, number, ok, position in session.execute(sql["event_containers"], wanted):
        containers.setdefault(pk, []).append(ContainerFact(number, ok, f"containers[{position}]"))
    latest: dict[int, tuple[int, tuple[str, bool] | None]] = {}
    for pk, review_id, text, valid in session.execute(sql["event_reviews"], wanted):  # oldest first
        latest[pk] = (review_id, (text, bool(valid)) if text is not None else None)
    numbers: dict[int, list[tuple[str, bool]]] = {}
    if latest:
        ids = {"ids": sorted(review_id for review_id, _ in latest.values())}
        for review_id, number, ok in session.execute(sql["review_containers"], ids):
            numbers.setdefault(review_id, []).append((number, ok))
    corrected = {
        pk: (plate, _container_facts(numbers[review_id]) if review_id in numbers else None)
        for pk, (review_id, plate) in latest.items()
    }
    out: list[EventFacts] = []
    for pk, event_id, direction, at in session.execute(sql["event_heads"], wanted):
        facts = _as_reviewed(tuple(plates.get(pk, ())), tuple(containers.get(pk, ())), corrected.get(pk, NO_CORRECTION))
        out.append(EventFacts(event_id, direction, at, *facts))
    return out


def facts_of(event: GateEvent) -> EventFacts:
    """Cross-check facts straight from a pipeline event (no need to read back what was just stored)."""
    plates = tuple(
        PlateFact(p.text, p.valid, slot)
        for slot, p in (("plate", event.plate), ("trailer_plate", event.trailer_plate))
        if p is not None
    )
    containers = tuple(
        ContainerFact(c.number, c.check_digit_ok, f"containers[{i}]") for i, c in enumerate(event.containers)
    )
    return EventFacts(event.event_id, event.direction.value, event.first_seen, plates, containers)
