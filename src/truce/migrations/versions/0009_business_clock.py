"""business clock: the day of each finding and vote; the deployment's own settings (the demo's clock)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("found_on", sa.String(length=10), nullable=True))
    # Findings recorded before they had a day of their own: the day their ledger entry was written (as replay).
    op.execute("UPDATE findings SET found_on = substr(recorded_at, 1, 10) WHERE found_on IS NULL")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voted_on", sa.String(length=10), nullable=True))
    # Votes recorded before: the day they decided on is in their ledger entry's payload (`on`), as a replay reads it.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT v.subject, v.subject_id, v.guarantor, v.voted_at, e.payload FROM votes v "
            "JOIN ledger_entries e ON e.seq = v.ledger_seq"
        )
    ).all()
    for r in rows:
        day = json.loads(r.payload).get("on") or r.voted_at[:10]
        bind.execute(
            sa.text("UPDATE votes SET voted_on = :d WHERE subject = :s AND subject_id = :i AND guarantor = :g"),
            {"d": day, "s": r.subject, "i": r.subject_id, "g": r.guarantor},
        )
    op.create_table(
        "deployment_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("deployment_settings")
    with op.batch_alter_table("votes", schema=None) as batch_op:
        batch_op.drop_column("voted_on")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("found_on")
