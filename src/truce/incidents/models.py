"""Incidents: the event that one or more reports describe, with its places and zones."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from truce.db import metadata

# "merged": every report of the incident was linked to other incidents by a verifier; the incident is kept
# (ids are never reused, the ledger names it) but no longer listed; linking a report to it reopens it.
INCIDENT_STATUSES = ("open", "under_investigation", "closed", "merged")
VERDICTS = ("pending", "verified", "not_verified", "disputed", "before_agreement", "after_agreement")

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
    Column("target_party_id", String(64), nullable=True),
    # Verification results (recomputed by the verification service after every finding or link change)
    Column("agreement_id", String(64), nullable=True),
    Column("agreement_version", Integer, nullable=True),
    Column("verdict_at", String(32), nullable=True),
    Column("attributed_party_id", String(64), nullable=True),
    Column("attribution", String(32), nullable=True),  # attributed | could_not_be_attributed | NULL (not verified)
    Column("clause_id", String(32), nullable=True),
    Column("breach", String(16), nullable=True),  # breach | no_breach | NULL (not verified)
    Column("breach_reason", Text, nullable=True),
    Column("severity", String(16), nullable=True),  # grave | minor | NULL
    Column("severity_reason", Text, nullable=True),
    Column("confidence", Float, nullable=True),
    Column("confidence_parts", Text, nullable=True),  # JSON
    Column("created_at", String(32), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
    # Corroboration (incidents/matching.py): time range, then box, read from the index alone.
    Index("ix_incidents_time", "occurred_at", "lat", "lon"),
    Index("ix_incidents_precision_time", "occurred_precision", "occurred_at", "lat", "lon"),
    Index("ix_incidents_area_time", "adm1_pcode", "location_precision", "occurred_precision", "occurred_at"),
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


FINDINGS = ("confirmed", "disputed", "unverifiable")

findings = Table(
    "findings",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("guarantor", String(64), nullable=False),  # the guarantor party id, e.g. RUS
    Column("org_id", String(64), nullable=False),
    Column("finding", String(16), nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("note", Text, nullable=True),
    Column("attributed_party_id", String(64), nullable=True),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("found_on", String(10), nullable=True),  # the finding's business day (the deployment's clock by default)
    Column("supersedes", BigInteger, nullable=True),  # the earlier finding of the same guarantor it revises
    Column("ledger_seq", BigInteger, nullable=False),
)

link_suggestions = Table(
    "link_suggestions",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("report_id", String(36), ForeignKey("reports.id"), nullable=False, index=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("distance_km", Float, nullable=True),
    Column("hours_apart", Float, nullable=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | accepted | rejected
    Column("created_at", String(32), nullable=False),
    Column("decided_by", String(100), nullable=True),
    Column("decided_at", String(32), nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
    Index("ix_link_suggestions_status", "status", "id"),
)

investigations = Table(
    "investigations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # open | paused | closed
    Column("opened_at", String(32), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("org_id", String(64), nullable=False),
    Column("paused_seconds", Float, nullable=False),
    Column("paused_since", String(32), nullable=True),
    Column("closed_at", String(32), nullable=True),
    Column("closed_by", String(100), nullable=True),
    Column("finding", String(16), nullable=True),
    Column("summary", Text, nullable=True),
    Column("report_blobs", Text, nullable=True),  # JSON list of {sha256, name, media_type, size}
    Column("ledger_seq", BigInteger, nullable=False),
)

access_denials = Table(
    "access_denials",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("investigation_id", BigInteger, ForeignKey("investigations.id"), nullable=False, index=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False),
    Column("party_id", String(64), nullable=False, index=True),
    Column("site", String(300), nullable=True),
    Column("denied_at", String(32), nullable=False),
    Column("resumed_at", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("recorded_by", String(100), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("org_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # attribution | reply | measure | ...
    Column("incident_id", BigInteger, nullable=True),
    Column("party_id", String(64), nullable=True),
    Column("message", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("reply_due", String(32), nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)

replies = Table(
    "replies",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("incident_id", BigInteger, ForeignKey("incidents.id"), nullable=False, index=True),
    Column("party_id", String(64), nullable=False),
    Column("org_id", String(64), nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("filed_at", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON list of {sha256, name, media_type, size}
    Column("notification_id", BigInteger, nullable=True),
    Column("visibility", String(16), nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)
