"""Places of a GeoNames country file (`YE.txt`, tab-separated, no header) or a CSV with a header
(`name`, `latitude`/`lat`, `longitude`/`lon`, optional `geonameid`, `alternatenames`, `population`,
`country_code`, `feature_class`), placed in the loaded admin areas and kept for the gazetteer.

`places.load` is recorded with the sha256 of the file (kept in the blob store); the placement is done
again on replay against the areas loaded before it, so the rows are the same."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, insert, select

from truce.attachments import ensure_blob_row
from truce.auth.permissions import require
from truce.errors import ValidationFailed
from truce.geo.gazetteer import SNAP_DEG, clear_cache
from truce.geo.models import admin_areas, places
from truce.geo.service import admin_index
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App

GEONAMES_COLUMNS = (
    "geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude", "feature_class",
    "feature_code", "country_code", "cc2", "admin1", "admin2", "admin3", "admin4", "population",
    "elevation", "dem", "timezone", "modified",
)
_ALIASES = {"lat": "latitude", "lon": "longitude", "lng": "longitude", "cc": "country_code",
            "country": "country_code", "feature class": "feature_class", "feature code": "feature_code"}


@dataclass
class PlacesResult:
    country: str
    read: int
    loaded: int
    outside: int  # points outside every loaded area of the country (wrong coordinates or another country)
    skipped: int  # other feature classes, or already loaded


def parse_places(data: bytes, name: str) -> list[dict[str, Any]]:
    """Rows of a GeoNames dump or a CSV with a header, checked (line numbers in the errors)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValidationFailed(f"{name}: not UTF-8 text ({e})", field="file") from None
    first = text.split("\n", 1)[0]
    if "\t" in first and not any(h in first.lower().split("\t") for h in ("name", "latitude", "lat")):
        rows = [dict(zip(GEONAMES_COLUMNS, r, strict=False)) for r in csv.reader(io.StringIO(text), delimiter="\t",
                                                                               quoting=csv.QUOTE_NONE)]
        start = 1
    else:
        delim = "\t" if "\t" in first else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delim)
        header = [_ALIASES.get((h or "").strip().lower(), (h or "").strip().lower()) for h in reader.fieldnames or []]
        missing = [c for c in ("name", "latitude", "longitude") if c not in header]
        if missing:
            raise ValidationFailed(
                f"{name}: line 1: not a GeoNames file and no {', '.join(missing)} column in the header", field="file"
            )
        rows = [dict(zip(header, r.values(), strict=False)) for r in reader]
        start = 2
    out = []
    for n, r in enumerate(rows, start=start):
        if not any((v or "").strip() for v in r.values() if isinstance(v, str)):
            continue
        nm = (r.get("name") or "").strip()
        try:
            lat, lon = float(r.get("latitude") or ""), float(r.get("longitude") or "")
        except ValueError:
            raise ValidationFailed(f"{name}: line {n}: latitude/longitude are not numbers", field="file") from None
        if not nm:
            raise ValidationFailed(f"{name}: line {n}: no name", field="file")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationFailed(f"{name}: line {n}: coordinates out of range ({lat}, {lon})", field="file")
        gid = (r.get("geonameid") or "").strip()
        if gid and not gid.isdigit():
            raise ValidationFailed(f"{name}: line {n}: geonameid {gid!r} is not a number", field="file")
        alts_raw = r.get("alternatenames") or ""
        alts = [a.strip() for a in alts_raw.replace("|", ",").split(",") if a.strip()]
        pop = (r.get("population") or "0").strip() or "0"
        out.append({
            "line": n, "id": int(gid) if gid else None, "name": nm[:200],
            "names": [nm, *[a for a in dict.fromkeys(alts) if a != nm]],
            "lat": lat, "lon": lon, "population": int(float(pop)) if pop.replace(".", "", 1).isdigit() else 0,
            "feature_class": (r.get("feature_class") or "").strip().upper(),
            "feature_code": (r.get("feature_code") or "").strip()[:10] or None,
            "country": (r.get("country_code") or "").strip().upper(),
        })
    if not out:
        raise ValidationFailed(f"{name}: no places in the file", field="file")
    return out


