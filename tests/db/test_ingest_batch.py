"""Batch ingestion through ``store_events``: same result as one by one, idempotent, safe fallback."""

from __future__ import annotations

from dataclasses import replace

import pytest
from db_builders import C1, C2, failing_crosscheck, make_event, row_counts
from sqlalchemy import select
from sqlalchemy.orm import Session

from anpr.errors import InvalidInputError
from db.config import DbSettings
from db.crosscheck import EventStatus
from db.models import GateEventRow
from db.repositories.events import get_event_detail
from db.services import store_event, store_events


def test_batch_stores_what_one_by_one_stores(session: Session, settings: DbSettings) -> None:
    events = [
        make_event("ev-1", trailer="51R01234", containers=((C1, True), (C2, False)), evidence=2),
        make_event("ev-2", plate=None, evidence=0),  # unreadable
        make_event("ev-3", containers=((C2, True),)),
    ]
    stored = store_events(session, events, settings=settings)
    assert [s.event_id for s in stored] == ["ev-1", "ev-2", "ev-3"] and all(s.created for s in stored)
    assert stored[1].status is EventStatus.UNREADABLE
    for event in events:
        assert get_event_detail(session, event.event_id).event == event
    batched = row_counts(session)
    single = [store_event(session, replace(e, event_id=e.event_id + "-single"), settings=settings) for e in events]
    assert [s.status for s in single] == [s.status for s in stored]
    assert {k: 2 * v for k, v in batched.items()} == row_counts(session)


def test_batch_is_idempotent_within_and_across_calls(session: Session, settings: DbSettings) -> None:
    first = store_event(session, make_event("ev-old", containers=((C1, True),)), settings=settings)
    batch = [
        make_event("ev-new"),
        make_event("ev-old", plate="29H12345"),  # a retry with other content keeps the stored event
        make_event("ev-new"),  # the same event twice in one batch
    ]
    stored = store_events(session, batch, settings=settings)
    assert [s.created for s in stored] == [True, False, False]
    assert stored[1].id == first.id and stored[2].id == stored[0].id
    assert get_event_detail(session, "ev-old").summary.plate == "51C12345"
    before = row_counts(session)
    again = store_events(session, batch, settings=settings)
    assert [s.id for s in again] == [s.id for s in stored] and not any(s.created for s in again)
    assert row_counts(session) == before


def test_column_limits_refuse_the_batch_before_writing(session: Session, settings: DbSettings) -> None:
    events = [make_event("ev-1"), replace(make_event("ev-2"), lane="L" * 65)]
    with pytest.raises(InvalidInputError, match="lane"):
        store_events(session, events, settings=settings)
    assert row_counts(session)["gate_events"] == 0


def test_a_refused_event_falls_back_to_one_transaction_per_event(session: Session, settings: DbSettings) -> None:
    bad = make_event("ev-bad", evidence=1)
    object.__setattr__(bad.evidence[0], "size_bytes", 0)  # bypass the dataclass check: the database refuses it
    with pytest.raises(InvalidInputError, match="rejected by the database"):
        store_events(session, [make_event("ev-ok"), bad, make_event("ev-after")], settings=settings)
    ids = set(session.scalars(select(GateEventRow.event_id)))
    assert ids == {"ev-ok"}  # stored one by one up to the refused event; nothing of the refused one


def test_a_failing_crosscheck_stores_the_batch_unchecked(session: Session, settings: DbSettings) -> None:
    with failing_crosscheck(session):
        stored = store_events(session, [make_event("ev-1"), make_event("ev-2")], settings=settings)
        assert [s.status for s in stored] == [EventStatus.UNCHECKED] * 2 and all(s.created for s in stored)
        assert row_counts(session)["gate_events"] == 2
