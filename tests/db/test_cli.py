"""The ``anpr db`` and ``anpr retention`` commands, run through Typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from db_builders import T0, make_event, write_evidence
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from anpr.errors import InvalidInputError
from db.cli import db_app, retention_app
from db.config import DbSettings
from db.migrate import alembic_config
from db.repositories.declarations import get_declaration
from db.services import store_event
from db.session import dispose_engines

DATA = Path(__file__).resolve().parents[1] / "data"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _engines() -> Iterator[None]:
    yield
    dispose_engines()


def test_upgrade_creates_a_fresh_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/new/anpr.db"
    result = runner.invoke(db_app, ["upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert json.loads(result.output)["revision"] == head
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM declarations")).scalar() == 0
    engine.dispose()


def test_import_declarations_reports_rows_and_fails_on_any_bad_row(db_url: str, session: Session) -> None:
    result = runner.invoke(db_app, ["import-declarations", str(DATA / "declarations_sample.csv"), "--url", db_url])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["counts"] == {"created": 3, "amended": 0, "unchanged": 0, "error": 3}
    assert [r["row"] for r in report["rows"] if r["outcome"] == "error"] == [3, 4, 6]
    assert get_declaration(session, "300987654320").declaration.type_code == "C12"


def test_import_of_good_rows_exits_zero(db_url: str, tmp_path: Path) -> None:
    good = json.loads((DATA / "declarations_sample.json").read_text())[:2]
    path = tmp_path / "good.json"
    path.write_text(json.dumps(good))
    result = runner.invoke(db_app, ["import-declarations", str(path), "--url", db_url])
    assert result.exit_code == 0, result.output
    again = runner.invoke(db_app, ["import-declarations", str(path), "--url", db_url])
    assert json.loads(again.output)["counts"]["unchanged"] == 2


def test_unreadable_file_is_a_domain_error(tmp_path: Path) -> None:
    result = runner.invoke(db_app, ["import-declarations", str(tmp_path / "absent.csv")])
    assert isinstance(result.exception, InvalidInputError)  # anpr.cli.main turns it into exit code 2


def test_purge_prints_counts(db_url: str, session: Session, settings: DbSettings, tmp_path: Path) -> None:
    old = make_event("old", at=T0 - timedelta(days=400))
    write_evidence(tmp_path, old)
    store_event(session, old, settings=settings, now=T0)
    args = ["purge", "--evidence-dir", str(tmp_path), "--url", db_url, "--now", T0.isoformat()]
    result = runner.invoke(retention_app, args)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert (counts["rows_deleted"], counts["files_deleted"]) == (1, 1)


def test_recheck_prints_counts(db_url: str) -> None:
    result = runner.invoke(db_app, ["recheck", "--url", db_url, "--now", T0.isoformat()])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"events": 0, "declarations": 0}
    bad = runner.invoke(db_app, ["recheck", "--url", db_url, "--now", "yesterday"])
    assert isinstance(bad.exception, InvalidInputError)
