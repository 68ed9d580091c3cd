"""Statements run straight on the driver's cursor give what SQLAlchemy's own execution gives.

Same rows, same Python values (aware UTC times and booleans on SQLite as on PostgreSQL), the
same parameters by name or by position, and errors raised as SQLAlchemy's, with a dropped
connection marked as such so the callers' single retry still works.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from db_builders import T0, make_event
from sqlalchemy import Engine, Integer, String, bindparam, cast, func, literal, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from test_reconnect import drop_connections

from db import direct
from db.config import DbSettings
from db.models import GateEventRow, PlateReadRow
from db.services import store_event
from db.session import build_engine
from db.sql import one_of


def _store(sessions: sessionmaker[Session], count: int) -> None:
    with sessions() as session:
        for i in range(count):
            store_event(session, make_event(f"ev-{i}", at=T0 + timedelta(minutes=i), plate="51C12345"))
        session.commit()


def _scan(dialect: str) -> object:
    """Events newest first after a cursor position, at most ``limit``: a parameter used twice
    (``after_at``), a list bound as one parameter, a literal and a bound limit."""
    at, pk = GateEventRow.first_seen, GateEventRow.id
    return (
        select(pk, GateEventRow.event_id, at, GateEventRow.has_valid_read, literal(7).label("seven"))
        .where(
            one_of(pk, "ids", dialect),
            or_(at < bindparam("after_at"), (at == bindparam("after_at")) & (pk < bindparam("after_pk"))),
        )
        .order_by(at.desc(), pk.desc())
        .limit(bindparam("limit"))
    )


def test_rows_equal_sqlalchemy_execution(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    _store(session_factory, 5)
    stmt = _scan(engine.dialect.name)
    with session_factory() as session:
        ids = list(session.scalars(select(GateEventRow.id)))
        params = {"ids": ids, "after_at": T0 + timedelta(minutes=4), "after_pk": 0, "limit": 3}
        expected = [tuple(row) for row in session.execute(stmt, params)]
        got = direct.rows(session, stmt, params)
    assert got == expected
    assert len(got) == 3
    assert [row[2] for row in got] == [T0 + timedelta(minutes=m) for m in (3, 2, 1)]
    assert all(row[2].tzinfo is not None and row[2].utcoffset() == timedelta(0) for row in got)
    assert all(type(row[3]) is bool for row in got)  # SQLite stores 0/1; the column's processor makes it bool
    assert {row[4] for row in got} == {7}  # the literal travels with the compiled statement


def test_a_core_connection_and_a_session_read_the_same(engine: Engine, session_factory: sessionmaker[Session]) -> None:
    _store(session_factory, 2)
    stmt = select(PlateReadRow.text, PlateReadRow.seen_at).where(PlateReadRow.text == bindparam("key"))
    with engine.connect() as connection:
        from_connection = direct.rows(connection, stmt, {"key": "51C12345"})
    with session_factory() as session:
        from_session = direct.rows(session, stmt, {"key": "51C12345"})
    assert from_connection == from_session
    assert len(from_connection) == 2
    with engine.connect() as connection:
        assert direct.rows(connection, stmt, {"key": "29A00000"}) == []


def test_compiled_once_per_statement_and_dialect(engine: Engine) -> None:
    stmt = select(GateEventRow.id).where(GateEventRow.event_id == bindparam("id"))
    assert direct.direct(stmt, engine.dialect) is direct.direct(stmt, engine.dialect)


def test_a_missing_parameter_is_named(engine: Engine) -> None:
    stmt = select(GateEventRow.id).where(GateEventRow.event_id == bindparam("event"))
    with engine.connect() as connection, pytest.raises(KeyError, match="event"):
        direct.rows(connection, stmt, {})


def test_statements_that_render_at_execution_are_refused(engine: Engine) -> None:
    expanding = select(GateEventRow.id).where(GateEventRow.id.in_([1, 2, 3]))
    with pytest.raises(ValueError, match="expanding"):
        direct.direct(expanding, engine.dialect)


def test_a_database_error_is_sqlalchemys_and_the_connection_stays_usable(engine: Engine) -> None:
    text = bindparam("text", type_=String())
    # an error only the database finds: malformed JSON for SQLite, a bad integer for PostgreSQL
    bad = select(func.json(text) if engine.dialect.name == "sqlite" else cast(text, Integer))
    with engine.connect() as connection:
        with pytest.raises(DBAPIError) as caught:
            direct.rows(connection, bad, {"text": "not [json or a number"})
        assert not caught.value.connection_invalidated
        connection.rollback()
        assert direct.rows(connection, bad, {"text": "[1]" if engine.dialect.name == "sqlite" else "12"}) in (
            [("[1]",)],
            [(12,)],
        )


def test_a_dropped_connection_is_reported_invalidated_and_the_next_one_works(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("only a server can drop a connection")
    engine = build_engine(db_url, DbSettings(database_url=db_url, pool_pre_ping=False))
    stmt = select(GateEventRow.id).where(GateEventRow.event_id == bindparam("id"))
    try:
        with engine.connect() as first, engine.connect() as second:  # two pooled connections
            direct.rows(first, stmt, {"id": "x"})
            direct.rows(second, stmt, {"id": "x"})
        assert drop_connections(db_url) >= 2
        with engine.connect() as connection, pytest.raises(DBAPIError) as caught:
            direct.rows(connection, stmt, {"id": "x"})
        assert caught.value.connection_invalidated
        with engine.connect() as connection:  # the pool kept none of the dead connections
            assert direct.rows(connection, stmt, {"id": "x"}) == []
    finally:
        engine.dispose()
