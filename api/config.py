"""API settings, read from ``ANPR_API_*`` environment variables.

Storage settings (``DATABASE_URL``, retention, the credentials key that
encrypts camera passwords and webhook secrets) stay in :mod:`db.config`, and
the evidence folder in :mod:`anpr.config`: one source for each value. Bad
values fail at start-up with a clear message. Build the settings through
:func:`get_api_settings` (cached), so nothing is read at import time.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from anpr.review import DEFAULT_REVIEW_BELOW

MIB = 1024 * 1024
API_PREFIX = "/api/v1"
"""Every route of the API lives under this prefix."""


class ApiSettings(BaseSettings):
    """HTTP API and console settings. Every field can be set as ``ANPR_API_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ANPR_API_", extra="forbid", frozen=True)

    max_upload_bytes: int = Field(
        10 * MIB, ge=1024, le=200 * MIB, description="Largest image accepted by POST /recognize, bytes."
    )
    max_body_bytes: int = Field(
        8 * MIB, ge=1024, le=200 * MIB, description="Largest JSON or CSV request body, bytes (413 beyond)."
    )
    allowed_image_types: tuple[str, ...] = Field(
        ("image/jpeg", "image/png", "image/bmp", "image/webp"),
        min_length=1,
        description="Content types POST /recognize accepts; the bytes must also decode as that image.",
    )
    max_image_pixels: int = Field(
        40_000_000, ge=10_000, le=400_000_000, description="Largest decoded image, width x height (bomb guard)."
    )
    cors_origins: tuple[str, ...] = Field(
        (), description="Origins allowed to call the API from a browser; empty turns CORS off (the default)."
    )
    migrate_on_start: bool = Field(True, description="Apply database migrations when the app starts.")
    page_limit_default: int = Field(50, ge=1, le=500, description="Items per page when no limit is given.")
    export_max_events: int = Field(
        5_000, ge=1, le=1_000_000, description="Most events one export may hold; narrow the range beyond that."
    )
    webhooks_enabled: bool = Field(True, description="Run the webhook dispatcher in the server process.")
    webhook_poll_seconds: float = Field(5.0, gt=0.0, le=3600.0, description="Dispatcher tick, seconds.")
    webhook_max_attempts: int = Field(8, ge=1, le=50, description="Attempts before a delivery is marked failed.")
    webhook_backoff_seconds: float = Field(
        10.0, gt=0.0, le=3600.0, description="Delay before the first retry; doubles on every further one."
    )
    webhook_timeout_seconds: float = Field(5.0, gt=0.0, le=60.0, description="HTTP timeout of one delivery.")
    key_cache_seconds: float = Field(
        10.0,
        ge=0.0,
        le=300.0,
        description="How long a checked API key is trusted without a lookup (0: always look "
        "up). A key revoked through this server stops at once; one revoked elsewhere within this many seconds.",
    )
    key_touch_seconds: float = Field(
        60.0, ge=0.0, le=86_400.0, description="How often an API key's last_used_at is updated, seconds."
    )
    audit_flush_seconds: float = Field(
        1.0,
        ge=0.0,
        le=60.0,
        description="Read-only requests (GET) queue their audit row, written by a background thread within this "
        "many seconds and at shutdown (so a read takes no write lock); 0 writes every audit row in its request's "
        "transaction. Requests that change data always write their row in their own transaction.",
    )
    concurrent_requests: int = Field(
        10,
        ge=1,
        le=200,
        description="Requests one worker process lets at the database at once; the others wait their turn, first "
        "come first served. Keep it below the connection pool (pool_size + max_overflow): "
        "Python runs one thread at a time, so more only lengthens the slowest answers.",
    )
    inline_reads: bool = Field(
        True,
        description="Run the plate and container searches on the event loop rather than in the thread pool. "
        "They are short indexed reads (about 1 ms); a thread hand-off costs a fifth of that and, under load, "
        "waits for the interpreter lock. Turn off when the database is slow to answer (remote, overloaded): "
        "an inline read holds up the other requests of its worker for as long as it takes.",
    )
    console_enabled: bool = Field(True, description="Serve the officer web console at /.")
    review_below: float = Field(
        DEFAULT_REVIEW_BELOW,
        ge=0.0,
        le=1.0,
        description="Plate reads under this confidence put their event in the officers' review list "
        "(GET /events?needs_review=true), beside missing or invalid plates and container numbers failing "
        "their check digit. At 0.99 a fifth of the held-out street photos' reads went to review, and 93.6% of "
        "the rest were right (model card); 0 reviews only invalid and missing reads.",
    )

    @field_validator("allowed_image_types")
    @classmethod
    def _images_only(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not v.startswith("image/")]
        if bad:
            raise ValueError(f"allowed_image_types must be image/* types, got {bad}")
        return tuple(v.lower() for v in value)


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    """The process-wide API settings, read from the environment on first use."""
    return ApiSettings()
