"""The incident list API under load: Truce's `GET /api/v1/incidents` (50 rows a page) against a bare
FastAPI endpoint returning the same 50 rows from the same SQLite database, in the same run: the same rows
with the same fields (each incident's columns, zones and report counts, checked equal to Truce's), from one
SQL statement and orjson, with no authentication, validation or total. For information, the bare endpoint
is also measured returning the same 50 incidents' 17 first columns only (no zones or counts).

Both servers run under uvicorn with the same settings, as `truce serve` runs: the same number of workers
(default 1), httptools (uvicorn's standard extras), the asyncio loop for one worker and uvloop for several
(--loop to choose), each server in its own process(es), on 127.0.0.1. The load client is `wrk` when
installed (2 threads, 32 connections, at most 10 s), otherwise a Python asyncio client (httpx, which itself
takes a core; at most 20,000 requests). Each server first gets the same 2 s warm-up load, unmeasured.
Prints requests/s and latency percentiles of each and the ratio.
Target: Truce ≥ half the bare endpoint's requests/s, p99 < 100 ms.

wrk's percentiles are corrected for coordinated omission (wrk adds the requests a slow one held back),
so a few slow requests weigh more in its p99 than in the Python client's.

With --engine postgresql both servers read the same PostgreSQL database instead (a throwaway server started
by the tests' own helper, `tests/conftest.py`'s LocalPgServer: PostgreSQL's server binaries needed), the
bare endpoint through psycopg with the same statement in PostgreSQL's dialect. For information only: the
target is set on SQLite, Truce's embedded default.

Usage: python benchmarks/bench_api.py [--seconds 10] [--clients 32] [--workers 1] [--client auto|wrk|python]
       [--loop serve|uvloop|asyncio] [--engine sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

CLIENTS = 32
SECONDS = 10.0
THREADS = 2
WARMUP_SECONDS = 2.0
MAX_REQUESTS = 20_000
# The public's first page, as Truce's list returns it: the same rows with the same fields (the incident's
# columns, its zones, the number of its reports and of its simulated reports), in one statement.
PUBLIC_SQL = """
SELECT p.*,
       (SELECT group_concat(zone_id, ',') FROM (SELECT zone_id FROM incident_zones z WHERE z.incident_id = p.id
                                               ORDER BY zone_id)) AS zones,
       (SELECT count(*) FROM incident_reports ir WHERE ir.incident_id = p.id) AS reports,
       (SELECT count(*) FROM incident_reports ir JOIN reports r ON r.id = ir.report_id
        WHERE ir.incident_id = p.id AND r.simulated = 1) AS simulated_reports
FROM (
  SELECT id, occurred_at, occurred_precision, violation_type, alleged_party_id, alleged_party_text, place_name,
         adm1_pcode, adm2_pcode, adm3_pcode, lat, lon, location_precision, status, verdict, simulated, title,
         attributed_party_id, severity, breach, confidence
  FROM incidents i
  WHERE i.status != 'merged' AND (i.verdict = 'verified' OR EXISTS (
      SELECT 1 FROM incident_reports ir JOIN reports r ON r.id = ir.report_id
      WHERE ir.incident_id = i.id AND r.visibility = 'public'))
  ORDER BY occurred_at DESC, id DESC LIMIT 50) p
ORDER BY p.occurred_at DESC, p.id DESC
"""
# For information: the same 50 incidents' first 17 columns only (no zones or counts), as earlier runs compared.
PLAIN_SQL = """
SELECT id, occurred_at, occurred_precision, violation_type, alleged_party_id, alleged_party_text, place_name,
       adm1_pcode, adm2_pcode, adm3_pcode, lat, lon, location_precision, status, verdict, simulated, title
FROM incidents i
WHERE i.status != 'merged' AND (i.verdict = 'verified' OR EXISTS (
    SELECT 1 FROM incident_reports ir JOIN reports r ON r.id = ir.report_id
    WHERE ir.incident_id = i.id AND r.visibility = 'public'))
ORDER BY occurred_at DESC, id DESC LIMIT 50
"""



def pg_sql(sql: str) -> str:
    """The same statement in PostgreSQL's dialect."""
    return (sql.replace("(SELECT group_concat(zone_id, ',') FROM (SELECT zone_id FROM incident_zones z WHERE "
                        "z.incident_id = p.id\n                                               ORDER BY zone_id))",
                        "(SELECT string_agg(zone_id, ',' ORDER BY zone_id) FROM incident_zones z "
                        "WHERE z.incident_id = p.id)")
            .replace("r.simulated = 1", "r.simulated"))


