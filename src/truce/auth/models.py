"""Organisations, users and their roles; sign-in credentials (password hashes, API tokens) and the
operational tables of the web app (sessions, sign-in attempts)."""

from __future__ import annotations

import re

from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table

from truce.db import metadata

ORG_KINDS = ("guarantor_office", "party_liaison", "joint_group", "admin", "observer")
ROLES = ("monitor", "verifier", "liaison", "analyst", "admin")
# Organisation ids and user names: letters, digits, _ . -
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
# Which roles make sense in which kind of organisation.
ROLES_BY_ORG_KIND = {
    "guarantor_office": {"monitor", "verifier", "analyst"},
    "party_liaison": {"liaison", "analyst"},
    "joint_group": {"verifier", "analyst", "admin"},
    "admin": {"admin", "analyst"},
    "observer": {"analyst", "monitor"},
}

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("party_id", String(64), nullable=True),
    Column("created_at", String(32), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("org_id", String(64), ForeignKey("organisations.id"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("display_name", String(300), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    # argon2id hash of the web sign-in password (NULL: none set, the user cannot sign in to the web app)
    Column("password_hash", String(200), nullable=True),
    Column("password_set_at", String(32), nullable=True),
)

# API bearer tokens: only the sha256 of the token is kept (the token itself is shown once).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_name", String(100), ForeignKey("users.name"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Column("revoked_by", String(100), nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)

# --- operational tables: written outside the ledger, not projections (see ledger.service) ----------

# Web sessions: the cookie carries a random id; only its sha256 is stored.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(100), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("last_seen", String(32), nullable=False),
)

# Sign-in attempts, to rate-limit failures by user name and by client address.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(100), nullable=False),
    Column("client", String(64), nullable=False),
    Column("at", String(32), nullable=False),
    Column("ok", Boolean, nullable=False),
    Index("ix_login_attempts_user_at", "user_name", "at"),
    Index("ix_login_attempts_client_at", "client", "at"),
)

OPERATIONAL = ("web_sessions", "login_attempts")
