"""Ingestion through ``store_event``: round trip, idempotency, one transaction, bad input."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from db_builders import C1, C2, T0, failing_crosscheck, make_event, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from anpr.errors import InvalidInputError
from anpr.event_json import event_from_json, event_to_json
from db.checks import recheck_due
from db.config import DbSettings
from db.crosscheck import EventStatus
from db.models import (
    ContainerReadRow,
    EvidenceRow,
    GateEventRow,
    ObservationRow,
    PlateReadRow,
)
from db.repositories.events import get_event_detail
from db.retention import add_months
from db.services import store_event


def test_stored_event_reads_back_equal(session: Session, settings: DbSettings) -> None:
    event = make_event("ev-1", trailer="51R01234", containers=((C1, True), (C2, False)), evidence=2)
    stored = store_event(session, event, settings=settings)
    assert stored.created and stored.event_id == "ev-1"
    detail = get_event_detail(session, "ev-1")
    assert detail.event == event
    assert event_from_json(event_to_json(detail.event)) == event
    assert [e.path for e in detail.evidence] == ["ev-1/0.jpg", "ev-1/1.jpg"]
    assert all(e.retain_until == add_months(e.taken_at, settings.retention_months) for e in detail.evidence)


def test_reads_link_to_their_evidence_and_are_indexed_by_normalised_plate(
    session: Session, settings: DbSettings
) -> None:
    store_event(session, make_event("ev-1", containers=((C1, True),)), settings=settings)
    plate = session.scalars(select(PlateReadRow)).one()
    assert (plate.text, plate.folded, plate.seen_at) == ("51C12345", "51C12345", T0)
    assert plate.evidence is not None and plate.evidence.path == "ev-1/0.jpg"
    container = session.scalars(select(ContainerReadRow)).one()
    assert container.evidence_id == plate.evidence_id
    assert {o.evidence_id for o in session.scalars(select(ObservationRow))} == {plate.evidence_id}


def test_same_event_twice_is_stored_once(session: Session, settings: DbSettings) -> None:
    event = make_event("ev-1", containers=((C1, True),))
    first = store_event(session, event, settings=settings)
    before = row_counts(session)
    second = store_event(session, event, settings=settings)
    assert (second.id, second.created, second.status) == (first.id, False, first.status)
    assert row_counts(session) == before


def test_retry_with_different_content_keeps_the_first(session: Session, settings: DbSettings) -> None:
    store_event(session, make_event("ev-1", plate="51C12345"), settings=settings)
    again = store_event(session, make_event("ev-1", plate="29H12345"), settings=settings)
    assert not again.created
    assert get_event_detail(session, "ev-1").summary.plate == "51C12345"


def test_concurrent_retries_store_one_event(session_factory: sessionmaker[Session], settings: DbSettings) -> None:
    event = make_event("ev-race", containers=((C1, True),), evidence=3)
    results = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        with session_factory() as s:
            barrier.wait()
            results.append(store_event(s, event, settings=settings))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    assert len({r.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with session_factory() as s:
        counts = row_counts(s)
    assert counts["gate_events"] == 1 and counts["evidence_images"] == 3


def test_a_bad_evidence_row_rolls_back_the_whole_event(session: Session, settings: DbSettings) -> None:
    store_event(session, make_event("ev-ok"), settings=settings)
    before = row_counts(session)
    event = make_event("ev-bad", containers=((C1, True),), evidence=2)
    broken = event.evidence[1]
    object.__setattr__(broken, "size_bytes", 0)  # bypass the dataclass check: the database must refuse it
    with pytest.raises(InvalidInputError, match="rejected by the database"):
        store_event(session, event, settings=settings)
    assert row_counts(session) == before
    assert session.scalar(select(GateEventRow).where(GateEventRow.event_id == "ev-bad")) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lane": "L" * 65}, "lane"),  # longer than the column: SQLite would silently keep it
        ({"containers": ()}, None),  # control: a good event passes
    ],
)
def test_column_limits_are_checked_before_writing(
    session: Session, settings: DbSettings, change: dict[str, object], message: str | None
) -> None:
    event = replace(make_event("ev-1"), **change)
    if message is None:
        assert store_event(session, event, settings=settings).created
        return
    with pytest.raises(InvalidInputError, match=message):
        store_event(session, event, settings=settings)
    assert row_counts(session)["gate_events"] == 0


def test_long_evidence_path_is_refused(session: Session, settings: DbSettings) -> None:
    event = make_event("ev-1")
    long_path = replace(event.evidence[0], path="a/" * 300 + "x.jpg")
    with pytest.raises(InvalidInputError, match="path"):
        store_event(session, replace(event, evidence=(long_path,)), settings=settings)
    assert row_counts(session)["evidence_images"] == 0


def test_event_without_reads_is_stored_unreadable(session: Session, settings: DbSettings) -> None:
    stored = store_event(session, make_event("ev-empty", plate=None, evidence=0), settings=settings)
    assert stored.status is EventStatus.UNREADABLE
    detail = get_event_detail(session, "ev-empty")
    assert detail.event.plate is None and detail.evidence == ()


def test_retention_months_come_from_settings(session: Session, db_url: str) -> None:
    settings = DbSettings(database_url=db_url, retention_months=3)
    store_event(session, make_event("ev-1"), settings=settings)
    row = session.scalars(select(EvidenceRow)).one()
    assert row.retain_until == row.taken_at.replace(month=row.taken_at.month + 3)


def test_times_come_back_timezone_aware_utc(session: Session, settings: DbSettings) -> None:
    from datetime import timezone

    local = T0.astimezone(timezone(timedelta(hours=7)))
    store_event(session, make_event("ev-tz", at=local), settings=settings)
    row = session.scalars(select(GateEventRow)).one()
    assert row.first_seen == T0 and row.first_seen.utcoffset() == timedelta(0)


def test_failing_crosscheck_never_loses_the_event(session: Session, settings: DbSettings) -> None:
    with failing_crosscheck(session):
        stored = store_event(session, make_event("ev-1", containers=((C1, True),)), settings=settings)
        assert stored.created and stored.status is EventStatus.UNCHECKED
        assert row_counts(session)["gate_events"] == 1 and row_counts(session)["evidence_images"] == 1
    assert recheck_due(session, T0, settings=settings)["events"] == 1
    assert get_event_detail(session, "ev-1").summary.status == "undeclared"
