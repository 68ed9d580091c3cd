"""``anpr demo``: render a synthetic gate scenario, run the pipeline into SQLite, print a key, serve.

See :mod:`anpr.demo` for the steps. Attach with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import typer

from anpr.errors import InvalidInputError


def demo(
    root: Path = typer.Option(Path("var/demo"), "--root", help="Working folder (deleted and rebuilt)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to serve on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to serve on."),
    recognizer: str = typer.Option(
        "auto", "--recognizer", help="models (shipped weights), truth (renderer's ground truth) or auto."
    ),
    frames: int = typer.Option(12, "--frames", min=2, max=100, help="Frames per camera per pass."),
    no_serve: bool = typer.Option(False, "--no-serve", help="Prepare the database and stop."),
) -> None:
    """Run the demo scenario through the real pipeline into SQLite and serve the API and console."""
    from anpr.demo import prepare_demo, serve

    if recognizer not in ("auto", "models", "truth"):
        raise InvalidInputError("--recognizer must be auto, models or truth")
    mode = cast(Literal["auto", "models", "truth"], recognizer)
    result = prepare_demo(root, mode=mode, n_frames=frames, say=lambda text: typer.echo(text, err=True))
    counts = result.declarations["counts"]
    typer.echo(
        f"{result.events} events stored, {counts['created']} declarations imported; recogniser: {result.recognizer}",
        err=True,
    )
    typer.echo(f"\nDemo officer API key (shown once):\n\n    {result.officer_key}\n")
    if no_serve:
        return
    typer.echo(f"Open http://{host}:{port}/ and sign in with the key. Stop with Ctrl-C.\n")
    serve(result, host, port)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``anpr`` command line."""
    app.command("demo")(demo)
