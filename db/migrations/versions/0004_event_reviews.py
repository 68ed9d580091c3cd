"""event_reviews, review_containers: officers' looks at passes whose reads need one

The review list (``GET /events?needs_review=true``) holds the passes whose reads the cameras cannot
vouch for. An officer confirms the reads against the evidence, corrects the truck's plate or the
container numbers (``review_containers``), or marks the evidence illegible. Each look is a row here
(the stored reads never change), the latest counts, and a reviewed pass leaves the list. The list
itself compares three new columns of ``gate_events`` (the lowest plate confidence, an unverified
container number, when an officer last looked), filled here for the passes already stored. Corrected
plates and numbers are searched on ``(plate_text, seen_at)`` and ``(number, seen_at)``, as the
camera reads are on ``plate_reads`` and ``container_reads``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_reviews",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("event_pk", BIG_ID, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(length=160), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("plate_text", sa.String(length=32), nullable=True),
        sa.Column("plate_folded", sa.String(length=32), nullable=True),
        sa.Column("plate_formatted", sa.String(length=64), nullable=True),
        sa.Column("plate_valid", sa.Boolean(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint("verdict IN ('confirmed', 'corrected', 'illegible')", name=op.f("ck_event_reviews_verdict")),
        sa.CheckConstraint("verdict = 'corrected' OR plate_text IS NULL", name=op.f("ck_event_reviews_plate")),
        sa.ForeignKeyConstraint(
            ["event_pk"],
            ["gate_events.id"],
            name=op.f("fk_event_reviews_event_pk_gate_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_reviews")),
    )
    op.create_index("ix_event_reviews_event_pk_reviewed_at", "event_reviews", ["event_pk", "reviewed_at"])
    op.create_index("ix_event_reviews_plate_text_seen_at", "event_reviews", ["plate_text", "seen_at"])
    op.create_index("ix_event_reviews_plate_folded_seen_at", "event_reviews", ["plate_folded", "seen_at"])
    op.create_table(
        "review_containers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("review_pk", BIG_ID, nullable=False),
        sa.Column("event_pk", BIG_ID, nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("check_digit_ok", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_pk"],
            ["event_reviews.id"],
            name=op.f("fk_review_containers_review_pk_event_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_pk"],
            ["gate_events.id"],
            name=op.f("fk_review_containers_event_pk_gate_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_containers")),
        sa.UniqueConstraint("review_pk", "position", name="uq_review_containers_review_position"),
    )
    op.create_index(op.f("ix_review_containers_review_pk"), "review_containers", ["review_pk"])
    op.create_index(op.f("ix_review_containers_event_pk"), "review_containers", ["event_pk"])
    op.create_index("ix_review_containers_number_seen_at", "review_containers", ["number", "seen_at"])

    # The review list's columns on each pass (GateEventRow, anpr.review.plate_trust), filled for the
    # passes already stored: the lowest plate confidence, -1 for an invalid plate or none.
    op.add_column("gate_events", sa.Column("plate_trust", sa.Float(), nullable=False, server_default="-1"))
    op.add_column(
        "gate_events", sa.Column("container_unverified", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("gate_events", sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        sa.text(
            "UPDATE gate_events SET "
            "plate_trust = COALESCE((SELECT MIN(CASE WHEN r.valid THEN r.confidence ELSE -1 END) "
            "FROM plate_reads r WHERE r.event_pk = gate_events.id), -1), "
            "container_unverified = EXISTS (SELECT 1 FROM container_reads c "
            "WHERE c.event_pk = gate_events.id AND NOT c.check_digit_ok)"
        )
    )


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), never batch mode's copy (see 0003).
    for name in ("reviewed_at", "container_unverified", "plate_trust"):
        op.drop_column("gate_events", name)
    op.drop_table("review_containers")
    op.drop_table("event_reviews")
