"""Take the README's screenshots (docs/screenshots/*.png) from the demo data.

Run: .venv/bin/python scripts/screenshots.py [DATABASE_URL]  (default: a fresh demo in a temp dir;
needs /usr/bin/chromium). The screenshots show, as a signed-in Russian verifier sees them and as of the demo's
clock (2017-12-31): the map; a verified incident with the guarantors' findings; the board of measures; the
story's Douma incident in Arabic; the register of parties; and the first page of a published bulletin's PDF as
Chromium's built-in PDF viewer shows it (headless, --headless=new)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from sqlalchemy import select

from truce.api.deps import SESSION_COOKIE
from truce.app import Truce
from truce.auth.credentials import start_session
from truce.auth.service import get_actor
from truce.clock import use_stored_clock
from truce.incidents.models import findings, incident_reports, incidents
from truce.reports.models import reports

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from truce.demo import build_demo
    from truce.web.app import create_app

    if len(sys.argv) > 1:
        url = sys.argv[1]
    else:
        tmp = Path(tempfile.mkdtemp(prefix="truce-shots-"))
        url = f"sqlite:///{tmp / 'demo.db'}"
        build_demo(Truce(url, blob_dir=str(tmp / "blobs")))
    app = Truce(url)
    os.environ.pop("TRUCE_TODAY", None)
    use_stored_clock(app)  # as `truce serve` runs the demo: as of the story's last day
    with app.write() as conn:
        sid, _ = start_session(conn, get_actor(conn, "rus_verifier"))
        iid = conn.execute(
            select(incidents.c.id)
            .where(incidents.c.verdict == "verified", incidents.c.id.in_(select(findings.c.incident_id)))
            .order_by(incidents.c.confidence.desc(), incidents.c.id)
            .limit(1)
        ).scalar()
        douma = conn.execute(
            select(incident_reports.c.incident_id)
            .join(reports, reports.c.id == incident_reports.c.report_id)
            .where(reports.c.narrative.contains("Douma market road"))
        ).scalar()
    srv = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{srv.servers[0].sockets[0].getsockname()[1]}"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        ctx = b.new_context(viewport={"width": 1200, "height": 760})
        ctx.add_cookies([{"name": SESSION_COOKIE, "value": sid, "url": base}])
        page = ctx.new_page()
        page.goto(f"{base}/?since=2017-05-06&until=2017-12-31")
        page.wait_for_selector("#map[data-loaded][data-zones][data-areas]", timeout=120_000)
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUT / "map.png"))
        if iid:
            page.set_viewport_size({"width": 1200, "height": 1100})
            page.goto(f"{base}/incidents/{iid}")
            page.screenshot(path=str(OUT / "incident.png"))
        page.set_viewport_size({"width": 1200, "height": 900})
        page.goto(f"{base}/board")
        page.screenshot(path=str(OUT / "board.png"))
        page.goto(f"{base}/parties")
        page.screenshot(path=str(OUT / "register.png"))
        if douma:
            page.set_viewport_size({"width": 1200, "height": 1000})
            page.goto(f"{base}/incidents/{douma}?lang=ar")
            page.screenshot(path=str(OUT / "incident-ar.png"))
        page.goto(f"{base}/parties?lang=en")
        page.set_viewport_size({"width": 900, "height": 1100})
        page.goto(f"{base}/bulletins/2017-12-08.pdf")  # the published PDF, in Chromium's own PDF viewer
        page.wait_for_timeout(3000)
        page.screenshot(path=str(OUT / "bulletin-pdf.png"))
        b.close()
    srv.should_exit = True
    print(f"wrote map, incident, board, register, incident-ar and bulletin-pdf PNGs to {OUT} (incident {iid})")


if __name__ == "__main__":
    main()
