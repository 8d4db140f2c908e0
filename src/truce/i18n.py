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
import inspect
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


def help_msgid(text: str | None) -> str:
    """The catalogue message of a command-line help text: its first paragraph (the text up to the first
    blank line; the example below it is a command line, not a message), with its line breaks and runs of
    spaces as single spaces, as the help shows it (`truce.help_extract` extracts the same)."""
    body = inspect.cleandoc(text or "").partition("\f")[0]
    return " ".join(body.split("\n\n", 1)[0].split())


def translated_help(text: str | None) -> str | None:
    """A help text in the language of the moment: its first paragraph from the catalogue (when it has
    it), the rest (examples) as it is."""
    if not text:
        return text
    first = help_msgid(text)
    translated = _(first) if first else first
    if translated == first:
        return text
    rest = inspect.cleandoc(text).partition("\f")[0].split("\n\n", 1)
    return translated + ("\n\n" + rest[1] if len(rest) > 1 else "")


# --- values of the data's closed vocabularies, shown as words ---------------------------------------

# Statuses, kinds, verdicts...: stored as identifiers ("not_verified"), shown as words ("not verified").
# One mapping per closed vocabulary of the data (stored value -> catalogue word), the one place where they
# are named; pages use the `label` filter (`{{ r.status|label("candidate_status") }}`), the CLI its tables.
ENUMS: dict[str, dict[str, str]] = {
    "verdict": {"pending": N_("pending"), "verified": N_("verified"), "not_verified": N_("not verified"),
                "disputed": N_("disputed"), "before_agreement": N_("before agreement"),
                "after_agreement": N_("after agreement")},
    "finding": {"confirmed": N_("confirmed"), "disputed": N_("disputed"), "unverifiable": N_("unverifiable")},
    "reason_code": {
        "site_visit": N_("site visit"), "observed": N_("observed"), "imagery": N_("imagery"),
        "corroborated": N_("corroborated"), "witness_statements": N_("witness statements"),
        "forensic": N_("forensic"), "other": N_("other"), "contradicting_evidence": N_("contradicting evidence"),
        "not_observed": N_("not observed"), "alternative_account": N_("alternative account"),
        "staged": N_("staged"), "no_access": N_("no access"),
        "insufficient_information": N_("insufficient information"), "outside_mandate": N_("outside mandate"),
    },
    "observation": {"observed": N_("observed"), "heard": N_("heard"), "second_hand": N_("second hand")},
    "incident_status": {"open": N_("open"), "under_investigation": N_("under investigation"),
                        "closed": N_("closed"), "merged": N_("merged")},
    "investigation_status": {"open": N_("open"), "paused": N_("paused"), "closed": N_("closed")},
    "attribution": {"attributed": N_("attributed"), "could_not_be_attributed": N_("could not be attributed")},
    "breach": {"breach": N_("breach"), "no_breach": N_("no breach")},
    "severity": {"grave": N_("grave"), "minor": N_("minor")},
    "violation_type": {
        "shelling": N_("shelling"), "airstrike": N_("airstrike"), "ground_attack": N_("ground attack"),
        "sniper_fire": N_("sniper fire"), "drone_strike": N_("drone strike"), "ied": N_("ied"),
        "troop_movement": N_("troop movement"), "heavy_weapons_movement": N_("heavy weapons movement"),
        "obstruction_of_humanitarian_access": N_("obstruction of humanitarian access"),
        "obstruction_of_monitors": N_("obstruction of monitors"), "attack_on_civilians": N_("attack on civilians"),
        "chemical_weapons_use": N_("chemical weapons use"), "armed_clash": N_("armed clash"), "other": N_("other"),
    },
    "party_kind": {"guarantor": N_("guarantor"), "government": N_("government"), "armed_group": N_("armed group"),
                   "designated": N_("designated"), "foreign_force": N_("foreign force")},
    "truce_status": {"applicant": N_("applicant"), "signatory": N_("signatory"), "suspended": N_("suspended"),
                     "excluded": N_("excluded")},
    "eligibility": {"eligible": N_("eligible"), "not_eligible": N_("not eligible"),
                    "undetermined": N_("undetermined")},
    "criterion_status": {"passed": N_("passed"), "failed": N_("failed"), "unknown": N_("unknown")},
    "accession_status": {"pending": N_("pending"), "accepted": N_("accepted"), "rejected": N_("rejected")},
    "measure_status": {"proposed": N_("proposed"), "approved": N_("approved"), "rejected": N_("rejected"),
                       "complied": N_("complied"), "breached": N_("breached")},
    "measure_kind": {"notice": N_("notice"), "formal_demand": N_("formal demand"),
                     "joint_inspection": N_("joint inspection"), "suspension": N_("suspension"),
                     "exclusion": N_("exclusion")},
    "notification_kind": {"attribution": N_("attribution"), "reply": N_("reply"),
                          "access_denial": N_("access denial"), "measure": N_("measure"),
                          "status_change": N_("status change"), "accession_decision": N_("accession decision")},
    "role": {"monitor": N_("monitor"), "verifier": N_("verifier"), "liaison": N_("liaison"),
             "analyst": N_("analyst"), "admin": N_("admin")},
    "time_precision": {"exact": N_("exact"), "day": N_("day"), "week": N_("week"), "month": N_("month")},
    "location_precision": {"exact": N_("exact"), "near": N_("near"), "adm3": N_("adm3"), "adm2": N_("adm2"),
                           "adm1": N_("adm1"), "country": N_("country")},
    "visibility": {"public": N_("public"), "parties": N_("parties"), "guarantors": N_("guarantors"),
                   "investigators": N_("investigators")},
    "decision_rule": {"unanimity": N_("unanimity"), "majority": N_("majority")},
    # intake: candidate reports read from news and field messages
    "candidate_status": {"pending": N_("pending"), "accepted": N_("accepted"), "rejected": N_("rejected"),
                         "all": N_("all")},
    "match_how": {"auto": N_("same incident, by the rules"), "suggested": N_("suggested, for a person to check"),
                  "none": N_("no likely incident")},
    "candidate_field": {
        "date": N_("date"), "place": N_("place"), "party": N_("party"), "violation_type": N_("violation type"),
        "occurred_at": N_("occurred at"), "occurred_precision": N_("time precision"), "place_name": N_("place"),
        "lat": N_("latitude"), "lon": N_("longitude"), "alleged_party": N_("alleged party"),
        "killed": N_("killed"), "killed_civilian": N_("civilians killed"), "killed_combatant": N_("combatants killed"),
        "injured": N_("injured"), "injured_civilian": N_("civilians injured"),
        "injured_combatant": N_("combatants injured"),
    },
    "source_kind": {"monitor": N_("monitor"), "guarantor_office": N_("guarantor office"),
                    "party_complaint": N_("party complaint"), "media": N_("media"), "sensor": N_("sensor"),
                    "ngo": N_("NGO")},
    "zone_kind": {"de_escalation_area": N_("de-escalation area"), "security_belt": N_("security belt"),
                  "demilitarised_strip": N_("demilitarised strip"),
                  "reconciled_settlement": N_("reconciled settlement"), "other": N_("other")},
    # how a report is linked to its incident (incident_reports.how)
    "link_how": {"origin": N_("first report"), "auto": N_("linked by the rules"), "manual": N_("linked by hand"),
                 "correction": N_("correction")},
    # a mirror's alarms (mirror/checks.py)
    "alarm_kind": {
        "rollback": N_("rollback: the log went back to an older checkpoint"),
        "fork": N_("fork: two different histories of the log"),
        "split_view": N_("split view: the log shows different histories to different readers"),
        "bad_entries": N_("bad entries: what the source served does not match what it signed"),
        "bad_signature": N_("bad signature"),
    },
}
# any value as a word, whatever its vocabulary (the words agree where vocabularies share a value)
_WORDS: dict[str, str] = {v: w for words in ENUMS.values() for v, w in words.items() if v != "none"}


