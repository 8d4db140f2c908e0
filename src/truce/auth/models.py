"""Organisations, users and their roles."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table

from truce.db import metadata

ORG_KINDS = ("guarantor_office", "party_liaison", "joint_group", "admin", "observer")
ROLES = ("monitor", "verifier", "liaison", "analyst", "admin")

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
)
