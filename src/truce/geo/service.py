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

from truce.auth.permissions import require
from truce.errors import ValidationFailed
from truce.geo.geometry import bundled_path, repair, to_geojson
from truce.geo.models import admin_areas
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.ledger.models import blobs as blobs_table


@dataclass
class LoadResult:
    level: int
    count: int
    repairs: list[dict[str, Any]]


def load_bundled_admin_areas(app: App, conn: Connection, actor: Actor) -> list[LoadResult]:
    """Load the bundled OCHA ADM1-ADM3 boundaries (skipping levels already loaded)."""
    require(actor, "admin.load")
    results = []
    for level in (1, 2, 3):
        have = conn.execute(select(func.count()).select_from(admin_areas).where(admin_areas.c.level == level))
        if have.scalar_one():
            continue
        data = bundled_path(f"syr_adm{level}.geojson").read_bytes()
        sha = app.blobs.put_bytes(data)
        payload = {"level": level, "blob": sha, "name": f"syr_adm{level}.geojson", "source": "OCHA COD-AB Syria v02"}
        _, res = app.record(conn, actor, "admin.load", payload)
        results.append(res)
    return results


def ensure_blob_row(conn: Connection, sha: str, size: int, media_type: str, name: str, ctx: ApplyContext) -> None:
    if conn.execute(select(blobs_table.c.sha256).where(blobs_table.c.sha256 == sha)).first() is None:
        conn.execute(
            insert(blobs_table).values(
                sha256=sha, size=size, media_type=media_type, name=name, created_at=ctx.at, ledger_seq=ctx.seq
            )
        )


@applier("admin.load")
def _apply_admin_load(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> LoadResult:
    level = int(p["level"])
    raw = ctx.blobs.read(p["blob"])
    ensure_blob_row(conn, p["blob"], len(raw), "application/geo+json", p["name"], ctx)
    fc = json.loads(raw)
    rows = []
    repairs = []
    for i, f in enumerate(fc["features"]):
        props = f["properties"]
        pcode = props.get(f"adm{level}_pcode")
        if not pcode:
            raise ValidationFailed(f"{p['name']}: feature {i} has no adm{level}_pcode")
        geom, rep = repair(shapely.geometry.shape(f["geometry"]))
        if rep:
            repairs.append({"pcode": pcode, "name": props.get(f"adm{level}_name"), "reason": rep.reason})
        minx, miny, maxx, maxy = geom.bounds
        rows.append(
            {
                "pcode": pcode,
                "level": level,
                "name_en": props.get(f"adm{level}_name") or pcode,
                "name_ar": props.get(f"adm{level}_name1"),
                "adm1_pcode": props.get("adm1_pcode") or pcode,
                "adm2_pcode": props.get("adm2_pcode") if level == 3 else (pcode if level == 2 else None),
                "center_lat": float(props.get("center_lat") or geom.representative_point().y),
                "center_lon": float(props.get("center_lon") or geom.representative_point().x),
                "minx": minx,
                "miny": miny,
                "maxx": maxx,
                "maxy": maxy,
                "geojson": to_geojson(geom),
                "repaired": rep is not None,
            }
        )
    conn.execute(insert(admin_areas), rows)
    _ADMIN_CACHE.clear()
    return LoadResult(level=level, count=len(rows), repairs=repairs)


# --- P-code assignment ------------------------------------------------------------------------------


@dataclass
class AdminIndex:
    pcodes: list[str]
    adm2: list[str]
    adm1: list[str]
    tree: shapely.STRtree
    geoms: list[Any]

    def assign(self, lons: Any, lats: Any) -> list[tuple[str, str, str] | None]:
        """ADM1/ADM2/ADM3 P-codes for each point (None outside every sub-district)."""
        pts = shapely.points(lons, lats)
        inp, idx = self.tree.query(pts, predicate="intersects")
        out: list[tuple[str, str, str] | None] = [None] * len(pts)
        for i, j in zip(inp.tolist(), idx.tolist(), strict=True):
            if out[i] is None:
                out[i] = (self.adm1[j], self.adm2[j], self.pcodes[j])
        return out


_ADMIN_CACHE: dict[str, tuple[int, AdminIndex]] = {}
_admin_lock = threading.Lock()


def admin_index(conn: Connection) -> AdminIndex | None:
    bind = conn.engine if isinstance(conn, Connection) else conn
    key = str(bind.url) if isinstance(bind, Engine) else "?"
    n = conn.execute(select(func.count()).select_from(admin_areas).where(admin_areas.c.level == 3)).scalar_one()
    if n == 0:
        return None
    with _admin_lock:
        hit = _ADMIN_CACHE.get(key)
        if hit and hit[0] == n:
            return hit[1]
    rows = conn.execute(
        select(admin_areas.c.pcode, admin_areas.c.adm1_pcode, admin_areas.c.adm2_pcode, admin_areas.c.geojson)
        .where(admin_areas.c.level == 3)
        .order_by(admin_areas.c.pcode)
    ).all()
    geoms = [shapely.from_geojson(r.geojson) for r in rows]
    idx = AdminIndex(
        pcodes=[r.pcode for r in rows],
        adm2=[r.adm2_pcode for r in rows],
        adm1=[r.adm1_pcode for r in rows],
        tree=shapely.STRtree(geoms),
        geoms=geoms,
    )
    with _admin_lock:
        _ADMIN_CACHE[key] = (n, idx)
    return idx


def admin_names(conn: Connection, pcodes: list[str]) -> dict[str, str]:
    codes = [p for p in pcodes if p]
    if not codes:
        return {}
    rows = conn.execute(select(admin_areas.c.pcode, admin_areas.c.name_en).where(admin_areas.c.pcode.in_(codes)))
    return {r.pcode: r.name_en for r in rows}


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