def label(value: object, enum: str | None = None) -> str:
    """A stored identifier as a word in the language of the moment: "not_verified" -> "не подтверждено".
    `enum` names its vocabulary in `ENUMS` where the same value reads differently in two of them; a value
    no vocabulary lists is shown with spaces for underscores, translated when the catalogue has it."""
    text = str(value)
    word = (ENUMS.get(enum or "") or _WORDS).get(text) or _WORDS.get(text) or text.replace("_", " ")
    return _(word)


def vocab(value: object, enum: str | None = None) -> str:
    """A stored identifier as the CLI's text shows it: as it is in English (the identifier its options take,
    "not_verified"), the word of its vocabulary in another language ("не подтверждено")."""
    return str(value) if current() == DEFAULT else label(value, enum)


# --- refusals ----------------------------------------------------------------------------------------

# The common refusals of the services, as templates (the services raise them formatted, in English).
REFUSALS = [
    N_("no party '%(party)s'"),
    N_("no zone '%(zone)s'"),
    N_("no admin area '%(pcode)s'"),
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
    N_("agreement %(agreement)s: the file differs from version %(version)s in %(keys)s; to record it as version "
       "%(next)s (in force from the file's effective date) load it with --new-version, or run: truce agreement "
       "add-version FILE"),
    N_("no ADM%(level)s areas are loaded (the deepest level is ADM%(deepest)s)"),
]
# The refusals of a scenario or agreement file (agreements/documents.py): the file and line, the path of the
# value, and why (the `why`, `first` and `what` of a message are localized in turn: NESTED).
SCENARIO_REFUSALS = [
    N_("%(file)s, line %(line)s: %(field)s: %(why)s"),
    N_("%(file)s: %(field)s: %(why)s"),
    N_("%(file)s: cannot read (%(why)s)"),
    N_("%(file)s: not a UTF-8 text file (byte %(byte)s)"),
    N_("%(file)s: a binary file, not a YAML scenario"),
    N_("%(file)s: a scenario is a YAML mapping with an 'agreement' section"),
    N_("%(file)s, line %(line)s: not valid YAML (%(why)s)"),
    N_("%(file)s: not valid YAML (%(why)s)"),
    N_("required, missing"),
    N_("%(value)s is not %(what)s; allowed: %(allowed)s"),
    N_("%(value)s is not an ISO 3166-1 alpha-2 code (YE, SY, UA…)"),
    N_("%(value)s is not a valid id or user name (letters, digits, _ . -; not 'system')"),
    N_("unknown key %(shown)s; allowed: %(allowed)s"),
    N_("passwords are not written in a scenario file: set one with truce user passwd NAME"),
    N_("%(what)s id %(id)s is given twice"),
    N_("%(name)s is not a parameter of kind %(kind)s; its parameters: %(own)s"),
    N_("step %(step)s is given twice"),
    N_("rule %(id)s: step %(step)s is not a rung of the ladder; rungs: %(steps)s"),
    N_("a %(kind)s belongs to a party: give its id"),
    N_("%(ref)s is not a party of the scenario; parties: %(known)s"),
    N_("user %(name)s is given twice"),
    N_("%(ref)s is not an organisation of the scenario; organisations: %(known)s"),
    N_("a user of %(org)s (%(kind)s) may be %(allowed)s, not %(role)s"),
    N_("clause %(clause)s: %(ref)s is not a party of the scenario; parties: %(known)s"),
    # the `what` of those messages
    N_("a violation type"), N_("an eligibility criterion kind"), N_("a measure rung"), N_("a truce status"),
    N_("a status a measure can set"), N_("a decision rule"), N_("a missed-deadline rule"), N_("a party kind"),
    N_("a zone kind"), N_("an organisation kind"), N_("a role"), N_("an external source"),
    N_("criterion"), N_("rule"), N_("clause"), N_("party"), N_("zone"), N_("organisation"),
]
# The refusals of the intake of articles (intake/service.py): `where` names the file and line or the article.
INTAKE_REFUSALS = [
    N_("%(where)s: published: '%(value)s' is not a date or time (use ISO 8601, e.g. 2017-04-16T09:00:00Z)"),
    N_("%(where)s: published: %(value)s is in the future"),
    N_("%(where)s: an article is a JSON object with at least a body"),
    N_("%(where)s: the article has no body (give 'body' or 'text')"),
    N_("%(where)s: the body is longer than %(n)s characters"),
    N_("%(where)s: language: '%(lang)s' is not one of en, ar"),
    N_("%(file)s: the file is empty"),
    N_("%(file)s: a binary file, not text (CSV, JSON Lines, JSON or plain text)"),
    N_("%(file)s: not UTF-8 text (byte %(byte)s cannot be read)"),
    N_("%(file)s: not valid JSON (%(why)s)"),
    N_("%(file)s, line %(line)s: not valid JSON (%(why)s)"),
    N_("%(file)s: cannot be read (%(why)s)"),
    N_("%(file)s: no body column (one of %(names)s); has %(cols)s"),
    N_("%(file)s: not a readable CSV (%(why)s)"),
    N_("%(file)s: unknown file type '%(suffix)s' (use .csv, .jsonl or .json)"),
    N_("%(file)s: no articles"),
    N_("%(where)s: article %(key)s appears twice with different content"),
    N_("%(where)s: article %(key)s was already received (candidate %(id)s) with different content"),
    N_("no intake candidate %(id)s"),
    N_("candidate %(id)s was already %(what)s by %(who)s at %(at)s; a decision is final"),
    N_("candidate %(id)s was already %(what)s by %(who)s at %(at)s, report %(report)s; a decision is final"),
    N_("not a field a reviewer corrects (one of %(fields)s)"),
    N_("'%(value)s' is not a %(type)s"),
    N_("%(value)s is negative"),
    N_("say why the candidate is rejected"),
    N_("at most 2000 characters"),
    N_("'%(status)s' is not one of pending, accepted, rejected"),
]
# placeholders whose value is itself a message or a word of a vocabulary (localized in turn)
NESTED = frozenset({"why", "first", "what", "type"})

