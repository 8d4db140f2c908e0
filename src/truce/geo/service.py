"""Administrative areas: loading the OCHA boundaries (repairing invalid ones) and assigning P-codes.

`admin.load` is recorded with the sha256 of the source file, kept in the blob store, so that a
replay reads exactly the bytes that were loaded."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.engine import Engine

from truce.attachments import ensure_blob_row
from truce.auth.permissions import require
from truce.errors import ValidationFailed
from truce.geo.boundaries import LEGACY_FIELDS, country_of, detect_fields, layer_from_payload, parse_geojson, read_layer
from truce.geo.geometry import bundled_path, repair, to_geojson
from truce.geo.models import admin_areas
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App


@dataclass
class LoadResult:
    level: int
    count: int
    repairs: list[dict[str, Any]]


def load_bundled_admin_areas(app: App, conn: Connection, actor: Actor) -> list[LoadResult]:
    """Load the bundled OCHA ADM1-ADM3 boundaries of Syria (skipping levels already loaded)."""
    require(actor, "admin.load")
    results = []
    for level in (1, 2, 3):
        have = conn.execute(
            select(func.count())
            .select_from(admin_areas)
            .where(admin_areas.c.level == level, admin_areas.c.country == "SY")
        )
        if have.scalar_one():
            continue
        data = bundled_path(f"syr_adm{level}.geojson").read_bytes()
        sha = app.blobs.put_bytes(data)
        payload = {"level": level, "blob": sha, "name": f"syr_adm{level}.geojson", "source": "OCHA COD-AB Syria v02"}
        _, res = app.record(conn, actor, "admin.load", payload)
        results.append(res)
    return results


def import_boundaries(
    app: App,
    conn: Connection,
    actor: Actor,
    paths: list[str],
    *,
    country: str | None = None,
    level: int | None = None,
    name_fields: dict[str, str] | None = None,
    lang: str = "en",
    source: str | None = None,
) -> list[LoadResult]:
    """Load one or more COD-AB layers (one level each) of a country: every file is read and checked
    before anything is written; then one `admin.load` per level, coarsest first, with the source bytes in
    the blob store and the detected property names in the payload."""
    require(actor, "admin.load")
    if level is not None and len(paths) != 1:
        raise ValidationFailed("--level applies to one file at a time", field="level")
    prepared = []
    for path in paths:
        layer = read_layer(path)
        fields = detect_fields(layer, level, name_fields, lang)
        iso = country_of(layer, fields, country)
        rows, _ = build_rows(layer.features, fields, fields["level"], iso, layer.name)
        prepared.append((layer, fields, iso, rows))
    prepared.sort(key=lambda x: x[1]["level"])
    seen_levels: set[tuple[str, int]] = set()
    known: dict[tuple[str, int], set[str]] = {}
    for layer, fields, iso, rows in prepared:
        lvl = fields["level"]
        if (iso, lvl) in seen_levels:
            raise ValidationFailed(f"{layer.name}: a second ADM{lvl} layer of {iso} in the same import", field="file")
        seen_levels.add((iso, lvl))
        have = conn.execute(
            select(func.count())
            .select_from(admin_areas)
            .where(admin_areas.c.country == iso, admin_areas.c.level == lvl)
        ).scalar_one()
        if have:
            raise ValidationFailed(f"{layer.name}: ADM{lvl} of {iso} is already loaded ({have} areas)", field="file")
        codes = [r["pcode"] for r in rows]
        for chunk in range(0, len(codes), 500):
            clash = conn.execute(
                select(admin_areas.c.pcode, admin_areas.c.country).where(
                    admin_areas.c.pcode.in_(codes[chunk : chunk + 500])
                )
            ).first()
            if clash is not None:
                i = codes.index(clash.pcode)
                raise ValidationFailed(
                    f"{layer.name}: feature {i + 1}: P-code {clash.pcode} already exists (in {clash.country})",
                    field="file",
                )
        # parents must be areas of the level above when that level is loaded (or loaded now)
        for plvl, key in ((1, "adm1_pcode"), (2, "adm2_pcode"), (3, "adm3_pcode")):
            if plvl >= lvl:
                break
            pool = known.get((iso, plvl))
            if pool is None:
                pool = {
                    r[0]
                    for r in conn.execute(
                        select(admin_areas.c.pcode).where(admin_areas.c.country == iso, admin_areas.c.level == plvl)
                    )
                }
            if not pool:
                continue
            for i, r in enumerate(rows):
                if r[key] not in pool:
                    raise ValidationFailed(
                        f"{layer.name}: feature {i + 1}: level mismatch: its ADM{plvl} P-code {r[key]} is not an "
                        f"ADM{plvl} area of {iso}",
                        field="file",
                    )
        known[(iso, lvl)] = set(codes)
    results = []
    for layer, fields, iso, _ in prepared:
        payload: dict[str, Any] = {
            "level": fields["level"],
            "name": layer.name,
            "source": source or f"OCHA COD-AB {iso}",
            "country": iso,
            "format": layer.fmt,
            "fields": {k: fields[k] for k in ("pcode", "parents", "names", "alt", "center", "adm0")},
        }
        if layer.fmt == "shapefile":
            payload["blob"] = app.blobs.put_bytes(layer.parts["shp"])
            payload["dbf"] = app.blobs.put_bytes(layer.parts["dbf"])
            payload["shx"] = app.blobs.put_bytes(layer.parts["shx"]) if layer.parts.get("shx") else None
            payload["encoding"] = layer.encoding
        else:
            payload["blob"] = app.blobs.put_bytes(layer.parts["geojson"])
        _, res = app.record(conn, actor, "admin.load", payload)
        results.append(res)
    return results


def build_rows(
    features: list[tuple[dict[str, Any], Any]], fields: dict[str, Any], level: int, country: str, name: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The admin_areas rows of one layer, and the repairs made (invalid polygons repaired, never skipped).
    Refuses, naming the feature, a feature without a P-code or a polygon."""
    rows: list[dict[str, Any]] = []
    repairs: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    pkey = fields["pcode"]
    for i, (props, gj) in enumerate(features):
        where = f"{name}: feature {i + 1}"
        pcode = str(props.get(pkey) or "").strip()
        if not pcode:
            raise ValidationFailed(f"{where} has no ADM{level} P-code ({pkey} is empty)", field="file")
        if len(pcode) > 16:
            raise ValidationFailed(f"{where}: P-code {pcode!r} is longer than 16 characters", field="file")
        if pcode in seen:
            raise ValidationFailed(f"{where}: P-code {pcode} repeats feature {seen[pcode] + 1}", field="file")
        seen[pcode] = i
        parents = {}
        for plvl, pk in fields["parents"].items():
            v = str(props.get(pk) or "").strip()
            if not v:
                raise ValidationFailed(f"{where} ({pcode}) has no ADM{plvl} P-code ({pk} is empty)", field="file")
            parents[int(plvl)] = v
        if level > 1 and 1 not in parents:
            raise ValidationFailed(f"{where} ({pcode}): an ADM{level} area needs its ADM1 P-code", field="file")
        if not isinstance(gj, dict) or not gj.get("type"):
            raise ValidationFailed(f"{where} ({pcode}) has no geometry", field="file")
        try:
            shp = shapely.geometry.shape(gj)
        except Exception as e:  # shapely raises several kinds
            raise ValidationFailed(f"{where} ({pcode}): malformed {gj.get('type')} ({e})", field="file") from None
        if shp.is_empty or shp.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationFailed(
                f"{where} ({pcode}): a boundary must be a Polygon or MultiPolygon, not {shp.geom_type}", field="file"
            )
        minx, miny, maxx, maxy = shp.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise ValidationFailed(
                f"{where} ({pcode}): coordinates are not longitude/latitude (reproject to EPSG:4326)", field="file"
            )
        names = {lg: str(props[k]).strip() for lg, k in fields["names"].items() if str(props.get(k) or "").strip()}
        alts = [str(props[k]).strip() for k in fields["alt"] if str(props.get(k) or "").strip()]
        adm0 = {lg: str(props[k]).strip() for lg, k in (fields.get("adm0") or {}).items() if props.get(k)}
        primary = names.get("en") or next(iter(names.values()), None) or pcode
        geom, rep = repair(shp)
        if rep:
            repairs.append({"pcode": pcode, "name": primary, "reason": rep.reason})
        minx, miny, maxx, maxy = geom.bounds
        center = fields.get("center")
        clat = props.get(center[0]) if center else None
        clon = props.get(center[1]) if center else None
        if clat in (None, "") or clon in (None, ""):
            rp = geom.representative_point()
            clat, clon = rp.y, rp.x
        rows.append(
            {
                "pcode": pcode,
                "level": level,
                "name_en": primary[:200],
                "name_ar": names.get("ar"),
                "adm1_pcode": pcode if level == 1 else parents[1],
                "adm2_pcode": pcode if level == 2 else (parents.get(2) if level > 2 else None),
                "adm3_pcode": pcode if level == 3 else (parents.get(3) if level > 3 else None),
                "center_lat": float(clat),
                "center_lon": float(clon),
                "minx": minx,
                "miny": miny,
                "maxx": maxx,
                "maxy": maxy,
                "geojson": to_geojson(geom),
                "repaired": rep is not None,
                "country": country,
                "names": json.dumps(
                    {**names, **({"alt": alts} if alts else {}), **({"adm0": adm0} if adm0 and level == 1 else {})},
                    ensure_ascii=False,
                    sort_keys=True,
                ),
            }
        )
    return rows, repairs


