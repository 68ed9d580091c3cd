"""Storage settings, read from ``ANPR_DB_*`` environment variables (and ``DATABASE_URL``).

Every field can be set as ``ANPR_DB_<FIELD>``; the database URL also reads the
conventional ``DATABASE_URL`` (which wins when both are set). Bad values fail
at start-up with a pydantic validation error naming the field. Build the
settings through :func:`get_db_settings`, which is cached, so nothing is read
at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///var/anpr.db"


class DbSettings(BaseSettings):
    """Storage, retention and cross-check settings."""

    model_config = SettingsConfigDict(env_prefix="ANPR_DB_", extra="forbid", frozen=True)

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "ANPR_DB_DATABASE_URL", "database_url"),
        description="SQLAlchemy URL: sqlite:///path (embedded default, WAL mode) or postgresql://user@host/db "
        "(rewritten to the psycopg driver).",
    )
    retention_months: int = Field(
        12, ge=1, le=120, description="Months an evidence image is kept after capture (retain_until)."
    )
    plate_match_threshold: float = Field(
        1.0,
        ge=0.0,
        le=1.5,
        description="Largest confusion-aware distance (anpr.plates.confusion_distance) at which an event plate "
        "matches a declared plate. At most 1.5 so that an indexed lookup of the confusion-folded plate plus "
        "one plain edit finds every match.",
    )
    fuzzy_search_threshold: float = Field(
        1.5, ge=0.0, le=1.5, description="Largest confusion-aware distance returned by a fuzzy plate search."
    )
    window_slack_minutes: int = Field(
        0, ge=0, le=1440, description="Minutes an event may fall outside a declaration's validity window."
    )
    site_timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="IANA zone for declaration dates given without a time or offset."
    )
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, le=600_000, description="How long SQLite waits for a lock before failing, ms."
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite fsync policy in WAL mode: NORMAL survives crashes, FULL also power loss."
    )
    pg_synchronous_commit: Literal["on", "off"] = Field(
        "on",
        description="PostgreSQL synchronous_commit for this application's sessions: off skips the WAL flush wait "
        "per commit (much faster ingest; a server crash may lose the last fraction of a second of commits, "
        "never corrupting data).",
    )
    pool_size: int = Field(10, ge=1, le=200, description="Connections kept open in the pool (SQLite and PostgreSQL).")
    max_overflow: int = Field(20, ge=0, le=500, description="Extra connections beyond pool_size, closed when returned.")
    pool_pre_ping: bool = Field(
        False,
        description="Test each pooled PostgreSQL connection with a round trip before use. Off (the default), "
        "a dropped connection is found by the statement that uses it: the pool then discards every "
        "connection older than that, the API's searches retry once on a new one, and any other request "
        "that met it fails once (its transaction is rolled back). On costs a round trip per request.",
    )
    echo_sql: bool = Field(False, description="Log every SQL statement (debugging only).")
    credentials_key: SecretStr | None = Field(
        None, description="Fernet key that encrypts camera credentials and webhook secrets."
    )
    credentials_key_file: Path = Field(
        Path("var/credentials.key"),
        description="Where the Fernet key is kept (created with mode 0600) when credentials_key is not set.",
    )
    export_lease_minutes: int = Field(
        60, ge=1, le=24 * 60, description="How long an export's lease protects its evidence from purge."
    )

    @field_validator("site_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+pysqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site_timezone)


@lru_cache(maxsize=1)
def get_db_settings() -> DbSettings:
    """The process-wide storage settings, read from the environment on first use."""
    return DbSettings()
