"""Hot read statements, compiled by SQLAlchemy once, run straight on the driver's cursor.

A plate search is an indexed lookup of a few rows; the database and the driver
spend about 0.1 ms of CPU on it. SQLAlchemy's execution path around it (the
statement's cache key, an execution context, result metadata built from
``cursor.description`` for every call, row objects) spent twice that again,
and the API runs on two cores beside PostgreSQL (``benchmarks/README.md``).

So the hottest reads (:mod:`db.repositories.events`) are still built as
SQLAlchemy statements, and compiled by SQLAlchemy for the dialect, but only
once: :func:`direct` keeps the SQL text, the order of its parameters and the
column types' own bind and result processors (so a ``UtcDateTime`` reads back
as an aware UTC instant on SQLite as on PostgreSQL). :meth:`Direct.rows` runs
it on the cursor of a SQLAlchemy :class:`~sqlalchemy.engine.Connection`, in that
connection's transaction and isolation level, with the pool's connection as
usual. A driver error is raised as SQLAlchemy's :class:`~sqlalchemy.exc.DBAPIError`,
with ``connection_invalidated`` set when the server dropped the connection
(which is then invalidated, and the pool's other connections discarded), as
``Connection.execute`` would, so callers' retries work unchanged. What is given
up: SQLAlchemy's statement logging (``echo``) and cursor events do not see
these statements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any]

Db = Session | Connection
"""What a direct read runs on: a session (its connection and transaction) or a Core connection."""


def connection_of(db: Db) -> Connection:
    """The connection of ``db``: itself, or the session's (which begins the session's transaction)."""
    return db if isinstance(db, Connection) else db.connection()


@dataclass(frozen=True, slots=True)
class Direct:
    """A compiled statement: its SQL, how to bind its parameters and how to read its rows."""

    sql: str
    names: tuple[str, ...]
    """Bind names in the order the SQL uses them (positional drivers), or each once (named ones)."""
    positional: bool
    binds: Mapping[str, Processor]
    """Bind processors of the parameters that have one."""
    defaults: Mapping[str, Any]
    """Values of the parameters the statement carries itself (literals such as a fixed ``LIMIT``)."""
    processed: tuple[tuple[int, Processor], ...]
    """``(index, result processor)`` of the columns whose driver value needs one (e.g. times on SQLite)."""

    def parameters(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """``params`` as the driver takes them: processed, by position or by name."""
        values = {**self.defaults, **params} if self.defaults else params
        binds = self.binds
        try:
            if self.positional:
                return [binds[n](values[n]) if n in binds else values[n] for n in self.names]
            return {n: binds[n](values[n]) if n in binds else values[n] for n in self.names}
        except KeyError as exc:  # named here rather than checked on every call: this is the hot path
            missing = [name for name in self.names if name not in values]
            raise KeyError(f"no value for bind parameter(s) {missing} of: {self.sql}") from exc

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of the statement with ``params``, each a tuple of processed column values."""
        bound = self.parameters(params)
        dialect = connection.dialect
        if not connection.in_transaction():
            connection.begin()  # as Connection.execute would: the driver begins one implicitly (unless autocommit)
        proxied = connection.connection
        cursor = proxied.cursor()
        try:
            cursor.execute(self.sql, bound)
            raw = cursor.fetchall()
        except dialect.loaded_dbapi.Error as exc:
            dropped = bool(dialect.is_disconnect(exc, proxied.dbapi_connection, cursor))
            if dropped:  # as SQLAlchemy does: this connection, and the pool's others, which likely died too
                connection.invalidate(exc)
                connection.engine.dispose()
            raise DBAPIError.instance(
                self.sql, bound, exc, dialect.loaded_dbapi.Error, connection_invalidated=dropped, dialect=dialect
            ) from exc
        finally:
            cursor.close()
        if not self.processed:
            return [tuple(row) for row in raw]
        out = []
        for row in raw:
            values = list(row)
            for i, process in self.processed:
                values[i] = process(values[i])
            out.append(tuple(values))
        return out


def _compile(stmt: Select[Any], dialect: Dialect) -> Direct:
    compiled = stmt.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("statements with expanding or literal-execute parameters cannot run directly")
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    binds: dict[str, Processor] = {}
    defaults: dict[str, Any] = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            binds[name] = process
        if bind.callable is not None:
            raise ValueError(f"bind parameter {name!r} has a callable value; pass it as a parameter instead")
        if not bind.required and bind.value is not None:
            defaults[name] = bind.value
    results = (column.type.dialect_impl(dialect).result_processor(dialect, None) for column in stmt.selected_columns)
    processed = tuple((i, process) for i, process in enumerate(results) if process is not None)
    return Direct(compiled.string, names, positional, binds, defaults, processed)


@lru_cache(maxsize=512)
def _cached(stmt: Select[Any], dialect: Dialect) -> Direct:
    return _compile(stmt, dialect)


def direct(stmt: Select[Any], dialect: Dialect) -> Direct:
    """``stmt`` compiled for ``dialect``; cached per statement object, so pass statements that are
    themselves built once (the repositories' ``lru_cache``d builders) and vary only their binds."""
    return _cached(stmt, dialect)


def rows(db: Db, stmt: Select[Any], params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of ``stmt`` with ``params`` on ``db`` (see :class:`Direct`)."""
    connection = connection_of(db)
    return direct(stmt, connection.dialect).rows(connection, params)
