"""``anpr serve``: the API and console under uvicorn, in one process or several workers.

Before any worker starts, the settings are read (a bad one stops the server with its message,
not a traceback) and, when the app would migrate, the database is migrated once: every worker's
app still checks at start-up but finds the schema current, so a long migration does not keep
the other workers waiting on the migration lock (see ``db.migrate``).

Tried and not kept: a socket per worker with ``SO_REUSEPORT``. With uvicorn's shared socket,
keep-alive clients that connect together split unevenly over the workers (14/36 to 22/28 of 50
in the API benchmark), and the busy worker's clients set the p99; the kernel's hash of the
client addresses split them no better (17/33 twice in five runs), so it was not worth a
supervisor of our own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

APP = "api.main:create_app"
STARTUP_FAILURE = 3  # uvicorn's exit status for a server (or worker) that could not start


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``anpr serve`` passes to uvicorn."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    access_log: bool = True
    timeout_keep_alive: int = 5
    timeout_graceful_shutdown: int = 10


def check_settings() -> None:
    """Read every setting the app reads, so a bad one stops ``anpr serve`` with its message, not a traceback."""
    from pydantic import ValidationError

    from anpr.config import get_settings
    from anpr.errors import ConfigError
    from api.config import get_api_settings
    from db.config import get_db_settings

    try:
        get_api_settings()
        get_db_settings()
        get_settings()
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc


def migrate_first() -> None:
    """Bring the database to the newest schema before the workers start, when the app would migrate.

    Every worker's app still checks at start-up, but finds the schema current: a long migration runs
    once, here, instead of keeping the other workers waiting on the migration lock (see ``db.migrate``).
    """
    from sqlalchemy.exc import SQLAlchemyError

    from anpr.errors import ConfigError
    from api.config import get_api_settings
    from db.config import get_db_settings
    from db.migrate import upgrade

    if not get_api_settings().migrate_on_start:
        return
    try:
        upgrade(get_db_settings().database_url)
    except SQLAlchemyError as exc:
        raise ConfigError(f"cannot bring the database up to date: {getattr(exc, 'orig', None) or exc}") from exc


def serve(options: ServeOptions, workers: int = 1) -> int:
    """Serve the API and console; the exit status."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    check_settings()
    if workers == 1:
        from api.main import create_app

        server = uvicorn.Server(uvicorn.Config(create_app(), **asdict(options)))
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    migrate_first()
    # a busy worker may answer the supervisor's health check late; do not kill it for that
    config = uvicorn.Config(APP, factory=True, workers=workers, timeout_worker_healthcheck=30, **asdict(options))
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()  # until SIGINT/SIGTERM, or until a worker fails to start
    failed = any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes)
    return STARTUP_FAILURE if failed else 0
