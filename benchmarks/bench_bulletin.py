"""Daily bulletin benchmark: the bulletin of one day over a SQLite database of 1,000,000 incidents.

Targets: the JSON bulletin (every number, computed as of the ledger head) under 200 ms; the HTML and the
PDF (with the 30-day trend chart and the map) under 3 s.

    .venv/bin/python benchmarks/bench_bulletin.py [N] [--db PATH] [--day YYYY-MM-DD]

Setup (not timed): the Astana scenario is loaded through the services (agreement, parties, zones,
offices, OCHA areas), then N synthetic incidents over 2015-2017 (about 900 a day; a third inside the
zones, the rest across Syria), one report each (60% by the three guarantor offices, the rest media),
a second office report on 20% of them, their links and zone rows, and 5,000 findings, are written
straight into the tables (one bulk "import" at the last ledger entry: the ledger itself is not valid
for `truce ledger verify`; this measures the bulletin, not intake). With --db PATH the database is
kept and reused by the next run.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TARGET_JSON = 0.200
TARGET_RENDER = 3.0
DAY0 = np.datetime64("2015-01-01")
DAYS = 3 * 365


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def build(path: Path, n: int, seed: int = 2017) -> None:
    import shapely
    from shapely.geometry import shape
    from sqlalchemy import select

    from truce import scenario
    from truce.app import Truce
    from truce.geo.geometry import bundled_admin_features, repair
    from truce.ledger.chain import SYSTEM, head
    from truce.zones.models import zone_versions

    app = Truce(f"sqlite:///{path}", blob_dir=str(path) + ".blobs")
    scenario.load(app, SYSTEM)
    with app.read() as conn:
        seq, _ = head(conn)
        zrows = conn.execute(select(zone_versions.c.zone_id, zone_versions.c.version, zone_versions.c.geojson)).all()
    app.engine.dispose()

    rng = np.random.default_rng(seed)
    zgeoms = [(r.zone_id, int(r.version), shapely.from_geojson(r.geojson)) for r in zrows]
    zbox = shapely.total_bounds([g for _, _, g in zgeoms])
    inside = rng.random(n) < 0.33
    lon = np.where(inside, rng.uniform(zbox[0], zbox[2], n), rng.uniform(35.7, 42.3, n)).round(5)
    lat = np.where(inside, rng.uniform(zbox[1], zbox[3], n), rng.uniform(32.4, 37.2, n)).round(5)
    secs = rng.integers(0, DAYS * 86400, n)
    secs.sort()
    when = (DAY0.astype("datetime64[s]") + secs).astype(str)
    occurred = np.char.add(when.astype("U19"), "Z")
    types = np.array(["shelling", "airstrike", "ground_attack", "sniper_fire", "drone_strike", "armed_clash"])
    vtype = types[rng.choice(len(types), n, p=[0.35, 0.2, 0.15, 0.1, 0.05, 0.15])]
    parties = np.array(["SYR", "NUSRA", "FAYLAQ", "AHRAR", "JAISH_ISLAM", ""])
    party = parties[rng.integers(0, len(parties), n)]
    adm1 = np.full(n, "", dtype="U8")
    for f in bundled_admin_features(1):
        g, _ = repair(shape(f["geometry"]))
        g = g.simplify(0.01)
        shapely.prepare(g)
        adm1[shapely.contains_xy(g, lon, lat)] = f["properties"]["adm1_pcode"]
    zone_rows = []
    for zid, ver, g in zgeoms:
        shapely.prepare(g)
        hit = np.nonzero(shapely.contains_xy(g, lon, lat))[0]
        zone_rows += [(int(i) + 1, zid, ver) for i in hit]

    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    incidents = (
        (
            i + 1,
            occurred[i],
            "exact",
            float(lat[i]),
            float(lon[i]),
            "exact",
            adm1[i] or None,
            vtype[i],
            party[i] or None,
            "open",
            "pending",
            1,
            f"{vtype[i]} (synthetic)",
            occurred[i],
            seq,
        )
        for i in range(n)
    )
    con.executemany(
        "INSERT INTO incidents (id, occurred_at, occurred_precision, lat, lon, location_precision, adm1_pcode, "
        "violation_type, alleged_party_id, status, verdict, simulated, title, created_at, ledger_seq) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        incidents,
    )
    offices = ["RUS_OFFICE", "TUR_OFFICE", "IRN_OFFICE"]
    org = rng.integers(0, 5, n)  # 0-2: an office, 3-4: media
    second = rng.random(n) < 0.2
    killed = rng.poisson(1.2, n)

    def reports():
        for i in range(n):
            o = offices[org[i]] if org[i] < 3 else "ADMIN"
            kind = "guarantor_office" if org[i] < 3 else "media"
            yield (f"r{i + 1:08d}a", o, kind, i)
            if second[i]:
                yield (f"r{i + 1:08d}b", offices[(org[i] + 1) % 3], "guarantor_office", i)

    def report_rows():
        for rid, o, kind, i in reports():
            yield (
                rid,
                "x" * 64,
                kind,
                o,
                "bench",
                occurred[i],
                occurred[i],
                "exact",
                float(lat[i]),
                float(lon[i]),
                "exact",
                adm1[i] or None,
                vtype[i],
                party[i] or None,
                "[]",
                int(killed[i]),
                0,
                "public",
                1,
                seq,
            )

    con.executemany(
        "INSERT INTO reports (id, content_hash, source_kind, org_id, submitted_by, received_at, occurred_at, "
        "occurred_precision, lat, lon, location_precision, adm1_pcode, violation_type, alleged_party_id, weapons, "
        "killed, injured, visibility, simulated, ledger_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        report_rows(),
    )
    con.executemany(
        "INSERT INTO incident_reports (report_id, incident_id, how, linked_at, linked_by) VALUES (?,?,?,?,?)",
        ((rid, i + 1, "origin" if rid.endswith("a") else "auto", occurred[i], "bench") for rid, _, _, i in reports()),
    )
    con.executemany("INSERT INTO incident_zones (incident_id, zone_id, zone_version) VALUES (?,?,?)", zone_rows)
    picks = rng.choice(n, 5000, replace=False) + 1
    findings = []
    for k, iid in enumerate(sorted(picks.tolist())):
        for g, o in (("RUS", "RUS_OFFICE"), ("TUR", "TUR_OFFICE"), ("IRN", "IRN_OFFICE")):
            f = ("confirmed", "disputed", "unverifiable")[int(rng.integers(0, 3))] if k % 3 else "confirmed"
            findings.append(
                (
                    len(findings) + 1,
                    iid,
                    g,
                    o,
                    f,
                    "other",
                    None,
                    "SYR" if f == "confirmed" else None,
                    "bench",
                    "2018-01-01T00:00:00Z",
                    None,
                    seq,
                )
            )
    con.executemany(
        "INSERT INTO findings (id, incident_id, guarantor, org_id, finding, reason_code, note, attributed_party_id, "
        "recorded_by, recorded_at, supersedes, ledger_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        findings,
    )
    con.execute("COMMIT")
    con.close()


def count(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute("SELECT count(*) FROM incidents").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        con.close()


def timed(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=None, help="keep the database here and reuse it")
    ap.add_argument("--day", default="2017-09-21")
    args = ap.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="truce-bench-bulletin-")
        path = Path(tmp.name) / "bench.db"
    else:
        path = args.db
    if count(path) != args.n:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        t = time.perf_counter()
        build(path, args.n)
        print(f"setup: {args.n:,} incidents written in {time.perf_counter() - t:.0f} s (not timed)")

    from truce.app import Truce
    from truce.bulletins.compute import compute
    from truce.bulletins.render import render
    from truce.bulletins.service import document

    app = Truce(f"sqlite:///{path}", blob_dir=str(path) + ".blobs")

    def json_bulletin() -> bytes:
        with app.read() as conn:
            return render(document(app, conn, args.day), "json")

    with app.read() as conn:
        body = compute(conn, args.day)
    n = body["numbers"]
    print(f"machine: {machine()}")
    print(
        f"day {args.day}: {n['office_reports']['total']['reports']} office reports, {n['incidents']['total']} "
        f"incidents ({n['incidents']['by_verdict']['verified']} verified), JSON {len(json_bulletin()):,} bytes"
    )
    med, all_ = timed(json_bulletin, 9)
    ok = "OK" if med < TARGET_JSON else "MISSED"
    print(
        f"JSON bulletin: median {med * 1000:.0f} ms of 9 runs (min {min(all_) * 1000:.0f}, max "
        f"{max(all_) * 1000:.0f}); target < {TARGET_JSON * 1000:.0f} ms: {ok}"
    )
    for k, fmt in enumerate(("html", "pdf")):

        def one(fmt: str = fmt) -> bytes:
            with app.read() as conn:
                return render(document(app, conn, args.day), fmt, conn)

        first = time.perf_counter()
        size = len(one())
        first = time.perf_counter() - first
        med, all_ = timed(one, 3)
        ok = "OK" if max(first, med) < TARGET_RENDER else "MISSED"
        note = " (imports matplotlib and reportlab)" if k == 0 else ""
        print(
            f"{fmt.upper()} with charts and map: first {first:.2f} s{note}, then median {med:.2f} s of 3; "
            f"{size:,} bytes; target < {TARGET_RENDER:.0f} s: {ok}"
        )
    # The whole command, as a user runs it: a new process (Python start, imports, compute, render, write).
    truce_cmd = Path(sys.executable).with_name("truce")
    with tempfile.TemporaryDirectory() as out:
        for fmt in ("json", "html", "pdf"):
            t = time.perf_counter()
            subprocess.run(
                [
                    str(truce_cmd),
                    "bulletin",
                    "--date",
                    args.day,
                    "--format",
                    fmt,
                    "-o",
                    f"{out}/b.{fmt}",
                    "--db",
                    f"sqlite:///{path}",
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "TRUCE_BLOB_DIR": str(path) + ".blobs"},
            )
            print(f"`truce bulletin --format {fmt}` in a new process: {time.perf_counter() - t:.2f} s")
    if tmp is not None:
        app.engine.dispose()
        tmp.cleanup()


if __name__ == "__main__":
    main()
