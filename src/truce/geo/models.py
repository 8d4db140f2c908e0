"""OCHA administrative areas (ADM1 governorates, ADM2 districts, ADM3 sub-districts)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, Text

from truce.db import metadata

admin_areas = Table(
    "admin_areas",
    metadata,
    Column("pcode", String(16), primary_key=True),
    Column("level", Integer, nullable=False, index=True),
    Column("name_en", String(200), nullable=False),
    Column("name_ar", String(200), nullable=True),
    Column("adm1_pcode", String(16), nullable=False),
    Column("adm2_pcode", String(16), nullable=True),
    Column("center_lat", Float, nullable=False),
    Column("center_lon", Float, nullable=False),
    Column("minx", Float, nullable=False),
    Column("miny", Float, nullable=False),
    Column("maxx", Float, nullable=False),
    Column("maxy", Float, nullable=False),
    Column("geojson", Text, nullable=False),
    Column("repaired", Boolean, nullable=False),
)
