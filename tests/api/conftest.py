"""Fixtures for API tests: a real app on a real, migrated database, SQLite and PostgreSQL.

Every test that takes ``client`` (or ``api``) runs twice: on a SQLite file
and on a throwaway PostgreSQL database, both migrated with Alembic through
:func:`db.migrate.upgrade` once per session and emptied before each test.
The PostgreSQL half is skipped, with the reason, only when no server answers
(``ANPR_TEST_PG_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``).

The only fake is the Recognizer's detector and OCR engine (Protocols), passed
through the app factory: see ``tests/api/api_builders.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import psycopg
import pytest
from api_builders import ROLES, FakeDetector, FakeOcr, Keys
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from anpr.config import AnprSettings
from anpr.recognition import Recognizer
from api.config import ApiSettings
from api.main import create_app
from api.services.apikeys import create_api_key
from db.config import DbSettings, get_db_settings
from db.migrate import upgrade
from db.models import Base
from db.session import build_engine

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session", autouse=True)
def _credentials_key() -> Iterator[None]:
    """Camera passwords and webhook secrets are encrypted with a throwaway key (never var/)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANPR_DB_CREDENTIALS_KEY", Fernet.generate_key().decode())
        get_db_settings.cache_clear()
        yield
    get_db_settings.cache_clear()


def _pg_database() -> Generator[str, None, None]:
    base = make_url(os.environ.get("ANPR_TEST_PG_URL", PG_DEFAULT))
    server = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(
            f"PostgreSQL unreachable at {base.host}:{base.port or 5432} ({str(exc).strip()}); "
            "set ANPR_TEST_PG_URL to run the PostgreSQL half"
        )
    name = f"anpr_api_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')  # the name is ours (hex), not input
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database per backend, for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('apidb') / 'anpr.db'}"
        engine = build_engine(url, DbSettings(database_url=url))
        upgrade(engine=engine)
        engine.dispose()
        yield url
        return
    gen = _pg_database()
    url = next(gen)
    engine = build_engine(url, DbSettings(database_url=url))
    try:
        upgrade(engine=engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        gen.close()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """The test's engine, on an emptied database."""
    eng = build_engine(database_url, DbSettings(database_url=database_url))
    with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def evidence_dir(tmp_path: Path) -> Path:
    path = tmp_path / "evidence"
    path.mkdir()
    return path


@pytest.fixture
def fake_ocr() -> FakeOcr:
    return FakeOcr()


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(
        webhooks_enabled=False, migrate_on_start=False, max_upload_bytes=256 * 1024, max_body_bytes=64 * 1024
    )


@pytest.fixture
def client(
    database_url: str, engine: Engine, evidence_dir: Path, fake_ocr: FakeOcr, api_settings: ApiSettings
) -> Iterator[TestClient]:
    app = create_app(
        api_settings,
        db_settings=DbSettings(database_url=database_url),
        anpr_settings=AnprSettings(evidence_dir=evidence_dir),
        recognizer_factory=lambda: Recognizer(FakeDetector(), fake_ocr),
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def keys(sessions: sessionmaker[Session]) -> Keys:
    with sessions() as session:
        made = {role: create_api_key(session, role, f"test {role}").secret for role in ROLES}
        session.commit()
    return Keys(made)
