"""The incident list API under load: Truce's `GET /api/v1/incidents` (50 rows a page) against a bare
FastAPI endpoint returning the same 50 rows from the same SQLite database, in the same run.

Both servers run under uvicorn (one worker each, in their own process) on 127.0.0.1; a Python
asyncio client keeps 32 requests in flight for at most 10 s per server (and at most 20,000
requests). Prints requests/s and latency percentiles of each and the ratio.
Target: Truce ≥ half the bare endpoint's requests/s, p99 < 100 ms.

Usage: python benchmarks/bench_api.py [--seconds 10] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CLIENTS = 32
SECONDS = 10.0
MAX_REQUESTS = 20_000
PUBLIC_SQL = """
SELECT id, occurred_at, occurred_precision, violation_type, alleged_party_id, alleged_party_text, place_name,
       adm1_pcode, adm2_pcode, adm3_pcode, lat, lon, location_precision, status, verdict, simulated, title
FROM incidents i
WHERE i.status != 'merged' AND (i.verdict = 'verified' OR EXISTS (
    SELECT 1 FROM incident_reports ir JOIN reports r ON r.id = ir.report_id
    WHERE ir.incident_id = i.id AND r.visibility = 'public'))
ORDER BY occurred_at DESC, id DESC LIMIT 50
"""

BARE_APP = '''
import sqlite3, sys
import orjson
from fastapi import FastAPI
from fastapi.responses import Response
import uvicorn
path, port, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = FastAPI()
con = sqlite3.connect(path, check_same_thread=False)
con.row_factory = sqlite3.Row
@app.get("/incidents")
async def incidents():
    rows = [dict(r) for r in con.execute(sql)]
    return Response(orjson.dumps({"incidents": rows}), media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
'''

TRUCE_APP = '''
import sys
import uvicorn
from truce.web.app import create_app
url, port = sys.argv[1], int(sys.argv[2])
uvicorn.run(create_app(url), host="127.0.0.1", port=port, log_level="warning")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 30.0) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not come up")


async def load(url: str, clients: int, seconds: float) -> tuple[int, list[float], float]:
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
    return errors, latencies, wall


def report(name: str, errors: int, lat: list[float], wall: float) -> float:
    rps = len(lat) / wall
    q = statistics.quantiles(lat, n=100)
    print(f"{name:<28} {len(lat):>6} requests in {wall:5.1f} s = {rps:7.1f} req/s; "
          f"p50 {q[49] * 1000:6.1f} ms, p99 {q[98] * 1000:6.1f} ms; errors {errors}")
    return rps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=SECONDS)
    ap.add_argument("--clients", type=int, default=CLIENTS)
    args = ap.parse_args()
    from truce.app import Truce
    from truce.demo import build_demo

    tmp = Path(tempfile.mkdtemp(prefix="truce-bench-api-"))
    db = tmp / "truce.db"
    url = f"sqlite:///{db}"
    os.environ["TRUCE_BLOB_DIR"] = str(tmp / "blobs")
    cwd = os.getcwd()
    os.chdir(tmp)  # the demo writes its password file in the working directory
    try:
        t0 = time.perf_counter()
        build_demo(Truce(url), seed=2017)
        print(f"setup: demo database ({time.perf_counter() - t0:.1f} s)")
    finally:
        os.chdir(cwd)
    ports = free_port(), free_port()
    procs = [
        subprocess.Popen([sys.executable, "-c", TRUCE_APP, url, str(ports[0])]),
        subprocess.Popen([sys.executable, "-c", BARE_APP, str(db), str(ports[1]), PUBLIC_SQL]),
    ]
    try:
        truce_url = f"http://127.0.0.1:{ports[0]}/api/v1/incidents?limit=50"
        bare_url = f"http://127.0.0.1:{ports[1]}/incidents"
        wait_up(truce_url)
        wait_up(bare_url)
        a = [i["id"] for i in httpx.get(truce_url).json()["incidents"]]
        b = [i["id"] for i in httpx.get(bare_url).json()["incidents"]]
        assert a == b, "the two endpoints must return the same 50 rows"
        print(f"machine: {os.cpu_count()} cores; {args.clients} clients, at most {args.seconds:.0f} s each")
        bare = report("bare FastAPI (async+orjson)", *asyncio.run(load(bare_url, args.clients, args.seconds)))
        e, lat, wall = asyncio.run(load(truce_url, args.clients, args.seconds))
        truce = report("Truce /api/v1/incidents", e, lat, wall)
        p99 = statistics.quantiles(lat, n=100)[98] * 1000
        ratio = truce / bare
        print(f"ratio Truce/bare = {ratio:.2f} (target ≥ 0.50: {'met' if ratio >= 0.5 else 'MISSED'}); "
              f"Truce p99 {p99:.1f} ms (target < 100 ms: {'met' if p99 < 100 else 'MISSED'})")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