@applier("admin.load")
def _apply_admin_load(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> LoadResult:
    level = int(p["level"])
    fmt = p.get("format", "geojson")
    raw = ctx.blobs.read(p["blob"])
    media = "application/geo+json" if fmt == "geojson" else "application/x-esri-shape"
    ensure_blob_row(conn, p["blob"], len(raw), media, p["name"], ctx)
    if fmt == "shapefile":
        for key, ext in (("dbf", ".dbf"), ("shx", ".shx")):
            if p.get(key):
                ensure_blob_row(
                    conn,
                    p[key],
                    len(ctx.blobs.read(p[key])),
                    "application/octet-stream",
                    p["name"].rsplit(".", 1)[0] + ext,
                    ctx,
                )
    # entries recorded before `fields` existed are the bundled Syrian layers, read as they were then
    fields = p.get("fields") or LEGACY_FIELDS[level]
    features = layer_from_payload(p, ctx.blobs.read) if fmt == "shapefile" else parse_geojson(raw, p["name"]).features
    rows, repairs = build_rows(features, fields, level, p.get("country", "SY"), p["name"])
    conn.execute(insert(admin_areas), rows)
    _ADMIN_CACHE.clear()
    return LoadResult(level=level, count=len(rows), repairs=repairs)


# --- P-code assignment ------------------------------------------------------------------------------


@dataclass
class AdminIndex:
    """The areas at the deepest level each country has (the leaves: ADM3 for the bundled Syria; ADM2 for a
    country loaded to ADM2, or where its ADM3 layer does not reach; ADM4 where loaded), in one STRtree."""

    pcodes: list[str]
    adm2: list[str | None]
    adm1: list[str]
    tree: shapely.STRtree
    geoms: list[Any]
    adm3: list[str | None] | None = None

    def assign(self, lons: Any, lats: Any) -> list[tuple[str, str | None, str | None] | None]:
        """ADM1/ADM2/ADM3 P-codes for each point (None outside every area; None for the levels a country
        has not loaded)."""
        pts = shapely.points(lons, lats)
        inp, idx = self.tree.query(pts, predicate="intersects")
        adm3 = self.adm3 if self.adm3 is not None else self.pcodes
        out: list[tuple[str, str | None, str | None] | None] = [None] * len(pts)
        for i, j in zip(inp.tolist(), idx.tolist(), strict=True):
            if out[i] is None:
                out[i] = (self.adm1[j], self.adm2[j], adm3[j])
        return out


_ADMIN_CACHE: dict[str, tuple[tuple[Any, ...], AdminIndex]] = {}
_admin_lock = threading.Lock()


def admin_index(conn: Connection) -> AdminIndex | None:
    bind = conn.engine if isinstance(conn, Connection) else conn
    key = str(bind.url) if isinstance(bind, Engine) else "?"
    stamp = tuple(
        conn.execute(
            select(admin_areas.c.country, admin_areas.c.level, func.count())
            .group_by(admin_areas.c.country, admin_areas.c.level)
            .order_by(admin_areas.c.country, admin_areas.c.level)
        ).all()
    )
    if not stamp:
        return None
    with _admin_lock:
        hit = _ADMIN_CACHE.get(key)
        if hit and hit[0] == stamp:
            return hit[1]
    # the leaves: areas no loaded area lies in (every ADM3 of Syria; an ADM2 of a country whose ADM3 layer
    # does not cover it; ADM4 where ADM4 is loaded)
    meta = conn.execute(
        select(
            admin_areas.c.pcode,
            admin_areas.c.level,
            admin_areas.c.adm1_pcode,
            admin_areas.c.adm2_pcode,
            admin_areas.c.adm3_pcode,
        )
    ).all()
    parents = {r.adm1_pcode for r in meta if r.level > 1} | {r.adm2_pcode for r in meta if r.level > 2}
    parents |= {r.adm3_pcode for r in meta if r.level > 3}
    leaves = sorted(r.pcode for r in meta if r.pcode not in parents)
    rows: list[Any] = []
    for chunk in range(0, len(leaves), 500):
        rows.extend(
            conn.execute(
                select(
                    admin_areas.c.pcode,
                    admin_areas.c.adm1_pcode,
                    admin_areas.c.adm2_pcode,
                    admin_areas.c.adm3_pcode,
                    admin_areas.c.geojson,
                ).where(admin_areas.c.pcode.in_(leaves[chunk : chunk + 500]))
            ).all()
        )
    rows.sort(key=lambda r: str(r.pcode))
    geoms = [shapely.from_geojson(r.geojson) for r in rows]
    idx = AdminIndex(
        pcodes=[r.pcode for r in rows],
        adm2=[r.adm2_pcode for r in rows],
        adm1=[r.adm1_pcode for r in rows],
        adm3=[r.adm3_pcode for r in rows],
        tree=shapely.STRtree(geoms),
        geoms=geoms,
    )
    with _admin_lock:
        _ADMIN_CACHE[key] = (stamp, idx)
    return idx
