"""countries: admin areas of any country and level; gazetteer places; parties' external names

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=3), server_default="SY", nullable=False))
        batch_op.add_column(sa.Column("adm3_pcode", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("names", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_admin_areas_country"), ["country"], unique=False)
    op.execute("UPDATE admin_areas SET adm3_pcode = pcode WHERE level = 3")
    op.create_table(
        "places",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("feature_code", sa.String(length=10), nullable=True),
        sa.Column("adm1_pcode", sa.String(length=16), nullable=True),
        sa.Column("adm2_pcode", sa.String(length=16), nullable=True),
        sa.Column("adm3_pcode", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_places_country"), ["country"], unique=False)


    op.create_table(
        "party_external_names",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("norm", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"]),
        sa.PrimaryKeyConstraint("source", "norm"),
    )


def downgrade() -> None:
    op.drop_table("party_external_names")
    with op.batch_alter_table("places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_places_country"))
    op.drop_table("places")
    with op.batch_alter_table("admin_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_areas_country"))
        batch_op.drop_column("names")
        batch_op.drop_column("adm3_pcode")
        batch_op.drop_column("country")
