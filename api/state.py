"""What the app holds for its lifetime: settings, the database engine and the lazy Recognizer.

:class:`AppState` is built in the lifespan hook of :func:`api.main.create_app`
and reached from requests through :func:`app_state`; nothing here is built at
import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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


def app_state(request: Request) -> AppState:
    state = getattr(request.app.state, "anpr", None)
    if not isinstance(state, AppState):
        raise RuntimeError("the app was not started through its lifespan (use TestClient as a context manager)")
    return state
