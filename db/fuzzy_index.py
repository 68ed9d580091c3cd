"""The ``plate_keys`` table: writing the deletion keys of stored plates, and reading plates by key.

Every writer of a folded plate (a fused read in :mod:`db.services`, a declared
plate in :mod:`db.declaration_service`) calls :func:`register` in the same
transaction, and every fuzzy reader matches ``folded`` columns against
:func:`plates_under` the query's :func:`db.plate_keys.lookup_keys`. See
:mod:`db.plate_keys` for why sharing a deletion key finds every plate within
one edit.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Subquery, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import PlateKeyRow
from db.plate_keys import deletion_keys
from db.sql import one_of


def key_rows(folded_plates: Iterable[str]) -> list[dict[str, str]]:
    """``plate_keys`` rows of ``folded_plates`` (:func:`db.plate_keys.fold`), sorted: concurrent
    writers then take the unique-index locks of shared keys in the same order and cannot deadlock
    on them."""
    pairs = {(key, folded) for folded in set(folded_plates) if folded for key in deletion_keys(folded)}
    return [{"key": key, "folded": folded} for key, folded in sorted(pairs)]


@lru_cache(maxsize=4)
def _insert(dialect: str) -> Any:
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(PlateKeyRow).on_conflict_do_nothing()


def register(conn: Connection, folded_plates: Iterable[str]) -> None:
    """Add the deletion keys of ``folded_plates`` that are not stored yet (no commit)."""
    rows = key_rows(folded_plates)
    if rows:
        conn.execute(_insert(conn.dialect.name), rows)


def plates_under(name: str, dialect: str) -> Subquery:
    """The distinct folded plates stored under any of the keys bound as ``name``, as column ``key``
    (the shape :func:`db.sql.rows_for_keys` takes as ``keys``)."""
    listed = select(PlateKeyRow.folded.label("key")).where(one_of(PlateKeyRow.key, name, dialect)).distinct()
    return listed.subquery("k")
