"""Run Alembic programmatically: ``upgrade(url)`` brings a database to the newest schema.

Processes that start together (the workers of ``anpr serve``, a gate worker beside the API) may
all upgrade one database at once. Each upgrade first takes a database-wide lock, so the first
migrates and the others then find the schema current: a transaction-scoped advisory lock on
PostgreSQL, and SQLite's write lock (``BEGIN IMMEDIATE``; its DDL would otherwise run outside
any transaction and two processes could both try to create the same table).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from db.session import build_engine

ALEMBIC_INI = Path(__file__).resolve().parent / "alembic.ini"
MIGRATION_LOCK = 0x616E7072  # "anpr": the PostgreSQL advisory lock key that serialises upgrades


def alembic_config(url: str | None = None) -> Config:
    """The project's Alembic config; ``url`` overrides the configured database."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "head", engine: Engine | None = None) -> None:
    """Apply migrations up to ``revision`` on ``engine`` (or a throwaway engine for ``url``)."""
    if engine is None:
        from db.config import get_db_settings

        engine = build_engine(url or get_db_settings().database_url)
        owned = True
    else:
        owned = False
    try:
        with engine.begin() as connection:
            _lock(connection)
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        if owned:
            engine.dispose()


def _lock(connection: Connection) -> None:
    """Hold the database's migration lock until ``connection``'s transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    elif connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, ``None`` when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
