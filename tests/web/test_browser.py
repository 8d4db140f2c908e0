"""The web app in a real browser (Playwright driving Debian's Chromium, /usr/bin/chromium): a monitor
reports from a phone, losing the connection on the way; the Russian verifier sees it in the queue;
the three guarantors record findings; the verdict shows; the liaison replies; a signed-out visitor
sees only published data. Screenshots of the main pages go to tests/artifacts/."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from truce.app import Truce
from truce.auth import credentials
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "browser test passphrase 7"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 820}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(url: str) -> Iterator[str]:
    """The web app over `url` served by uvicorn in a thread, with the browser tests' users' passwords set;
    yields its base URL."""
    from truce.web.app import create_app

    app = Truce(url)
    with app.write() as conn:
        for name in ("rus_monitor", "rus_verifier", "tur_verifier", "irn_verifier", "syr_liaison"):
            credentials.set_password(app, conn, SYSTEM, name, PASSWORD)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off"))
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        t.join(timeout=10)


@pytest.fixture
def server(world) -> Iterator[tuple[str, str, dict[str, Any]]]:
    url, w = world
    with live_server(url) as base:
        yield base, url, w


class Watch:
    """Console errors (a CSP violation shows up there) of every page opened in a context."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def sign_in(context: Any, base: str, name: str, watch: Watch, nxt: str = "/") -> Any:
    page = watch.attach(context.new_page())
    page.goto(f"{base}/login?next={nxt}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}{nxt}*")
    assert page.locator(f".who[data-user='{name}']").count() == 1
    return page


