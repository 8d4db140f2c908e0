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

# The log's Ed25519 public keys (signing checkpoints), recorded by `ledger.log_key` entries: the key ID is
# C2SP's (hex of 4 bytes), the origin is the checkpoints' first line and the key's name.
ledger_log_keys = Table(
    "ledger_log_keys",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("origin", String(200), nullable=False),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("created_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

# --- operational tables (not projections: never replayed, see truce.ledger.service.OPERATIONAL_TABLES) ---

# Settings a deployment keeps for itself (not decisions): `today`, the demo's clock, which `truce serve` uses
# when TRUCE_TODAY is unset (see truce.times).
deployment_settings = Table(
    "deployment_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

# The log's private key (PEM, PKCS#8): held by the deployment that appends, absent from copies made by replay.
ledger_signer = Table(
    "ledger_signer",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("private_key", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# Checkpoints the log signed: the note body (origin, size, base64 root) and the log's signature line.
ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("signature", Text, nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("created_at", String(32), nullable=False),
)

# Co-signatures (c2sp.org/tlog-cosignature, cosignature/v1) of guarantor offices acting as witnesses.
ledger_cosignatures = Table(
    "ledger_cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("org_id", String(64), primary_key=True),
    Column("line", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("received_at", String(32), nullable=False),
)

# What each office co-signed last through `truce ledger cosign` on this machine: the next co-signature
# needs a consistency proof from it.
ledger_witness_state = Table(
    "ledger_witness_state",
    metadata,
    Column("org_id", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    Column("updated_at", String(32), nullable=False),
)
