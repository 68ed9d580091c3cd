"""Storing declarations: per-row outcomes, amendments with history, and the cross-check re-run."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from db_builders import C1, C2, T0, declaration, make_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anpr.errors import NotFoundError
from db.config import DbSettings
from db.declaration_service import ImportReport, import_declarations
from db.declarations import parse_json
from db.models import DeclarationContainerRow, DeclarationPlateRow, DeclarationRow
from db.repositories.declarations import get_declaration
from db.repositories.events import get_event_detail
from db.services import store_event

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _import(session: Session, settings: DbSettings, *rows: object, now: object = T0) -> ImportReport:
    return import_declarations(session, parse_json(list(rows), ZONE), settings=settings, now=now)  # type: ignore[arg-type]


def _snapshot(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            DeclarationRow.number, DeclarationRow.is_current, DeclarationRow.status, DeclarationRow.content_hash
        ).order_by(DeclarationRow.number)
    ).all()
    counts = [
        session.scalar(select(func.count()).select_from(t)) for t in (DeclarationPlateRow, DeclarationContainerRow)
    ]
    session.rollback()
    return [tuple(r) for r in rows] + [tuple(counts)]


def test_import_reports_every_row_and_stores_the_good_ones(session: Session, settings: DbSettings) -> None:
    report = _import(
        session, settings, declaration("100000000010"), {"number": "bad"}, declaration("100000000020", containers=[C2])
    )
    assert [(r.row, r.outcome) for r in report.rows] == [(1, "created"), (2, "error"), (3, "created")]
    assert not report.ok and report.counts() == {"created": 2, "amended": 0, "unchanged": 0, "error": 1}
    assert "missing" in report.rows[1].reason
    assert get_declaration(session, "100000000020").declaration.containers == ((C2, None),)


def test_amendment_replaces_the_current_version_and_keeps_history(session: Session, settings: DbSettings) -> None:
    _import(session, settings, declaration("100000000010", containers=[C1]))
    report = _import(session, settings, declaration("100000000011", containers=[C1, C2]), now=T0 + timedelta(hours=1))
    assert report.rows[0].outcome == "amended"
    current = get_declaration(session, "10000000001")  # 11 digits: the current version
    assert current.declaration.number == "100000000011" and current.declaration.is_current
    assert [v.number for v in current.history] == ["100000000011", "100000000010"]
    old = get_declaration(session, "100000000010").declaration  # 12 digits: that version
    assert not old.is_current and old.superseded_at == T0 + timedelta(hours=1)
    assert old.containers == ((C1, None),)


def test_skipping_amendment_numbers_is_allowed(session: Session, settings: DbSettings) -> None:
    _import(session, settings, declaration("100000000010"))
    assert _import(session, settings, declaration("100000000013", plates=["29H-678.90"])).rows[0].outcome == "amended"


@pytest.mark.parametrize(
    ("second", "outcome", "reason"),
    [
        (declaration("100000000010"), "unchanged", "identical"),  # a re-send is a no-op
        (declaration("100000000010", plates=["29H-678.90"]), "error", "amendment 1"),  # changed without amending
        (declaration("100000000019"), "amended", ""),
    ],
)
def test_same_number_again(
    session: Session, settings: DbSettings, second: dict[str, object], outcome: str, reason: str
) -> None:
    _import(session, settings, declaration("100000000010"))
    before = _snapshot(session)
    row = _import(session, settings, second).rows[0]
    assert (row.outcome, reason in row.reason) == (outcome, True)
    if outcome != "amended":
        assert _snapshot(session) == before


def test_older_amendment_is_refused_and_changes_nothing(session: Session, settings: DbSettings) -> None:
    _import(session, settings, declaration("100000000012"))
    before = _snapshot(session)
    row = _import(session, settings, declaration("100000000011", plates=["29H-678.90"])).rows[0]
    assert row.outcome == "error" and "older than the stored current version 100000000012" in row.reason
    assert _snapshot(session) == before


def test_two_amendments_in_one_import_apply_in_order(session: Session, settings: DbSettings) -> None:
    report = _import(session, settings, declaration("100000000010"), declaration("100000000011", containers=[C2]))
    assert [r.outcome for r in report.rows] == ["created", "amended"]
    assert session.scalar(select(func.count()).where(DeclarationRow.is_current)) == 1


def test_bad_rows_never_change_stored_data(session: Session, settings: DbSettings) -> None:
    _import(session, settings, declaration("100000000010"))
    before = _snapshot(session)
    bad = [
        {**declaration("100000000011"), "containers": ["MSCU1234567"]},  # check digit
        {**declaration("100000000011"), "type_code": "ZZZ"},
        {**declaration("100000000011"), "office_code": "'; DELETE FROM declarations; --"},
        "not an object",
    ]
    report = _import(session, settings, *bad)
    assert report.counts()["error"] == 4
    assert _snapshot(session) == before


def test_declaration_arriving_after_the_event_rechecks_it(session: Session, settings: DbSettings) -> None:
    stored = store_event(session, make_event("ev-1", containers=((C1, True),)), settings=settings)
    assert stored.status.value == "undeclared"
    report = _import(session, settings, declaration("100000000010"), now=T0 + timedelta(minutes=5))
    assert report.rows[0].status == "complete"
    detail = get_event_detail(session, "ev-1")
    assert detail.summary.status == "matched"
    assert {f.declaration_number for f in detail.findings} == {"100000000010"}


def test_amendment_dropping_a_container_rechecks_the_event(session: Session, settings: DbSettings) -> None:
    _import(session, settings, declaration("100000000010", containers=[C1]))
    store_event(session, make_event("ev-1", containers=((C1, True),)), settings=settings)
    assert get_event_detail(session, "ev-1").summary.status == "matched"
    _import(session, settings, declaration("100000000011", containers=[C2]))
    assert get_event_detail(session, "ev-1").summary.status == "undeclared"
    assert get_declaration(session, "100000000011").declaration.status == "pending"


def test_unknown_number_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        get_declaration(session, "999999999999")
