"""Matching benchmark: (a) a batch of 100,000 synthetic reports matched by the batch matcher, against a
bare numpy grid-hash pair search on the same points and days, timed in the same process; (b) single
reports matched in a SQLite database of 1,000,000 incidents.

    .venv/bin/python benchmarks/bench_matching.py            # both parts (about 2 minutes)
    .venv/bin/python benchmarks/bench_matching.py --part a   # the batch part only

Targets: (a) matcher ≤ 5x the bare pair search; (b) median single-report matching < 20 ms.
Figures and the machine go in benchmarks/README.md."""

from __future__ import annotations

import argparse
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import DAY, KM, Synth, generate  # noqa: E402

from truce.incidents import matching as M  # noqa: E402

RADIUS_KM, WINDOW_H = 5.0, 6.0  # the defaults (DEFAULT_SETTINGS)


def machine() -> str:
    cpu = "?"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        cpu = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "?")
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        mem = next(x for x in meminfo if x.startswith("MemTotal"))
        ram = f"{int(mem.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        ram = "?"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {ram} RAM, Python {platform.python_version()}, numpy {np.__version__}, "
        f"SQLite {sqlite3.sqlite_version}; load average {load} when started"
    )


def best_of(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """Median wall time and median CPU time of `repeat` runs (after one warm-up run), and the last result."""
    out = fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), out


# --- (a) batch ---------------------------------------------------------------------------------------


