"""``anpr serve`` and ``anpr apikey create``: attach them with :func:`register`.

Heavy imports (FastAPI app, uvicorn, database) happen inside the commands so
building the CLI stays cheap.
"""

from __future__ import annotations

import json

import typer

apikey_app = typer.Typer(help="API keys (stored hashed; a new key is printed once).", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
    log_level: str = typer.Option("info", "--log-level", help="critical, error, warning, info or debug."),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log", help="Log every request to stderr."),
) -> None:
    """Serve the API (/api/v1, docs at /api/v1/docs) and the officer console (/) with uvicorn."""
    from anpr.errors import InvalidInputError
    from api.serve import ServeOptions
    from api.serve import serve as run_server

    levels = ("critical", "error", "warning", "info", "debug")
    if log_level.lower() not in levels:
        raise InvalidInputError(f"--log-level must be one of {', '.join(levels)}")
    options = ServeOptions(host=host, port=port, log_level=log_level.lower(), access_log=access_log)
    raise typer.Exit(run_server(options, workers))


@apikey_app.command("create")
def create(
    role: str = typer.Option(..., "--role", help="officer, operator, integration or admin."),
    name: str = typer.Option("", "--name", help="A label for the key (who or what uses it)."),
    url: str | None = typer.Option(None, "--url", help="Database URL (default: DATABASE_URL)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the bare key."),
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    from sqlalchemy.orm import Session

    from api.services.apikeys import create_api_key
    from db.config import get_db_settings
    from db.migrate import upgrade
    from db.session import build_engine

    engine = build_engine(url or get_db_settings().database_url)
    try:
        upgrade(engine=engine)
        with Session(engine) as session:
            new = create_api_key(session, role, name)
            session.commit()
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"id": new.key.id, "name": new.key.name, "role": new.key.role, "key": new.secret}))
    else:
        typer.echo(new.secret)
        typer.echo(f"created {new.key.role} key {new.key.id} ({new.key.name}); it is not shown again", err=True)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``apikey`` group to the ``anpr`` command line."""
    app.command("serve")(serve)
    app.add_typer(apikey_app, name="apikey")
