"""App wiring: settings fail fast, the console is served, CORS is off, the dispatcher runs, the CLI makes keys."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
import typer
from api_builders import C2, Keys, event_json
from fastapi.testclient import TestClient
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from anpr.config import AnprSettings
from api.cli import register
from api.config import ApiSettings
from api.main import create_app
from db.config import DbSettings
from db.models import ApiKeyRow
from db.repositories.admin import hash_api_key


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("ANPR_API_MAX_UPLOAD_BYTES", "10"),  # below the minimum
        ("ANPR_API_ALLOWED_IMAGE_TYPES", '["text/html"]'),  # not an image type
        ("ANPR_API_WEBHOOK_MAX_ATTEMPTS", "0"),  # no attempt at all
        ("ANPR_API_CORS_ORIGINS", "not json"),  # a list must be JSON
    ],
)
def test_bad_settings_fail_at_start(monkeypatch: pytest.MonkeyPatch, env: str, value: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises((ValidationError, SettingsError)):
        ApiSettings()


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="no_such_setting"):
        ApiSettings(no_such_setting=1)  # type: ignore[call-arg]


def test_console_is_served_and_cors_is_off(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert client.get("/static/app.js").status_code == 200
    preflight = client.options(
        "/api/v1/events", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_dispatcher_delivers_in_the_background(
    database_url: str, engine: Engine, evidence_dir: Path, keys: Keys
) -> None:
    got = threading.Event()

    def subscriber(request: httpx.Request) -> httpx.Response:
        got.set()
        return httpx.Response(200)

    app = create_app(
        ApiSettings(webhook_poll_seconds=0.05, migrate_on_start=False),
        db_settings=DbSettings(database_url=database_url), anpr_settings=AnprSettings(evidence_dir=evidence_dir),
        webhook_transport=httpx.MockTransport(subscriber),
    )  # fmt: skip
    with TestClient(app) as client:
        hook = {"url": "https://customs.example/hook", "events": ["*"]}
        client.post("/api/v1/webhooks", json=hook, headers=keys.headers("integration"))
        client.post("/api/v1/events", json=event_json("u-1", containers=(C2,)), headers=keys.headers("integration"))
        assert got.wait(10), "the dispatcher did not deliver within 10 s"


def test_cli_creates_a_key_printed_once_and_stored_hashed(database_url: str, engine: Engine) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """anpr"""

    register(app)
    result = CliRunner().invoke(
        app, ["apikey", "create", "--role", "officer", "--name", "desk 3", "--url", database_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    with Session(engine) as session:
        row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.id == made["id"]))
        assert row is not None and row.role == "officer" and row.name == "desk 3"
        assert row.key_hash == hash_api_key(made["key"]) and made["key"] not in row.key_hash
    bad = CliRunner().invoke(app, ["apikey", "create", "--role", "root", "--url", database_url])
    assert bad.exit_code != 0
