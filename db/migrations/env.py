"""Alembic environment: migrations are generated from :data:`db.models.Base.metadata`.

A caller may hand over an open connection in ``config.attributes["connection"]``
(:func:`db.migrate.upgrade` does); otherwise the URL is ``-x url=...``, then
``sqlalchemy.url``, then the project settings (``DATABASE_URL``).
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from db.models import Base, UtcDateTime
from db.session import build_engine, normalize_url

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our UTC type as a plain timezone-aware DateTime so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options() -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_item": render_item,
        "render_as_batch": True,
        "compare_type": True,
    }


def _url() -> str:
    from db.config import get_db_settings

    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or get_db_settings().database_url
    )


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=normalize_url(_url()), literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
