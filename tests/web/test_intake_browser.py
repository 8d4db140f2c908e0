"""The intake review queue in a real browser (Debian's Chromium): a monitor accepts one candidate with a
corrected casualty count and rejects another."""

from __future__ import annotations

from tests.web.test_browser import DESKTOP, Watch, server, shot, sign_in  # noqa: F401 (fixtures)

from truce.app import Truce
from truce.auth.service import get_actor
from truce.intake import queries, service
from truce.ledger.service import verify
from truce.reports.queries import get_report

ARTICLES = [
    {"id": "b-1", "source": "wire", "title": "Shelling kills three in Saraqib", "published": "2017-10-03T10:00:00Z",
     "body": "Regime shelling on Saraqib in Idlib province killed three civilians on Monday, a monitor said."},
    {"id": "b-2", "source": "wire", "title": "Talks resume in Astana", "published": "2017-10-03T11:00:00Z",
     "body": "Delegations of the guarantors met in Astana to discuss the de-escalation areas."},
]


def test_a_monitor_accepts_one_candidate_with_a_correction_and_rejects_another(browser, server):  # noqa: F811
    base, url, _ = server
    app = Truce(url)
    items = [service.prepare(service.article_from(a, a["id"])) for a in ARTICLES]
    with app.write() as conn:
        accepted, rejected = service.add(app, conn, get_actor(conn, "rus_monitor"), items).added
    watch = Watch()
    ctx = browser.new_context(**DESKTOP)
    page = sign_in(ctx, base, "rus_monitor", watch, "/intake")
    assert page.locator("#candidates tr[data-candidate]").count() == 2
    shot(page, "intake-queue")
    page.locator(f"#candidates tr[data-candidate='{accepted}'] td a").first.click()
    page.wait_for_url(f"{base}/intake/{accepted}")
    assert "kills three" in page.inner_text("#extraction")  # the words each field came from
    assert page.input_value("#accept-form input[name=killed_civilian]") == "3"
    page.fill("#accept-form input[name=killed_civilian]", "4")
    page.fill("#accept-form input[name=killed]", "4")
    shot(page, "intake-candidate")
    page.click("#accept")
    page.wait_for_url(f"{base}/intake?done=accepted-{accepted}")
    assert page.locator(f"#candidates tr[data-candidate='{accepted}']").count() == 0
    page.goto(f"{base}/intake/{rejected}")
    page.fill("#reject-form input[name=reason]", "not an event: a report on the talks")
    page.click("#reject")
    page.wait_for_url(f"{base}/intake?done=rejected-{rejected}")
    assert page.locator("#candidates tr[data-candidate]").count() == 0
    page.goto(f"{base}/intake/{accepted}")
    assert "civilians killed 3 → 4" in page.inner_text("main")  # the field named in words
    ctx.close()
    assert not watch.errors, watch.errors
    with app.read() as conn:
        a, r = queries.get_candidate(conn, accepted), queries.get_candidate(conn, rejected)
        rep = get_report(conn, a["report_id"])
    assert a["status"] == "accepted" and a["edits"] == {"killed": [3, 4], "killed_civilian": [3, 4]}
    assert rep["source_kind"] == "media" and rep["killed_civilian"] == 4 and len(rep["evidence"]) == 1
    assert r["status"] == "rejected" and r["reason"] == "not an event: a report on the talks"
    assert verify(app).ok
