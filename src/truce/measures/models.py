"""Measures against violators and accession applications, with their states in one place."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from truce.db import metadata

# Decision states (the joint group votes under the agreement's decision rule) and compliance states.
MEASURE_STATES = ("proposed", "approved", "rejected")
MEASURE_TRANSITIONS = {"proposed": {"approved", "rejected"}, "approved": set(), "rejected": set()}
COMPLIANCE_STATES = ("open", "complied", "breached")
COMPLIANCE_TRANSITIONS = {"open": {"complied", "breached"}, "complied": set(), "breached": set()}
ACCESSION_STATES = ("pending", "accepted", "rejected")

measures = Table(
    "measures",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("party_id", String(64), ForeignKey("parties.id"), nullable=False, index=True),
    Column("step", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("rule_id", String(32), nullable=False),
    Column("agreement_id", String(64), nullable=False),
    Column("agreement_version", Integer, nullable=False),
    Column("as_of", String(10), nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: incidents, denials, breached measures, points, the rule
    Column("evidence_key", String(64), nullable=False),  # sha256 of the evidence ids: never propose twice
    Column("status", String(16), nullable=False),
    Column("proposed_at", String(32), nullable=False),
    Column("decided_at", String(32), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("deadline", String(10), nullable=True),
    Column("compliance", String(16), nullable=True),
    Column("compliance_at", String(32), nullable=True),
    Column("compliance_reason", Text, nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)

votes = Table(
    "votes",
    metadata,
    Column("subject", String(16), primary_key=True),  # measure | accession
    Column("subject_id", BigInteger, primary_key=True, autoincrement=False),
    Column("guarantor", String(64), primary_key=True),
    Column("approve", String(8), nullable=False),  # yes | no
    Column("reason", Text, nullable=False),
    Column("voted_by", String(100), nullable=False),
    Column("voted_at", String(32), nullable=False),
    Column("voted_on", String(10), nullable=True),  # the decision's business day (the vote's `on`)
    Column("ledger_seq", BigInteger, nullable=False),
)

accessions = Table(
    "accessions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("party_id", String(64), ForeignKey("parties.id"), nullable=False, index=True),
    Column("applied_at", String(32), nullable=False),
    Column("applied_by", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("eligibility", Text, nullable=False),  # JSON: the evaluation at application time
    Column("decided_at", String(32), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)
