"""Migrations are the schema: ``alembic upgrade head`` on an empty database matches the models."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from db_builders import declaration, make_event
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from db.config import DbSettings
from db.declaration_service import import_declarations
from db.declarations import parse_json
from db.migrate import alembic_config, current_revision, upgrade
from db.models import Base
from db.plate_keys import fold
from db.repositories.events import EventQuery, events_by_plate, list_events
from db.services import store_event
from db.session import build_engine

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def test_upgrade_head_has_no_diff_against_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_database_is_at_the_single_head(engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1
    assert current_revision(engine) == heads[0]


def test_every_table_is_created(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)


def test_indexes_for_customs_queries(engine: Engine) -> None:
    insp = inspect(engine)
    indexed = {
        (table, tuple(ix["column_names"]))
        for table in ("plate_reads", "container_reads", "gate_events", "declaration_containers")
        for ix in insp.get_indexes(table)
    }
    # normalised plate, folded plate (fuzzy), container number, time range, status
    assert ("plate_reads", ("text", "seen_at")) in indexed
    assert ("plate_reads", ("folded", "seen_at")) in indexed
    assert ("container_reads", ("number", "seen_at")) in indexed
    assert ("gate_events", ("first_seen",)) in indexed
    assert ("gate_events", ("status", "first_seen")) in indexed
    assert ("declaration_containers", ("number",)) in indexed


def test_upgrade_is_repeatable(engine: Engine) -> None:
    upgrade(engine=engine)  # already at head: a no-op, not an error
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM gate_events")).scalar() == 0


def _upgrade_at(url: str, start_at: float) -> str | None:
    """In a child process: wait until ``start_at`` (so every child starts together), upgrade, and report."""
    engine = build_engine(url, DbSettings())
    try:
        time.sleep(max(0.0, start_at - time.time()))
        upgrade(engine=engine)
        return current_revision(engine)
    finally:
        engine.dispose()


def test_processes_that_upgrade_an_empty_database_together_all_succeed(empty_db_url: str) -> None:
    # the workers of `anpr serve` (and a gate worker) may all migrate at start-up; the lock lets one migrate
    workers = 4
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        start_at = time.time() + 3  # after every child has imported the project
        runs = [pool.apply_async(_upgrade_at, (empty_db_url, start_at)) for _ in range(workers)]
        revisions = [run.get(timeout=60) for run in runs]  # re-raises a failed upgrade
    head = ScriptDirectory.from_config(alembic_config()).get_heads()[0]
    assert revisions == [head] * workers
    engine = build_engine(empty_db_url, DbSettings())
    try:
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_fresh_sqlite_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sub/dir/anpr.db"
    engine = build_engine(url, DbSettings(sqlite_busy_timeout_ms=1234))
    try:
        upgrade(engine=engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 1234
    finally:
        engine.dispose()
    assert (tmp_path / "sub" / "dir" / "anpr.db").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    from anpr.errors import ConfigError

    with pytest.raises(ConfigError, match="needs a file"):
        build_engine(url, DbSettings())


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _plate_keys(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        return {(k, f) for k, f in conn.execute(text("SELECT key, folded FROM plate_keys"))}


def test_plate_keys_upgrade_fills_the_keys_of_stored_plates(engine: Engine, session: Session) -> None:
    """Revision 0002 adds ``plate_keys`` to a database that already holds plates: its upgrade must
    leave the same keys that storing them now writes, or old plates would vanish from fuzzy search."""
    store_event(session, make_event("ev-1", plate="51C12345", trailer="51R01234"))
    store_event(session, make_event("ev-2", plate="5IC12345"))  # folds like ev-1: one plate, one set of keys
    import_declarations(session, parse_json([declaration(plates=["29H-777.88"])], ZONE))
    written = _plate_keys(engine)
    assert {f for _, f in written} == {fold("51C12345"), fold("51R01234"), fold("29H77788")}
    session.close()
    try:
        _downgrade(engine, "0001")
        assert "plate_keys" not in inspect(engine).get_table_names()
    finally:
        upgrade(engine=engine)
    assert _plate_keys(engine) == written
    hits = events_by_plate(session, "51C-I23.45", fuzzy=True, threshold=1.5)
    assert {e.event_id for e in hits.items} == {"ev-1", "ev-2"}


def _summary_columns(engine: Engine) -> dict[str, tuple[object, ...]]:
    query = text(
        "SELECT event_id, plate_text, plate_formatted, trailer_plate_text, first_container, second_container "
        "FROM gate_events"
    )
    with engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(query)}


def test_event_summary_upgrade_copies_the_reads_of_stored_events(engine: Engine, session: Session) -> None:
    """Revision 0003 copies each pass's headline reads onto its event row, which list pages read: its
    upgrade must fill them for events stored before it exactly as storing them now does."""
    store_event(session, make_event("ev-1", plate="51C12345", trailer="51R01234", containers=(("MSCU1234566", True),)))
    boxes = (("TEMU2709541", True), ("CAXU6844023", True))
    store_event(session, make_event("ev-2", plate=None, containers=boxes))
    store_event(session, make_event("ev-3", plate="29H77788", evidence=0))
    written = _summary_columns(engine)
    assert written["ev-1"][0] == "51C12345" and written["ev-1"][2:] == ("51R01234", "MSCU1234566", None)
    assert written["ev-2"] == (None, None, None, "TEMU2709541", "CAXU6844023")
    session.close()
    try:
        _downgrade(engine, "0002")
        assert "plate_text" not in {c["name"] for c in inspect(engine).get_columns("gate_events")}
    finally:
        upgrade(engine=engine)
    assert _summary_columns(engine) == written
    (entry,) = events_by_plate(session, "51C-123.45").items
    assert (entry.plate, entry.trailer_plate, entry.containers) == ("51C12345", "51R01234", ("MSCU1234566",))


def _review_columns(engine: Engine) -> dict[str, tuple[object, ...]]:
    query = text("SELECT event_id, plate_trust, container_unverified, reviewed_at FROM gate_events")
    with engine.connect() as conn:
        return {row[0]: (round(float(row[1]), 6), bool(row[2]), row[3]) for row in conn.execute(query)}


def test_review_upgrade_fills_the_review_columns_of_stored_events(engine: Engine, session: Session) -> None:
    """Revision 0004 adds what the review list compares to every pass: its upgrade must fill them for
    events stored before it exactly as storing them now does (anpr.review.plate_trust)."""
    events = [
        make_event("sure", plate_confidence=0.995, trailer="51R01234", trailer_confidence=0.97),
        make_event("invalid", plate="5IC1234S", plate_valid=False, plate_confidence=0.99),
        make_event("no-plate", plate=None, containers=(("MSCU1234566", True),)),
        make_event("box-fails", plate_confidence=0.999, containers=(("MSCU1234566", True), ("MSCU1234560", False))),
    ]
    for event in events:
        store_event(session, event)
    written = _review_columns(engine)
    assert written == {
        "sure": (0.97, False, None),
        "invalid": (-1.0, False, None),
        "no-plate": (-1.0, False, None),
        "box-fails": (0.999, True, None),
    }
    session.close()
    try:
        _downgrade(engine, "0003")
        assert "plate_trust" not in {c["name"] for c in inspect(engine).get_columns("gate_events")}
        assert "event_reviews" not in inspect(engine).get_table_names()
    finally:
        upgrade(engine=engine)
    assert _review_columns(engine) == written
    assert [s.event_id for s in list_events(session, EventQuery(review_below=0.99)).items] == [
        "box-fails",
        "no-plate",
        "invalid",
        "sure",
    ]
