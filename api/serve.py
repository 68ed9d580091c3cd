"""``anpr serve``: the API under uvicorn, in one process or in several workers that share the load evenly.

uvicorn's own multi-worker mode binds one listening socket and hands it to every
worker. Its event loop accepts every pending connection each time the socket
wakes it, so when clients connect together (a burst of integrations, a benchmark's
50 clients) one worker takes most of them and keeps them for their keep-alive
life: measured with 50 clients on 2 workers, splits of 16/34 gave that worker's
clients 58 ms where the other's saw 35 ms, and the p99 followed the busy one.

On Linux each worker here listens on a socket of its own, bound to the same
address with ``SO_REUSEPORT``, and the kernel spreads new connections over the
sockets by a hash of their addresses. The parent keeps the sockets open, so a
connection that arrives while a worker is being replaced waits in that worker's
queue instead of being refused. Elsewhere (no ``SO_REUSEPORT`` balancing) it
falls back to uvicorn's supervisor.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from dataclasses import asdict, dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

log = logging.getLogger("uvicorn.error")
APP = "api.main:create_app"
STARTUP_FAILURE = 3  # a worker that exits with this could not start (bad settings, database down): no restart
BACKLOG = 2048


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``anpr serve`` passes to uvicorn (picklable: each worker process builds its own server)."""

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    access_log: bool = True
    timeout_keep_alive: int = 5
    timeout_graceful_shutdown: int = 10


def balanced_workers_supported() -> bool:
    """Whether the kernel balances connections over ``SO_REUSEPORT`` sockets (Linux does)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def reuse_port_sockets(host: str, port: int, count: int, backlog: int = BACKLOG) -> list[socket.socket]:
    """``count`` listening sockets on one address; with ``port`` 0 the first picks a free port for all."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
            port = sock.getsockname()[1]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker(options: ServeOptions, sock: socket.socket) -> None:
    """One worker process: a uvicorn server on its own socket."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(APP, factory=True, backlog=BACKLOG, **asdict(options)))
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Workers:
    """Starts one process per socket, replaces a worker that dies, and stops them all on SIGINT/SIGTERM."""

    def __init__(self, options: ServeOptions, sockets: list[socket.socket]) -> None:
        multiprocessing.allow_connection_pickling()
        self.options = options
        self.sockets = sockets
        self.context = multiprocessing.get_context("spawn")  # no fork: each worker imports the app afresh
        self.processes: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.failed = False

    def _start(self, sock: socket.socket) -> BaseProcess:
        process = self.context.Process(target=_worker, args=(self.options, sock), name="anpr-api-worker")
        process.start()
        log.info("started worker process [%s]", process.pid)
        return process

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping the workers", signal.Signals(signum).name)
        self.stopping.set()

    def _check(self) -> None:
        for idx, process in enumerate(self.processes):
            if process.is_alive() or self.stopping.is_set():
                continue
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker [%s] failed to start; stopping", process.pid)
                self.failed = True
                self.stopping.set()
                return
            log.warning("worker [%s] exited with %s; starting another", process.pid, process.exitcode)
            self.processes[idx] = self._start(self.sockets[idx])

    def run(self) -> int:
        """Serve until SIGINT or SIGTERM; the exit status (non-zero when a worker could not start)."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start(sock) for sock in self.sockets]
            while not self.stopping.wait(0.5):
                self._check()
        finally:
            for process in self.processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
            for process in self.processes:
                process.join(self.options.timeout_graceful_shutdown + 5)
                if process.is_alive():
                    process.kill()
                    process.join()
            for sock in self.sockets:
                sock.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return STARTUP_FAILURE if self.failed else 0


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

    check_settings()

    if workers == 1:
        from api.main import create_app

        server = uvicorn.Server(uvicorn.Config(create_app(), **asdict(options)))
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    migrate_first()
    if not balanced_workers_supported():
        # a busy worker may answer the supervisor's health check late; do not kill it for that
        uvicorn.run(APP, factory=True, workers=workers, timeout_worker_healthcheck=30, **asdict(options))
        return 0
    uvicorn.Config(APP, factory=True, **asdict(options))  # sets up logging: the parent logs like its workers
    return Workers(options, reuse_port_sockets(options.host, options.port, workers)).run()
