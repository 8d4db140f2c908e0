"""A mirror catching up on N ledger entries over HTTP, against a local `truce ledger verify` of the same
database, measured side by side in one run.

    .venv/bin/python benchmarks/bench_mirror.py [--entries 100000]

The host is a SQLite database of N entries (organisations added: light appliers, so that the per-entry work
of the ledger itself — hash checks, the Merkle tree, the replay — dominates, the hardest case for the ratio),
served by uvicorn in its own process. `verify` checks the chain, replays it into a scratch SQLite database and
compares every table; the mirror pulls the entries over HTTP (batches of 1,000), checks each hash and link,
replays them into its own SQLite database and checks the host's signed checkpoint when it serves one.
Target: the mirror's rate (entries per second) at least 80 % of verify's."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from truce.app import Truce  # noqa: E402
from truce.auth import service as auth  # noqa: E402
from truce.auth.credentials import create_token  # noqa: E402
from truce.ledger import signing  # noqa: E402
from truce.ledger.chain import SYSTEM  # noqa: E402
from truce.ledger.service import verify  # noqa: E402
from truce.mirror import service as mirror  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(app: Truce, n: int) -> str:
    with app.write() as conn:
        auth.add_org(app, conn, SYSTEM, "GUARANTOR", "A guarantor's office", "guarantor_office")
        auth.add_user(app, conn, SYSTEM, "g_verifier", "GUARANTOR", "verifier")
        token = str(create_token(app, conn, SYSTEM, "g_verifier")["token"])
    done = 3
    while done < n:
        with app.write() as conn:
            for _ in range(min(5000, n - done)):
                done += 1
                auth.add_org(app, conn, SYSTEM, f"ORG{done}", f"Organisation {done}", "observer")
        print(f"  built {done} entries", file=sys.stderr)
    with app.write() as conn:  # the log signs a checkpoint of it all, which the mirror verifies
        signing.make_checkpoint(app, conn)
    return token


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="truce-bench-mirror-"))
    host_url = f"sqlite:///{tmp / 'host.db'}"
    host = Truce(host_url, blob_dir=str(tmp / "host-blobs"))
    t0 = time.perf_counter()
    token = build(host, args.entries)
    print(f"host: {args.entries} entries built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    port = free_port()
    env = {**os.environ, "TRUCE_DATABASE_URL": host_url, "TRUCE_BLOB_DIR": str(tmp / "host-blobs")}
    srv = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "truce.web.app:create_app", "--port", str(port),
         "--log-level", "warning"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        t0 = time.perf_counter()
        res = verify(host)
        t_verify = time.perf_counter() - t0
        assert res.ok, res.problems
        m = Truce(f"sqlite:///{tmp / 'mirror.db'}", blob_dir=str(tmp / "mirror-blobs"))
        mirror.start(m.engine, base)
        src = mirror.Source(base, token)
        t0 = time.perf_counter()
        out = mirror.pull(m, src)
        t_mirror = time.perf_counter() - t0
        assert out.alarm is None and out.head >= args.entries and out.checkpoint_size == out.head, out
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    n = args.entries
    rv, rm = n / t_verify, n / t_mirror
    print(f"entries: {n}")
    print(f"truce ledger verify (local): {t_verify:.1f} s = {rv:,.0f} entries/s")
    print(f"mirror catching up over HTTP: {t_mirror:.1f} s = {rm:,.0f} entries/s (checkpoint verified: "
          f"{'yes, size ' + str(out.checkpoint_size) if out.checkpoint_size else 'none served'})")
    print(f"ratio mirror / verify: {rm / rv:.2f} (target >= 0.80: {'met' if rm / rv >= 0.8 else 'NOT met'})")


if __name__ == "__main__":
    main()