# The reasons of the rules' judgments (incidents/rules.py), shown on the incident page through `localize`.
JUDGMENTS = [
    N_("no agreement in force on that date"),
    N_("no clause of %(agreement)s v%(version)s prohibits %(type)s"),
    N_("outside every zone on that date"),
    N_("directed against %(party)s, excluded by clause %(clause)s"),
    N_("attributed to %(party)s, not bound by the truce (%(why)s)"),
    N_("%(type)s in a zone, prohibited by %(clause)s"),
    N_("%(type)s in %(where)s, prohibited country-wide by %(clause)s"),
    N_("%(n)s civilians killed"),
    N_("%(type)s is grave wherever it happens"),
    N_("%(type)s inside a zone"),
    N_("no civilian killed, no heavy weapons in a zone"),
    N_("not judged: before the agreement took effect"),
    N_("not judged: after the agreement ended"),
]
# The notifications the services address to an organisation (notifications/service.py), shown through
# `localize` in the inbox.
NOTICES = [
    N_("The guarantors have attributed incident %(incident)s to %(party)s. You may file a reply with "
       "counter-evidence until %(due)s: truce reply add %(incident)s --text ..."),
    N_("The guarantors have attributed incident %(incident)s (%(title)s, %(day)s) to %(party)s. You may file a "
       "reply with counter-evidence until %(due)s: truce reply add %(incident)s --text ..."),
    N_("%(party)s filed a reply to the attribution of incident %(incident)s: truce reply list %(incident)s"),
    N_("%(party)s filed a reply to the attribution of incident %(incident)s with %(n)s counter-evidence file: "
       "truce reply list %(incident)s"),
    N_("%(party)s filed a reply to the attribution of incident %(incident)s with %(n)s counter-evidence files: "
       "truce reply list %(incident)s"),
    N_("Access to %(site)s was recorded as denied by %(party)s on %(day)s during investigation "
       "%(investigation)s of incident %(incident)s; it counts against %(party)s."),
]

