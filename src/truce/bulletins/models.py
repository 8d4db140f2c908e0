"""Published bulletins, the guarantors' signatures on them, and the guarantors' signing keys."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, String, Table

from truce.db import metadata

# A bulletin as published: the numbers for `day` computed at ledger entry `seq`; the canonical JSON
# body is kept in the blob store under `sha256`. A day may be published again at a later sequence.
bulletins = Table(
    "bulletins",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("head_hash", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("published_by", String(100), nullable=False),
    Column("published_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

# Ed25519 public keys of the guarantor offices (raw 32 bytes, hex); key_id = first 16 hex of sha256(key).
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("org_id", String(64), nullable=False, index=True),
    Column("public_key", String(64), nullable=False, unique=True),
    Column("created_by", String(100), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Column("revoked_by", String(100), nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)

# One signature per guarantor office on a published bulletin (hex Ed25519 signature over
# `truce.bulletins.service.signed_message`).
bulletin_signatures = Table(
    "bulletin_signatures",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("org_id", String(64), primary_key=True),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("signed_by", String(100), nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
    ForeignKeyConstraint(["day", "seq"], ["bulletins.day", "bulletins.seq"]),
)
