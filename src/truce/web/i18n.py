"""Languages of the web app: the core (catalogues, the language of the moment, `_`) is `truce.i18n`,
shared with the CLI and the bulletin; here is what only the web needs: choosing the language of a
request from ?lang=, the cookie or Accept-Language."""

from __future__ import annotations

from truce.i18n import (  # noqa: F401  (re-exported for the views and templates)
    DEFAULT,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    _,
    catalogue,
    current,
    direction,
    label,
    localize,
    localize_parts,
    ngettext,
    reset_language,
    set_language,
    using,
)

LANG_COOKIE = "truce_lang"


def pick(query: str | None, cookie: str | None, accept: str | None) -> str:
    """The language: ?lang=, else the cookie, else the best of Accept-Language, else English."""
    for cand in (query, cookie):
        if cand and cand in LANGUAGES:
            return cand
    best: list[tuple[float, str]] = []
    for part in (accept or "").split(","):
        bits = part.strip().split(";")
        code = bits[0].strip().lower().split("-")[0]
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if code in LANGUAGES:
            best.append((q, code))
    return max(best)[1] if best else DEFAULT
