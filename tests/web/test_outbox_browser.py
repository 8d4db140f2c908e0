"""The field outbox in a real browser (Debian's Chromium through Playwright): reports filed offline are kept
in the browser's IndexedDB, survive a reload and a closed tab, go when the connection returns, each
exactly once; a report the server refuses stays in the outbox with its reason; a resend after a lost
answer files one report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.web import test_browser
from tests.web.test_browser import PHONE, Watch, live_server, shot, sign_in

from truce.app import Truce
from truce.ledger.models import ledger_entries as ledger
from truce.ledger.service import verify
from truce.reports.models import reports

server = test_browser.server  # the live server fixture (uvicorn in a thread over the seeded world, SQLite)
N = 50
WAITING = "#outbox-list li[data-state='waiting']"


@pytest.fixture
def any_server(world_any: tuple[str, dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The live server over the seeded world on SQLite and on PostgreSQL."""
    url, w = world_any
    with live_server(url) as base:
        yield base, url, w


def counts(url: str) -> tuple[int, int]:
    with Truce(url).read() as conn:
        n_reports = conn.execute(select(func.count()).select_from(reports)).scalar_one()
        n_entries = conn.execute(
            select(func.count()).select_from(ledger).where(ledger.c.command == "report.submit")
        ).scalar_one()
    return int(n_reports), int(n_entries)


def submitted_ids(url: str) -> list[str]:
    """The report id of every `report.submit` ledger entry."""
    with Truce(url).read() as conn:
        rows = conn.execute(select(ledger.c.payload).where(ledger.c.command == "report.submit")).all()
    out = []
    for (payload,) in rows:
        p = json.loads(payload) if isinstance(payload, str | bytes) else payload
        out.append(p["report"]["id"])
    return out


def open_report_page(context: Any, base: str, watch: Watch) -> Any:
    page = watch.attach(context.new_page())
    page.goto(f"{base}/report")
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    return page


def file_report(page: Any, k: int, *, place: str | None = None) -> str:
    """Fill the form and press Send; returns the report's client UUID once the outbox holds it."""
    cid = page.input_value("input[name=client_id]")
    page.fill("input[name=occurred_at]", f"2017-10-{1 + k % 28:02d}T{k % 24:02d}:15")
    page.select_option("select[name=violation_type]", "shelling" if k % 2 else "sniper_fire")
    if place is None:
        page.fill("input[name=lat]", f"{35.5 + k * 0.01:.4f}")
        page.fill("input[name=lon]", f"{36.2 + k * 0.01:.4f}")
    else:
        page.fill("input[name=place_name]", place)
    page.fill("textarea[name=narrative]", f"outbox report {k}")
    page.click("#send")
    page.wait_for_selector(f"#report-result[data-queued='{cid}']", state="attached")
    page.wait_for_function("cid => document.querySelector('input[name=client_id]').value !== cid", arg=cid)
    return cid


def wait_count(page: Any, selector: str, n: int, timeout: float = 30000) -> None:
    page.wait_for_function("([s, n]) => document.querySelectorAll(s).length === n", arg=[selector, n],
                           timeout=timeout)


def until(page: Any, cond: Any, tries: int = 300) -> None:
    """Let the page run (and Playwright serve its routes) until cond() holds."""
    for _ in range(tries):
        if cond():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never reached the expected state")


def waiting_ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(WAITING, "els => els.map(e => e.getAttribute('data-id'))")


