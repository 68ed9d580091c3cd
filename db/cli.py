"""Typer commands for the database (``anpr db ...``) and evidence retention (``anpr retention ...``).

Output is JSON on stdout. Domain errors are raised as :class:`~anpr.errors.AnprError`
for :func:`anpr.cli.main` to turn into an exit code; ``import-declarations``
also exits 1 when any row failed (the report says which and why). Heavy
imports happen inside the commands so building the CLI stays cheap.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from anpr.errors import InvalidInputError

db_app = typer.Typer(help="Database: migrations, declaration import, cross-check.", no_args_is_help=True)
retention_app = typer.Typer(help="Evidence retention.", no_args_is_help=True)


@db_app.callback()
def _db_group() -> None:
    """Database: migrations, declaration import, cross-check."""


@retention_app.callback()
def _retention_group() -> None:
    """Evidence retention (a group even with one command, so ``anpr retention purge`` reads right)."""


URL_OPTION = typer.Option(None, "--url", help="Database URL (default: DATABASE_URL / ANPR_DB_DATABASE_URL).")


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def _now(value: str | None) -> datetime:
    from db.models import utcnow

    if value is None:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"--now is not an ISO 8601 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise InvalidInputError("--now needs a time zone offset")
    return parsed


@db_app.command("upgrade")
def upgrade_command(
    url: str | None = URL_OPTION,
    revision: str = typer.Option("head", help="Target revision."),
) -> None:
    """Apply the Alembic migrations (creates the SQLite file and folder if needed)."""
    from db.config import get_db_settings
    from db.migrate import current_revision, upgrade
    from db.session import build_engine

    engine = build_engine(url or get_db_settings().database_url)
    try:
        upgrade(revision=revision, engine=engine)
        _print({"revision": current_revision(engine)})
    finally:
        engine.dispose()


@db_app.command("import-declarations")
def import_declarations_command(
    file: Path = typer.Argument(..., help="A .json (one object or a list) or .csv file of declarations."),
    url: str | None = URL_OPTION,
) -> None:
    """Validate and store declarations; prints a per-row report, exits 1 if any row failed."""
    from db.config import get_db_settings
    from db.declaration_service import import_declarations
    from db.declarations import load_file
    from db.session import get_sessionmaker

    settings = get_db_settings()
    parsed = load_file(file, settings.zone)
    with get_sessionmaker(url)() as session:
        report = import_declarations(session, parsed, source=file.suffix.lstrip(".").lower(), settings=settings)
    _print(report.as_dict())
    if not report.ok:
        raise typer.Exit(1)


@db_app.command("recheck")
def recheck_command(
    url: str | None = URL_OPTION,
    now: str | None = typer.Option(None, help="Check as of this ISO time (default: now)."),
) -> None:
    """Cross-check unchecked events and close declarations whose window has ended."""
    from db.checks import recheck_due
    from db.session import get_sessionmaker

    with get_sessionmaker(url)() as session:
        _print(recheck_due(session, _now(now)))


@retention_app.command("purge")
def purge_command(
    evidence_dir: Path | None = typer.Option(None, help="Evidence folder (default: ANPR_EVIDENCE_DIR)."),
    url: str | None = URL_OPTION,
    now: str | None = typer.Option(None, help="Purge as of this ISO time (default: now)."),
) -> None:
    """Delete evidence images and rows past their retain_until; prints the counts."""
    from anpr.config import get_settings
    from db.retention import purge
    from db.session import get_sessionmaker

    folder = evidence_dir or get_settings().evidence_dir
    with get_sessionmaker(url)() as session:
        _print(purge(session, folder, _now(now)).as_dict())
