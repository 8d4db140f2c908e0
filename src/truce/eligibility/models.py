"""Position reports: where a party's forces were reported on a date (a point, or an area)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Float, ForeignKey, String, Table, Text

from truce.db import metadata

position_reports = Table(
    "position_reports",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("party_id", String(64), ForeignKey("parties.id"), nullable=False, index=True),
    Column("observed_on", String(10), nullable=False, index=True),
    Column("lat", Float, nullable=False),  # the point, or the area's representative point
    Column("lon", Float, nullable=False),
    Column("area", Text, nullable=True),  # GeoJSON polygon when an area was reported
    Column("place_name", String(300), nullable=True),
    Column("org_id", String(64), nullable=False),
    Column("reported_by", String(100), nullable=False),
    Column("note", Text, nullable=True),
    Column("simulated", Boolean, nullable=False),
    Column("ledger_seq", BigInteger, nullable=False),
)
