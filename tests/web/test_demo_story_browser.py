"""The demo's story of 2017 in a real browser (Debian's Chromium through Playwright), served as `truce serve`
serves a demo database: as of the story's last day, taken from the database. The board shows proposed, approved
and breached measures; the register each truce status and eligibility outcome; /bulletins the published week
with three valid signatures each; an incident page its findings dated in 2017; the same pages in Arabic."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from tests.bulletins.test_bulletin import _build_sqlite, demo_root
from tests.web.test_browser import free_port, shot

from truce.api.deps import SESSION_COOKIE
from truce.app import Truce
from truce.auth.credentials import start_session
from truce.auth.service import get_actor
from truce.clock import use_stored_clock
from truce.demo_story import load_story
from truce.incidents.models import incident_reports
from truce.reports.models import reports
from truce.web.app import create_app

STORY = load_story()
WEEK = [f"2017-12-{d:02d}" for d in range(4, 11)]


@pytest.fixture(scope="session")
def story_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The SQLite demo, built once for every worker (the bulletin tests share it)."""
    return _build_sqlite(demo_root(tmp_path_factory))


@pytest.fixture
def served(story_demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    src, blobs = story_demo
    shutil.copyfile(src, tmp_path / "demo.db")
    shutil.copytree(blobs, tmp_path / "blobs")
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("TRUCE_TODAY", "")  # unset: the clock comes from the database, as `truce serve` takes it
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    app = Truce(url)
    assert use_stored_clock(app) == STORY["today"] == "2017-12-31"
    with app.write() as conn:
        sid, _ = start_session(conn, get_actor(conn, "rus_verifier"))
        douma = conn.execute(
            select(incident_reports.c.incident_id)
            .join(reports, reports.c.id == incident_reports.c.report_id)
            .where(reports.c.narrative.contains("Douma market road"))
        ).scalar_one()
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
        yield {"base": f"http://127.0.0.1:{port}", "sid": sid, "douma": douma}
    finally:
        srv.should_exit = True
        t.join(timeout=10)


@pytest.fixture
def browser_page(served: dict[str, Any], browser: Any) -> Iterator[Any]:
    """A page of the session's Chromium (tests/web/conftest.py: a second sync Playwright in the same process
    would fail), signed in as the verifier."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_cookies([{"name": SESSION_COOKIE, "value": served["sid"], "url": served["base"]}])
    errors: list[str] = []
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page
    finally:
        ctx.close()
    assert errors == []


def _walk(page: Any, base: str, douma: int, lang: str) -> None:
    q = f"?lang={lang}"
    # The board: SYR's notice and formal demand approved, their deadlines missed (breached); the joint inspection
    # that follows is proposed; JAISH_ISLAM's notice approved with its deadline open. Votes carry 2017 days.
    page.goto(f"{base}/board{q}")
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    cards = {c.get_attribute("data-measure"): c for c in page.locator("section.measure").all()}
    assert set(cards) == {"1", "2", "3", "4"}
    statuses = {k: c.get_attribute("data-status") for k, c in cards.items()}
    assert statuses == {"1": "approved", "2": "approved", "3": "approved", "4": "proposed"}
    compliance = {k: c.get_attribute("data-compliance") for k, c in cards.items()}
    assert compliance == {"1": "breached", "2": "breached", "3": "open", "4": ""}
    board = page.inner_text("main")
    assert "2017-08-10" in board and "2017-12-29" in board and "2026-" not in board
    shot(page, f"story-board-{lang}")

    # The register as of the clock's day: every truce status and every eligibility outcome.
    page.goto(f"{base}/parties{q}")
    assert page.get_attribute("input[name=as_of]", "value") == "2017-12-31"
    rows = page.locator("tr[data-party]").all()
    status = {r.get_attribute("data-party"): r.get_attribute("data-status") for r in rows}
    want = {"AHRAR": "signatory", "MUJAHIDEEN": "applicant", "THUWAR": "suspended", "NUSRA": "excluded"}
    assert want.items() <= status.items()
    elig = {r.get_attribute("data-party"): r.get_attribute("data-eligibility") for r in rows}
    assert elig["FAYLAQ"] == elig["AHRAR"] == "eligible"
    assert elig["NUSRA"] == elig["THUWAR"] == "not_eligible"
    assert elig["JAISH_ISLAM"] == "undetermined"
    shot(page, f"story-register-{lang}")

    # The published week, each day co-signed by the three offices, each signature valid.
    page.goto(f"{base}/bulletins{q}")
    for day in WEEK:
        row = page.locator(f"tr[data-day='{day}']")
        assert row.count() == 1, day
        assert sorted(s.get_attribute("data-org") for s in row.locator(".sig[data-valid=yes]").all()) == [
            "IRN_OFFICE", "RUS_OFFICE", "TUR_OFFICE"], day
        assert row.locator(".sig[data-valid=no]").count() == 0
    # Any other day is computed on demand.
    page.goto(f"{base}/bulletins/2017-12-30{q}")
    assert "2017-12-30" in page.inner_text("main")

    # An incident of the story: three findings dated in August 2017, the obstructed investigation.
    page.goto(f"{base}/incidents/{douma}{q}")
    rows = page.locator("tr[data-guarantor]").all()
    assert {r.get_attribute("data-guarantor") for r in rows} == {"RUS", "TUR", "IRN"}
    days = sorted(r.get_attribute("data-found-on") or "" for r in rows)
    assert days == ["2017-08-03", "2017-08-03", "2017-08-04"]
    assert page.inner_text("#verdict-on") == "2017-08-04"  # the verdict follows the last finding's day
    text = page.inner_text("main")
    assert "Checkpoint on the Harasta road" in text and "2017-08-06" in text
    shot(page, f"story-incident-{lang}")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_story_of_2017_in_the_browser(served: dict[str, Any], browser_page: Any, lang: str) -> None:
    _walk(browser_page, served["base"], served["douma"], lang)
