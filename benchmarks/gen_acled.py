"""Seeded generator of a realistic ACLED-format CSV (ACLED's 31 columns) over Syria, 2017-2020.

Points lie inside OCHA sub-district (ADM3) polygons (bundled with Truce), weighted towards the
north-west; event types, actors (the Astana scenario's parties under ACLED's names, and others),
sources and fatality counts follow the rough shape of ACLED's Syria data. Event ids are unique.

    python benchmarks/gen_acled.py OUT.csv [N] [--seed 7]
    python benchmarks/gen_acled.py            # (as `make bench` runs it) 100,000 rows into a temp dir, timed
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely

from truce.geo.geometry import bundled_path
from truce.ingest.acled import ACLED_COLUMNS, ACLED_TYPES, DISORDER_TYPES

SUB_WEIGHTS = {
    "Shelling/artillery/missile attack": 42.0,
    "Air/drone strike": 18.0,
    "Armed clash": 16.0,
    "Remote explosive/landmine/IED": 5.0,
    "Attack": 5.0,
    "Peaceful protest": 3.0,
    "Abduction/forced disappearance": 1.0,
    "Looting/property destruction": 1.0,
    "Disrupted weapons use": 1.2,
    "Arrests": 0.8,
    "Headquarters or base established": 0.6,
    "Non-state actor overtakes territory": 0.5,
    "Government regains territory": 0.6,
    "Grenade": 0.6,
    "Suicide bomb": 0.2,
    "Agreement": 0.3,
    "Change to group/activity": 0.4,
    "Other": 0.3,
    "Protest with intervention": 0.4,
    "Violent demonstration": 0.2,
    "Mob violence": 0.1,
    "Excessive force against protesters": 0.1,
    "Non-violent transfer of territory": 0.2,
    "Sexual violence": 0.05,
    "Chemical weapon": 0.05,
}
# (actor name, inter label, weight)
ARMED = [
    ("Military Forces of Syria (2000-)", "State forces", 40.0),
    ("Military Forces of Russia (2000-)", "External/Other forces", 14.0),
    ("Military Forces of Turkey (2016-)", "External/Other forces", 4.0),
    ("Military Forces of Iran (1989-) Islamic Revolutionary Guard Corps", "External/Other forces", 1.0),
    ("Hayat Tahrir al-Sham", "Rebel group", 9.0),
    ("Islamic State (Syria)", "Rebel group", 6.0),
    ("Faylaq al-Sham", "Rebel group", 2.0),
    ("Ahrar al-Sham", "Rebel group", 2.0),
    ("Jaish al-Islam", "Rebel group", 1.5),
    ("Levant Front", "Rebel group", 1.0),
    ("SDF: Syrian Democratic Forces", "Rebel group", 6.0),
    ("NDF: National Defence Forces", "Political militia", 2.0),
    ("Unidentified Armed Group (Syria)", "Political militia", 8.0),
    ("Hurras al-Din", "Rebel group", 0.5),
    ("Military Forces of Israel (2009-2021)", "External/Other forces", 1.0),
    ("Military Forces of the United States (2017-2021)", "External/Other forces", 1.0),
]
CIVILIANS = ("Civilians (Syria)", "Civilians")
PROTESTERS = ("Protesters (Syria)", "Protesters")
RIOTERS = ("Rioters (Syria)", "Rioters")
SOURCES = [
    ("Syrian Observatory for Human Rights", "National"),
    ("SANA", "National"),
    ("Step Agency", "Subnational"),
    ("Smart News Agency", "Subnational"),
    ("Enab Baladi", "National"),
    ("Qasioun News Agency", "Subnational"),
    ("Syrian Observatory for Human Rights; Step Agency", "National-Subnational"),
    ("Anadolu Agency", "International"),
]
VERBS = {
    "Shelling/artillery/missile attack": "shelled",
    "Air/drone strike": "carried out air strikes on",
    "Armed clash": "clashed with {a2} in",
    "Remote explosive/landmine/IED": "detonated an IED in",
    "Attack": "attacked civilians in",
}
TAGS = [
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "crowd size=no report",
    "local administrators",
    "women targeted: candidates",
    "crowd size=no report|local administrators",
    "health workers|crowd size=several dozen",
]
WEST_GOVS = {"SY07": 4.0, "SY02": 3.0, "SY05": 2.5, "SY03": 2.0, "SY12": 1.5, "SY04": 1.2}


def _names(level: int) -> dict[str, str]:
    fc = json.loads(bundled_path(f"syr_adm{level}.geojson").read_text("utf-8"))
    return {f["properties"][f"adm{level}_pcode"]: f["properties"][f"adm{level}_name"] for f in fc["features"]}


def _adm3() -> tuple[list[dict[str, str]], list[object]]:
    fc = json.loads(bundled_path("syr_adm3.geojson").read_text("utf-8"))
    feats = sorted(fc["features"], key=lambda f: f["properties"]["adm3_pcode"])
    geoms = [shapely.make_valid(shapely.geometry.shape(f["geometry"])) for f in feats]
    return [f["properties"] for f in feats], geoms


def _point_pools(geoms: list[object], rng: np.random.Generator, per: int) -> list[np.ndarray]:
    pools = []
    for g in geoms:
        minx, miny, maxx, maxy = shapely.bounds(g)
        shapely.prepare(g)
        got: list[np.ndarray] = []
        have = 0
        while have < per:
            xs = rng.uniform(minx, maxx, per * 2)
            ys = rng.uniform(miny, maxy, per * 2)
            xs, ys = np.round(xs, 4), np.round(ys, 4)
            ok = shapely.contains_xy(g, xs, ys)
            pts = np.column_stack([ys[ok], xs[ok]])
            got.append(pts)
            have += len(pts)
        pools.append(np.concatenate(got)[:per])
    return pools


def generate(path: str | Path, n: int, seed: int = 7) -> Path:
    """Write an ACLED-format CSV of ``n`` events to ``path`` (same seed, same bytes)."""
    rng = np.random.default_rng(seed)
    props, geoms = _adm3()
    adm1, adm2 = _names(1), _names(2)
    weights = np.array([WEST_GOVS.get(p["adm1_pcode"], 0.5) for p in props])
    weights /= weights.sum()
    pools = _point_pools(geoms, rng, 64 if n <= 20000 else 512)
    poly = rng.choice(len(props), size=n, p=weights)
    pick = rng.integers(0, len(pools[0]), size=n)
    subs = list(SUB_WEIGHTS)
    sw = np.array([SUB_WEIGHTS[s] for s in subs])
    sub_i = rng.choice(len(subs), size=n, p=sw / sw.sum())
    aw = np.array([a[2] for a in ARMED])
    a1_i = rng.choice(len(ARMED), size=n, p=aw / aw.sum())
    a2_i = rng.choice(len(ARMED), size=n, p=aw / aw.sum())
    start = date(2017, 1, 1)
    days = rng.integers(0, (date(2020, 12, 31) - start).days + 1, size=n)
    order = np.argsort(-days, kind="stable")  # ACLED exports run newest first
    tprec = rng.choice(3, size=n, p=[0.93, 0.05, 0.02]) + 1
    gprec = rng.choice(3, size=n, p=[0.7, 0.25, 0.05]) + 1
    fat = np.where(rng.random(n) < 0.7, 0, rng.geometric(0.35, size=n))
    src_i = rng.integers(0, len(SOURCES), size=n)
    tag_i = rng.integers(0, len(TAGS), size=n)
    upd = rng.integers(1, 400, size=n)
    ids = np.empty(n, dtype=np.int64)  # ACLED numbers events as it codes them: roughly in date order
    ids[np.argsort(days + rng.random(n) * 3, kind="stable")] = np.arange(n) + 100001
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(ACLED_COLUMNS)
        for k in order.tolist():
            p = props[poly[k]]
            lat, lon = pools[poly[k]][pick[k]]
            sub = subs[sub_i[k]]
            etype = ACLED_TYPES[sub][0]
            a1, inter1, _ = ARMED[a1_i[k]]
            if etype == "Violence against civilians" or sub == "Excessive force against protesters":
                a2, inter2 = CIVILIANS if etype != "Protests" else PROTESTERS
            elif etype == "Protests":
                a1, inter1, a2, inter2 = PROTESTERS[0], PROTESTERS[1], "", ""
            elif etype == "Riots":
                a1, inter1, a2, inter2 = RIOTERS[0], RIOTERS[1], CIVILIANS[0] if sub == "Mob violence" else "", ""
            elif sub in ("Shelling/artillery/missile attack", "Air/drone strike", "Armed clash"):
                j = a2_i[k] if a2_i[k] != a1_i[k] else (a2_i[k] + 4) % len(ARMED)
                a2, inter2 = ARMED[j][0], ARMED[j][1]
            else:
                a2, inter2 = "", ""
            day = start + timedelta(days=int(days[k]))
            where = p["adm3_name"]
            verb = VERBS.get(sub, f"were involved in an event ({sub.lower()}) in").replace("{a2}", a2 or "others")
            notes = f"On {day.day} {day.strftime('%B')} {day.year}, {a1} {verb} {where} ({adm1[p['adm1_pcode']]})."
            if fat[k]:
                notes += f" {int(fat[k])} killed."
            source, scale = SOURCES[src_i[k]]
            stamp = ((day - date(1970, 1, 1)).days + int(upd[k])) * 86400
            w.writerow(
                (
                    f"SYR{ids[k]}",
                    day.isoformat(),
                    day.year,
                    int(tprec[k]),
                    DISORDER_TYPES[etype],
                    etype,
                    sub,
                    a1,
                    "",
                    inter1,
                    a2,
                    "",
                    inter2,
                    f"{inter1}-{inter2}" if inter2 else f"{inter1} only",
                    "Civilian targeting" if a2.startswith("Civilians") else "",
                    760,
                    "Middle East",
                    "Syria",
                    adm1[p["adm1_pcode"]],
                    adm2[p["adm2_pcode"]],
                    p["adm3_name"],
                    where,
                    f"{lat:.4f}",
                    f"{lon:.4f}",
                    int(gprec[k]),
                    source,
                    scale,
                    notes,
                    int(fat[k]),
                    TAGS[tag_i[k]],
                    stamp,
                )
            )
    return Path(path)


def machine() -> str:
    """One line naming the machine: cores, CPU model, memory, Python."""
    cpu = platform.processor() or "?"
    mem = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(next(ln.split()[1] for ln in f if ln.startswith("MemTotal")))
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores, {cpu}, {mem} RAM, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?")
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    if a.out:
        generate(a.out, a.n, a.seed)
        return
    with tempfile.TemporaryDirectory(prefix="truce-gen-") as d:
        n = 100_000
        t = time.perf_counter()
        path = generate(Path(d) / "acled.csv", n, a.seed)
        dt = time.perf_counter() - t
        print(f"generated {n:,} ACLED rows ({path.stat().st_size / 1e6:.0f} MB) in {dt:.1f} s; {machine()}")


if __name__ == "__main__":
    main()