def baseline_pairs(lat: np.ndarray, lon: np.ndarray, day: np.ndarray, radius_km: float) -> int:
    """The bare pair search: all pairs of points within `radius_km` and at most one day apart, by a grid
    hash over (x, y, day) cells (cell side = radius), 14 half-neighbourhood offsets, a haversine check."""
    ux, uy, uz = M.unit_vectors(lat, lon)
    coslat = math.cos(math.radians(float(np.abs(lat).max())))
    cx = np.floor(lon * M.KM_PER_DEG * coslat / radius_km).astype(np.int64)
    cy = np.floor(lat * M.KM_PER_DEG / radius_km).astype(np.int64)
    c = np.stack([cx, cy, day.astype(np.int64)], axis=1)
    c -= c.min(axis=0) - 1
    dims = c.max(axis=0) + 2
    key = (c[:, 0] * dims[1] + c[:, 1]) * dims[2] + c[:, 2]
    order = np.argsort(key)
    sk = key[order]
    first = np.r_[True, sk[1:] != sk[:-1]]
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, sk.size])
    ukeys = sk[starts]
    found = 0
    for dx, dy, dt in M.HALF_OFFSETS:
        delta = (dx * dims[1] + dy) * dims[2] + dt
        if delta == 0:
            ca = cb = np.flatnonzero(counts > 1)
        else:
            pos = np.minimum(np.searchsorted(ukeys, ukeys + delta), ukeys.size - 1)
            ca = np.flatnonzero(ukeys[pos] == ukeys + delta)
            cb = pos[ca]
        sizes = counts[ca] * counts[cb]
        rep = np.repeat(np.arange(ca.size), sizes)
        k = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        nb = counts[cb][rep]
        a = order[starts[ca][rep] + k // nb]
        b = order[starts[cb][rep] + k % nb]
        if delta == 0:
            keep = a < b
            a, b = a[keep], b[keep]
        d = M.chord_km(ux[a], uy[a], uz[a], ux[b], uy[b], uz[b])
        found += int(np.count_nonzero(d <= radius_km))
    return found


def items_from_synth(s: Synth, codes: M.Codes) -> M.Items:
    """The matcher's columns, built from the synthetic arrays (no per-row Python)."""

    def code(a: np.ndarray) -> np.ndarray:
        u, inv = np.unique(a, return_inverse=True)
        base = len(codes.of)
        for k, v in enumerate(u.tolist()):
            codes.of.setdefault(v, base + k)
        return np.array([codes.of[v] for v in u.tolist()], dtype=np.int64)[inv]

    span = np.select([s.tprec == "day", s.tprec == "week", s.tprec == "month"], [DAY, 7 * DAY, 31 * DAY], 0)
    level = np.select(
        [np.isin(s.lprec, ["exact", "near"]), s.lprec == "adm3", s.lprec == "adm2", s.lprec == "adm1"],
        [M.POINT, 3, 2, 1],
        M.NOWHERE,
    ).astype(np.int8)
    adm = np.full((s.n, 4), -1, dtype=np.int64)
    adm[:, 1], adm[:, 2], adm[:, 3] = code(s.adm1), code(s.adm2), code(s.adm3)
    party = code(s.party)
    party[s.party == ""] = -1
    return M.Items(
        t0=s.t,
        t1=s.t + span,
        vag=np.select([s.tprec == "exact", s.tprec == "day", s.tprec == "week"], [1.0, 0.9, 0.6], 0.4),
        lat=s.lat,
        lon=s.lon,
        level=level,
        adm=adm,
        vt=np.array([M.TYPE_INDEX[t] for t in s.vtype.tolist()], dtype=np.int64),
        party=party,
        src=np.full(s.n, -1, dtype=np.int64),
    )


def records_from_synth(s: Synth) -> list[dict[str, Any]]:
    occ = s.occurred_at()
    out = []
    for k in range(s.n):
        lat = None if math.isnan(s.lat[k]) else float(s.lat[k])
        out.append(
            {
                "id": f"r{k}",
                "occurred_at": occ[k],
                "occurred_precision": str(s.tprec[k]),
                "lat": lat,
                "lon": None if lat is None else float(s.lon[k]),
                "location_precision": str(s.lprec[k]),
                "adm1_pcode": str(s.adm1[k]),
                "adm2_pcode": str(s.adm2[k]),
                "adm3_pcode": str(s.adm3[k]),
                "violation_type": str(s.vtype[k]),
                "alleged_party_id": str(s.party[k]) or None,
                "alleged_party_text": None,
                "external_source": None,
            }
        )
    return out


def part_a(n: int = 100_000, repeat: int = 7) -> dict[str, Any]:
    s = generate(n, seed=2017)
    print(f"(a) {s.n:,} synthetic reports of {len(np.unique(s.event)):,} events over 2017, Syria's bbox")
    located = ~np.isnan(s.lat)
    lat, lon = s.lat[located], s.lon[located]
    day = (s.t[located] - s.t.min()) // DAY
    codes = M.Codes()
    rows = items_from_synth(s, codes)
    empty = M.Items.from_records(codes, [])
    w, r = np.full(s.n, WINDOW_H), np.full(s.n, RADIUS_KM)

    t_base, c_base, pairs = best_of(lambda: baseline_pairs(lat, lon, day, M.DOUBT * RADIUS_KM), repeat)
    t_base_r, _, pairs_r = best_of(lambda: baseline_pairs(lat, lon, day, RADIUS_KM), repeat)
    t_match, c_match, dec = best_of(lambda: M.match_items(empty, rows, w, r), repeat)
    # Where the time goes (one run)
    pool = M.Items.concat(empty, rows)
    t0 = time.perf_counter()
    qi, ci = M.candidate_pairs(pool, 0, RADIUS_KM, WINDOW_H)
    t1 = time.perf_counter()
    p = M.assess_pairs(pool, 0, qi, ci, w, r)
    t2 = time.perf_counter()
    M.decide(s.n, 0, p)
    t3 = time.perf_counter()
    auto = int((~dec.origin).sum())
    sugg = int((dec.top[dec.origin] >= 0).sum())
    # Quality against the synthetic truth: an auto link joins two reports of one event?
    b = dec.best[~dec.origin]
    row_of = np.flatnonzero(~dec.origin)
    right = int((s.event[row_of] == s.event[dec.pairs.c[b]]).sum())
    n_events = len(np.unique(s.event))
    incidents_made = int(dec.origin.sum())

    recs = records_from_synth(s)
    t4 = time.perf_counter()
    codes2 = M.Codes()
    rows2 = M.Items.from_records(codes2, recs)
    t5 = time.perf_counter()
    M.match_items(M.Items.from_records(codes2, []), rows2, w, r)
    t6 = time.perf_counter()

    ratio, cpu_ratio = t_match / t_base, c_match / c_base
    print(
        f"    baseline: bare grid-hash pair search within {M.DOUBT * RADIUS_KM:g} km and ≤1 day (the matcher's reach): "
        f"{t_base * 1000:.0f} ms wall, {c_base * 1000:.0f} ms CPU ({pairs:,} pairs); within {RADIUS_KM:g} km: "
        f"{t_base_r * 1000:.0f} ms ({pairs_r:,} pairs)"
    )
    print(
        f"    matcher (columns → decisions): {t_match * 1000:.0f} ms wall, {c_match * 1000:.0f} ms CPU = "
        f"{ratio:.2f}x the baseline (CPU {cpu_ratio:.2f}x) [target ≤ 5x: {'met' if ratio <= 5 else 'MISSED'}]"
    )
    print(
        f"      one run: pair search {1000 * (t1 - t0):.0f} ms ({qi.size:,} candidate pairs), scoring "
        f"{1000 * (t2 - t1):.0f} ms ({p.i.size:,} kept), decisions {1000 * (t3 - t2):.0f} ms "
        f"({dec.rounds} fixed-point rounds)"
    )
    print(
        f"    from {s.n:,} report dicts (as an import has them): columns {1000 * (t5 - t4):.0f} ms "
        f"+ matching {1000 * (t6 - t5):.0f} ms"
    )
    print(
        f"    result: {auto:,} auto links ({right / max(auto, 1):.1%} join reports of one synthetic event), "
        f"{incidents_made:,} incidents for {n_events:,} events, {sugg:,} suggested links"
    )
    return {
        "baseline_s": t_base,
        "baseline_pairs": pairs,
        "baseline_r_s": t_base_r,
        "match_s": t_match,
        "ratio": ratio,
        "auto": auto,
        "precision": right / max(auto, 1),
        "incidents": incidents_made,
        "events": n_events,
        "suggestions": sugg,
        "rounds": dec.rounds,
        "dicts_s": t6 - t4,
    }


# --- (b) single reports in a database of 1,000,000 incidents -----------------------------------------

INCIDENT_COLS = (
    "id",
    "occurred_at",
    "occurred_precision",
    "lat",
    "lon",
    "location_precision",
    "adm1_pcode",
    "adm2_pcode",
    "adm3_pcode",
    "violation_type",
    "alleged_party_id",
    "status",
    "verdict",
    "simulated",
    "title",
    "created_at",
    "ledger_seq",
)


def build_db(path: Path, n: int) -> float:
    from truce.app import Truce

    t0 = time.perf_counter()
    Truce(f"sqlite:///{path}", blob_dir=str(path.parent / "blobs"))
    from truce import db

    db.dispose_all()
    s = generate(n, seed=7, sources=False)
    occ = s.occurred_at()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    sql = f"INSERT INTO incidents ({', '.join(INCIDENT_COLS)}) VALUES ({', '.join('?' * len(INCIDENT_COLS))})"

    def rows() -> Any:
        for k in range(s.n):
            nowhere = math.isnan(s.lat[k])
            yield (
                k + 1,
                occ[k],
                str(s.tprec[k]),
                None if nowhere else float(s.lat[k]),
                None if nowhere else float(s.lon[k]),
                str(s.lprec[k]),
                str(s.adm1[k]),
                str(s.adm2[k]),
                str(s.adm3[k]),
                str(s.vtype[k]),
                str(s.party[k]) or None,
                "open",
                "pending",
                0,
                f"{s.vtype[k]} (synthetic)",
                "2018-01-01T00:00:00Z",
                0,
            )

    with con:
        con.executemany(sql, rows())
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return time.perf_counter() - t0


def query_plan(conn: Any, rec: dict[str, Any]) -> list[str]:
    """SQLite's plan for the candidate query of a report placed at a point."""
    la0, la1, lo0, lo1 = M._bbox(rec["lat"], rec["lon"], M.DOUBT * RADIUS_KM)
    t0, t1 = M.interval(rec["occurred_at"], rec["occurred_precision"])
    reach = int(M.DOUBT * WINDOW_H * 3600) + 1
    bounds = {
        "hi": M.from_epoch(t1 + reach),
        "lo": M.from_epoch(t0 - reach),
        "lo_day": M.from_epoch(t0 - reach - DAY),
        "lo_coarse": M.from_epoch(t0 - reach - 31 * DAY),
        **{"la0": la0, "la1": la1, "lo0": lo0, "lo1": lo1, "adm1": rec["adm1_pcode"]},
    }
    sql = M._POINT_QUERY[0].params(**bounds).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    return [r[-1] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}") if str(r[-1]).startswith("SEARCH")]


def part_b(n: int = 1_000_000, submissions: int = 200) -> dict[str, Any]:
    from truce.app import Truce
    from truce.ledger.chain import SYSTEM
    from truce.reports.service import submit

    tmp = Path(tempfile.mkdtemp(prefix="truce-bench-"))
    path = tmp / "bench.db"
    setup = build_db(path, n)
    size = path.stat().st_size / 1e6
    print(f"(b) SQLite database of {n:,} incidents built in {setup:.0f} s ({size:.0f} MB; setup not timed)")
    app = Truce(f"sqlite:///{path}", blob_dir=str(tmp / "blobs"))
    rng = np.random.default_rng(11)
    with app.read() as conn:
        base = conn.exec_driver_sql(
            "SELECT occurred_at, lat, lon, violation_type, alleged_party_id, adm1_pcode, adm2_pcode, adm3_pcode "
            "FROM incidents WHERE location_precision IN ('exact','near') AND occurred_precision='exact' "
            "AND id % 4999 = 0"
        ).all()
    recs = []
    for k in range(submissions):
        b = base[int(rng.integers(len(base)))]
        near = k % 2 == 0  # half repeat an existing incident (1 km, 1 h off), half are elsewhere
        lat = b.lat + (rng.normal(0, 1.0) * KM if near else rng.uniform(-0.5, 0.5))
        lon = b.lon + (rng.normal(0, 1.0) * KM if near else rng.uniform(-0.5, 0.5))
        t = M.to_epoch(b.occurred_at) + int(rng.normal(0, 3600))
        recs.append(
            {
                "id": str(uuid.uuid4()),
                "occurred_at": M.from_epoch(t),
                "occurred_precision": "exact",
                "lat": round(float(lat), 6),
                "lon": round(float(lon), 6),
                "location_precision": "exact",
                "adm1_pcode": b.adm1_pcode,
                "adm2_pcode": b.adm2_pcode,
                "adm3_pcode": b.adm3_pcode,
                "violation_type": b.violation_type,
                "alleged_party_id": b.alleged_party_id,
                "alleged_party_text": None,
            }
        )
    times, fetch, cands, how = [], [], [], {"auto": 0, "origin": 0}
    with app.read() as conn:
        M.match_report(conn, recs[0])  # warm-up
        for rec in recs:
            t0 = time.perf_counter()
            m = M.match_report(conn, rec)
            times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            M.fetch_candidates(conn, rec, WINDOW_H, RADIUS_KM)
            fetch.append(time.perf_counter() - t0)
            cands.append(m.candidates)
            how[m.how] += 1
        plan = query_plan(conn, recs[1])
    print("    query plan (one statement, five index range scans):")
    for line in plan:
        print(f"      {line}")
    times.sort()
    med, p95 = statistics.median(times) * 1000, times[int(0.95 * len(times))] * 1000
    data = {
        "occurred_at": recs[0]["occurred_at"],
        "lat": recs[0]["lat"],
        "lon": recs[0]["lon"],
        "violation_type": recs[0]["violation_type"],
        "alleged_party": recs[0]["alleged_party_id"],
    }
    t0 = time.perf_counter()
    with app.write() as conn:
        res = submit(app, conn, SYSTEM, data)
    t_submit = (time.perf_counter() - t0) * 1000
    print(
        f"    matching one report (candidate queries + scoring + decision), {submissions} reports: median "
        f"{med:.1f} ms, p95 {p95:.1f} ms, max {times[-1] * 1000:.1f} ms [target < 20 ms: "
        f"{'met' if med < 20 else 'MISSED'}]; candidates per report: median {statistics.median(cands):.0f}; "
        f"{how['auto']} auto, {how['origin']} new; of which the candidate query: median "
        f"{statistics.median(fetch) * 1000:.1f} ms"
    )
    print(
        f"    one full `submit()` through the service (validate, locate, match, ledger, commit): {t_submit:.1f} ms "
        f"({res.how}, incident {res.incident_id})"
    )
    from truce import db

    db.dispose_all()
    for f in tmp.glob("bench.db*"):
        f.unlink()
    return {"median_ms": med, "p95_ms": p95, "submit_ms": t_submit, "setup_s": setup}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["a", "b", "all"], default="all")
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--incidents", type=int, default=1_000_000)
    args = ap.parse_args()
    print(machine())
    if args.part in ("a", "all"):
        part_a(args.reports)
    if args.part in ("b", "all"):
        part_b(args.incidents)


if __name__ == "__main__":
    main()
