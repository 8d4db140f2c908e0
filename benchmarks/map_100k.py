"""How the map copes with 100,000 incidents: time to fetch the compact points and to cluster them
all in Debian's Chromium (headless), and the time of zooming in and out once they are loaded.

Run: .venv/bin/python benchmarks/map_100k.py [N]   (default 100000; needs /usr/bin/chromium)

The synthetic incidents are written straight into a scratch SQLite database (no ledger: this
measures the map, not intake), spread over the four zones' area with random verdicts."""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import insert

from truce.api.deps import SESSION_COOKIE
from truce.app import Truce
from truce.auth.credentials import start_session
from truce.incidents.models import VERDICTS, incidents
from truce.ledger.chain import SYSTEM
from truce.web.app import create_app

ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build(url: str, n: int) -> None:
    app = Truce(url)
    rng = random.Random(100_000)
    rows = []
    for i in range(1, n + 1):
        rows.append(
            {
                "id": i,
                "occurred_at": f"2017-{rng.randint(5, 12):02d}-{rng.randint(1, 28):02d}T12:00:00Z",
                "occurred_precision": "day",
                "lat": round(rng.uniform(32.6, 36.6), 5),
                "lon": round(rng.uniform(35.9, 38.2), 5),
                "location_precision": "exact",
                "violation_type": "shelling",
                "status": "open",
                "verdict": rng.choice(VERDICTS),
                "simulated": True,
                "title": "synthetic",
                "created_at": "2026-01-01T00:00:00Z",
                "ledger_seq": 0,
            }
        )
    with app.write() as conn:
        for k in range(0, n, 10_000):
            conn.execute(insert(incidents), rows[k : k + 10_000])


def main() -> None:
    from playwright.sync_api import sync_playwright

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    tmp = Path(tempfile.mkdtemp(prefix="truce-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    t0 = time.perf_counter()
    build(url, n)
    print(f"{n} synthetic incidents written in {time.perf_counter() - t0:.1f} s")
    app = Truce(url)
    with app.write() as conn:
        sid, _ = start_session(conn, SYSTEM)
    srv = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=0, log_level="warning"))
    port_holder: list[int] = []

    def run() -> None:
        srv.run()

    th = threading.Thread(target=run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.05)
    port = srv.servers[0].sockets[0].getsockname()[1]
    port_holder.append(port)
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ctx = b.new_context(viewport={"width": 1280, "height": 820})
        ctx.add_cookies([{"name": SESSION_COOKIE, "value": sid, "url": base}])
        page = ctx.new_page()
        page.on("console", lambda msg: print("console:", msg.text) if msg.type == "error" else None)
        t = time.perf_counter()
        page.goto(f"{base}/")
        page.wait_for_selector("#map[data-loaded]", timeout=300_000)
        wall = time.perf_counter() - t
        stats = page.evaluate("window.truceMap")
        zoom = page.evaluate(
            """() => new Promise(resolve => {
                 const m = window.truceLeaflet; const t = performance.now(); let left = 4;
                 const step = () => { if (--left === 0) { resolve(performance.now() - t); return; }
                                      m.once('zoomend', () => setTimeout(step, 0));
                                      m.setZoom(left % 2 ? 9 : 7, {animate: false}); };
                 m.once('zoomend', () => setTimeout(step, 0)); m.setZoom(8, {animate: false});
               })"""
        )
        b.close()
    srv.should_exit = True
    print(
        f"map with {stats['points']} incidents: points fetched in {stats['fetchMs']} ms, all clustered after "
        f"{stats['totalMs']} ms (page load to last marker {wall:.1f} s); 4 zoom changes in {zoom:.0f} ms"
    )


if __name__ == "__main__":
    main()
