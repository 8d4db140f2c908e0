"""Zones and their versions; assignment of incidents to the zone versions that contain them.

An incident is in a zone when its point lies in the version of the zone valid on the incident's
date. Only incidents located finely enough are placed (precision exact, near or adm3: a point known
only to its district or governorate is not put in a zone it may not be in)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine

from truce.auth.permissions import require
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.geo.geometry import area_sqkm, parse_geometry, polygonal, repair, to_geojson
from truce.geo.models import admin_areas
from truce.incidents.models import incident_zones, incidents
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.zones.models import zone_names, zone_versions, zones
from truce.zones.queries import names_of

ZONE_PRECISIONS = ("exact", "near", "adm3")
def union_of_admin(conn: Connection, pcodes: list[str]) -> Any:
    rows = conn.execute(select(admin_areas.c.pcode, admin_areas.c.geojson).where(admin_areas.c.pcode.in_(pcodes)))
    found = {r.pcode: r.geojson for r in rows}
    missing = [p for p in pcodes if p not in found]
    if missing:
        raise ValidationFailed(f"adm: unknown P-code(s) {', '.join(missing)}", field="adm")
    geoms = [shapely.from_geojson(found[p]) for p in pcodes]
    return shapely.union_all(geoms)


def add_zone(app: App, conn: Connection, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Define a zone from ADM3 P-codes or a GeoJSON polygon; an invalid polygon is repaired and reported."""
    require(actor, "zone.add")
    from truce.zones.schemas import ZoneIn  # lazy: pydantic (0.06 s of start-up) only for a write

    z = ZoneIn.parse(data)
    if conn.execute(select(zones.c.id).where(zones.c.id == z.id)).first():
        raise Conflict(f"zone '{z.id}' exists already", field="zone.id")
    rep = None
    if z.adm3:
        geom = union_of_admin(conn, z.adm3)
    elif z.geometry:
        geom, r = repair(parse_geometry(z.geometry, "zone.geometry"))
        rep = r.describe() if r else None
    else:
        raise ValidationFailed("zone: give adm3 P-codes or a geometry", field="zone.geometry")
    payload = {
        "id": z.id,
        "name": z.name,
        "kind": z.kind,
        "note": z.note,
        "approximate": z.approximate,
        "version": 1,
        "valid_from": z.valid_from[:10],
        "geojson": json.loads(to_geojson(geom)),
        "adm_pcodes": z.adm3,
        "repair": rep,
        "reason": "zone defined",
        **({"names": z.names} if z.names else {}),
    }
    app.record(conn, actor, "zone.add", payload)
    return {k: v for k, v in payload.items() if k != "geojson"}


@applier("zone.add")
def _apply_add(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(zones).values(
            id=p["id"],
            name=p["name"],
            kind=p["kind"],
            note=p["note"],
            approximate=bool(p["approximate"]),
            created_at=ctx.now,
        )
    )
    names = p.get("names") or {}
    if names:
        conn.execute(insert(zone_names), [{"zone_id": p["id"], "lang": k, "name": v} for k, v in sorted(names.items())])
    _insert_version(conn, p, ctx)
    ctx.mark("zoned_incidents", reassign_zone(conn, p["id"]))  # their judgment follows (a declared reaction)


