"""The pages in Arabic, Russian, Turkish and Persian, in Chromium: no rendered text is an English
catalogue message. Every text node of the page (and the placeholder, title and aria-label attributes) is
compared with the msgids of the catalogue; data values (names, numbers, dates, identifiers) are not
messages and pass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.messages.pofile import read_po
from tests.web.test_browser import DESKTOP, Watch, server, sign_in  # noqa: F401  (server: a fixture)

from truce import i18n
from truce.app import Truce
from truce.auth.service import get_actor
from truce.intake import service as intake
from truce.ledger.chain import now_iso
from truce.mirror import service as mirror
from truce.mirror.models import mirror_state
from truce.mirror.records import Alarm

ARTICLE = {
    "id": "lang-1", "source": "wire", "title": "Shelling kills three in Saraqib", "published": "2017-10-03T10:00:00Z",
    "body": "Regime shelling on Saraqib in Idlib province killed three civilians on Monday, a monitor said.",
}

TEXTS = """() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const n = walk.currentNode, p = n.parentElement;
    if (!p || p.closest("script,style,noscript,.leaflet-control-attribution")) continue;
    const t = n.textContent.trim();
    if (t) out.push(t);
  }
  for (const el of document.querySelectorAll("[placeholder],[title],[aria-label]")) {
    for (const a of ["placeholder", "title", "aria-label"]) { const v = el.getAttribute(a); if (v) out.push(v.trim()); }
  }
  for (const b of document.querySelectorAll("input[type=submit],button[value]")) out.push((b.value || "").trim());
  return out;
}"""
EDGES = re.compile(r"^[\s·:;,.()\[\]#—–-]+|[\s·:;,.()\[\]#—–-]+$")


def english_messages() -> set[str]:
    with open(i18n.LOCALE_DIR / "messages.pot", "rb") as fh:
        out: set[str] = set()
        for m in read_po(fh):
            for s in m.id if isinstance(m.id, tuple) else (m.id,):
                if s and "%(" not in s and "{" not in s:
                    out.add(s)
                    out.add(EDGES.sub("", s))
    return out


def english_on(page: Any, messages: set[str]) -> list[str]:
    found = []
    for text in page.evaluate(TEXTS):
        for piece in [text, *re.split(r"\s*[·|]\s*", text)]:
            piece = EDGES.sub("", piece)
            if piece in messages:
                found.append(piece)
    return sorted(set(found))


def seed_candidate(url: str) -> int:
    """A candidate report in the intake queue (read from a news article), pending review."""
    app = Truce(url)
    with app.write() as conn:
        (cid,) = intake.add(app, conn, get_actor(conn, "rus_monitor"),
                            [intake.prepare(intake.article_from(ARTICLE, ARTICLE["id"]))]).added
    return int(cid)


def seed_mirror(url: str) -> None:
    """Make the node a mirror that raised an alarm (a fork), as `truce mirror follow` leaves it: its state
    row (`mirror start` would refuse a ledger of its own) and the alarm through the service."""
    app = Truce(url)
    with app.write() as conn:
        conn.execute(mirror_state.insert().values(id=1, source_url="https://truce.example", checkpoint_size=0,
                                                  following=True, witness="TUR_OFFICE", updated_at=now_iso()))
    for kind in ("fork", "rollback", "split_view", "bad_entries", "bad_signature"):
        mirror.raise_alarm(app.engine, Alarm(kind, f"https://truce.example: {kind} (seeded)"), "https://truce.example")


def pages(w: dict[str, Any]) -> list[str]:
    return [
        "/",
        "/incidents",
        f"/incidents/{w['A']}",
        f"/incidents/{w['B']}",
        "/queue",
        "/board",
        "/parties",
        "/parties/SYR",
        "/parties/AHRAR",
        "/zones",
        "/inbox",
        "/bulletins",
        f"/bulletins/{w['bulletin']}",
        "/report",
        "/intake",
        f"/intake/{w['candidate']}",
    ]


@pytest.mark.parametrize("lang", ["ar", "ru", "tr", "fa"])
def test_pages_show_no_english_message(browser, server, lang):  # noqa: F811  (server)
    base, url, w = server
    w = {**w, "candidate": seed_candidate(url)}
    messages = english_messages()
    watch = Watch()
    ctx = browser.new_context(**DESKTOP)
    try:
        anon = watch.attach(ctx.new_page())
        anon.goto(f"{base}/login?lang={lang}")
        left = {"/login": english_on(anon, messages)}
        page = sign_in(ctx, base, "rus_verifier", watch, "/")
        for path in pages(w):
            sep = "&" if "?" in path else "?"
            page.goto(f"{base}{path}{sep}lang={lang}")
            if path == "/":
                page.wait_for_selector("#map[data-loaded]", timeout=20000)
            assert page.get_attribute("html", "lang") == lang
            assert page.get_attribute("html", "dir") == i18n.direction(lang)
            left[path] = english_on(page, messages)
        liaison = sign_in(browser.new_context(**DESKTOP), base, "syr_liaison", watch, "/inbox")
        for path in ("/inbox", f"/incidents/{w['A']}"):
            liaison.goto(f"{base}{path}?lang={lang}")
            left[f"{path} (liaison)"] = english_on(liaison, messages)
        liaison.context.close()
        monitor = sign_in(browser.new_context(**DESKTOP), base, "rus_monitor", watch, "/report")
        monitor.goto(f"{base}/report?lang={lang}")
        left["/report (monitor)"] = english_on(monitor, messages)
        monitor.goto(f"{base}/intake?lang={lang}")
        assert monitor.locator(f"#candidates tr[data-candidate='{w['candidate']}']").count() == 1
        monitor.goto(f"{base}/intake/{w['candidate']}?lang={lang}")
        assert monitor.locator("#accept-form").count() == 1  # the review form, with its fields and values
        left["/intake/N (monitor)"] = english_on(monitor, messages)
        monitor.context.close()
        # last: the node becomes a mirror with alarms (a mirror takes no more writes)
        anon.goto(f"{base}/mirror?lang={lang}")
        left["/mirror (not a mirror)"] = english_on(anon, messages)
        seed_mirror(url)
        anon.goto(f"{base}/mirror?lang={lang}")
        assert anon.locator("section.alarm").count() == 5
        left["/mirror (alarms)"] = english_on(anon, messages)
    finally:
        ctx.close()
    english = {p: s for p, s in left.items() if s}
    assert not english, f"English catalogue messages on the {lang} pages: {english}"


def test_the_check_sees_english(browser, server):  # noqa: F811
    """The same pages in English are full of catalogue messages: the comparison does find them."""
    base, _url, _w = server
    ctx = browser.new_context(**DESKTOP)
    try:
        page = ctx.new_page()
        page.goto(f"{base}/incidents?lang=en")
        found = english_on(page, english_messages())
        assert {"Incidents", "Filter"} <= set(found)
    finally:
        ctx.close()
