"""What the app holds for its lifetime: settings, the database engine, the lazy Recognizer and the
audit writer.

:class:`AppState` is built in the lifespan hook of :func:`api.main.create_app`
and reached from requests through :func:`app_state`; nothing here is built at
import time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from anpr.config import AnprSettings
from anpr.errors import ModelLoadError
from anpr.recognition import ImageResult, Recognizer
from anpr.types import ImageArray
from api.config import ApiSettings
from db.config import DbSettings
from db.repositories import admin

log = logging.getLogger(__name__)
RecognizerFactory = Callable[[], Recognizer]


def default_recognizer_factory(settings: AnprSettings) -> RecognizerFactory:
    """Build the real Recognizer (shipped detector + easyocr) on first call; never downloads."""

    def build() -> Recognizer:
        from anpr.detector import load_detector
        from anpr.ocr import load_ocr

        return Recognizer(load_detector(settings), load_ocr(settings))

    return build


class LazyRecognizer:
    """Builds the Recognizer once, on the first ``POST /recognize``; thread-safe.

    A failed build is remembered for ``retry_after`` seconds, so a missing
    weights file answers 503 quickly instead of being retried on every call.
    """

    def __init__(self, factory: RecognizerFactory, retry_after: float = 30.0) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()  # the models are not thread-safe: one image batch at a time
        self._value: Recognizer | None = None
        self._failed: tuple[float, str] | None = None
        self._retry_after = retry_after

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def get(self) -> Recognizer:
        if self._value is not None:
            return self._value
        with self._lock:
            if self._value is not None:
                return self._value
            if self._failed is not None and time.monotonic() - self._failed[0] < self._retry_after:
                raise ModelLoadError(self._failed[1])
            try:
                self._value = self._factory()
            except ModelLoadError as exc:
                self._failed = (time.monotonic(), str(exc))
                raise
            except (OSError, RuntimeError, ValueError, ImportError) as exc:
                message = f"the recogniser cannot be loaded: {exc}"
                self._failed = (time.monotonic(), message)
                raise ModelLoadError(message) from exc
            return self._value

    def recognize(self, images: list[ImageArray]) -> list[ImageResult]:
        """Recognise ``images`` with the shared models, one call at a time."""
        recognizer = self.get()
        with self._run_lock:
            return recognizer.recognize(images)


class AuditWriter:
    """Writes the audit rows of read-only requests in batches, from a background thread.

    A GET changes nothing the audit row must be atomic with, so its row need not
    share the request's transaction: queuing it spares every read a write
    transaction and a commit (on SQLite, a turn at the one database-wide write
    lock). Rows are written in one transaction per flush, at most
    ``flush_seconds`` after they were queued, when :meth:`flush` is called (the
    audit-log route does, so this process's rows are always visible there) and
    on :meth:`stop` (app shutdown): a graceful shutdown loses none. A failed
    write keeps its rows for the next tick; only a crash of the process can
    lose the rows of its last ``flush_seconds``.
    """

    def __init__(self, sessions: sessionmaker[Session], flush_seconds: float, max_pending: int = 100_000) -> None:
        self._sessions = sessions
        self._flush_seconds = flush_seconds
        self._max_pending = max_pending
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.Lock()  # one flush at a time keeps rows in order
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, row: dict[str, Any]) -> None:
        """Queue one audit row (the keyword arguments of :func:`db.repositories.admin.append_audit`)."""
        with self._lock:
            self._pending.append(row)
            full = len(self._pending) >= self._max_pending
        if full:
            self._wake.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self) -> int:
        """Write every queued row now, in one transaction; returns how many (0 when the write failed)."""
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                with self._sessions() as session:
                    admin.append_audit_rows(session, rows)
                    session.commit()
            except Exception:  # the database is away: keep the rows (oldest first) and try again later
                log.exception("writing %d audit rows failed; kept for the next attempt", len(rows))
                with self._lock:
                    self._pending[:0] = rows
                return 0
            return len(rows)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()
        if self.pending:
            log.error("%d audit rows could not be written at shutdown", self.pending)


@dataclass
class AppState:
    """Everything the routes share; one per app."""

    settings: ApiSettings
    db_settings: DbSettings
    anpr_settings: AnprSettings
    engine: Engine
    sessions: sessionmaker[Session]
    recognizer: LazyRecognizer
    webhook_transport: httpx.BaseTransport | None = None
    key_touched: dict[int, float] = field(default_factory=dict)
    key_cache: dict[str, tuple[float, int, str, str]] = field(default_factory=dict)
    """sha256 of a key -> (checked at, monotonic seconds; key id; name; role)."""
    audit: AuditWriter | None = None
    """Queues the audit rows of read-only requests (``None``: every row is written with its request)."""
    db_slots: asyncio.Semaphore | None = None
    """Admits ``concurrent_requests`` requests at a time to a database session (``None``: no limit)."""


def app_state(request: Request) -> AppState:
    state = getattr(request.app.state, "anpr", None)
    if not isinstance(state, AppState):
        raise RuntimeError("the app was not started through its lifespan (use TestClient as a context manager)")
    return state
