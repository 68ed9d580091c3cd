"""Migrations are the schema: ``alembic upgrade head`` on an empty database matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from db.config import DbSettings
from db.migrate import alembic_config, current_revision, upgrade
from db.models import Base
from db.session import build_engine


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
