"""Shared request dependencies: database session, API-key auth with roles, audit, paging, time ranges.

Routes declare what they need with the ``Annotated`` aliases below and stay
thin. The session commits when the route returns (and rolls back when it
raises), so a rejected request leaves no trace in stored data and an accepted
one is always audited: a request that may change data writes its audit row in
its own transaction; a read-only one (GET, HEAD) queues its row, once it has
succeeded, for the app's :class:`~api.state.AuditWriter` (written within
``audit_flush_seconds`` and at shutdown), so reads never wait for a write lock.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from api.config import API_PREFIX
from api.roles import Permission, Role, allows
from api.services import apikeys
from api.state import AppState, AuditWriter, app_state
from db.models import utcnow
from db.repositories import admin

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _state(request: Request) -> AppState:
    # async: no I/O, so no trip through the thread pool (as for the other light dependencies here)
    return app_state(request)


State = Annotated[AppState, Depends(_state)]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller, identified by its API key."""

    key_id: int
    name: str
    role: Role

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}:{self.name}"


@dataclass(slots=True)
class AuditNote:
    """The audit row of this request; routes may add ``details`` (result counts, ids)."""

    actor: str
    action: str
    target: str
    details: dict[str, Any] = field(default_factory=dict)

    def note(self, **details: Any) -> None:
        self.details.update(details)


def _audit_row(note: AuditNote) -> dict[str, Any]:
    return {"actor": note.actor, "action": note.action, "target": note.target, "at": utcnow(), "details": note.details}


def _finish(session: Session, note: AuditNote | None, ok: bool, queue: AuditWriter | None = None) -> None:
    """Commit the request's work with its audit row (or roll it back), then close; one thread-pool trip.
    With ``queue``, the audit row goes there once the work is committed."""
    try:
        if ok:
            if note is not None and queue is None:
                admin.append_audit(session, **_audit_row(note))
            session.commit()
            if note is not None and queue is not None:
                queue.add(_audit_row(note))
        else:
            session.rollback()
    finally:
        session.close()


READ_ONLY = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for this request; commits (with the audit row) on success, rolls back on error.

    Opening a session does no I/O, so this runs on the event loop; only the commit goes to the
    thread pool (each trip there costs a context switch per request), and not even that when the
    route never began a transaction (its reads ran on a connection of their own, see :func:`read`)
    and its audit row goes to the background writer. A session keeps its pooled connection from
    the route's first query until that commit, possibly across two thread-pool trips, so at most
    ``concurrent_requests`` requests hold one at a time: more could take every connection while
    waiting for a thread, and leave the threads waiting for a connection.
    """
    state = app_state(request)  # not the State dependency: each dependency costs FastAPI a resolution per request
    async with state.db_slots or contextlib.nullcontext():
        session = state.sessions()
        try:
            yield session
        except BaseException:
            if session.in_transaction():
                await run_in_threadpool(_finish, session, None, False)
            else:
                session.close()  # nothing to roll back: no I/O
            raise
        note: AuditNote | None = getattr(request.state, "audit", None)
        queue = state.audit if request.method in READ_ONLY else None
        if queue is not None and not session.in_transaction():
            session.close()  # nothing to commit: closing an unused session does no I/O
            if note is not None:
                queue.add(_audit_row(note))
            return
        await run_in_threadpool(_finish, session, note, True, queue)


async def read(session: Session, work: Callable[[Connection], T], *, inline: bool = False) -> T:
    """Run read-only ``work`` on a connection of the session's engine, and give it back at once.

    For ``async`` read routes: a sync route pays two thread-pool trips (the route, then the commit
    in :func:`get_session`); this pays one, or none with ``inline`` (the work then runs on the
    event loop: right for short indexed lookups on a database next door, see
    ``ApiSettings.inline_reads``). The work gets a Core connection, not the session: a lookup
    needs no unit of work, and the session's bookkeeping per request cost more CPU than the
    lookup's own statement (``benchmarks/README.md``). The request's session stays untouched
    unless the route uses it for something else.

    A read whose pooled connection turns out to be dead runs again on a new one, once, so the
    pool needs no ping per checkout (``DbSettings.pool_pre_ping``). On PostgreSQL the connection
    reads in autocommit mode, which spares the BEGIN and COMMIT round trips (SQLite sends neither
    for reads, and switching its mode costs two PRAGMA statements); the pool restores the mode
    when the connection goes back.
    """
    engine = session.get_bind().engine

    def attempt() -> T:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            return work(connection)

    def job() -> T:
        try:
            return attempt()
        except DBAPIError as exc:
            # A pooled connection the server dropped (restart, idle timeout): the pool has already
            # discarded its connections; a read is safe to run again once.
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying the read once: %s", exc.orig)
            return attempt()

    return job() if inline else await run_in_threadpool(job)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def _touch(state: AppState, key_id: int) -> None:
    """Record that a key was used, at most once per ``key_touch_seconds`` (a write per request is waste)."""
    now = time.monotonic()
    last = state.key_touched.get(key_id)
    if last is not None and now - last < state.settings.key_touch_seconds:
        return
    state.key_touched[key_id] = now
    with state.sessions() as session:
        admin.touch_api_key(session, key_id, utcnow())
        session.commit()


def _cached(state: AppState, digest: str) -> Principal | None:
    cached = state.key_cache.get(digest)
    if cached is not None and time.monotonic() - cached[0] < state.settings.key_cache_seconds:
        return Principal(cached[1], cached[2], Role(cached[3]))
    return None


def _lookup(state: AppState, session: Session, secret: str, digest: str) -> Principal | None:
    """The key's principal from the database (and into the short-lived cache)."""
    key = apikeys.find_active_key(session, secret)
    if key is None:
        state.key_cache.pop(digest, None)
        return None
    if state.settings.key_cache_seconds > 0:
        if len(state.key_cache) > 10_000:
            state.key_cache.clear()
        state.key_cache[digest] = (time.monotonic(), key.id, key.name, key.role)
    _touch(state, key.id)
    return Principal(key.id, key.name, Role(key.role))


