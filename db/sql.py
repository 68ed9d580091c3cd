"""SQL helpers shared by the services and repositories.

Lists of keys are bound as one parameter, so a statement's text never changes
with the list length and is compiled once: an array on PostgreSQL, a JSON
array read with ``json_each`` on SQLite (an expanding ``IN`` list would be
rendered again for every call).
SQLite probes the index once per ``json_each`` value, as for a literal list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ColumnElement, Select, Subquery, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute


def _sqlite_in(column: InstrumentedAttribute[Any], name: str) -> ColumnElement[bool]:
    """``column IN (SELECT value FROM json_each(:name))``: the list is bound as one JSON text."""
    values = func.json_each(bindparam(name, type_=JSON())).table_valued("value")
    return column.in_(select(values.c.value))


def one_of(column: InstrumentedAttribute[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` equal to any value of the list bound as ``name``.

    PostgreSQL gets ``column = ANY(:name)`` with one array parameter; SQLite
    gets ``IN`` over ``json_each`` of one JSON parameter.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return _sqlite_in(column, name)


def rows_for_keys(
    stmt: Select[*tuple[Any, ...]],
    column: InstrumentedAttribute[Any],
    keys: Subquery,
    dialect: str,
    *,
    per_key_limit: int | None = None,
    newest_first: tuple[str, ...] = (),
) -> Select[*tuple[Any, ...]]:
    """The rows of ``stmt`` whose ``column`` is one of ``keys`` (a subquery with one column ``key``,
    such as :func:`db.fuzzy_index.plates_under`), probing the index once per key, newest first by
    the ``newest_first`` columns.

    PostgreSQL plans a join on the keys from the average rows per key, so a
    lookup of many keys (where most match nothing) can look like thousands of
    rows and get a table scan. A ``LATERAL`` subquery per key (fenced with
    ``LIMIT``, or ``OFFSET 0`` when unlimited) forces one index range scan per
    key. SQLite probes the index for each value of the ``IN`` list by itself;
    ``per_key_limit`` only applies on PostgreSQL.
    """
    if dialect != "postgresql":
        return stmt.where(column.in_(select(keys.c.key)))
    inner = stmt.where(column == keys.c.key)
    inner = inner.limit(per_key_limit) if per_key_limit is not None else inner.offset(0)
    hits = inner.lateral("hits")
    out = select(*hits.c).select_from(keys).join(hits, true())
    return out.order_by(*(hits.c[n].desc() for n in newest_first))
