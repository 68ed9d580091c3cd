"""The ``anpr`` command line.

Sub-commands live beside the code they drive; this module only assembles
them and maps the domain exception tree to exit codes in one place
(:func:`main`). Logs go to stderr; stdout carries only command output.
"""

from __future__ import annotations

import logging
import sys

import typer

from anpr.errors import AnprError

app = typer.Typer(
    name="anpr",
    help="Gate recognition for customs-supervised warehouses: plates, container numbers, gate events.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging on stderr.")) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    """Attach every sub-command group (imports stay light: heavy work happens inside commands)."""
    from anpr import cli_demo, cli_gate, cli_recognize
    from anpr.cli_train import train_app
    from anpr.training import cli_ocr
    from api import cli as api_cli
    from db import cli as db_cli

    cli_ocr.register(train_app)
    app.add_typer(train_app, name="train")
    cli_recognize.register(app)
    cli_gate.register(app)
    app.add_typer(db_cli.db_app, name="db")
    app.add_typer(db_cli.retention_app, name="retention")
    api_cli.register(app)
    cli_demo.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, turning domain errors into a message and an exit code."""
    try:
        app(args=argv, standalone_mode=True)
    except AnprError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None


if __name__ == "__main__":
    main()
