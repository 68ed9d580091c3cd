"""The app factory: :func:`create_app` builds the FastAPI app; its lifespan hook opens the database.

Nothing is built at import. The lifespan hook builds the engine (and applies
migrations unless told not to), starts the webhook dispatcher, and prepares a
lazy Recognizer that loads the models on the first ``POST /recognize`` only.
Tests pass their own settings, a fake recognizer factory and an HTTP
transport for webhooks: seams, not mocks.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker

from anpr.config import AnprSettings, get_settings
from api import errors
from api.config import API_PREFIX, ApiSettings, get_api_settings
from api.middleware import BodyLimit
from api.routes import router
from api.services.webhooks import Dispatcher
from api.state import AppState, AuditWriter, LazyRecognizer, RecognizerFactory, default_recognizer_factory
from db.config import DbSettings, get_db_settings
from db.migrate import upgrade
from db.session import build_engine

STATIC = Path(__file__).resolve().parent / "static"


def _limit_for(settings: ApiSettings) -> Callable[[str], int]:
    def limit(path: str) -> int:
        return settings.max_upload_bytes if path.endswith("/recognize") else settings.max_body_bytes

    return limit


def _console(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


def create_app(
    settings: ApiSettings | None = None,
    *,
    db_settings: DbSettings | None = None,
    anpr_settings: AnprSettings | None = None,
    recognizer_factory: RecognizerFactory | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The API and console. Settings default to the environment (read now, so bad ones fail at start)."""
    settings = settings or get_api_settings()
    db_settings = db_settings or get_db_settings()
    anpr_settings = anpr_settings or get_settings()
    factory = recognizer_factory or default_recognizer_factory(anpr_settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = build_engine(db_settings.database_url, db_settings)
        if settings.migrate_on_start:
            upgrade(engine=engine)
        sessions = sessionmaker(engine, expire_on_commit=False)
        audit = AuditWriter(sessions, settings.audit_flush_seconds) if settings.audit_flush_seconds > 0 else None
        app.state.anpr = AppState(
            settings, db_settings, anpr_settings, engine, sessions, LazyRecognizer(factory), webhook_transport,
            audit=audit, db_slots=asyncio.Semaphore(settings.concurrent_requests),
        )  # fmt: skip
        dispatcher = Dispatcher(sessions, settings, webhook_transport) if settings.webhooks_enabled else None
        if audit is not None:
            audit.start()
        # What start-up built (routes, schemas, SQL caches) lives as long as the app: leave it out of
        # the collector's full passes, which otherwise walk it all and stall requests for milliseconds.
        gc.collect()
        gc.freeze()
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            if audit is not None:
                audit.stop()  # every queued audit row is written before the engine goes
            engine.dispose()

    app = FastAPI(
        title="Gate ANPR API",
        version="1.0",
        description="Gate events (plates, containers, evidence), declaration cross-check, exports and reports "
        "for a customs-supervised warehouse. Authenticate with `Authorization: Bearer <API key>`.",
        lifespan=lifespan,
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    errors.install(app)
    app.add_middleware(BodyLimit, limit_for=_limit_for(settings))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
    app.include_router(router, prefix=API_PREFIX)
    if settings.console_enabled:
        _console(app)
    return app
