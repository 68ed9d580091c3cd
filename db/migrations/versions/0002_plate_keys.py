"""plate_keys: deletion keys of every stored folded plate, for fuzzy lookups

Fuzzy plate lookups used to probe the ``folded`` indexes with the ~500 strings
one edit away from the query. This table lists, for each folded plate of
``plate_reads`` and ``declaration_plates``, the plate itself and its
one-deletion variants, so a lookup reads about ten keys instead (see
``db/plate_keys.py``). The upgrade fills it from the plates already stored.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.fuzzy_index import key_rows

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    keys = op.create_table(
        "plate_keys",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("folded", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("key", "folded", name=op.f("pk_plate_keys")),
    )
    conn = op.get_bind()
    stored = sa.text("SELECT folded FROM plate_reads UNION SELECT folded FROM declaration_plates")
    plates = sorted(folded for (folded,) in conn.execute(stored) if folded)
    for start in range(0, len(plates), BATCH):
        op.bulk_insert(keys, key_rows(plates[start : start + BATCH]))


def downgrade() -> None:
    op.drop_table("plate_keys")