def test_report_to_verdict_to_reply_in_a_browser(browser, server):
    base, url, w = server
    watch = Watch()

    # --- a monitor on a 360-px phone: pick the point on the map, lose the connection, send once ----
    phone = browser.new_context(**PHONE)
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.wait_for_selector("#pick-map.leaflet-container")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the form must fit a 360-px screen"
    page.fill("input[name=occurred_at]", "2017-10-02T07:30")
    page.select_option("select[name=occurred_precision]", "exact")
    page.fill("input[name=place_name]", "Sarmin")
    page.locator("#pick-map").click(position={"x": 150, "y": 110})
    assert page.input_value("input[name=lat]") and page.input_value("input[name=lon]")
    page.fill("input[name=lat]", "35.9034")
    page.fill("input[name=lon]", "36.7235")
    page.select_option("select[name=violation_type]", "shelling")
    page.fill("input[name=alleged_party]", "SYR")
    page.fill("input[name=killed]", "2")
    page.fill("textarea[name=narrative]", "Shells fell on the market at dawn.")
    page.set_input_files("input[name=evidence]", files=[{"name": "market.jpg", "mimeType": "image/jpeg",
                                                          "buffer": b"\xff\xd8 market photo"}])
    client_id = page.input_value("input[name=client_id]")
    shot(page, "report-form-phone")
    phone.set_offline(True)
    page.click("#send")
    page.wait_for_selector("#report-result[data-offline='1']")
    # the report waits in the outbox (with its evidence file); the form is ready for the next one
    page.wait_for_selector(f"#outbox-list li[data-state='waiting'][data-id='{client_id}']")
    assert page.input_value("input[name=client_id]") != client_id
    assert page.evaluate("localStorage.getItem('truce-report-draft')") is None
    phone.set_offline(False)  # back online: the outbox goes by itself
    page.wait_for_selector("#report-result.ok", timeout=15000)
    assert page.get_attribute("#report-result", "data-report-id") == client_id
    assert page.evaluate("localStorage.getItem('truce-report-draft')") is None
    incident = int(page.get_attribute("#sent-incident", "href").rsplit("/", 1)[1])
    shot(page, "report-sent-phone")
    phone.close()
    app = Truce(url)
    from truce.reports.queries import get_report

    with app.read() as conn:
        rep = get_report(conn, client_id)
    assert rep["incident_id"] == incident and len(rep["evidence"]) == 1

    # --- the Russian verifier's queue shows it; the three guarantors record findings ---------------
    desk = browser.new_context(**DESKTOP)
    page = sign_in(desk, base, "rus_verifier", watch, "/queue")
    page.goto(f"{base}/queue?simulated=0")
    row = page.locator(f"#new-reports tr[data-report='{client_id}']")
    assert row.count() == 1
    assert page.locator(f"#awaiting tr[data-incident='{incident}']").count() == 1
    shot(page, "queue-rus-verifier")
    row.locator("a").click()
    page.wait_for_url(f"{base}/incidents/{incident}")
    desk.close()
    for g, reason in (("rus_verifier", "site_visit"), ("tur_verifier", "imagery"), ("irn_verifier", "corroborated")):
        ctx = browser.new_context(**DESKTOP)
        page = sign_in(ctx, base, g, watch, f"/incidents/{incident}")
        page.select_option("#finding-form select[name=finding]", "confirmed")
        page.select_option("#finding-form select[name=reason]", reason)
        page.select_option("#finding-form select[name=party]", "SYR")
        page.fill("#finding-form textarea[name=note]", f"{g}: {reason}")
        page.click("#finding-form button[type=submit]")
        page.wait_for_selector("p.ok")
        assert page.locator(f"tr[data-guarantor='{g[:3].upper()}']").count() == 1
        if g != "irn_verifier":
            ctx.close()
    # the verdict shows: Russia's own finding does not count (its office alone reported it)
    assert page.inner_text("#verdict") == "verified" and page.inner_text("#attribution") == "SYR"
    page.set_viewport_size({"width": 1280, "height": 1400})
    shot(page, "incident-verified")
    ctx.close()

    # --- the liaison is notified and replies ---------------------------------------------------------
    ctx = browser.new_context(**DESKTOP)
    page = sign_in(ctx, base, "syr_liaison", watch, "/inbox")
    assert page.locator(f"a[href='/incidents/{incident}']").count() >= 1
    shot(page, "inbox-syr-liaison")
    page.locator(f"a[href='/incidents/{incident}']").first.click()
    page.fill("#reply-form textarea[name=text]", "Our artillery did not fire that morning.")
    page.select_option("#reply-form select[name=visibility]", "public")
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "Our artillery did not fire" in page.inner_text("section.reply")
    ctx.close()

    # --- a signed-out visitor sees only published data ------------------------------------------------
    ctx = browser.new_context(**DESKTOP)
    page = watch.attach(ctx.new_page())
    page.goto(f"{base}/")
    page.wait_for_selector("#map[data-loaded]", timeout=20000)
    shown = int(page.get_attribute("#map", "data-loaded"))
    with app.read() as conn:
        from truce.incidents.service import list_incidents

        published, n = list_incidents(conn, limit=0, viewer=None)
    assert shown == n and {i["verdict"] for i in published} == {"verified"}
    page.wait_for_selector("#map[data-zones][data-areas]")
    assert int(page.get_attribute("#map", "data-areas")) == 14  # the OCHA governorates: the offline base map
    assert int(page.get_attribute("#map", "data-zones")) >= 4
    shot(page, "map-public")
    page.goto(f"{base}/incidents/{incident}")
    assert page.inner_text("#verdict") == "verified"
    assert page.locator(f"section.report[data-report='{client_id}']").count() == 0  # guarantors' tier
    assert "Our artillery did not fire" in page.inner_text("section.reply")  # a public reply
    assert page.locator("#finding-form").count() == 0 and page.locator("#reply-form").count() == 0
    r = page.goto(f"{base}/incidents/{w['B']}")
    assert r is not None and r.status == 404  # pending: not published
    page.goto(f"{base}/incidents?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(page, "incidents-public-ar")
    r = page.goto(f"{base}/queue")
    assert page.url.startswith(f"{base}/login")
    ctx.close()

    csp = [e for e in watch.errors if "Content Security Policy" in e or "Refused" in e]
    assert not csp, csp
    assert not [e for e in watch.errors if "favicon" not in e and "404" not in e and "Failed to load" not in e], \
        watch.errors
    assert verify(app).ok