async def get_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[
        str | None, Header(description="`Bearer <API key>`; create keys with `anpr apikey create`.")
    ] = None,
) -> Principal:
    """The caller behind ``Authorization: Bearer <key>``; 401 without a valid, unrevoked key."""
    if not authorization:
        raise _unauthorized("missing Authorization header: send 'Authorization: Bearer <API key>'")
    scheme, _, secret = authorization.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise _unauthorized("Authorization must be 'Bearer <API key>'")
    digest = admin.hash_api_key(secret)
    state = app_state(request)
    principal = _cached(state, digest) or await run_in_threadpool(_lookup, state, session, secret, digest)
    if principal is None:
        raise _unauthorized("unknown or revoked API key")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def _target(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def require(*permissions: Permission) -> Callable[..., Awaitable[AuditNote]]:
    """A dependency admitting callers whose role grants any of ``permissions``; it opens the audit row."""
    needed = frozenset(permissions)

    async def check(request: Request, principal: PrincipalDep) -> AuditNote:
        if not allows(principal.role, needed):
            names = ", ".join(sorted(p.value for p in needed))
            raise HTTPException(403, f"role {principal.role.value!r} may not do this (needs: {names})")
        template = str(getattr(request.scope.get("route"), "path", request.url.path))
        if not template.startswith(API_PREFIX):  # routes of included routers carry their own path only
            template = API_PREFIX + template
        note = AuditNote(
            principal.actor, f"{request.method} {template}", _target(request), {"role": principal.role.value}
        )
        request.state.audit = note
        return note

    return check


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    request: Request,
    limit: Annotated[int | None, Query(ge=1, le=500, description="Items per page (1-500).")] = None,
    cursor: Annotated[
        str | None, Query(max_length=256, pattern=r"^[A-Za-z0-9_-]+$", description="`next_cursor` of the last page.")
    ] = None,
) -> PageParams:
    return PageParams(limit or app_state(request).settings.page_limit_default, cursor)


Paging = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime | None
    end: datetime | None


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise HTTPException(422, f"{name!r} needs a time zone offset, e.g. 2026-10-01T00:00:00+07:00")
    return value


async def time_range(
    start: Annotated[datetime | None, Query(alias="from", description="Inclusive start, ISO 8601 with offset.")] = None,
    end: Annotated[datetime | None, Query(alias="to", description="Inclusive end, ISO 8601 with offset.")] = None,
) -> TimeRange:
    start, end = _aware("from", start), _aware("to", end)
    if start is not None and end is not None and end < start:
        raise HTTPException(422, "'to' is before 'from'")
    return TimeRange(start, end)


Window = Annotated[TimeRange, Depends(time_range)]
