"""A mirror's own bookkeeping: what it follows, the checkpoints it verified or was shown, its alarms.

Operational tables (never made by the ledger, never replayed): `truce.ledger.service.OPERATIONAL_TABLES`."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text

from truce.db import metadata

# One row (id = 1) in a mirror's database; its presence makes the deployment read-only.
mirror_state = Table(
    "mirror_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("source_url", String(500), nullable=False),
    Column("origin", String(300), nullable=True),
    Column("log_key", Text, nullable=True),  # the source log's verifier key (C2SP vkey), pinned at first contact
    Column("checkpoint", Text, nullable=True),  # the last signed checkpoint verified against the mirror's own copy
    Column("checkpoint_size", BigInteger, nullable=False, default=0),
    Column("following", Boolean, nullable=False, default=True),  # false once an alarm stopped it
    Column("witness", String(100), nullable=True),  # the office that co-signs as a witness, if any
    Column("updated_at", String(32), nullable=False),
)

# Every signed checkpoint the mirror saw: from its source, or gossiped by a peer mirror.
mirror_seen = Table(
    "mirror_seen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(300), nullable=False),
    Column("size", BigInteger, nullable=False, index=True),
    Column("root", String(64), nullable=False),  # hex
    Column("note", Text, nullable=False),
    Column("seen_from", String(500), nullable=False),
    Column("verified", Boolean, nullable=False),  # checked against the mirror's own copy
    Column("at", String(32), nullable=False),
)

mirror_alarms = Table(
    "mirror_alarms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("kind", String(40), nullable=False),  # rollback | fork | split_view | bad_entries | bad_signature
    Column("message", Text, nullable=False),
    Column("source", String(500), nullable=False),
    Column("held_checkpoint", Text, nullable=True),
    Column("new_checkpoint", Text, nullable=True),
    Column("proof", Text, nullable=True),  # the proof of misbehaviour (JSON), checked by `truce ledger check-proof`
)

MIRROR_TABLES = ("mirror_state", "mirror_seen", "mirror_alarms")