def _insert_version(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    geom = shapely.from_geojson(json.dumps(p["geojson"]))
    minx, miny, maxx, maxy = geom.bounds
    conn.execute(
        insert(zone_versions).values(
            zone_id=p["id"],
            version=p["version"],
            valid_from=p["valid_from"],
            valid_to=None,
            geojson=json.dumps(p["geojson"], separators=(",", ":")),
            minx=minx,
            miny=miny,
            maxx=maxx,
            maxy=maxy,
            area_sqkm=round(area_sqkm(geom), 3),
            adm_pcodes=json.dumps(p["adm_pcodes"]) if p.get("adm_pcodes") else None,
            repair=p.get("repair"),
            reason=p.get("reason"),
            ledger_seq=ctx.seq,
        )
    )
    _ZONE_CACHE.clear()


# --- the zone index --------------------------------------------------------------------------------


@dataclass
class ZoneIndex:
    keys: list[tuple[str, int]]
    valid_from: np.ndarray
    valid_to: np.ndarray
    tree: shapely.STRtree

    def assign(self, lons: Any, lats: Any, days: list[str]) -> list[list[tuple[str, int]]]:
        """For each point and day, the (zone, version) pairs containing it on that day."""
        out: list[list[tuple[str, int]]] = [[] for _ in range(len(days))]
        if not self.keys or not days:
            return out
        pts = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        inp, idx = self.tree.query(pts, predicate="intersects")
        for i, j in zip(inp.tolist(), idx.tolist(), strict=True):
            d = days[i]
            if self.valid_from[j] <= d and (not self.valid_to[j] or d < self.valid_to[j]):
                out[i].append(self.keys[j])
        return out


_ZONE_CACHE: dict[str, tuple[tuple[int, int], ZoneIndex]] = {}
_zone_lock = threading.Lock()


def zone_index(conn: Connection) -> ZoneIndex:
    bind = conn.engine
    key = str(bind.url) if isinstance(bind, Engine) else "?"
    rev_row = conn.execute(select(func.count(), func.max(zone_versions.c.ledger_seq))).one()
    # valid_to changes without a new row when a later version closes an earlier one: include the sum of
    # closed versions in the revision so the cache never serves a stale period.
    closed = conn.execute(select(func.count()).select_from(zone_versions).where(zone_versions.c.valid_to.is_not(None)))
    rev = (int(rev_row[0] or 0) * 1000003 + int(closed.scalar_one()), int(rev_row[1] or 0))
    with _zone_lock:
        hit = _ZONE_CACHE.get(key)
        if hit and hit[0] == rev:
            return hit[1]
    rows = conn.execute(
        select(
            zone_versions.c.zone_id,
            zone_versions.c.version,
            zone_versions.c.valid_from,
            zone_versions.c.valid_to,
            zone_versions.c.geojson,
        ).order_by(zone_versions.c.zone_id, zone_versions.c.version)
    ).all()
    idx = ZoneIndex(
        keys=[(r.zone_id, int(r.version)) for r in rows],
        valid_from=np.array([r.valid_from for r in rows], dtype=object),
        valid_to=np.array([r.valid_to or "" for r in rows], dtype=object),
        tree=shapely.STRtree([shapely.from_geojson(r.geojson) for r in rows]),
    )
    with _zone_lock:
        _ZONE_CACHE[key] = (rev, idx)
    return idx


def assign_incidents(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Write incident_zones for freshly written incidents (dicts with id, lat, lon, precision, occurred_at)."""
    todo = [r for r in rows if r["lat"] is not None and r["location_precision"] in ZONE_PRECISIONS]
    if not todo:
        return
    idx = zone_index(conn)
    res = idx.assign([r["lon"] for r in todo], [r["lat"] for r in todo], [r["occurred_at"][:10] for r in todo])
    out = [
        {"incident_id": r["id"], "zone_id": z, "zone_version": v}
        for r, hits in zip(todo, res, strict=True)
        for z, v in hits
    ]
    if out:
        conn.execute(insert(incident_zones), out)


def reassign_zone(conn: Connection, zone_id: str) -> set[int]:
    """Recompute which incidents lie in a zone (after a new version): returns the incidents that entered
    or left it, or now lie in another version of it."""
    before = {
        (int(r.incident_id), int(r.zone_version))
        for r in conn.execute(
            select(incident_zones.c.incident_id, incident_zones.c.zone_version).where(
                incident_zones.c.zone_id == zone_id
            )
        )
    }
    conn.execute(delete(incident_zones).where(incident_zones.c.zone_id == zone_id))
    vers = conn.execute(
        select(zone_versions).where(zone_versions.c.zone_id == zone_id).order_by(zone_versions.c.version)
    ).all()
    if not vers:
        return {i for i, _ in before}
    minx, miny = min(v.minx for v in vers), min(v.miny for v in vers)
    maxx, maxy = max(v.maxx for v in vers), max(v.maxy for v in vers)
    cand = conn.execute(
        select(incidents.c.id, incidents.c.lat, incidents.c.lon, incidents.c.occurred_at)
        .where(
            and_(
                incidents.c.lat.between(miny, maxy),
                incidents.c.lon.between(minx, maxx),
                incidents.c.location_precision.in_(ZONE_PRECISIONS),
            )
        )
        .order_by(incidents.c.id)
    ).all()
    if not cand:
        return {i for i, _ in before}
    pts = shapely.points(np.array([c.lon for c in cand]), np.array([c.lat for c in cand]))
    days = np.array([c.occurred_at[:10] for c in cand])
    # Each incident in the first version (by number) valid on its day whose area holds it: versions in
    # turn, each tested at once (prepared) against the incidents no earlier version took.
    version = np.zeros(len(cand), dtype=np.int64)
    for v in vers:
        todo = version == 0
        todo &= days >= v.valid_from
        if v.valid_to is not None:
            todo &= days < v.valid_to
        idx = np.flatnonzero(todo)
        if len(idx):
            area = shapely.from_geojson(v.geojson)
            shapely.prepare(area)
            version[idx[shapely.intersects(area, pts[idx])]] = int(v.version)
    out = [
        {"incident_id": c.id, "zone_id": zone_id, "zone_version": int(n)}
        for c, n in zip(cand, version.tolist(), strict=True)
        if n
    ]
    if out:
        conn.execute(insert(incident_zones), out)
    after = {(int(r["incident_id"]), int(r["zone_version"])) for r in out}
    return {i for i, _ in before ^ after}


# --- queries ---------------------------------------------------------------------------------------


def close_version(conn: Connection, zone_id: str, version: int, valid_to: str) -> None:
    conn.execute(
        update(zone_versions)
        .where(zone_versions.c.zone_id == zone_id, zone_versions.c.version == version)
        .values(valid_to=valid_to)
    )
    _ZONE_CACHE.clear()


# --- uniting and splitting ---------------------------------------------------------------------------


def _version_on(conn: Connection, zone_id: str, day: str) -> Any:
    return conn.execute(
        select(zone_versions)
        .where(
            zone_versions.c.zone_id == zone_id,
            zone_versions.c.valid_from <= day,
            or_(zone_versions.c.valid_to.is_(None), zone_versions.c.valid_to > day),
        )
        .order_by(zone_versions.c.version.desc())
        .limit(1)
    ).first()


def _check_change_day(conn: Connection, zone_id: str, day: str) -> Any:
    if not conn.execute(select(zones.c.id).where(zones.c.id == zone_id)).first():
        raise NotFound(f"no zone '{zone_id}'", field="zone")
    cur = _version_on(conn, zone_id, day)
    if cur is None:
        raise ValidationFailed(f"as_of: zone {zone_id} has no version in force on {day}", field="as_of")
    if cur.valid_to is not None:
        raise ValidationFailed(
            f"as_of: zone {zone_id} changes again on {cur.valid_to}; change it from a later day", field="as_of"
        )
    if day <= cur.valid_from:
        raise ValidationFailed(
            f"as_of: {day} is not after the current version's first day ({cur.valid_from})", field="as_of"
        )
    return cur


def _as_of(day: str) -> str:
    from datetime import date

    try:
        return date.fromisoformat(day[:10]).isoformat()
    except ValueError as e:
        raise ValidationFailed(f"as_of: '{day}' is not a date (YYYY-MM-DD)", field="as_of") from e


def unite_zone(
    app: App,
    conn: Connection,
    actor: Actor,
    zone_id: str,
    as_of: str,
    with_zone: str | None = None,
    adm: list[str] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """A new version of a zone, from `as_of`, whose geometry is its union with another zone (which then
    ends) or with admin areas (e.g. a reconciled settlement's sub-district)."""
    require(actor, "zone.unite")
    day = _as_of(as_of)
    if bool(with_zone) == bool(adm):
        raise ValidationFailed("with: give another zone or admin P-codes (one of the two)", field="with")
    cur = _check_change_day(conn, zone_id, day)
    geom = shapely.from_geojson(cur.geojson)
    pcodes = json.loads(cur.adm_pcodes) if cur.adm_pcodes else None
    close = [{"zone_id": zone_id, "version": cur.version}]
    if with_zone:
        if with_zone == zone_id:
            raise ValidationFailed("with: a zone cannot be united with itself", field="with")
        other = _check_change_day(conn, with_zone, day)
        added = shapely.from_geojson(other.geojson)
        close.append({"zone_id": with_zone, "version": other.version})
        more = json.loads(other.adm_pcodes) if other.adm_pcodes else None
        what = f"united with {with_zone}"
    else:
        codes = [c.upper() for c in adm or []]
        added = union_of_admin(conn, codes)
        more = codes
        what = f"united with {', '.join(codes)}"
    new = shapely.union_all([geom, added])
    merged = sorted(set(pcodes or []) | set(more or [])) if pcodes is not None and more is not None else None
    payload = {
        "zone_id": zone_id,
        "version": int(cur.version) + 1,
        "valid_from": day,
        "geojson": json.loads(to_geojson(new)),
        "adm_pcodes": merged,
        "close": close,
        "reason": reason or what,
        "also": [with_zone] if with_zone else [],
    }
    app.record(conn, actor, "zone.version", payload)
    return {k: v for k, v in payload.items() if k != "geojson"}


def split_zone(
    app: App,
    conn: Connection,
    actor: Actor,
    zone_id: str,
    as_of: str,
    adm: list[str],
    new_zone: str | None = None,
    new_name: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The reverse of unite: a new version of the zone without the given admin areas, from `as_of`;
    with `new_zone`, the removed part becomes a zone of its own from the same day."""
    require(actor, "zone.unite")
    day = _as_of(as_of)
    codes = [c.upper() for c in adm]
    if not codes:
        raise ValidationFailed("adm: give the P-codes of the area to split off", field="adm")
    cur = _check_change_day(conn, zone_id, day)
    geom = shapely.from_geojson(cur.geojson)
    removed = union_of_admin(conn, codes)
    rest = polygonal_only(shapely.difference(geom, removed))
    if rest.is_empty or rest.area < 1e-9:
        raise ValidationFailed("adm: splitting that off would leave nothing of the zone", field="adm")
    if shapely.intersection(geom, removed).area < 1e-9:
        raise ValidationFailed(f"adm: {', '.join(codes)} is not part of zone {zone_id}", field="adm")
    pcodes = json.loads(cur.adm_pcodes) if cur.adm_pcodes else None
    payload = {
        "zone_id": zone_id,
        "version": int(cur.version) + 1,
        "valid_from": day,
        "geojson": json.loads(to_geojson(rest)),
        "adm_pcodes": [p for p in pcodes if p not in codes] if pcodes else None,
        "close": [{"zone_id": zone_id, "version": cur.version}],
        "reason": reason or f"split off {', '.join(codes)}",
        "also": [],
    }
    app.record(conn, actor, "zone.version", payload)
    out = {k: v for k, v in payload.items() if k != "geojson"}
    if new_zone:
        z = conn.execute(select(zones).where(zones.c.id == zone_id)).first()
        assert z is not None
        names = {} if new_name else {k: f"{n} ({', '.join(codes)})" for k, n in names_of(conn, zone_id).items()}
        out["new_zone"] = add_zone(
            app,
            conn,
            actor,
            {
                "id": new_zone,
                "name": new_name or f"{z.name} ({', '.join(codes)})",
                "names": names,
                "kind": z.kind,
                "approximate": bool(z.approximate),
                "valid_from": day,
                "adm3": codes,
                "note": f"split from {zone_id} on {day}",
            },
        )
    return out


def polygonal_only(geom: Any) -> Any:

    return polygonal(geom)


@applier("zone.version")
def _apply_version(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    for c in p["close"]:
        close_version(conn, c["zone_id"], int(c["version"]), p["valid_from"])
    _insert_version(conn, {"id": p["zone_id"], **p}, ctx)
    for zid in sorted({p["zone_id"], *p.get("also", [])}):
        ctx.mark("zoned_incidents", reassign_zone(conn, zid))  # their judgment follows (a declared reaction)