def test_fifty_reports_filed_offline_arrive_each_exactly_once(browser, any_server):
    base, url, _w = any_server
    watch = Watch()
    before_reports, before_entries = counts(url)
    phone = browser.new_context(**PHONE)
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")

    # --- offline: fifty reports go into the outbox, nothing reaches the server -------------------------
    phone.set_offline(True)
    ids = [file_report(page, k) for k in range(N)]
    assert len(set(ids)) == N
    wait_count(page, WAITING, N)
    assert page.inner_text("#outbox-badge") == str(N)
    assert counts(url) == (before_reports, before_entries)

    # --- the server is reachable for pages but no report gets through (the link drops every POST):
    #     reload, then close the tab and open another: the outbox is read back from IndexedDB -----------
    cut: list[str] = []

    def drop_posts(route: Any) -> None:
        if route.request.method == "POST":
            cut.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    phone.route("**/report", drop_posts)
    phone.set_offline(False)
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    wait_count(page, WAITING, N)
    assert sorted(waiting_ids(page)) == sorted(ids)
    page.close()
    page = open_report_page(phone, base, watch)
    wait_count(page, WAITING, N)
    assert sorted(waiting_ids(page)) == sorted(ids)
    assert page.inner_text("#outbox-badge") == str(N)
    assert counts(url) == (before_reports, before_entries), "a dropped POST must not file anything"

    # --- a 51st report the server will refuse: its place name resolves to nowhere ----------------------
    phone.set_offline(True)
    bad = file_report(page, N, place="Qaryat al-Ghaib al-Mafquda")
    wait_count(page, WAITING, N + 1)

    # --- back online: the online event sends the outbox, one at a time --------------------------------
    phone.unroute("**/report")
    phone.set_offline(False)
    wait_count(page, "#outbox-list li[data-state='sent']", N, timeout=120000)
    refused = page.locator(f"#outbox-list li[data-state='refused'][data-id='{bad}']")
    refused.wait_for(timeout=30000)
    assert "place_name" in refused.inner_text() and "resolves to no known place" in refused.inner_text()
    assert page.locator(WAITING).count() == 0
    assert page.inner_text("#outbox-badge") == "1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the outbox must fit a 360-px screen"
    page.locator("#outbox").scroll_into_view_if_needed()
    shot(page, "report-outbox-phone")

    # exactly once each: fifty reports, fifty ledger entries, every UUID once, the refused one absent
    assert counts(url) == (before_reports + N, before_entries + N)
    sent = submitted_ids(url)
    assert all(sent.count(i) == 1 for i in ids) and bad not in sent
    with Truce(url).read() as conn:
        stored = {r for (r,) in conn.execute(select(reports.c.id).where(reports.c.id.in_(ids))).all()}
    assert stored == set(ids)

    # --- the refused report stays refused after a reload; Edit puts it back in the form, fixed it goes --
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    refused = page.locator(f"#outbox-list li[data-state='refused'][data-id='{bad}']")
    assert refused.count() == 1 and "resolves to no known place" in refused.inner_text()
    refused.locator("button.edit").click()
    page.wait_for_function("id => document.querySelector('input[name=client_id]').value === id", arg=bad)
    assert page.input_value("input[name=place_name]") == "Qaryat al-Ghaib al-Mafquda"
    assert page.input_value("textarea[name=narrative]") == f"outbox report {N}"
    page.fill("input[name=place_name]", "")
    page.fill("input[name=lat]", "35.9034")
    page.fill("input[name=lon]", "36.7235")
    page.click("#send")
    page.locator(f"#outbox-list li[data-state='sent'][data-id='{bad}']").wait_for(timeout=30000)
    assert page.locator("#outbox-list li[data-state='refused']").count() == 0
    assert page.locator("#outbox-badge").is_hidden()
    assert counts(url) == (before_reports + N + 1, before_entries + N + 1)

    # --- Discard: a refused report leaves the outbox and nothing is filed ----------------------------------
    phone.set_offline(True)
    gone = file_report(page, N + 1, place="Qaryat al-Ghaib al-Mafquda")
    phone.set_offline(False)
    refused = page.locator(f"#outbox-list li[data-state='refused'][data-id='{gone}']")
    refused.wait_for(timeout=30000)
    refused.locator("button.discard").click()
    wait_count(page, f"#outbox-list li[data-id='{gone}']", 0)
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    assert page.locator(f"#outbox-list li[data-id='{gone}']").count() == 0
    phone.close()

    assert len(cut) >= 1, "the page should have tried to send while the link dropped POSTs"
    assert counts(url) == (before_reports + N + 1, before_entries + N + 1)
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Refused to" in e], watch.errors
    assert verify(Truce(url)).ok


