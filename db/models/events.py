"""Gate events with their fused reads, raw per-camera observations and evidence images."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, utcnow

DIRECTIONS = "('in', 'out', 'unknown')"
VERDICTS = "('confirmed', 'corrected', 'illegible')"
EVENT_STATUSES = "('unchecked', 'matched', 'plate_mismatch', 'undeclared', 'unreadable')"


class GateEventRow(Base):
    """One vehicle pass; ``event_id`` is the pipeline's idempotency key."""

    __tablename__ = "gate_events"
    __table_args__ = (
        CheckConstraint(f"direction IN {DIRECTIONS}", name="direction"),
        CheckConstraint(f"status IN {EVENT_STATUSES}", name="status"),
        CheckConstraint("last_seen >= first_seen", name="times"),
        Index("ix_gate_events_first_seen", "first_seen"),
        Index("ix_gate_events_status_first_seen", "status", "first_seen"),
        Index("ix_gate_events_direction_first_seen", "direction", "first_seen"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    lane: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(8))
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="unchecked")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None]
    has_valid_read: Mapped[bool] = mapped_column(Boolean)
    cameras: Mapped[list[Any]]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The pass's headline reads, copied from plate_reads and container_reads when the event is
    # inserted (stored reads never change), so that a list page reads one row per event, not five.
    plate_text: Mapped[str | None] = mapped_column(String(32))
    plate_formatted: Mapped[str | None] = mapped_column(String(64))
    trailer_plate_text: Mapped[str | None] = mapped_column(String(32))
    first_container: Mapped[str | None] = mapped_column(String(16))
    second_container: Mapped[str | None] = mapped_column(String(16))
    # What the officers' review list compares (anpr.review), also copied at insert: the lowest
    # confidence of the pass's plates (-1 for an invalid plate, or none), whether a container number
    # fails its check digit, and when an officer last looked (set by db.review_service).
    plate_trust: Mapped[float] = mapped_column(Float, default=-1.0, server_default="-1")
    container_unverified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reviewed_at: Mapped[datetime | None]

    plates: Mapped[list[PlateReadRow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="PlateReadRow.slot"
    )
    containers: Mapped[list[ContainerReadRow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="ContainerReadRow.position"
    )
    observations: Mapped[list[ObservationRow]] = relationship(
        cascade="all, delete-orphan", order_by="ObservationRow.id"
    )
    evidence: Mapped[list[EvidenceRow]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="EvidenceRow.position"
    )
    reviews: Mapped[list[EventReviewRow]] = relationship(
        cascade="all, delete-orphan", order_by="(EventReviewRow.reviewed_at, EventReviewRow.id)"
    )


class EvidenceRow(Base):
    """A stored JPEG; ``path`` is relative to the evidence directory; kept until ``retain_until``."""

    __tablename__ = "evidence_images"
    __table_args__ = (
        UniqueConstraint("event_pk", "position", name="uq_evidence_images_event_position"),
        CheckConstraint("kind IN ('frame', 'crop')", name="kind"),
        CheckConstraint("size_bytes > 0 AND width > 0 AND height > 0", name="positive"),
        CheckConstraint("length(sha256) = 64", name="sha256"),
        CheckConstraint("retain_until >= taken_at", name="retention"),
        Index("ix_evidence_images_retain_until", "retain_until"),
        Index("ix_evidence_images_camera_taken_at", "camera", "taken_at"),
        Index("ix_evidence_images_path", "path"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    camera: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    taken_at: Mapped[datetime]
    retain_until: Mapped[datetime]
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    boxes: Mapped[list[Any]]

    event: Mapped[GateEventRow] = relationship(back_populates="evidence")


class PlateReadRow(Base):
    """A fused plate of a pass (``slot`` plate or trailer_plate of the event), with its best camera read."""

    __tablename__ = "plate_reads"
    __table_args__ = (
        UniqueConstraint("event_pk", "slot", name="uq_plate_reads_event_slot"),
        CheckConstraint("slot IN ('plate', 'trailer_plate')", name="slot"),
        CheckConstraint("role IN ('truck', 'trailer')", name="role"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_plate_reads_text_seen_at", "text", "seen_at"),
        Index("ix_plate_reads_folded_seen_at", "folded", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    slot: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(32))
    folded: Mapped[str] = mapped_column(String(32))
    formatted: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(SmallInteger)
    seen_at: Mapped[datetime]
    camera: Mapped[str | None] = mapped_column(String(64))
    bbox: Mapped[list[Any] | None]
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_images.id", ondelete="SET NULL"))

    event: Mapped[GateEventRow] = relationship(back_populates="plates")
    evidence: Mapped[EvidenceRow | None] = relationship(foreign_keys=[evidence_id])


class ContainerReadRow(Base):
    """A fused container number of a pass, ``position`` 0 or 1, with its best camera read."""

    __tablename__ = "container_reads"
    __table_args__ = (
        UniqueConstraint("event_pk", "position", name="uq_container_reads_event_position"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_container_reads_number_seen_at", "number", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[str] = mapped_column(String(16))
    check_digit_ok: Mapped[bool] = mapped_column(Boolean)
    confidence: Mapped[float] = mapped_column(Float)
    size_type: Mapped[str | None] = mapped_column(String(8))
    orientation: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime]
    camera: Mapped[str | None] = mapped_column(String(64))
    bbox: Mapped[list[Any] | None]
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_images.id", ondelete="SET NULL"))

    event: Mapped[GateEventRow] = relationship(back_populates="containers")
    evidence: Mapped[EvidenceRow | None] = relationship(foreign_keys=[evidence_id])


class ObservationRow(Base):
    """One camera's OCR read behind a fused field (``target`` plate/trailer_plate/container + position)."""

    __tablename__ = "read_observations"
    __table_args__ = (
        CheckConstraint("target IN ('plate', 'trailer_plate', 'container')", name="target"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index("ix_read_observations_camera_timestamp", "camera", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(SmallInteger)
    camera: Mapped[str] = mapped_column(String(64))
    timestamp: Mapped[datetime]
    text: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    bbox: Mapped[list[Any] | None]
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_images.id", ondelete="SET NULL"))

    evidence: Mapped[EvidenceRow | None] = relationship(foreign_keys=[evidence_id])


class PlateKeyRow(Base):
    """One deletion key of a folded plate (:func:`db.plate_keys.deletion_keys`): the plate itself
    and each string with one character removed. Every folded plate of ``plate_reads`` and
    ``declaration_plates`` has its keys here, so a fuzzy lookup reads the plates listed under the
    query's ten or so keys (:mod:`db.fuzzy_index`). Rows are only ever added; a plate whose reads are
    gone leaves keys that match nothing."""

    __tablename__ = "plate_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    folded: Mapped[str] = mapped_column(String(32), primary_key=True)


class EventReviewRow(Base):
    """An officer's look at a pass (:mod:`anpr.review`): the reads ``confirmed`` against the evidence,
    ``corrected`` (the truck's plate to ``plate_text``, the containers to those of ``containers``,
    either or both), or the evidence ``illegible``. Rows are only added (the stored reads never
    change); the latest is the one that counts. ``seen_at`` copies the pass's first_seen, so a
    corrected plate is searched on the same time index as the reads."""

    __tablename__ = "event_reviews"
    __table_args__ = (
        CheckConstraint(f"verdict IN {VERDICTS}", name="verdict"),
        CheckConstraint("verdict = 'corrected' OR plate_text IS NULL", name="plate"),
        Index("ix_event_reviews_event_pk_reviewed_at", "event_pk", "reviewed_at"),
        Index("ix_event_reviews_plate_text_seen_at", "plate_text", "seen_at"),
        Index("ix_event_reviews_plate_folded_seen_at", "plate_folded", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"))
    reviewed_at: Mapped[datetime]
    reviewer: Mapped[str] = mapped_column(String(160))
    verdict: Mapped[str] = mapped_column(String(16))
    plate_text: Mapped[str | None] = mapped_column(String(32))
    plate_folded: Mapped[str | None] = mapped_column(String(32))
    plate_formatted: Mapped[str | None] = mapped_column(String(64))
    plate_valid: Mapped[bool | None] = mapped_column(Boolean)
    seen_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text, default="")

    containers: Mapped[list[ReviewContainerRow]] = relationship(
        cascade="all, delete-orphan", order_by="ReviewContainerRow.position"
    )


class ReviewContainerRow(Base):
    """A container number as an officer corrected it (``position`` 0 or 1 of the pass)."""

    __tablename__ = "review_containers"
    __table_args__ = (
        UniqueConstraint("review_pk", "position", name="uq_review_containers_review_position"),
        Index("ix_review_containers_number_seen_at", "number", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    review_pk: Mapped[int] = mapped_column(ForeignKey("event_reviews.id", ondelete="CASCADE"), index=True)
    event_pk: Mapped[int] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[str] = mapped_column(String(16))
    check_digit_ok: Mapped[bool] = mapped_column(Boolean)
    seen_at: Mapped[datetime]