def import_places(
    app: App, conn: Connection, actor: Actor, path: str, *, country: str | None = None, classes: str = "P"
) -> PlacesResult:
    require(actor, "admin.load")
    p = Path(path)
    if not p.exists():
        raise ValidationFailed(f"{p.name}: no such file", field="file")
    data = p.read_bytes()
    rows = parse_places(data, p.name)
    codes = {r["country"] for r in rows if r["country"]}
    iso = (country or "").strip().upper() or (codes.pop() if len(codes) == 1 else "")
    if not iso:
        raise ValidationFailed(f"{p.name}: cannot tell the country from the file; give --country", field="country")
    if not conn.execute(select(func.count()).select_from(admin_areas).where(admin_areas.c.country == iso)).scalar_one():
        raise ValidationFailed(f"{p.name}: no boundaries of {iso} are loaded: run `truce geo import` first",
                               field="country")
    payload = {"blob": app.blobs.put_bytes(data), "name": p.name, "country": iso, "classes": classes}
    _, res = app.record(conn, actor, "places.load", payload)
    if res.loaded == 0:
        raise ValidationFailed(
            f"{p.name}: none of its {res.read} places lies in the loaded boundaries of {iso}", field="file"
        )
    return res


@applier("places.load")
def _apply_places_load(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> PlacesResult:
    raw = ctx.blobs.read(p["blob"])
    ensure_blob_row(conn, p["blob"], len(raw), "text/plain", p["name"], ctx)
    iso = p["country"]
    rows = parse_places(raw, p["name"])
    classes = set(p.get("classes") or "")
    keep = [r for r in rows if (not r["country"] or r["country"] == iso) and (not classes or not r["feature_class"]
                                                                              or r["feature_class"] in classes)]
    skipped = len(rows) - len(keep)
    idx = admin_index(conn)
    outside = 0
    known = {r[0] for r in conn.execute(select(places.c.id).where(places.c.country == iso))}
    next_id = int(conn.execute(select(func.coalesce(func.max(places.c.id), 0))).scalar_one()) + 1
    inserts = []
    if idx is not None and keep:
        ours = {r[0] for r in conn.execute(select(admin_areas.c.adm1_pcode).where(admin_areas.c.country == iso))}
        lons = np.array([r["lon"] for r in keep])
        lats = np.array([r["lat"] for r in keep])
        got = idx.assign(lons, lats)
        import shapely

        pts = shapely.points(lons, lats)
        for i, r in enumerate(keep):
            pc = got[i]
            if pc is None:  # just off the coast or a border: the nearest area within ~5 km
                j = idx.tree.query_nearest(pts[i], max_distance=SNAP_DEG)
                if len(j):
                    k = int(j[0])
                    adm3 = idx.adm3[k] if idx.adm3 is not None else idx.pcodes[k]
                    pc = (idx.adm1[k], idx.adm2[k], adm3)
            if pc is None or pc[0] not in ours:
                outside += 1
                continue
            pid = r["id"]
            if pid is None:
                pid, next_id = next_id, next_id + 1
            if pid in known:
                skipped += 1
                continue
            known.add(pid)
            inserts.append({
                "id": pid, "country": iso, "name": r["name"], "names": json.dumps(r["names"], ensure_ascii=False),
                "lat": r["lat"], "lon": r["lon"], "population": r["population"], "feature_code": r["feature_code"],
                "adm1_pcode": pc[0], "adm2_pcode": pc[1], "adm3_pcode": pc[2], "source": p["name"][:200],
            })
    else:
        outside = len(keep)
    if inserts:
        conn.execute(insert(places), inserts)
    clear_cache()
    return PlacesResult(country=iso, read=len(rows), loaded=len(inserts), outside=outside, skipped=skipped)