BARE_APP = '''
import os, sqlite3
import orjson
from fastapi import FastAPI
from fastapi.responses import Response
app = FastAPI()
sql, plain = os.environ["BENCH_SQL"], os.environ["BENCH_PLAIN_SQL"]
if os.environ.get("BENCH_PG"):
    import psycopg
    from psycopg.rows import dict_row
    pg = psycopg.connect(os.environ["BENCH_PG"], autocommit=True, row_factory=dict_row)
    class _Pg:
        def execute(self, q):
            return pg.execute(q).fetchall()
    con = _Pg()
else:
    con = sqlite3.connect(os.environ["BENCH_DB"], check_same_thread=False)
    con.row_factory = sqlite3.Row
@app.get("/incidents")
async def incidents():
    rows = [dict(r) for r in con.execute(sql)]
    for r in rows:
        r["zones"] = r["zones"].split(",") if r["zones"] else []
        r["simulated"] = bool(r["simulated"])
    return Response(orjson.dumps({"incidents": rows}), media_type="application/json")
@app.get("/incidents/plain")
async def incidents_plain():
    rows = [dict(r) for r in con.execute(plain)]
    return Response(orjson.dumps({"incidents": rows}), media_type="application/json")
'''

SERVE = '''
import sys
import uvicorn
target, port, workers, factory, loop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
uvicorn.run(target, factory=factory, host="127.0.0.1", port=port, workers=workers, loop=loop, log_level="warning")
'''

# wrk's summary as one parseable line (latencies in microseconds).
WRK_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d errors=%d p50=%d p90=%d p99=%d max=%d\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Load:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def parse_wrk(output: str) -> Load:
    """The figures of the `BENCH ...` line that WRK_LUA's done() prints."""
    for line in output.splitlines():
        if line.startswith("BENCH "):
            f = dict(kv.split("=", 1) for kv in line.split()[1:])
            return Load(
                requests=int(f["requests"]),
                seconds=int(f["duration_us"]) / 1e6,
                errors=int(f["errors"]),
                p50_ms=int(f["p50"]) / 1000,
                p90_ms=int(f["p90"]) / 1000,
                p99_ms=int(f["p99"]) / 1000,
                max_ms=int(f["max"]) / 1000,
            )
    raise ValueError(f"no BENCH line in wrk's output:\n{output}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 60.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


def load_wrk(url: str, clients: int, seconds: float, script: Path) -> Load:
    cmd = ["wrk", f"-t{min(THREADS, clients)}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
           "-s", str(script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30, check=True).stdout
    return parse_wrk(out)


async def _load_python(url: str, clients: int, seconds: float) -> Load:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop and len(latencies) < MAX_REQUESTS:
                t0 = time.perf_counter()
                r = await client.get(url)
                if r.status_code != 200:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(clients)])
        wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    return Load(len(latencies), wall, errors, q[49] * 1000, q[89] * 1000, q[98] * 1000, max(latencies) * 1000)


def load_python(url: str, clients: int, seconds: float) -> Load:
    return asyncio.run(_load_python(url, clients, seconds))


