"""files in the database (PostgreSQL), a mirror's bookkeeping

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blob_data",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "n"),
    )
    op.create_table(
        "mirror_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("log_key", sa.Text(), nullable=True),
        sa.Column("checkpoint", sa.Text(), nullable=True),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.Column("following", sa.Boolean(), nullable=False),
        sa.Column("witness", sa.String(length=100), nullable=True),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "mirror_seen",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("seen_from", sa.String(length=500), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mirror_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mirror_seen_size"), ["size"], unique=False)
    op.create_table(
        "mirror_alarms",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("held_checkpoint", sa.Text(), nullable=True),
        sa.Column("new_checkpoint", sa.Text(), nullable=True),
        sa.Column("proof", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("mirror_alarms")
    with op.batch_alter_table("mirror_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mirror_seen_size"))
    op.drop_table("mirror_seen")
    op.drop_table("mirror_state")
    op.drop_table("blob_data")
