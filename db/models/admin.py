"""Cameras and their health, audit log, API keys, webhooks and export leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, BigId, utcnow

ROLES = "('officer', 'operator', 'integration', 'admin')"


class CameraRow(Base):
    """A gate camera. Credentials are Fernet-encrypted (:mod:`db.crypto`) and never returned."""

    __tablename__ = "cameras"
    __table_args__ = (CheckConstraint("direction IN ('in', 'out', 'unknown')", name="direction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    lane: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))
    url: Mapped[str | None] = mapped_column(String(1024))
    username_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    password_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    frames_processed: Mapped[int] = mapped_column(BigInteger, default=0)
    last_frame_at: Mapped[datetime | None]
    last_heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CameraCredentialChangeRow(Base):
    """A change of a camera's URL, user or password, for the written notice to Customs.

    URLs are stored with any embedded user/password removed; secrets are never stored here.
    """

    __tablename__ = "camera_credential_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"), index=True)
    camera_name: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(128))
    fields: Mapped[list[Any]]
    old_url: Mapped[str | None] = mapped_column(String(1024))
    new_url: Mapped[str | None] = mapped_column(String(1024))
    notified_at: Mapped[datetime | None]


class CameraHealthSampleRow(Base):
    """A heartbeat: whether the camera delivered frames, and how many since the previous sample."""

    __tablename__ = "camera_health_samples"
    __table_args__ = (Index("ix_camera_health_samples_camera_at", "camera_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    up: Mapped[bool] = mapped_column(Boolean)
    frames: Mapped[int] = mapped_column(BigInteger, default=0)


class AuditLogRow(Base):
    """Who did what to which target, and when (append-only)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_actor_at", "actor", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(512))
    details: Mapped[dict[str, Any]]


class ApiKeyRow(Base):
    """An API key, stored only as a hash; ``prefix`` identifies it in listings."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class WebhookSubscriptionRow(Base):
    """A subscriber for discrepancy notifications; the HMAC secret is Fernet-encrypted."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    events: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDeliveryRow(Base):
    """One notification to one subscriber: pending until delivered or out of attempts (failed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class ExportLeaseRow(Base):
    """An export in progress: purge leaves evidence taken in ``[range_from, range_to]`` alone
    until ``expires_at`` (or until the lease is released)."""

    __tablename__ = "export_leases"
    __table_args__ = (CheckConstraint("range_to >= range_from", name="range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    range_from: Mapped[datetime]
    range_to: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