# Why the matcher only suggests a link (incidents/matching.py `reason`): parts joined by "; ", each shown
# through `localize` (the `localize_parts` filter of the pages).
MATCH_REASONS = [
    N_("same type (%(type)s)"),
    N_("compatible types (%(a)s / %(b)s)"),
    N_("same alleged party (%(party)s)"),
    N_("alleged party unknown on one side"),
    N_("different alleged parties (%(a)s / %(b)s)"),
    N_("%(h)s h apart"),
    N_("%(h)s h apart (beyond the %(w)s h window)"),
    N_("%(h)s h apart (time known only to the %(p)s)"),
    N_("%(h)s h apart (beyond the %(w)s h window) (time known only to the %(p)s)"),
    N_("placed only to a governorate (both in %(code)s)"),
    N_("placed only to a district (both in %(code)s)"),
    N_("placed only to a sub-district (both in %(code)s)"),
    N_("%(d)s km apart"),
    N_("%(d)s km apart (beyond the %(r)s km radius)"),
    N_("another candidate scores within %(m)s"),
]


def localize_parts(message: str, lang: str | None = None) -> str:
    """A message of parts joined by "; " (the matcher's reasons), each part localized."""
    return " · ".join(localize(part, lang) for part in str(message).split("; "))


_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.+)$", re.S)
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# what the value of some placeholders looks like (others: any text)
_VALUE = {"file": r"\S+?", "line": r"\d+", "field": r"[\w.\[\]-]+?"}


@lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern[str], str]]:
    """Every catalogue template with placeholders (plus the refusals), as a regex reading its values back."""
    pats: list[tuple[re.Pattern[str], str]] = []
    seen: set[str] = set()
    t = catalogue("ru")  # any compiled catalogue lists the msgids; fall back to REFUSALS alone
    ids = [m for m in getattr(t, "_catalog", {}) if isinstance(m, str) and m]
    for tpl in [*REFUSALS, *SCENARIO_REFUSALS, *INTAKE_REFUSALS, *ids]:
        if tpl in seen or not _PLACEHOLDER.search(tpl):
            continue
        seen.add(tpl)
        rx, last = "", 0
        names: set[str] = set()
        for m in _PLACEHOLDER.finditer(tpl):
            rx += re.escape(tpl[last : m.start()])
            name = m.group(1)
            rx += f"(?P={name})" if name in names else f"(?P<{name}>{_VALUE.get(name, '.+?')})"
            names.add(name)
            last = m.end()
        rx += re.escape(tpl[last:])
        pats.append((re.compile(f"^{rx}$", re.S), tpl))
    # the outer messages first ("… (and 2 more)", then "file, line 3: …" around a refusal), then the most
    # specific (longest fixed text)
    pats.sort(key=lambda p: ("%(first)s" not in p[1], not re.search(r"%\((file|where)\)s", p[1]),
                             -len(_PLACEHOLDER.sub("", p[1]))))
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
            values = {k: localize(v, lang) if k in NESTED else v for k, v in hit.groupdict().items()}
            out = t.gettext(tpl) % values
            if out != message:
                return out
    return message
