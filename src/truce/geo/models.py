"""Administrative areas (OCHA COD-AB P-codes, any number of levels, any country) and the places of a
gazetteer file (GeoNames) loaded into the deployment."""

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
    # ISO 3166-1 alpha-2 code of the country (P-codes are unique across countries)
    Column("country", String(3), nullable=False, server_default="SY", index=True),
    Column("adm3_pcode", String(16), nullable=True),
    # every name the source gives, as JSON {"en": ..., "ar": ..., "fr": ..., "alt": [...]}
    Column("names", Text, nullable=True),
)

places = Table(
    "places",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("country", String(3), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("names", Text, nullable=False),  # JSON list: the name first, then the alternate names
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("population", Integer, nullable=False),
    Column("feature_code", String(10), nullable=True),
    Column("adm1_pcode", String(16), nullable=True),
    Column("adm2_pcode", String(16), nullable=True),
    Column("adm3_pcode", String(16), nullable=True),
    Column("source", String(200), nullable=False),
)
