"""Zones of the regime and their versions (each a geometry valid over a period)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, Integer, String, Table, Text

from truce.db import metadata

ZONE_KINDS = ("de_escalation_area", "security_belt", "demilitarised_strip", "reconciled_settlement", "other")
# languages a zone's name may be given in besides its (English) name (as a party's: parties.models)
NAME_LANGUAGES = ("ar", "ru", "tr", "fa")

zones = Table(
    "zones",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("approximate", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
)

# a zone's name in the readers' languages ({ar, ru, tr, fa}), as their press writes it; the English name is
# `zones.name`. Names belong to the zone, not to a version: a new version keeps them.
zone_names = Table(
    "zone_names",
    metadata,
    Column("zone_id", String(64), ForeignKey("zones.id"), primary_key=True),
    Column("lang", String(8), primary_key=True),
    Column("name", String(300), nullable=False),
)

zone_versions = Table(
    "zone_versions",
    metadata,
    Column("zone_id", String(64), ForeignKey("zones.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("valid_from", String(10), nullable=False),
    Column("valid_to", String(10), nullable=True),  # exclusive; NULL = open
    Column("geojson", Text, nullable=False),
    Column("minx", Float, nullable=False),
    Column("miny", Float, nullable=False),
    Column("maxx", Float, nullable=False),
    Column("maxy", Float, nullable=False),
    Column("area_sqkm", Float, nullable=False),
    Column("adm_pcodes", Text, nullable=True),  # JSON list when built from admin areas
    Column("repair", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("ledger_seq", BigInteger, nullable=False),
)
