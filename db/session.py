"""Engines and sessions, built on first use by cached factories (nothing is built at import).

SQLite connections get ``journal_mode=WAL`` (readers never block the writer),
``foreign_keys=ON``, ``busy_timeout`` and ``synchronous`` from the settings.
``postgresql://`` URLs are rewritten to the psycopg 3 driver.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from anpr.errors import ConfigError
from db.config import DbSettings, get_db_settings

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def normalize_url(url: str | URL) -> URL:
    """``url`` with the driver this project uses: pysqlite for SQLite, psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError; keep the message, hide the type
        raise ConfigError(f"invalid database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+pysqlite")
    raise ConfigError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _wal(cursor: Any, timeout: float) -> None:
    """Put the database in WAL mode unless it is already (the mode is stored in the file).

    Switching needs a lock that SQLite does not wait for: when processes open a new file together,
    one switches it and may then hold a write lock (a worker migrating it), and the others fail at
    once. They retry, find WAL set, and go on; after ``timeout`` seconds the error is raised."""
    deadline = time.monotonic() + timeout
    while str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return  # switched, or a file system without WAL kept the old mode: nothing more to try
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_pragmas(settings: DbSettings) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # the busy timeout first, so the statements below wait for other processes' locks
            cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
            _wal(cursor, settings.sqlite_busy_timeout_ms / 1000)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={settings.sqlite_synchronous}")
        finally:
            cursor.close()

    return on_connect


def build_engine(url: str | URL, settings: DbSettings | None = None) -> Engine:
    """A new engine for ``url`` (use :func:`get_engine` for the shared, cached one)."""
    settings = settings or get_db_settings()
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            raise ConfigError("SQLite needs a file (WAL mode and several connections): sqlite:///var/anpr.db")
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A pool as large as the server's concurrency: with SQLAlchemy's default (5 + 10 overflow), every
        # checkout beyond 5 opened a new connection (file open, pragmas, schema parse) and closed it after.
        engine = create_engine(
            parsed, echo=settings.echo_sql, pool_size=settings.pool_size, max_overflow=settings.max_overflow
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings))
        return engine
    return create_engine(
        parsed,
        connect_args={"options": f"-c synchronous_commit={settings.pg_synchronous_commit}"},
        echo=settings.echo_sql,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=settings.pool_pre_ping,
    )


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured ``DATABASE_URL``), built once."""
    key = url or get_db_settings().database_url
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = build_engine(key)
        return engine


def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    """A session factory bound to :func:`get_engine`; objects are not expired on commit."""
    return sessionmaker(get_engine(url), expire_on_commit=False)


def dispose_engines() -> None:
    """Close and forget every engine :func:`get_engine` built (tests, shutdown)."""
    with _LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()
