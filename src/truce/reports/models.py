"""Reports: one source's account of an alleged violation. Never edited in place, never deleted."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from truce.db import metadata

VIOLATION_TYPES = (
    "shelling",
    "airstrike",
    "ground_attack",
    "sniper_fire",
    "drone_strike",
    "ied",
    "troop_movement",
    "heavy_weapons_movement",
    "obstruction_of_humanitarian_access",
    "obstruction_of_monitors",
    "attack_on_civilians",
    "chemical_weapons_use",
    "armed_clash",
    "other",
)
SOURCE_KINDS = ("monitor", "guarantor_office", "party_complaint", "media", "sensor", "ngo")
TIME_PRECISIONS = ("exact", "day", "week", "month")
# Finest first. "near" = within about 25 km of the point (UCDP where_prec 2).
LOCATION_PRECISIONS = ("exact", "near", "adm3", "adm2", "adm1", "country")
OBSERVATION_MODES = ("observed", "heard", "second_hand")
VISIBILITY_TIERS = ("public", "parties", "guarantors", "investigators")

# The casualty counts of a report, as every front-end and importer names them (flattened in tables): the
# fields of `schemas.Casualties`, in its order.
CASUALTY_FIELDS: tuple[str, ...] = (
    "killed", "killed_low", "killed_high", "killed_civilian", "killed_combatant",
    "injured", "injured_low", "injured_high", "injured_civilian", "injured_combatant",
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),  # the client-made UUID
    Column("content_hash", String(64), nullable=False),
    Column("source_kind", String(32), nullable=False),
    Column("org_id", String(64), nullable=False),
    Column("submitted_by", String(100), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("occurred_at", String(32), nullable=False, index=True),
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
    Column("target", String(300), nullable=True),
    Column("weapons", Text, nullable=False),  # JSON list
    Column("killed", Integer, nullable=True),
    Column("killed_low", Integer, nullable=True),
    Column("killed_high", Integer, nullable=True),
    Column("killed_civilian", Integer, nullable=True),
    Column("killed_combatant", Integer, nullable=True),
    Column("injured", Integer, nullable=True),
    Column("injured_low", Integer, nullable=True),
    Column("injured_high", Integer, nullable=True),
    Column("injured_civilian", Integer, nullable=True),
    Column("injured_combatant", Integer, nullable=True),
    Column("narrative", Text, nullable=True),
    Column("language", String(8), nullable=True),
    Column("observation", String(16), nullable=True),
    Column("visibility", String(16), nullable=False),
    Column("simulated", Boolean, nullable=False),
    Column("external_source", String(32), nullable=True),
    Column("external_id", String(64), nullable=True),
    Column("supersedes", String(36), nullable=True),  # the report this one corrects
    Column("ledger_seq", BigInteger, nullable=False),
    Index("ix_reports_external", "external_source", "external_id"),
)

report_evidence = Table(
    "report_evidence",
    metadata,
    Column("report_id", String(36), ForeignKey("reports.id"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("visibility", String(16), nullable=False),  # may be stricter than the report's own tier
)
