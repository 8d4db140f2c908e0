"""Zones (GeoJSON, each version by date), administrative areas (OCHA P-codes) and place names."""

from __future__ import annotations

import json
import threading
from typing import Any

import shapely
from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from truce import i18n
from truce.api.deps import read
from truce.errors import ValidationFailed
from truce.geo.gazetteer import gazetteer_for
from truce.geo.models import admin_areas
from truce.geo.queries import MAX_LEVEL, check_level, list_admin_areas
from truce.zones.queries import list_zones, show_zone, zones_geojson

router = APIRouter(tags=["zones and places"])
_cache: dict[tuple[str, int, float, int], dict[str, Any]] = {}
_lock = threading.Lock()


@router.get("/zones", summary="Zones as a GeoJSON FeatureCollection (the versions valid on as_of, or all)")
def zones(
    request: Request,
    as_of: str | None = Query(None, description="A date, YYYY-MM-DD"),
    lang: str | None = Query(None, description="ar, ru, tr or fa: each feature's local_name in that language"),
) -> Any:
    code = i18n.normalize(lang) if lang else None
    if lang and code is None:
        raise ValidationFailed(f"lang: {lang!r} is not one of {', '.join(i18n.LANGUAGES)}", field="lang")
    with read(request) as conn:
        return zones_geojson(conn, as_of, code)


@router.get("/zones/{zone_id}", summary="A zone with the history of its versions")
def zone(zone_id: str, request: Request, geometry: bool = False) -> Any:
    with read(request) as conn:
        d = show_zone(conn, zone_id, with_geometry=geometry)
        d["summary"] = next((z for z in list_zones(conn) if z["id"] == zone_id), None)
    return d


@router.get("/admin-areas", summary="OCHA administrative areas (P-codes, English and Arabic names)")
def areas(
    request: Request,
    level: int | None = Query(None, ge=1, le=MAX_LEVEL, description="An administrative level, 1 to the deepest loaded"),
) -> Any:
    with read(request) as conn:
        check_level(conn, level)
        return {"areas": list_admin_areas(conn, level)}


@router.get("/admin-areas/geojson", summary="Simplified outlines of one level (the offline base map)")
def areas_geojson(
    request: Request,
    level: int = Query(1, ge=1, le=MAX_LEVEL, description="An administrative level, 1 to the deepest loaded"),
    tolerance: float = Query(0.01, ge=0.0005, le=0.5),
) -> Any:
    with read(request) as conn:
        check_level(conn, level)
        # a new import changes the level's areas: the cached outlines are those of the areas now loaded
        stamp = conn.execute(select(func.count()).where(admin_areas.c.level == level)).scalar_one()
    key = (str(request.app.state.truce.url), level, tolerance, stamp)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    feats = []
    with read(request) as conn:
        rows = conn.execute(
            select(admin_areas.c.pcode, admin_areas.c.name_en, admin_areas.c.name_ar, admin_areas.c.geojson)
            .where(admin_areas.c.level == level)
            .order_by(admin_areas.c.pcode)
        ).all()
    for r in rows:
        g = shapely.simplify(shapely.from_geojson(r.geojson), tolerance, preserve_topology=True)
        g = shapely.set_precision(g, 0.0001)
        feats.append(
            {
                "type": "Feature",
                "id": r.pcode,
                "geometry": json.loads(shapely.to_geojson(g)),
                "properties": {"pcode": r.pcode, "name": r.name_en, "name_ar": r.name_ar},
            }
        )
    fc = {"type": "FeatureCollection", "features": feats}
    if feats:
        with _lock:
            _cache[key] = fc
    return fc


@router.get("/places", summary="Place-name suggestions from the gazetteer (OCHA, GeoNames, Syrian Archive)")
def places(request: Request, q: str = Query("", max_length=100), limit: int = Query(10, ge=1, le=50)) -> Any:

    out = []
    with request.app.state.truce.read() as conn:
        gaz = gazetteer_for(conn)
    for label, res in gaz.suggest(q, limit=limit):
        out.append(
            {
                "label": label,
                "name": res.matched,
                "lat": res.lat,
                "lon": res.lon,
                "precision": res.precision,
                "adm1_pcode": res.adm1_pcode,
                "adm2_pcode": res.adm2_pcode,
                "adm3_pcode": res.adm3_pcode,
            }
        )
    return {"q": q, "places": out}
