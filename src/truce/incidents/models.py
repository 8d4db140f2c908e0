"""Incidents: the event that one or more reports describe, with its places and zones."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from truce.db import metadata

INCIDENT_STATUSES = ("open", "under_investigation", "closed")
VERDICTS = ("pending", "verified", "not_verified", "disputed")

incidents = Table(
    "incidents",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("occurred_at", String(32), nullable=False),
    Column("occurred_precision", String(8), nullable=False),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("location_precision", String(8), nullable=False),
    Column("place_name", String(300), nullable=True),
    Column("adm1_pcode", String(16), nullable=True),
    Column("adm2_pcode", String(16), nullable=True),
    Column("adm3_pcode", String(16), nullable=True),
    Column("violation_type", String(64), nullable=False),
    Column("alleged_party_id", String(64), nullable=True),
    Column("alleged_party_text", String(300), nullable=True),
    Column("status", String(32), nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("simulated", Boolean, nullable=False),
    Column("title", Text, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
    Index("ix_incidents_time", "occurred_at"),
    Index("ix_incidents_adm1_time", "adm1_pcode", "occurred_at"),
    Index("ix_incidents_adm2", "adm2_pcode"),
    Index("ix_incidents_adm3", "adm3_pcode"),
    Index("ix_incidents_party", "alleged_party_id"),
    Index("ix_incidents_type", "violation_type"),
)

incident_reports = Table(
    "incident_reports",
    metadata,
    Column("report_id", String(36), ForeignKey("reports.id"), primary_key=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("how", String(16), nullable=False),  # origin | named | auto | manual
    Column("linked_at", String(32), nullable=False),
    Column("linked_by", String(100), nullable=False),
)

incident_zones = Table(
    "incident_zones",
    metadata,
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), primary_key=True),
    Column("zone_id", String(64), ForeignKey("zones.id"), primary_key=True),
    Column("zone_version", Integer, nullable=False),
    Index("ix_incident_zones_zone", "zone_id"),
)
