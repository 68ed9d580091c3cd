"""event summary: each pass's headline reads copied onto its gate_events row

A page of ``GET /vehicles/{plate}/entries`` (the API's hottest query) used to
join every listed event to ``plate_reads`` twice and ``container_reads``
twice. Stored reads never change, so the plate, its formatted text, the
trailer plate and the first two container numbers are now written onto the
event row at insert, and a page reads one row per event. The upgrade fills
them for the events already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (  # the new column, its length, and the read it copies: table, column, which row of the event
    ("plate_text", 32, "plate_reads", "text", "slot = 'plate'"),
    ("plate_formatted", 64, "plate_reads", "formatted", "slot = 'plate'"),
    ("trailer_plate_text", 32, "plate_reads", "text", "slot = 'trailer_plate'"),
    ("first_container", 16, "container_reads", "number", "position = 0"),
    ("second_container", 16, "container_reads", "number", "position = 1"),
)


def upgrade() -> None:
    for name, length, *_ in COLUMNS:
        op.add_column("gate_events", sa.Column(name, sa.String(length=length), nullable=True))
    assignments = ", ".join(
        f"{name} = (SELECT r.{column} FROM {table} r WHERE r.event_pk = gate_events.id AND r.{row})"
        for name, _, table, column, row in COLUMNS
    )
    op.execute(sa.text(f"UPDATE gate_events SET {assignments}"))


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), never batch mode: batch mode copies the
    # table and drops the old one, and with foreign keys on that DROP cascades to every read.
    for name, *_ in reversed(COLUMNS):
        op.drop_column("gate_events", name)
