"""Reads of the zones that need no geometry library: their names in the reader's language, the list, one zone
with its versions, the GeoJSON as stored, the history. Kept apart from `service.py` (defining, uniting,
splitting zones and placing incidents in them, which need shapely and numpy) so that a read command loads
neither."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, or_, select

from truce import times
from truce.errors import NotFound
from truce.incidents.models import incident_zones
from truce.times import check_day
from truce.zones.models import NAME_LANGUAGES, zone_names, zone_versions, zones


def local_names(conn: Connection, lang: str, ids: Any = None) -> dict[str, str]:
    """Zone id -> its name in `lang` where the scenario gave one (none in English: `zones.name` is that)."""
    q = select(zone_names.c.zone_id, zone_names.c.name).where(zone_names.c.lang == lang)
    if ids is not None:
        wanted = sorted({str(i) for i in ids if i})
        if not wanted:
            return {}
        q = q.where(zone_names.c.zone_id.in_(wanted))
    return {r.zone_id: r.name for r in conn.execute(q)}


def display_names(conn: Connection, lang: str, ids: Any) -> dict[str, str]:
    """Zone id -> its name to show in `lang`: the local one where the scenario gave it, else the English one."""
    wanted = sorted({str(i) for i in ids if i})
    if not wanted:
        return {}
    english = {r.id: r.name for r in conn.execute(select(zones.c.id, zones.c.name).where(zones.c.id.in_(wanted)))}
    return {**english, **(local_names(conn, lang, wanted) if lang in NAME_LANGUAGES else {})}


def names_of(conn: Connection, zone_id: str) -> dict[str, str]:
    """{lang: name} of a zone (its names in the readers' languages)."""
    rows = conn.execute(select(zone_names.c.lang, zone_names.c.name).where(zone_names.c.zone_id == zone_id))
    return {r.lang: r.name for r in rows}


def in_language(rows: list[dict[str, Any]], names: dict[str, str], key: str = "id") -> list[dict[str, Any]]:
    """Zone rows to show to a reader: `name` in the reader's language where `names` has it (English else)."""
    return [{**r, "name": names[r[key]]} if r.get(key) in names else r for r in rows]


def list_zones(conn: Connection, as_of: str | None = None) -> list[dict[str, Any]]:
    as_of = check_day(as_of, "as_of")
    out = []
    for z in conn.execute(select(zones).order_by(zones.c.id)).mappings():
        stmt = select(
            zone_versions.c.version, zone_versions.c.valid_from, zone_versions.c.valid_to, zone_versions.c.area_sqkm
        ).where(zone_versions.c.zone_id == z["id"])
        if as_of:
            stmt = stmt.where(
                zone_versions.c.valid_from <= as_of[:10],
                or_(zone_versions.c.valid_to.is_(None), zone_versions.c.valid_to > as_of[:10]),
            )
        v = conn.execute(stmt.order_by(zone_versions.c.version.desc()).limit(1)).first()
        n = conn.execute(
            select(func.count()).select_from(incident_zones).where(incident_zones.c.zone_id == z["id"])
        ).scalar_one()
        d = dict(z)
        d.update(
            {
                "version": v.version if v else None,
                "valid_from": v.valid_from if v else None,
                "valid_to": v.valid_to if v else None,
                "area_sqkm": v.area_sqkm if v else None,
                "incidents": n,
            }
        )
        out.append(d)
    return out


def show_zone(conn: Connection, zone_id: str, with_geometry: bool = False) -> dict[str, Any]:
    z = conn.execute(select(zones).where(zones.c.id == zone_id)).mappings().first()
    if z is None:
        raise NotFound(f"no zone '{zone_id}'", field="zone")
    d = dict(z)
    d["versions"] = []
    for v in conn.execute(
        select(zone_versions).where(zone_versions.c.zone_id == zone_id).order_by(zone_versions.c.version)
    ).mappings():
        vd = dict(v)
        vd["adm_pcodes"] = json.loads(vd["adm_pcodes"]) if vd["adm_pcodes"] else None
        g = vd.pop("geojson")
        if with_geometry:
            vd["geometry"] = json.loads(g)
        d["versions"].append(vd)
    d["incidents"] = conn.execute(
        select(func.count()).select_from(incident_zones).where(incident_zones.c.zone_id == zone_id)
    ).scalar_one()
    names = names_of(conn, zone_id)
    if names:
        d["names"] = names
    return d


def zones_geojson(conn: Connection, as_of: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """A FeatureCollection of zone versions (those valid on `as_of`, or all of them); with `lang`, each
    feature's `local_name` is the zone's name in that language (its English `name` where it has none)."""
    local = local_names(conn, lang) if lang else {}
    stmt = select(zone_versions, zones.c.name, zones.c.kind, zones.c.approximate).join(
        zones, zones.c.id == zone_versions.c.zone_id
    )
    if as_of:
        as_of = times.day(as_of, "as_of")
        stmt = stmt.where(
            zone_versions.c.valid_from <= as_of[:10],
            or_(zone_versions.c.valid_to.is_(None), zone_versions.c.valid_to > as_of[:10]),
        )
    feats = []
    for r in conn.execute(stmt.order_by(zone_versions.c.zone_id, zone_versions.c.version)):
        feats.append(
            {
                "type": "Feature",
                "id": f"{r.zone_id}@{r.version}",
                "geometry": json.loads(r.geojson),
                "properties": {
                    "zone": r.zone_id,
                    "name": r.name,
                    "kind": r.kind,
                    "version": r.version,
                    "valid_from": r.valid_from,
                    "valid_to": r.valid_to,
                    "approximate": bool(r.approximate),
                    "area_sqkm": r.area_sqkm,
                    **({"local_name": local.get(r.zone_id, r.name)} if lang else {}),
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def zone_history(conn: Connection, zone_id: str | None = None) -> list[dict[str, Any]]:
    stmt = select(
        zone_versions.c.zone_id,
        zone_versions.c.version,
        zone_versions.c.valid_from,
        zone_versions.c.valid_to,
        zone_versions.c.area_sqkm,
        zone_versions.c.adm_pcodes,
        zone_versions.c.reason,
        zone_versions.c.repair,
        zone_versions.c.ledger_seq,
    )
    if zone_id:
        if not conn.execute(select(zones.c.id).where(zones.c.id == zone_id)).first():
            raise NotFound(f"no zone '{zone_id}'", field="zone")
        stmt = stmt.where(zone_versions.c.zone_id == zone_id)
    out = []
    for r in conn.execute(stmt.order_by(zone_versions.c.zone_id, zone_versions.c.version)):
        d = dict(r._mapping)
        d["adm_pcodes"] = json.loads(d["adm_pcodes"]) if d["adm_pcodes"] else None
        d["incidents"] = conn.execute(
            select(func.count())
            .select_from(incident_zones)
            .where(incident_zones.c.zone_id == r.zone_id, incident_zones.c.zone_version == r.version)
        ).scalar_one()
        out.append(d)
    return out