def test_a_resend_after_a_lost_answer_files_one_report(browser, server):
    base, url, _w = server
    watch = Watch()
    before_reports, before_entries = counts(url)
    phone = browser.new_context(**PHONE)
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    answers: list[int] = []

    def lose_first_answer(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        if not answers:
            resp = route.fetch()  # the server receives the report and answers...
            answers.append(resp.status)
            route.abort("connectionreset")  # ...but the answer never reaches the phone
            return
        if len(answers) == 1:  # the server is overloaded on the second try: nothing reaches it
            answers.append(503)
            route.fulfill(status=503, content_type="application/json",
                          body=json.dumps({"status": 503, "code": "unavailable", "message": "overloaded"}))
            return
        resp = route.fetch()
        answers.append(resp.status)
        route.fulfill(response=resp)

    phone.route("**/report", lose_first_answer)
    cid = file_report(page, 7)
    # the first try is filed on the server but looks like a network error: the report waits again
    page.locator(f"#outbox-list li[data-state='waiting'][data-id='{cid}']").wait_for(timeout=30000)
    assert answers == [201]
    page.click("#outbox-send")  # answered 503: it waits again, a later try is announced
    until(page, lambda: len(answers) == 2)
    page.locator(f"#outbox-list li[data-state='waiting'][data-id='{cid}']").wait_for(timeout=30000)
    assert answers == [201, 503]
    page.click("#outbox-send")
    page.locator(f"#outbox-list li[data-state='sent'][data-id='{cid}']").wait_for(timeout=30000)
    assert answers == [201, 503, 200]  # the resend is recognised by its UUID: a duplicate, nothing new filed
    assert page.locator(f"#outbox-list li[data-state='sent'][data-id='{cid}']").inner_text().find("already") >= 0
    assert page.get_attribute("#report-result", "data-report-id") == cid
    assert page.locator("#report-result.ok").count() == 1
    phone.close()

    assert counts(url) == (before_reports + 1, before_entries + 1)
    assert submitted_ids(url).count(cid) == 1
    assert verify(Truce(url)).ok


def test_signed_out_the_outbox_waits_and_goes_after_signing_in_again(browser, server):
    base, url, _w = server
    watch = Watch()
    before = counts(url)
    phone = browser.new_context(**PHONE)
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    phone.set_offline(True)
    cid = file_report(page, 3)
    # back online the link still drops every report POST, while the session ends in another tab
    phone.route("**/report", lambda route: route.abort("internetdisconnected") if route.request.method == "POST"
                else route.continue_())
    other = watch.attach(phone.new_page())
    phone.set_offline(False)
    other.goto(f"{base}/incidents")
    other.click("form[action='/logout'] button[type=submit]")
    other.wait_for_selector("a.signin")
    other.close()
    phone.unroute("**/report")
    page.click("#outbox-send")
    page.wait_for_function("() => document.querySelector('#outbox-status').classList.contains('error')")
    assert page.locator(f"#outbox-list li[data-state='waiting'][data-id='{cid}']").count() == 1
    assert counts(url) == before
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.locator(f"#outbox-list li[data-state='sent'][data-id='{cid}']").wait_for(timeout=30000)
    phone.close()
    assert counts(url) == (before[0] + 1, before[1] + 1)


def test_without_javascript_the_plain_form_posts(browser, server):
    base, url, _w = server
    watch = Watch()
    before = counts(url)
    ctx = browser.new_context(java_script_enabled=False, **PHONE)
    page = sign_in(ctx, base, "rus_monitor", watch, "/report")
    assert page.locator("#outbox").is_hidden()
    cid = page.input_value("input[name=client_id]")
    page.fill("input[name=occurred_at]", "2017-10-03T06:00")
    page.select_option("select[name=violation_type]", "shelling")
    page.fill("input[name=lat]", "35.9034")
    page.fill("input[name=lon]", "36.7235")
    page.click("#send")
    page.wait_for_selector("#report-id")
    assert page.inner_text("#report-id") == cid
    ctx.close()
    assert counts(url) == (before[0] + 1, before[1] + 1)


def worker_ready(page: Any) -> None:
    """Wait until the service worker (/sw.js) is active and controls the page (its caches are filled on install)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("() => !!navigator.serviceWorker.controller")


def test_the_report_page_opens_offline_and_its_reports_go_once(browser, server):
    base, url, _w = server
    watch = Watch()
    before = counts(url)
    phone = browser.new_context(service_workers="allow", **PHONE)
    page = sign_in(phone, base, "rus_monitor", watch, "/report")
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    worker_ready(page)
    sw = page.request.get(f"{base}/sw.js")
    assert sw.headers["content-type"].startswith("text/javascript") and sw.headers["cache-control"] == "no-cache"
    assert "worker-src 'self'" in sw.headers["content-security-policy"]

    # --- fully offline: a reload renders the form from the worker's cache, with the map's files -------------
    phone.set_offline(True)
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    assert page.locator("#report-form").is_visible() and page.locator(".who[data-user='rus_monitor']").count() == 1
    assert page.evaluate("typeof L") == "object", "Leaflet must come from the cache"
    first_id = page.input_value("input[name=client_id]")
    ids = [file_report(page, k) for k in range(3)]
    assert len(set(ids)) == 3
    wait_count(page, WAITING, 3)

    # a second offline reload shows the same cached page: its report id is made anew, never reused
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    wait_count(page, WAITING, 3)
    assert page.input_value("input[name=client_id]") not in ids + [first_id]

    # --- the tab closed and a new one opened on /report, still offline: the page and the 3 reports show ------
    page.close()
    page = open_report_page(phone, base, watch)
    wait_count(page, WAITING, 3)
    assert sorted(waiting_ids(page)) == sorted(ids)
    assert page.inner_text("#outbox-badge") == "3"
    assert counts(url) == before

    # other pages are network only: no stale copy offline
    other = watch.attach(phone.new_page())
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED|ERR_FAILED|chrome-error"):
        other.goto(f"{base}/incidents")
    other.close()

    # --- back online: the three arrive, each exactly once ----------------------------------------------------
    phone.set_offline(False)
    wait_count(page, "#outbox-list li[data-state='sent']", 3, timeout=60000)
    assert counts(url) == (before[0] + 3, before[1] + 3)
    sent = submitted_ids(url)
    assert all(sent.count(i) == 1 for i in ids)
    page.reload()
    page.wait_for_selector("#outbox[data-ready='1']", state="attached")
    assert page.locator(WAITING).count() == 0
    assert counts(url) == (before[0] + 3, before[1] + 3)

    # --- sign out: offline, /report no longer shows this user's page (name, CSRF token) ---------------------
    page.click("form[action='/logout'] button[type=submit]")
    page.wait_for_selector("a.signin")
    phone.set_offline(True)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED|ERR_FAILED|chrome-error"):
        page.goto(f"{base}/report")
    page.wait_for_load_state()
    assert page.locator("#report-form").count() == 0 and page.locator(".who[data-user='rus_monitor']").count() == 0
    phone.set_offline(False)
    page.goto(f"{base}/")
    cached = page.evaluate("caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k).then("
                           "c => c.match('/report'))))).then(rs => rs.filter(Boolean).length)")
    assert cached == 0
    phone.close()
    assert not [e for e in watch.errors if "Content Security Policy" in e or "Refused to" in e], watch.errors
    assert verify(Truce(url)).ok
