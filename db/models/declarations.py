"""Customs declarations (every amendment kept) and cross-check results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.models.base import Base, BigId, utcnow

DECLARATION_STATUSES = "('pending', 'complete', 'partial', 'missing')"


class DeclarationRow(Base):
    """One version of a VNACCS declaration.

    ``number`` is the 12-digit number as filed; ``base_number`` (the first 11
    digits) is the declaration's identity and ``amendment`` (the 12th digit)
    counts amendments. Exactly one version per ``base_number`` is current;
    older ones stay as history with ``superseded_at`` set.
    """

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint("length(number) = 12 AND length(base_number) = 11", name="number"),
        CheckConstraint("amendment >= 0 AND amendment <= 9", name="amendment"),
        CheckConstraint("direction IN ('in', 'out', 'unknown')", name="direction"),
        CheckConstraint(f"status IN {DECLARATION_STATUSES}", name="status"),
        CheckConstraint("valid_to >= valid_from", name="window"),
        Index(
            "uq_declarations_current_base",
            "base_number",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index("ix_declarations_base_number", "base_number"),
        Index("ix_declarations_status_valid_to", "status", "valid_to"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)
    base_number: Mapped[str] = mapped_column(String(11))
    amendment: Mapped[int] = mapped_column(SmallInteger)
    type_code: Mapped[str] = mapped_column(String(3))
    direction: Mapped[str] = mapped_column(String(8))
    office_code: Mapped[str] = mapped_column(String(8))
    location_code: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime]
    is_current: Mapped[bool] = mapped_column(Boolean)
    superseded_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime | None]
    content_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    plates: Mapped[list[DeclarationPlateRow]] = relationship(
        cascade="all, delete-orphan", order_by="DeclarationPlateRow.position"
    )
    containers: Mapped[list[DeclarationContainerRow]] = relationship(
        cascade="all, delete-orphan", order_by="DeclarationContainerRow.position"
    )


class DeclarationPlateRow(Base):
    """A vehicle plate listed on a declaration version (normalised, folded for fuzzy lookup)."""

    __tablename__ = "declaration_plates"
    __table_args__ = (
        UniqueConstraint("declaration_id", "position", name="uq_declaration_plates_position"),
        Index("ix_declaration_plates_text", "text"),
        Index("ix_declaration_plates_folded", "folded"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(16))
    folded: Mapped[str] = mapped_column(String(16))
    formatted: Mapped[str] = mapped_column(String(32))


class DeclarationContainerRow(Base):
    """A container listed on a declaration version, with its seal number."""

    __tablename__ = "declaration_containers"
    __table_args__ = (
        UniqueConstraint("declaration_id", "position", name="uq_declaration_containers_position"),
        Index("ix_declaration_containers_number", "number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[str] = mapped_column(String(11))
    seal: Mapped[str | None] = mapped_column(String(32))


class CrosscheckResultRow(Base):
    """One finding of the latest cross-check of an event or a declaration version.

    A re-check replaces the target's findings; the target row carries the
    status. ``declaration_number`` (on an event finding) and ``event_ref`` (on a
    declaration finding) name the other side of the match.
    """

    __tablename__ = "crosscheck_results"
    __table_args__ = (
        CheckConstraint("(event_pk IS NULL) <> (declaration_id IS NULL)", name="one_target"),
        Index("ix_crosscheck_results_declaration_number", "declaration_number"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_pk: Mapped[int | None] = mapped_column(ForeignKey("gate_events.id", ondelete="CASCADE"), index=True)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    fields: Mapped[list[Any]]
    reason: Mapped[str] = mapped_column(Text)
    declaration_number: Mapped[str | None] = mapped_column(String(12))
    event_ref: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
