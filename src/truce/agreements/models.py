"""Agreement versions: clauses, guarantors, decision rule, matching and severity settings."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from truce.db import metadata

agreements = Table(
    "agreements",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("title", String(500), nullable=False),
    Column("signed", String(10), nullable=True),
    Column("effective", String(10), nullable=False),
    Column("valid_to", String(10), nullable=True),
    Column("term_months", Integer, nullable=True),
    Column("guarantors", Text, nullable=False),  # JSON list of party ids
    Column("decision_rule", String(32), nullable=False),
    Column("clauses", Text, nullable=False),  # JSON list of clause objects
    Column("settings", Text, nullable=False),  # JSON object
    Column("created_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)
