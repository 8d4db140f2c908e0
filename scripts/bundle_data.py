"""Rebuild the package data in src/truce/data/ from the shared real-data folder.

Usage: python scripts/bundle_data.py PATH/TO/shared/data

Boundaries are the OCHA COD-AB Syria layers (ADM1-ADM3), coordinates simplified with a
0.0005 degree tolerance (about 50 m) so the wheel stays small. Invalid input geometries are
kept as published (not simplified) on purpose: Truce repairs them with make_valid at load time and reports it.
Gazetteer CSVs are copied as they are. See src/truce/data/SOURCES.md for origins and licences.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

TOLERANCE = 0.0005
KEEP = {
    1: ["adm1_pcode", "adm1_name", "adm1_name1", "center_lat", "center_lon"],
    2: ["adm2_pcode", "adm2_name", "adm2_name1", "adm1_pcode", "center_lat", "center_lon"],
    3: ["adm3_pcode", "adm3_name", "adm3_name1", "adm2_pcode", "adm1_pcode", "center_lat", "center_lon", "adm3_ref_n"],
}


def simplify(geom: dict) -> dict:
    g = shape(geom)
    s = shapely.simplify(g, TOLERANCE, preserve_topology=True)
    s = shapely.set_precision(s, 1e-5) if s.is_valid else s
    out = mapping(s)
    return json.loads(json.dumps(out, default=list))


def round_coords(obj):
    if isinstance(obj, float):
        return round(obj, 5)
    if isinstance(obj, (list, tuple)):
        return [round_coords(x) for x in obj]
    if isinstance(obj, dict):
        return {k: round_coords(v) for k, v in obj.items()}
    return obj


def main(src: Path) -> None:
    dest = Path(__file__).resolve().parent.parent / "src" / "truce" / "data"
    dest.mkdir(parents=True, exist_ok=True)
    for level in (1, 2, 3):
        fc = json.loads((src / "boundaries" / f"syr_adm{level}_ocha.geojson").read_text("utf-8"))
        feats = []
        invalid = 0
        for f in fc["features"]:
            props = {k: f["properties"].get(k) for k in KEEP[level]}
            geom = f["geometry"]
            if shape(geom).is_valid:
                geom = simplify(geom)
            else:
                invalid += 1  # kept as published: Truce repairs it at load time and says so
            feats.append({"type": "Feature", "properties": props, "geometry": round_coords(geom)})
        out = {"type": "FeatureCollection", "features": feats}
        p = dest / f"syr_adm{level}.geojson"
        p.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")), "utf-8")
        print(f"ADM{level}: {len(feats)} features, {invalid} invalid in origin, {p.stat().st_size} bytes")
    for name in ("geonames_sy_cities500.csv", "rg_cities1000_sy.csv", "syrian_archive_locations.csv"):
        shutil.copyfile(src / "gazetteer" / name, dest / name)
    shutil.copyfile(src / "boundaries" / "syr_admin_capitals_ocha.csv", dest / "syr_admin_capitals_ocha.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
