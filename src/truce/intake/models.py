"""Candidate reports read from news articles and field messages, waiting for a person's decision."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from truce.db import metadata

CANDIDATE_STATES = ("pending", "accepted", "rejected")
CHANNELS = ("file", "import", "api", "gateway")
CASUALTY_KEYS = ("killed", "killed_civilian", "killed_combatant", "injured", "injured_civilian", "injured_combatant")

# Fields a reviewer may correct, and their types.
EDITABLE: dict[str, type] = {
    "occurred_at": str,
    "occurred_precision": str,
    "place_name": str,
    "lat": float,
    "lon": float,
    "violation_type": str,
    "alleged_party": str,
    "killed": int,
    "killed_civilian": int,
    "killed_combatant": int,
    "injured": int,
    "injured_civilian": int,
    "injured_combatant": int,
}

intake_candidates = Table(
    "intake_candidates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("article_key", String(100), nullable=False, unique=True),  # "id:<article id>" or "sha256:<hash>"
    Column("content_hash", String(64), nullable=False),  # sha256 of the article as received (canonical JSON)
    Column("blob_sha256", String(64), nullable=False),  # the article itself, in the blob store
    Column("channel", String(16), nullable=False),
    Column("source", String(200), nullable=True),
    Column("title", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("language", String(8), nullable=False),
    Column("published", String(32), nullable=True),
    Column("received_at", String(32), nullable=False),
    Column("received_by", String(100), nullable=False),
    Column("org_id", String(64), nullable=False),
    Column("extraction", Text, nullable=False),  # JSON: each field with its value, evidence and confidence
    Column("proposal", Text, nullable=False),  # JSON: the report the extraction proposes
    Column("likely_incident_id", Integer, nullable=True),
    Column("match_score", Float, nullable=True),
    Column("match_how", String(16), nullable=True),  # auto | suggested | none
    Column("status", String(16), nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("edits", Text, nullable=True),  # JSON: {field: [proposed, accepted]} of the reviewer's corrections
    Column("report_id", String(36), nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
    Column("decision_seq", BigInteger, nullable=True),
    Index("ix_intake_candidates_status", "status", "id"),
)
