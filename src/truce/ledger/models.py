"""Ledger tables: the append-only chain, its head, and the blob index."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, SmallInteger, String, Table, Text

from truce.db import metadata

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("org", String(100), nullable=False),
    Column("command", String(100), nullable=False, index=True),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# One row (id = 1): the sequence and hash of the newest entry. Appending locks it.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

# The bytes of the blobs of a deployment that keeps its files in the database (PostgreSQL without
# TRUCE_BLOB_DIR): content-addressed chunks of 1 MiB. Operational, not a projection: the `blobs` index above
# is what the ledger makes; these are the files it names, as a blob directory holds them.
blob_data = Table(
    "blob_data",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("n", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

LEDGER_TABLES = {"ledger_entries", "ledger_head"}

# The ledger's Merkle tree (truce.ledger.merkle): the hash of every complete subtree of 2^level leaves
# (level >= 1; the leaves are ledger_entries.hash), node (level, idx) covering leaves
# [idx * 2^level, (idx + 1) * 2^level). Written with each entry, so a replay rebuilds it exactly.
ledger_tree = Table(
    "ledger_tree",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)
