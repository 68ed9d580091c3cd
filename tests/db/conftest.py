"""Fixtures for storage tests: every test that takes ``session`` runs on SQLite and on PostgreSQL.

Both databases are migrated with ``alembic upgrade head`` once per test
session: SQLite into a template file copied for each test, PostgreSQL into a
throwaway database (``anpr_test_<random>``, created through the ``test``
database and dropped at the end) whose tables are emptied after each test.
The PostgreSQL runs are skipped, with the reason, only when no server answers
at 127.0.0.1:5432.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.config import DbSettings, get_db_settings
from db.migrate import upgrade
from db.models import Base
from db.session import build_engine

PG_HOST = "127.0.0.1"
PG_USERS = ("postgres", "root")


def _pg_user() -> tuple[str | None, str]:
    errors = []
    for user in PG_USERS:
        try:
            with psycopg.connect(host=PG_HOST, user=user, dbname="test", connect_timeout=3):
                return user, ""
        except psycopg.Error as exc:
            errors.append(f"{user}: {str(exc).strip()}")
    return None, "; ".join(errors)


def _pg_user_or_skip() -> str:
    user, why = _pg_user()
    if user is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_HOST}:5432 ({why})")
    return user


@contextmanager
def _throwaway_pg_database(user: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database ``<prefix>_<random>``, dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=PG_HOST, user=user, dbname="test", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://{user}@{PG_HOST}:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "anpr.db"
    engine = build_engine(f"sqlite:///{path}", DbSettings())
    upgrade(engine=engine)
    engine.dispose()  # the last connection checkpoints the WAL into the main file
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    user = _pg_user_or_skip()
    with _throwaway_pg_database(user, "anpr_test") as url:
        engine = build_engine(url, DbSettings())
        try:
            upgrade(engine=engine)
        finally:
            engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that was never migrated: a new SQLite file, or a new PostgreSQL database (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    user = _pg_user_or_skip()
    with _throwaway_pg_database(user, "anpr_empty") as url:
        yield url


@pytest.fixture(autouse=True)
def _credentials_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ANPR_DB_CREDENTIALS_KEY", Fernet.generate_key().decode())
    get_db_settings.cache_clear()
    yield
    get_db_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "anpr.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    url: str = request.getfixturevalue("pg_url")
    yield url
    engine = build_engine(url, DbSettings())
    try:
        with engine.begin() as conn:  # DELETE is much faster than TRUNCATE on tables this small
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture
def settings(db_url: str) -> DbSettings:
    return DbSettings(database_url=db_url, credentials_key=Fernet.generate_key().decode())


@pytest.fixture
def engine(db_url: str, settings: DbSettings) -> Iterator[Engine]:
    built = build_engine(db_url, settings)
    yield built
    built.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s