def report(name: str, r: Load, load_before: float) -> None:
    print(f"{name:<28} {r.requests:>6} requests in {r.seconds:5.1f} s = {r.rps:7.1f} req/s; "
          f"p50 {r.p50_ms:6.1f} ms, p90 {r.p90_ms:6.1f} ms, p99 {r.p99_ms:6.1f} ms, max {r.max_ms:6.1f} ms; "
          f"errors {r.errors}; load average before {load_before:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=SECONDS, help="load per server, at most 10 s")
    ap.add_argument("--clients", type=int, default=CLIENTS)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers of each server (the same for both)")
    ap.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--loop", choices=["serve", "uvloop", "asyncio"], default="serve",
                    help="uvicorn's event loop of both servers; serve: as `truce serve` (asyncio for one worker, "
                         "uvloop for several)")
    ap.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite",
                    help="the database both servers read (postgresql: a throwaway server, for information)")
    args = ap.parse_args()
    seconds = min(args.seconds, SECONDS)
    loop = args.loop if args.loop != "serve" else ("asyncio" if args.workers == 1 else "uvloop")
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk") is not None)
    if args.client == "wrk" and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    from truce.app import Truce
    from truce.demo import build_demo

    tmp = Path(tempfile.mkdtemp(prefix="truce-bench-api-"))
    db = tmp / "truce.db"
    url = f"sqlite:///{db}"
    os.environ["TRUCE_BLOB_DIR"] = str(tmp / "blobs")
    pg_server: Any = None
    sql, plain_sql = PUBLIC_SQL, PLAIN_SQL
    if args.engine == "postgresql":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.conftest import LocalPgServer  # the tests' throwaway server

        pg_server = LocalPgServer()
        atexit.register(pg_server.stop)  # also when the set-up fails
        pg_server.start()
        url = pg_server.create_db("truce_bench_api")
        sql, plain_sql = pg_sql(PUBLIC_SQL), pg_sql(PLAIN_SQL)
    cwd = os.getcwd()
    os.chdir(tmp)  # the demo writes its password file in the working directory
    try:
        t0 = time.perf_counter()
        build_demo(Truce(url), seed=2017)
        print(f"setup: demo database ({time.perf_counter() - t0:.1f} s)")
    finally:
        os.chdir(cwd)
    (tmp / "bench_bare_app.py").write_text(BARE_APP)
    script = tmp / "bench.lua"
    script.write_text(WRK_LUA)
    env = {**os.environ, "TRUCE_DATABASE_URL": url, "BENCH_DB": str(db),
           "BENCH_SQL": sql, "BENCH_PLAIN_SQL": plain_sql,
           **({"BENCH_PG": url.replace("postgresql+psycopg://", "postgresql://")} if pg_server else {}),
           "PYTHONPATH": os.pathsep.join([str(tmp), os.environ.get("PYTHONPATH", "")])}
    ports = free_port(), free_port()
    w = str(args.workers)
    apps = (("truce.web.app:create_app", ports[0], "1"), ("bench_bare_app:app", ports[1], "0"))
    procs = [
        subprocess.Popen([sys.executable, "-c", SERVE, target, str(port), w, factory, loop], env=env)
        for target, port, factory in apps
    ]
    try:
        truce_url = f"http://127.0.0.1:{ports[0]}/api/v1/incidents?limit=50"
        bare_url = f"http://127.0.0.1:{ports[1]}/incidents"
        wait_up(truce_url)
        wait_up(bare_url)
        a = httpx.get(truce_url).json()["incidents"]
        b = httpx.get(bare_url).json()["incidents"]
        assert len(a) == 50 and a == b, "the two endpoints must return the same 50 rows with the same fields"
        plain_ids = [i["id"] for i in httpx.get(bare_url + "/plain").json()["incidents"]]
        assert plain_ids == [i["id"] for i in a], "the plain endpoint must return the same 50 incidents"

        def run(url: str, secs: float) -> Load:
            if use_wrk:
                return load_wrk(url, args.clients, secs, script)
            return load_python(url, args.clients, secs)

        extras = ", ".join(f"{m} {'installed' if importlib.util.find_spec(m) else 'NOT installed'}"
                           for m in ("uvloop", "httptools"))
        print(f"database: {args.engine}")
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"servers: uvicorn, {args.workers} worker(s) each, loop {loop}, http auto ({extras})")
        print(f"client: {'wrk, ' + str(min(THREADS, args.clients)) + ' threads' if use_wrk else 'Python (httpx)'}, "
              f"{args.clients} connections, {WARMUP_SECONDS:.0f} s warm-up, then at most {seconds:.0f} s each")
        run(bare_url, WARMUP_SECONDS)
        load_bare = os.getloadavg()[0]
        bare = run(bare_url, seconds)
        report("bare FastAPI (async+orjson)", bare, load_bare)
        run(bare_url + "/plain", WARMUP_SECONDS)
        load_plain = os.getloadavg()[0]
        plain = run(bare_url + "/plain", seconds)
        report("bare, 17 columns only", plain, load_plain)
        run(truce_url, WARMUP_SECONDS)
        load_truce = os.getloadavg()[0]
        truce = run(truce_url, seconds)
        report("Truce /api/v1/incidents", truce, load_truce)
        ratio = truce.rps / bare.rps
        print(f"ratio Truce/bare = {ratio:.2f} (target ≥ 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); "
              f"Truce p99 {truce.p99_ms:.1f} ms (target < 100 ms: {'met' if truce.p99_ms < 100 else 'MISSED'}); "
              f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"for information, Truce / the bare 17-column endpoint (no zones or report counts): "
              f"{truce.rps / plain.rps:.2f}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
        if pg_server is not None:
            pg_server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
