"""Writers and readers at once against a real server, on each engine: 0 lost, 0 duplicated, 0 server errors.
`make test` runs a short form (8 writers, 8 readers, a few seconds); `make soak` the long one
(TRUCE_SOAK_SECONDS=60: 32 writers and 32 readers for 60 s), printing throughput and p99 latency
(recorded in benchmarks/README.md)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from tests.serving import (
    MONITORS,
    Server,
    Tally,
    report_body,
    stored_report_entries,
    submit_until_answered,
    verify_ledger,
)

SOAK_SECONDS = int(os.environ.get("TRUCE_SOAK_SECONDS") or 0)
SECONDS, WRITERS, READERS = (SOAK_SECONDS, 32, 32) if SOAK_SECONDS else (6, 8, 8)


def _p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else 0.0


def test_writers_and_readers(world_any: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, w = world_any
    engine = url.split(":", 1)[0].split("+")[0]
    writes, reads = Tally(), Tally()
    wlat: list[float] = []
    rlat: list[float] = []
    lock = threading.Lock()
    with Server(url, tmp_path / "serve.log") as srv:
        stop_at = time.monotonic() + SECONDS

        def writer(k: int) -> None:
            mine, lat = Tally(), []
            token = w["tokens"][MONITORS[k % len(MONITORS)]]
            with httpx.Client(timeout=60) as c:
                j = 0
                while time.monotonic() < stop_at:
                    t0 = time.perf_counter()
                    submit_until_answered(c, srv.base, token, report_body(10_000 + k * 100_000 + j), mine,
                                          time.monotonic() + 120)
                    lat.append(time.perf_counter() - t0)
                    j += 1
            with lock:
                writes.merge(mine)
                wlat.extend(lat)

        def reader(k: int) -> None:
            mine, lat = Tally(), []
            h = {"Authorization": f"Bearer {w['tokens']['rus_verifier']}"} if k % 2 else {}
            with httpx.Client(timeout=60) as c:
                while time.monotonic() < stop_at:
                    t0 = time.perf_counter()
                    r = c.get(srv.base + "/api/v1/incidents", params={"limit": 50}, headers=h)
                    lat.append(time.perf_counter() - t0)
                    mine.count(r.status_code)
                    if r.status_code >= 500:
                        mine.errors.append(r.text[:200])
            with lock:
                reads.merge(mine)
                rlat.extend(lat)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(WRITERS)]
        threads += [threading.Thread(target=reader, args=(k,)) for k in range(READERS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
    print(f"\nsoak {engine}: {WRITERS} writers + {READERS} readers for {SECONDS} s: "
          f"{len(writes.created)} reports written ({len(writes.created) / elapsed:.1f}/s, "
          f"p99 {_p99(wlat) * 1e3:.0f} ms), "
          f"{sum(reads.statuses.values())} list pages read ({sum(reads.statuses.values()) / elapsed:.1f}/s, "
          f"p99 {_p99(rlat) * 1e3:.0f} ms); statuses {writes.statuses} / {reads.statuses}")
    assert writes.server_errors == 0 and reads.server_errors == 0, (writes.errors + reads.errors)[:5]
    assert writes.errors == [] and set(reads.statuses) == {200}
    assert writes.acked == writes.created and writes.created, "every write answered, none a duplicate"
    stored = stored_report_entries(url)
    assert all(stored.get(rid) == 1 for rid in writes.created), "0 lost, 0 duplicated"
    assert verify_ledger(url) == []
