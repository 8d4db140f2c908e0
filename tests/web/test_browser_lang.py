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
    ]


@pytest.mark.parametrize("lang", ["ar", "ru", "tr", "fa"])
def test_pages_show_no_english_message(browser, server, lang):  # noqa: F811  (server)
    base, _url, w = server
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
        monitor.context.close()
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
