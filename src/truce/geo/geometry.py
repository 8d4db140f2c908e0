"""Geometry helpers: GeoJSON in and out, repair of invalid polygons, bundled OCHA boundaries."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from truce.errors import ValidationFailed

KM_PER_DEG = 111.32


@dataclass(frozen=True)
class Repair:
    """What make_valid did to an invalid polygon, so that it is reported, never hidden."""

    reason: str
    area_before: float
    area_after: float

    def describe(self) -> str:
        return f"repaired with make_valid: {self.reason}"


def parse_geometry(obj: Any, where: str = "geometry") -> BaseGeometry:
    """A GeoJSON geometry (or Feature) as shapely, with a clear error naming where it failed."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except ValueError as e:
            raise ValidationFailed(f"{where}: not JSON ({e})", field=where) from e
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or "type" not in obj:
        raise ValidationFailed(f"{where}: not a GeoJSON geometry", field=where)
    try:
        geom = shape(obj)
    except Exception as e:  # shapely raises several kinds
        raise ValidationFailed(f"{where}: malformed {obj.get('type')} ({e})", field=where) from e
    if geom.is_empty:
        raise ValidationFailed(f"{where}: empty geometry", field=where)
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        raise ValidationFailed(f"{where}: a zone must be a Polygon or MultiPolygon, not {geom.geom_type}", field=where)
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise ValidationFailed(f"{where}: coordinates outside longitude/latitude range", field=where)
    return geom


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts (make_valid can yield lines along a self-touching ring)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys: list[Any] = []
    for p in parts:
        polys.extend(p.geoms if p.geom_type == "MultiPolygon" else [p])
    return shapely.MultiPolygon(polys) if len(polys) != 1 else polys[0]


def repair(geom: BaseGeometry) -> tuple[BaseGeometry, Repair | None]:
    if geom.is_valid:
        return polygonal(geom), None
    reason = shapely.is_valid_reason(geom)
    fixed = polygonal(shapely.make_valid(geom))
    return fixed, Repair(reason=reason, area_before=float(geom.area), area_after=float(fixed.area))


def to_geojson(geom: BaseGeometry) -> str:
    return json.dumps(mapping(geom), separators=(",", ":"))


def area_sqkm(geom: BaseGeometry) -> float:
    """Area by the local equirectangular approximation: good to a fraction of a percent at Syria's size."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return float(geom.area * KM_PER_DEG * KM_PER_DEG * math.cos(math.radians(lat)))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def bundled_path(name: str) -> Any:
    return resources.files("truce.data").joinpath(name)


@lru_cache(maxsize=4)
def bundled_admin_features(level: int) -> list[dict[str, Any]]:
    """The bundled OCHA features of one level (1, 2 or 3), as published (not yet repaired)."""
    text = bundled_path(f"syr_adm{level}.geojson").read_text("utf-8")
    return list(json.loads(text)["features"])


@lru_cache(maxsize=1)
def bundled_adm3_repaired() -> tuple[list[dict[str, Any]], list[BaseGeometry]]:
    """ADM3 properties and repaired shapely geometries, for code that needs them without a database."""
    feats = bundled_admin_features(3)
    geoms = [repair(shape(f["geometry"]))[0] for f in feats]
    return [f["properties"] for f in feats], geoms
