"""A PostgreSQL connection the server drops (restart, idle timeout) costs no gate event.

The pool does not ping connections before use (``DbSettings.pool_pre_ping`` is off), so the
first statement on a dropped connection fails; the gate's database sink stores the event again,
once, on a fresh connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from db_builders import make_event
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import sessionmaker

from anpr.cli_gate import DbSink
from db.config import DbSettings
from db.models import GateEventRow
from db.services import store_event
from db.session import build_engine


def drop_connections(url: str) -> int:
    """Terminate every other server process connected to ``url``'s database (as a restart would)."""
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


@pytest.fixture
def pg_engine(db_url: str) -> Iterator[Engine]:
    if not db_url.startswith("postgresql"):
        pytest.skip("only a server can drop a connection")
    engine = build_engine(db_url, DbSettings(database_url=db_url, pool_pre_ping=False))
    yield engine
    engine.dispose()


def test_gate_sink_stores_again_after_the_server_drops_its_connection(db_url: str, pg_engine: Engine) -> None:
    sessions = sessionmaker(pg_engine, expire_on_commit=False)
    sink = DbSink(store_event, sessions)
    sink.emit(make_event("before-drop"))  # leaves a pooled connection behind
    assert drop_connections(db_url) >= 1
    sink.emit(make_event("after-drop"))
    with sessions() as session:
        assert session.scalar(select(func.count(GateEventRow.id))) == 2


def test_other_errors_are_not_retried(db_url: str, pg_engine: Engine) -> None:
    calls: list[str] = []

    def failing(session: object, event: object) -> None:
        calls.append("store")
        raise ValueError("not the database's fault")

    with pytest.raises(ValueError, match="not the database"):
        DbSink(failing, sessionmaker(pg_engine)).emit(make_event("bad"))
    assert calls == ["store"]
