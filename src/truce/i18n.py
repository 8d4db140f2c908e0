"""Languages of Truce, shared by the web app, the CLI, the refusals of the services and the bulletin.

One gettext catalogue (domain `messages`, in `truce/web/locale/<lang>/LC_MESSAGES/`, template
`messages.pot`, extracted with Babel from every module and template: see README "Languages"). English is
the source language; Arabic and Persian are written right to left. The language of the moment lives in a
context variable: the web app sets it per request (?lang=, cookie, Accept-Language), the CLI from
`--lang` / `TRUCE_LANG`.

Refusals (`truce.errors.TruceError`) keep their English message for logs and the API's `message`; the
CLI and the pages show `localize(message)`, which finds the message's template among `REFUSALS` (and the
other catalogue entries with placeholders), reads the values back out of the English text and fills the
translated template with them. A refusal whose template is not listed stays in English.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "web" / "locale"
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
ENV = "TRUCE_LANG"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("truce_lang", default=DEFAULT)
_catalogues: dict[str, gettext.NullTranslations] = {}


def N_(message: str) -> str:
    """Marks a string for extraction without translating it (translated where it is shown)."""
    return message


def catalogue(lang: str) -> gettext.NullTranslations:
    t = _catalogues.get(lang)
    if t is None:
        t = _catalogues[lang] = gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang], fallback=True)
    return t


def direction(lang: str | None = None) -> str:
    return LANGUAGES.get(lang or current(), LANGUAGES[DEFAULT])[1]


def is_rtl(lang: str | None = None) -> bool:
    return direction(lang) == "rtl"


def normalize(code: str | None) -> str | None:
    """'ar', 'AR', 'ar_SY.UTF-8', 'fa-IR' -> the supported code, or None."""
    if not code:
        return None
    c = code.strip().lower().replace("_", "-").split(".")[0].split("-")[0]
    return c if c in LANGUAGES else None


def from_env() -> str:
    return normalize(os.environ.get(ENV)) or DEFAULT


def set_language(lang: str) -> contextvars.Token[str]:
    return _current.set(lang if lang in LANGUAGES else DEFAULT)


def reset_language(token: contextvars.Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


@contextlib.contextmanager
def using(lang: str) -> Iterator[str]:
    """`with using("fa"):` the language of the moment inside the block."""
    token = set_language(lang)
    try:
        yield current()
    finally:
        reset_language(token)


def _(message: str, **params: Any) -> str:
    text = catalogue(_current.get()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = catalogue(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


# --- values of the data's closed vocabularies, shown as words ---------------------------------------

# Statuses, kinds, verdicts...: stored as identifiers ("not_verified"), shown as words ("not verified").
LABELS = [
    # verdicts, findings, reasons
    N_("pending"), N_("verified"), N_("not verified"), N_("disputed"), N_("confirmed"), N_("unverifiable"),
    N_("site visit"), N_("observed"), N_("imagery"), N_("corroborated"), N_("witness statements"), N_("forensic"),
    N_("other"), N_("contradicting evidence"), N_("not observed"), N_("alternative account"), N_("staged"),
    N_("no access"), N_("insufficient information"), N_("outside mandate"), N_("heard"), N_("second hand"),
    # incidents, attribution, breach
    N_("open"), N_("under investigation"), N_("closed"), N_("merged"), N_("paused"), N_("attributed"),
    N_("could not be attributed"), N_("breach"), N_("no breach"),
    # violation types
    N_("shelling"), N_("airstrike"), N_("ground attack"), N_("sniper fire"), N_("drone strike"), N_("ied"),
    N_("troop movement"), N_("heavy weapons movement"), N_("obstruction of humanitarian access"),
    N_("obstruction of monitors"), N_("attack on civilians"), N_("chemical weapons use"), N_("armed clash"),
    # parties, eligibility, accession
    N_("guarantor"), N_("government"), N_("armed group"), N_("designated"), N_("foreign force"),
    N_("applicant"), N_("signatory"), N_("suspended"), N_("excluded"), N_("eligible"), N_("not eligible"),
    N_("undetermined"), N_("passed"), N_("failed"), N_("unknown"), N_("accepted"),
    # measures
    N_("proposed"), N_("approved"), N_("rejected"), N_("complied"), N_("breached"),
    N_("notice"), N_("formal demand"), N_("joint inspection"),
    N_("suspension"), N_("exclusion"),
    # notifications, roles, precisions
    N_("attribution"), N_("reply"), N_("access denial"), N_("measure"), N_("status change"),
    N_("accession decision"), N_("monitor"), N_("verifier"),
    N_("liaison"), N_("analyst"), N_("admin"), N_("exact"), N_("near"), N_("day"), N_("week"), N_("month"),
    N_("country"), N_("adm1"), N_("adm2"), N_("adm3"),
    # who may see a report
    N_("public"), N_("parties"), N_("guarantors"), N_("investigators"),
    # decision rules of an agreement
    N_("unanimity"), N_("majority"),
]


def label(value: object) -> str:
    """A stored identifier as a word in the language of the moment: "not_verified" -> "не подтверждено"."""
    text = str(value).replace("_", " ")
    return _(text)


# --- refusals ----------------------------------------------------------------------------------------

# The common refusals of the services, as templates (the services raise them formatted, in English).
REFUSALS = [
    N_("no party '%(party)s'"),
    N_("no incident %(incident)s"),
    N_("no report %(report)s"),
    N_("no measure %(measure)s"),
    N_("no token %(token)s"),
    N_("no user named '%(user)s'"),
    N_("no organisation '%(org)s' (known: %(known)s)"),
    N_("no agreement '%(agreement)s'"),
    N_("no agreement '%(agreement)s' version %(version)s"),
    N_("no accession application %(accession)s"),
    N_("no bulletin was published for %(day)s"),
    N_("no such decision: %(decision)s"),
    N_("user '%(user)s' (%(role)s of %(org)s) may not %(what)s: only %(allowed)s may"),
    N_("user '%(user)s' is the liaison of %(party)s, not of %(other)s"),
    N_("%(guarantor)s is not a guarantor of %(agreement)s v%(version)s"),
    N_("%(first)s (and %(n)s more)"),
    N_("invalid input"),
    N_("Field required"),
]
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.S)
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Every catalogue template with placeholders (plus the refusals), as a regex reading its values back."""
    pats: list[tuple[re.Pattern[str], str]] = []
    seen: set[str] = set()
    t = catalogue("ru")  # any compiled catalogue lists the msgids; fall back to REFUSALS alone
    ids = [m for m in getattr(t, "_catalog", {}) if isinstance(m, str) and m]
    for tpl in [*REFUSALS, *ids]:
        if tpl in seen or not _PLACEHOLDER.search(tpl):
            continue
        seen.add(tpl)
        rx, last = "", 0
        names: set[str] = set()
        for m in _PLACEHOLDER.finditer(tpl):
            rx += re.escape(tpl[last : m.start()])
            name = m.group(1)
            rx += f"(?P={name})" if name in names else f"(?P<{name}>.+?)"
            names.add(name)
            last = m.end()
        rx += re.escape(tpl[last:])
        pats.append((re.compile(f"^{rx}$", re.S), tpl))
    # the most specific (longest fixed text) first
    pats.sort(key=lambda p: -len(_PLACEHOLDER.sub("", p[1])))
    return pats


def localize(message: str, lang: str | None = None) -> str:
    """An English refusal in the language of the moment (or `lang`); unchanged when not in the catalogue.

    A leading `field: ` names where the problem is: it is kept as it is (a name in the data) and the
    rest translated."""
    lang = lang or current()
    if lang == DEFAULT or not message:
        return message
    t = catalogue(lang)
    text = t.gettext(message)
    if text != message:
        return text
    m = _FIELD_PREFIX.match(message)
    if m:
        rest = localize(m.group(2), lang)
        if rest != m.group(2):
            return f"{m.group(1)}: {rest}"
    for rx, tpl in _templates():
        hit = rx.match(message)
        if hit:
            translated = t.gettext(tpl)
            if translated != tpl:
                return translated % hit.groupdict()
    return message
