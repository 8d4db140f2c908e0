"""Languages of the web app: every string goes through gettext (catalogues in web/locale, template in
web/locale/messages.pot). English is the default; Arabic and Persian are written right to left."""

from __future__ import annotations

import contextvars
import gettext
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
# code: (name in that language, direction)
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "ltr"),
    "ar": ("العربية", "rtl"),
    "ru": ("Русский", "ltr"),
    "tr": ("Türkçe", "ltr"),
    "fa": ("فارسی", "rtl"),
}
DEFAULT = "en"
LANG_COOKIE = "truce_lang"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("truce_lang", default=DEFAULT)
_catalogues: dict[str, gettext.NullTranslations] = {}


def catalogue(lang: str) -> gettext.NullTranslations:
    t = _catalogues.get(lang)
    if t is None:
        t = _catalogues[lang] = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
    return t


def direction(lang: str) -> str:
    return LANGUAGES.get(lang, LANGUAGES[DEFAULT])[1]


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


def set_language(lang: str) -> contextvars.Token[str]:
    return _current.set(lang if lang in LANGUAGES else DEFAULT)


def reset_language(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def _(message: str, **params: Any) -> str:
    text = catalogue(_current.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = catalogue(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}
