"""merkle tree over the ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Adds `ledger_tree` (the hashes of the complete subtrees of the ledger's Merkle tree) and fills it for
every entry already in the ledger, so that the tree covers databases made before it existed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_tree",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    from truce.ledger import merkle

    merkle.backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("ledger_tree")
