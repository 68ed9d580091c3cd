"""Storage settings and engine construction: validation, URL rewriting, cached factories."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from anpr.errors import ConfigError
from db.config import DbSettings, get_db_settings
from db.session import dispose_engines, get_engine, get_sessionmaker, normalize_url


def test_defaults() -> None:
    settings = DbSettings()
    assert settings.database_url == "sqlite:///var/anpr.db"
    assert (settings.retention_months, settings.plate_match_threshold) == (12, 1.0)


def test_database_url_comes_from_database_url_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/anpr")
    monkeypatch.setenv("ANPR_DB_RETENTION_MONTHS", "24")
    settings = DbSettings()
    assert settings.database_url == "postgresql://u@db.example/anpr" and settings.retention_months == 24


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("retention_months", 0),
        ("retention_months", 121),
        ("plate_match_threshold", 2.0),  # beyond what the folded index lookup can find exactly
        ("site_timezone", "Mars/Olympus"),
        ("database_url", "mysql://x/y"),
        ("sqlite_synchronous", "OFF"),
    ],
)
def test_bad_settings_fail_at_start(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        DbSettings(**{field: value})


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        DbSettings(retention_days=3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("sqlite:///var/anpr.db", "sqlite+pysqlite"),
    ],
)
def test_urls_get_our_drivers(url: str, driver: str) -> None:
    assert normalize_url(url).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(ConfigError):
        normalize_url(url)


def test_engines_are_cached_and_lazy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    get_db_settings.cache_clear()
    try:
        assert get_engine() is get_engine()
        assert get_sessionmaker().kw["bind"] is get_engine()
        assert not (tmp_path / "x.db").exists()  # nothing connects until a session is used
    finally:
        dispose_engines()
        get_db_settings.cache_clear()


def test_postgresql_sessions_get_the_configured_synchronous_commit(pg_url: str) -> None:
    from db.session import build_engine

    for value in ("on", "off"):
        engine = build_engine(pg_url, DbSettings(pg_synchronous_commit=value))  # type: ignore[arg-type]
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == value
        finally:
            engine.dispose()


def test_sqlite_pool_reuses_as_many_connections_as_configured(tmp_path: Path) -> None:
    """A burst of ``pool_size`` concurrent sessions opens its connections once; the next burst reuses them."""
    from sqlalchemy import event, text

    from db.session import build_engine

    engine = build_engine(f"sqlite:///{tmp_path / 'pool.db'}", DbSettings(pool_size=8, max_overflow=4))
    opened: list[object] = []
    event.listen(engine, "connect", lambda dbapi, _record: opened.append(dbapi))
    try:
        for _ in range(3):
            held = [engine.connect() for _ in range(8)]
            for conn in held:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            for conn in held:
                conn.close()
        assert len(opened) == 8
    finally:
        engine.dispose()
