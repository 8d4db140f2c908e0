"""Reads about the loaded administrative areas that need no geometry: their names in the reader's language,
the levels and countries loaded, the extent of the deployment's data. Kept apart from `service.py` (loading
boundaries, locating points, which need shapely) so that a read command does not load shapely and numpy."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from sqlalchemy import Connection, func, select

from truce.errors import NotFound
from truce.geo.models import admin_areas, places
from truce.incidents.models import incidents
from truce.zones.models import zone_versions


def deepest_levels(conn: Connection) -> dict[str, int]:
    """Each loaded country and the deepest level of boundaries it has."""
    rows = conn.execute(select(admin_areas.c.country, func.max(admin_areas.c.level)).group_by(admin_areas.c.country))
    return {r[0]: int(r[1]) for r in rows}


# The script a reader of a language reads the place names of the boundaries in, when the source has no
# name in the language itself: OCHA gives Syrian places in English and Arabic; Persian writes them as Arabic.
NAME_FALLBACK = {"fa": "ar"}


def admin_names(conn: Connection, pcodes: list[str | None], lang: str | None = None) -> dict[str, str]:
    """P-code -> name of the admin area: in `lang` where the boundaries carry one (OCHA's Arabic names,
    any language of the source's `names`), else in English."""
    codes = [p for p in pcodes if p]
    if not codes:
        return {}
    rows = conn.execute(
        select(admin_areas.c.pcode, admin_areas.c.name_en, admin_areas.c.name_ar, admin_areas.c.names).where(
            admin_areas.c.pcode.in_(codes)
        )
    )
    out = {}
    for r in rows:
        local: dict[str, Any] = {"ar": r.name_ar}
        if r.names:
            with contextlib.suppress(ValueError, AttributeError):  # not a JSON object: the two names only
                local.update({k: v for k, v in json.loads(r.names).items() if isinstance(v, str) and v})
        name = None
        if lang and lang != "en":
            name = local.get(lang) or local.get(NAME_FALLBACK.get(lang, ""))
        out[r.pcode] = name or r.name_en
    return out


MAX_LEVEL = 20  # a sane bound on a level number (the levels themselves are those of the loaded boundaries)


def check_level(conn: Connection, level: int | None) -> None:
    """A level deeper than every loaded country's boundaries is refused, naming the deepest one."""
    deepest = max(deepest_levels(conn).values(), default=0)
    if level is not None and deepest and level > deepest:
        raise NotFound(f"level: no ADM{level} areas are loaded (the deepest level is ADM{deepest})", field="level")


def list_admin_areas(conn: Connection, level: int | None = None) -> list[dict[str, Any]]:
    stmt = select(
        admin_areas.c.pcode,
        admin_areas.c.level,
        admin_areas.c.name_en,
        admin_areas.c.name_ar,
        admin_areas.c.adm1_pcode,
        admin_areas.c.adm2_pcode,
        admin_areas.c.repaired,
    )
    if level is not None:
        stmt = stmt.where(admin_areas.c.level == level)
    return [dict(r) for r in conn.execute(stmt.order_by(admin_areas.c.pcode)).mappings()]


def list_countries(conn: Connection) -> list[dict[str, Any]]:
    """The countries whose boundaries are loaded: levels, number of areas and places, extent."""
    rows = conn.execute(
        select(
            admin_areas.c.country,
            func.min(admin_areas.c.level),
            func.max(admin_areas.c.level),
            func.count(),
            func.min(admin_areas.c.minx),
            func.min(admin_areas.c.miny),
            func.max(admin_areas.c.maxx),
            func.max(admin_areas.c.maxy),
        )
        .group_by(admin_areas.c.country)
        .order_by(admin_areas.c.country)
    ).all()
    counted = conn.execute(select(places.c.country, func.count()).group_by(places.c.country)).all()
    n_places: dict[str, int] = {r[0]: int(r[1]) for r in counted}
    return [
        {
            "country": r[0],
            "levels": f"ADM{r[1]}-ADM{r[2]}" if r[1] != r[2] else f"ADM{r[1]}",
            "areas": r[3],
            "places": n_places.get(r[0], 0),
            "bounds": [round(r[4], 4), round(r[5], 4), round(r[6], 4), round(r[7], 4)],
        }
        for r in rows
    ]


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    if not boxes:
        return None
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _meets(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def data_extent(conn: Connection) -> tuple[float, float, float, float] | None:
    """What the deployment's data covers, as (min lon, min lat, max lon, max lat): the loaded countries in
    which its zones and incidents lie (every loaded country when there are none yet), and any incident
    outside them. None when nothing is loaded. Frames the web map and the bulletin map."""
    countries = {
        r[0]: (float(r[1]), float(r[2]), float(r[3]), float(r[4]))
        for r in conn.execute(
            select(
                admin_areas.c.country,
                func.min(admin_areas.c.minx),
                func.min(admin_areas.c.miny),
                func.max(admin_areas.c.maxx),
                func.max(admin_areas.c.maxy),
            ).group_by(admin_areas.c.country)
        )
    }
    used: set[str] = {
        r[0]
        for r in conn.execute(
            select(admin_areas.c.country)
            .distinct()
            .where(
                admin_areas.c.pcode.in_(
                    select(incidents.c.adm1_pcode).distinct().where(incidents.c.adm1_pcode.isnot(None))
                )
            )
        )
    }
    extra: list[tuple[float, float, float, float]] = []
    for z in conn.execute(
        select(zone_versions.c.minx, zone_versions.c.miny, zone_versions.c.maxx, zone_versions.c.maxy)
    ):
        box = (z.minx, z.miny, z.maxx, z.maxy)
        hit = [c for c, b in countries.items() if _meets(box, b)]
        if hit:
            used.update(hit)
        else:
            extra.append(box)
    out = conn.execute(
        select(
            func.min(incidents.c.lon), func.min(incidents.c.lat), func.max(incidents.c.lon), func.max(incidents.c.lat)
        ).where(incidents.c.adm1_pcode.is_(None), incidents.c.lat.isnot(None))
    ).one()
    if out[0] is not None:
        extra.append((float(out[0]), float(out[1]), float(out[2]), float(out[3])))
    boxes = [countries[c] for c in sorted(used)] or list(countries.values())
    return _union(boxes + extra)
