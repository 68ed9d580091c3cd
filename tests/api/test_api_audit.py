"""The audit trail of reads is written in the background: late by at most a flush, never lost on shutdown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from api_builders import Keys
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from anpr.config import AnprSettings
from api.config import ApiSettings
from api.main import create_app
from db.config import DbSettings
from db.models import AuditLogRow

API = "/api/v1"


def _app(database_url: str, evidence_dir: Path, flush_seconds: float) -> TestClient:
    settings = ApiSettings(webhooks_enabled=False, migrate_on_start=False, audit_flush_seconds=flush_seconds)
    app = create_app(
        settings,
        db_settings=DbSettings(database_url=database_url),
        anpr_settings=AnprSettings(evidence_dir=evidence_dir),
    )
    return TestClient(app)


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditLogRow.action).order_by(AuditLogRow.id)))


def test_read_rows_are_queued_and_written_at_shutdown(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    with _app(database_url, evidence_dir, flush_seconds=60) as client:  # no tick during the test
        for plate in ("51C12345", "29H12345"):
            assert client.get(f"{API}/vehicles/{plate}/entries", headers=keys.headers("officer")).status_code == 200
        assert client.get(f"{API}/vehicles/NOTAPLATE/entries", headers=keys.headers("officer")).status_code == 422
        assert _actions(engine) == []  # queued, not yet written
        assert client.app.state.anpr.audit.pending == 2  # type: ignore[attr-defined]
    assert _actions(engine) == ["GET /api/v1/vehicles/{plate}/entries"] * 2  # the refused one is not audited


def test_the_audit_route_sees_every_queued_row(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    with _app(database_url, evidence_dir, flush_seconds=60) as client:
        client.get(f"{API}/vehicles/51C12345/entries", headers=keys.headers("officer"))
        log = client.get(f"{API}/audit", headers=keys.headers("admin")).json()["items"]
        assert [a["action"] for a in log] == ["GET /api/v1/vehicles/{plate}/entries"]
        assert log[0]["details"] == {"role": "officer", "results": 0}


def test_changes_write_their_row_with_the_change(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    with _app(database_url, evidence_dir, flush_seconds=60) as client:
        made = client.post(f"{API}/apikeys", json={"role": "officer", "name": "x"}, headers=keys.headers("admin"))
        assert made.status_code == 201
        assert _actions(engine) == ["POST /api/v1/apikeys"]  # in the request's own transaction, not queued


def test_the_background_writer_flushes_within_its_interval(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    with _app(database_url, evidence_dir, flush_seconds=0.05) as client:
        client.get(f"{API}/vehicles/51C12345/entries", headers=keys.headers("officer"))
        deadline = time.monotonic() + 10
        while not _actions(engine) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _actions(engine) == ["GET /api/v1/vehicles/{plate}/entries"]


def test_zero_interval_writes_reads_in_their_transaction(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    with _app(database_url, evidence_dir, flush_seconds=0) as client:
        client.get(f"{API}/vehicles/51C12345/entries", headers=keys.headers("officer"))
        assert client.app.state.anpr.audit is None  # type: ignore[attr-defined]
        assert _actions(engine) == ["GET /api/v1/vehicles/{plate}/entries"]


def test_a_search_survives_the_server_dropping_its_connection(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    """No ping before each use: the search that finds a dropped connection runs again on a new one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("only a server can drop a connection")
    import psycopg

    for inline in (True, False):
        settings = ApiSettings(webhooks_enabled=False, migrate_on_start=False, inline_reads=inline)
        app = create_app(
            settings,
            db_settings=DbSettings(database_url=database_url, pool_pre_ping=False),
            anpr_settings=AnprSettings(evidence_dir=evidence_dir),
        )
        with TestClient(app) as client:
            url = f"{API}/vehicles/51C12345/entries"
            assert client.get(url, headers=keys.headers("officer")).status_code == 200
            with psycopg.connect(database_url, autocommit=True) as admin:
                dropped = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            assert dropped
            answer = client.get(url, headers=keys.headers("officer"))
            assert answer.status_code == 200, answer.text
