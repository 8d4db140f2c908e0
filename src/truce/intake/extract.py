"""Offline extraction of what, where, when, who and how many from a news article or a field message.

Hand-written rules, no model: every field is a decision over *features* (scores per candidate value, each
with the words it came from) and a few parameters (:class:`Params`). The features are computed once per
article; the parameters are chosen by cross-validation (``truce.intake.evaluate``), so that a reported
figure is never one measured on the rows the parameters were chosen on.

Each extracted field keeps its evidence (the words it came from) and a confidence in [0, 1].
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from truce.geo.gazetteer import Gazetteer, _fold_token
from truce.intake import rules
from truce.intake.numbers import AR_WORDS, NUMBER, to_int

# --------------------------------------------------------------------------------------------------------
# Input and output
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """An article or a message. ``published`` is the publication (or sending) time, when known."""

    body: str
    title: str = ""
    source: str = ""
    published: datetime | None = None
    language: str | None = None  # "en" or "ar"; guessed from the script when None
    id: str | None = None


@dataclass
class Found:
    """One extracted value, the words it came from and a confidence in [0, 1]."""

    value: Any
    evidence: str = ""
    confidence: float = 0.0


@dataclass
class Extraction:
    language: str
    published: str | None  # ISO date of publication (given, or read from the dateline)
    date: Found  # value: ISO date; precision in .precision
    date_precision: str
    place: Found  # value: {"name", "adm1_pcode", "adm2_pcode", "adm3_pcode", "lat", "lon", "precision"}
    party: Found  # value: party id (the register's, or an intake actor class)
    violation_type: Found  # value: one of rules.VIOLATION_KINDS (Truce's violation types + "execution")
    casualties: dict[str, Found] = field(default_factory=dict)  # killed, injured, killed_civilian, ...

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return d


# --------------------------------------------------------------------------------------------------------
# Parameters (chosen by cross-validation)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Params:
    """The rules' parameters. The defaults are those that coordinate ascent over fakes.GRID chose on the 624
    shared FA-KES rows, except two that suit short field messages better than long news stories: the actor
    threshold (one mention in a message suffices) and the date (the day the text says, not its own day)."""

    title_weight: float = 3.0  # a mention in the title counts this many body mentions
    lead_weight: float = 3.0  # a mention in the first sentence
    agent_weight: float = 0.0  # an actor named as the one who acts ("regime warplanes", "by ISIS")
    actor_min: float = 2.5  # below this score the actor is "unknown"
    mention_weight: float = 1.0  # a mere mention, against agent_weight for a named agent
    victim_weight: float = 1.0  # an actor named as the one who was hit ("rebels were killed")
    air_weight: float = 10.0  # an air strike with no coalition named counts for the government side
    cause_min: float = 2.0  # below this score the cause is unknown
    clash_weight: float = 0.3  # "clashes", "fighting": often a story without one cause of death
    early_weight: float = 1.5  # a place named in the 600 characters after the lead
    capital_weight: float = 1.0  # "Damascus" often means the government, not the place
    count_rule: str = "first"  # which casualty statement counts: first | max | title
    count_window: int = 600  # only statements this many characters into the text count
    any_as_civilian: bool = True  # "killed five" (nobody named) counts as civilians
    date_rule: str = "relative"  # relative (yesterday / on Tuesday resolved) | publication (the article's day)


DEFAULT = Params()

# --------------------------------------------------------------------------------------------------------
# Language, sentences
# --------------------------------------------------------------------------------------------------------

_AR = re.compile(r"[\u0600-\u06ff]")
_AR_FOLD = str.maketrans("أإآٱىةؤئ", "اااايهوي")
_AR_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")
_AR_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def language_of(text: str) -> str:
    letters = [c for c in text[:2000] if c.isalpha()]
    if not letters:
        return "en"
    ar = sum(1 for c in letters if _AR.match(c))
    return "ar" if ar > len(letters) / 3 else "en"


def fold_arabic(text: str) -> str:
    return _AR_MARKS.sub("", unicodedata.normalize("NFKC", text)).translate(_AR_FOLD).translate(_AR_DIGITS)


# --------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        )
    )
}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AR_WEEKDAYS = {"الاثنين": 0, "الثلاثاء": 1, "الاربعاء": 2, "الخميس": 3, "الجمعه": 4, "السبت": 5, "الاحد": 6}
_AR_MONTHS = {
    "كانون الثاني": 1,
    "يناير": 1,
    "شباط": 2,
    "فبراير": 2,
    "اذار": 3,
    "مارس": 3,
    "نيسان": 4,
    "ابريل": 4,
    "ايار": 5,
    "مايو": 5,
    "حزيران": 6,
    "يونيو": 6,
    "تموز": 7,
    "يوليو": 7,
    "اب": 8,
    "اغسطس": 8,
    "ايلول": 9,
    "سبتمبر": 9,
    "تشرين الاول": 10,
    "اكتوبر": 10,
    "تشرين الثاني": 11,
    "نوفمبر": 11,
    "كانون الاول": 12,
    "ديسمبر": 12,
}
_MON = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY_MON_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MON},?\s+(\d{{4}})\b", re.I)
_MON_DAY_YEAR = re.compile(rf"\b{_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s*((?:19|20)\d\d)(?!\d)", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUM_DATE = re.compile(r"(?<!\d)(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d)")  # day/month/year (Arabic and European use)
_AR_DATE = re.compile(r"(\d{1,2})\s+(" + "|".join(sorted(_AR_MONTHS, key=len, reverse=True)) + r")\s+(\d{4})")
_REL_EN = re.compile(
    r"\b(yesterday|last night|overnight|today|this morning|earlier today|on\s+(" + "|".join(_WEEKDAYS) + r")"
    r"|(" + "|".join(_WEEKDAYS) + r")(?:'s|s)?\s+(?:morning|evening|night|afternoon|attack|blast|strike|raid)"
    r"|(?:on|since)\s+" + _MON + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s+\d{4})"
    r"|on\s+(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MON + r"(?!,?\s+\d{4}))",
    re.I,
)
_REL_AR = re.compile(r"(امس|اليوم|فجر اليوم|(?:يوم\s+)?(" + "|".join(_AR_WEEKDAYS) + r"))")


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_full_date(text: str) -> tuple[date, str] | None:
    """The first full date (day, month and year) in the text, with its words."""
    best: tuple[int, date, str] | None = None
    for rx, order in ((_DAY_MON_YEAR, "dmy"), (_MON_DAY_YEAR, "mdy")):
        m = rx.search(text)
        if m is None:
            continue
        if order == "dmy":
            d = _mk(
                int(m.group(3)),
                _MONTHS[
                    m.group(2).lower().rstrip(".")[:4].rstrip("t")
                    if m.group(2).lower().startswith("sept")
                    else m.group(2).lower().rstrip(".")[:3]
                ],
                int(m.group(1)),
            )
        else:
            d = _mk(int(m.group(3)), _MONTHS[m.group(1).lower().rstrip(".")[:3]], int(m.group(2)))
        if d is not None and (best is None or m.start() < best[0]):
            best = (m.start(), d, m.group(0))
    m = _ISO_DATE.search(text)
    if m:
        d = _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d is not None and (best is None or m.start() < best[0]):
            best = (m.start(), d, m.group(0))
    m = _NUM_DATE.search(text)
    if m:
        d = _mk(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        if d is not None and (best is None or m.start() < best[0]):
            best = (m.start(), d, m.group(0))
    folded = fold_arabic(text) if _AR.search(text) else ""
    if folded:
        m = _AR_DATE.search(folded)
        if m:
            d = _mk(int(m.group(3)), _AR_MONTHS[m.group(2)], int(m.group(1)))
            if d is not None and (best is None or m.start() < best[0]):
                best = (m.start(), d, text[m.start() : m.end()])
    return None if best is None else (best[1], best[2])


def _weekday_before(pub: date, wd: int) -> date:
    return pub - timedelta(days=(pub.weekday() - wd) % 7)


def resolve_relative(text: str, pub: date) -> tuple[date, str, str] | None:
    """The first relative day expression of the text, resolved against the publication date:
    (day, words, precision)."""
    m = _REL_EN.search(text)
    if m:
        w = m.group(0)
        lw = w.lower()
        if lw.startswith(("yesterday", "last night", "overnight")):
            return pub - timedelta(days=1), w, "day"
        if lw.startswith(("today", "this morning", "earlier today")):
            return pub, w, "day"
        wd = m.group(2) or m.group(3)
        if wd:
            return _weekday_before(pub, _WEEKDAYS.index(wd.lower())), w, "day"
        if m.group(4):
            d = _mk(pub.year, _MONTHS[m.group(4).lower().rstrip(".")[:3]], int(m.group(5)))
            if d is not None and d > pub:
                d = _mk(pub.year - 1, d.month, d.day)
            if d is not None:
                return d, w, "day"
        if m.group(6):
            d = _mk(pub.year, _MONTHS[m.group(7).lower().rstrip(".")[:3]], int(m.group(6)))
            if d is not None and d > pub:
                d = _mk(pub.year - 1, d.month, d.day)
            if d is not None:
                return d, w, "day"
    if _AR.search(text):
        f = fold_arabic(text)
        ma = _REL_AR.search(f)
        if ma:
            if ma.group(1) == "امس":
                return pub - timedelta(days=1), ma.group(0), "day"
            if ma.group(2):
                return _weekday_before(pub, _AR_WEEKDAYS[ma.group(2)]), ma.group(0), "day"
            return pub, ma.group(0), "day"
    return None


# --------------------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z\u00c0-\u024f][A-Za-z\u00c0-\u024f'\u2019]*|[\u0621-\u064a]+")
# The articles of transliterated Arabic names ("Deir ez-Zor", "Ras el-Ain"), dropped as the gazetteer does.
_EN_ARTICLES = frozenset(
    ("al", "el", "il", "ul", "ar", "er", "as", "es", "ad", "ed", "at", "et", "ash", "esh", "ath", "eth", "az", "ez")
    + ("an", "en", "adh", "edh")
)
_AR_PREFIXES = ("وال", "بال", "لل", "فال", "كال", "ال", "و", "ب", "ل", "ف")


class PlaceIndex:
    """Gazetteer names as token sequences, to find place names in running text."""

    def __init__(self, gaz: Gazetteer):
        self.gaz = gaz
        self.keys: dict[tuple[str, ...], list[tuple[str, str, str | None, str | None]]] = defaultdict(list)
        for key, kind, adm1, adm2, adm3, name in _gazetteer_keys(gaz):
            toks = tuple(key.split())
            if not toks or len(toks) > 4:
                continue
            short = 3 if _AR.match(toks[0]) else 4
            if len(toks) == 1 and (len(toks[0]) < short or toks[0] in rules.NOT_PLACES):
                continue
            if adm1 is None:
                continue
            self.keys[toks].append((kind, adm1, adm2, adm3 or name))
        for name, adm1 in rules.PLACE_VARIANTS.items():  # the news' names the gazetteer does not reach
            toks = tuple(t[0] for t in self.tokens(name))
            if toks and not any(c[1] == adm1 for c in self.keys.get(toks, [])):
                self.keys[toks].append(("adm2", adm1, None, name))
        self.maxlen = 4

    @staticmethod
    def tokens(text: str) -> list[tuple[str, int, bool]]:
        """(folded token, offset, starts upper-case or Arabic) for each word of the text."""
        out: list[tuple[str, int, bool]] = []
        for m in _TOKEN.finditer(text):
            w = m.group(0)
            if _AR.match(w):
                f = fold_arabic(w)
                for p in _AR_PREFIXES:
                    if f.startswith(p) and len(f) - len(p) >= 3:
                        f = f[len(p) :]
                        break
                out.append((f, m.start(), True))
                continue
            low = _fold_ascii(w)
            for part in low.split("-") if "-" in low else [low]:
                if part and part not in _EN_ARTICLES:
                    out.append((_fold_token(part), m.start(), w[:1].isupper()))
        return out

    def find(self, text: str) -> list[tuple[int, str, list[tuple[str, str, str | None, str | None]]]]:
        """(offset, words, candidate places) of each place name in the text, longest match first."""
        toks = self.tokens(text)
        out = []
        i = 0
        n = len(toks)
        while i < n:
            hit = None
            if toks[i][2]:
                for k in range(min(self.maxlen, n - i), 0, -1):
                    key = tuple(t[0] for t in toks[i : i + k])
                    cands = self.keys.get(key)
                    if cands:
                        hit = (k, cands)
                        break
            if hit:
                k, cands = hit
                end = toks[i + k - 1][1]
                words = text[toks[i][1] : end + len(text[end:].split(None, 1)[0]) if text[end:] else end]
                out.append((toks[i][1], words.strip(" .,;:"), cands))
                i += k
            else:
                i += 1
        return out


def _gazetteer_keys(gaz: Gazetteer) -> list[tuple[str, str, str | None, str | None, str | None, str]]:
    """Every comparison key of the gazetteer with the place it names (names and explicit aliases)."""
    out = []
    for table in (gaz._index, gaz._alias):  # noqa: SLF001 (read-only use of the built index)
        for key, ids in table.items():
            for i in set(ids):
                e = gaz._entries[i]  # noqa: SLF001
                out.append((key, e.kind, e.adm1, e.adm2, e.adm3, e.name))
    return out


@lru_cache(maxsize=200_000)
def _fold_ascii(word: str) -> str:
    from unidecode import unidecode  # noqa: PLC0415

    return re.sub(r"['\u2019`]", "", unidecode(word).lower())


@lru_cache(maxsize=1)
def place_index() -> PlaceIndex:
    return PlaceIndex(Gazetteer.bundled())


# --------------------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------------------


@dataclass
class Features:
    language: str
    published: date | None
    published_words: str
    relative: tuple[date, str, str] | None
    places: dict[str, list[float]]  # adm1 pcode → [title, lead, rest of body, early body] scores
    place_words: dict[str, str]
    place_best: dict[str, tuple[str, str | None, str | None, str]]  # adm1 → (kind, adm2, adm3/name, words)
    actors: dict[str, list[float]]  # actor → [title, lead, body, agent, victim] scores
    actor_words: dict[str, str]
    causes: dict[str, list[float]]  # violation kind → [title, lead, rest of body, early body]
    cause_words: dict[str, str]
    counts: list[tuple[int, str, int, str, str]]  # (offset, what, number, group, words); group: civ/com/any


def _lead_end(text: str) -> int:
    m = re.search(r"[.!?؟]\s", text[40:])
    return 40 + m.start() if m else len(text)


def features(article: Article) -> Features:
    title = article.title or ""
    body = article.body or ""
    text = f"{title}\n{body}" if title else body
    lang = article.language or language_of(text)
    head = body[:160]
    pub: date | None = None
    pub_words = ""
    if article.published is not None:
        pub = article.published.astimezone(UTC).date()
        pub_words = "publication time"
    else:
        fd = find_full_date(head) or find_full_date(title)
        if fd:
            pub, pub_words = fd
    # the relative day: in the title or the lead, after the dateline
    start = body.find(pub_words) + len(pub_words) if pub_words and pub_words in body else 0
    lead_text = body[start : start + 600]
    relative = resolve_relative(title + " . " + lead_text, pub) if pub else None
    tlen = len(title) + 1 if title else 0
    lead_end = tlen + start + _lead_end(body[start:])

    def zone(off: int) -> int:
        return 0 if off < tlen else (1 if off < lead_end else 2)

    # places
    places: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    place_words: dict[str, str] = {}
    place_best: dict[str, tuple[str, str | None, str | None, str]] = {}
    for off, words, cands in place_index().find(text):
        adm1s = {c[1] for c in cands}
        share = 1.0 / len(adm1s)
        z = zone(off)
        if z == 2 and off < lead_end + 600:
            z = 3
        for c in cands:
            if c[1] not in adm1s:
                continue
            adm1s.discard(c[1])
            places[c[1]][z] += share
            place_words.setdefault(c[1], words)
            prev = place_best.get(c[1])
            finer = {"point": 3, "adm3": 2, "adm2": 1, "adm1": 0}
            if prev is None or finer.get(c[0], 0) > finer.get(prev[0], 0):
                place_best[c[1]] = (c[0], c[2], c[3], words)
    # actors and causes
    low = text.lower() if lang == "en" else fold_arabic(text)
    actors: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])
    actor_words: dict[str, str] = {}
    for rx, actor in rules.actor_patterns():
        for m in rx.finditer(low):
            z = zone(m.start())
            actors[actor][z] += 1
            after = low[m.end() : m.end() + 40]
            before = low[max(0, m.start() - 30) : m.start()]
            if rules.AGENT_AFTER.match(after) or rules.AGENT_BEFORE.search(before):
                actors[actor][3] += 1 if z == 2 else 2
                actor_words[actor] = text[m.start() : m.end() + len(after.split(" ", 2)[0]) + 1].strip()
            if rules.VICTIM_AFTER.match(after):
                actors[actor][4] += 1
            actor_words.setdefault(actor, text[m.start() : m.end()])
    causes: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    cause_words: dict[str, str] = {}
    for rx, kind, w in rules.cause_patterns():
        for m in rx.finditer(low):
            z = zone(m.start())
            if z == 2 and m.start() < lead_end + 600:
                z = 3
            causes[kind][z] += w
            cause_words.setdefault(kind, text[m.start() : m.end()])
    counts = casualty_statements(text, low, lang)
    return Features(
        lang,
        pub,
        pub_words,
        relative,
        dict(places),
        place_words,
        place_best,
        dict(actors),
        actor_words,
        dict(causes),
        cause_words,
        counts,
    )


# --------------------------------------------------------------------------------------------------------
# Casualties
# --------------------------------------------------------------------------------------------------------

_QUAL = (
    r"(?:(?:at\s+least|some|about|around|nearly|almost|more\s+than|over|up\s+to|as\s+many\s+as|"
    r"approximately|roughly|an\s+estimated)\s+)?"
)
_RANGE = rf"({NUMBER})(?:\s*(?:-|to|or|and)\s*({NUMBER}))?"
_GROUP_WORDS = rules.CIVILIAN_WORDS + "|" + rules.COMBATANT_WORDS
_NUM_NOUN = re.compile(rf"\b{_QUAL}{_RANGE}\s+((?:[\w'-]+\s+){{0,3}}?)({_GROUP_WORDS})\b", re.I)
_NUM_VERB = re.compile(
    rf"\b{_QUAL}{_RANGE}\s+(?:were\s+|have\s+been\s+|had\s+been\s+|are\s+)?"
    rf"(killed|dead|died|deaths|wounded|injured|hurt)\b",
    re.I,
)
_VERB_NUM = re.compile(
    rf"\b(kill(?:s|ed|ing)|left|leaving|claimed|wound(?:s|ed|ing)|injur(?:es|ed|ing)|"
    rf"death\s+toll\s+(?:\w+\s+){{0,8}}?(?:to|at|of|reached|rose\s+to|is|was|hits?))\s+"
    rf"{_QUAL}{_RANGE}\b(?!\s*(?:%|percent|km|kilomet|miles|years|days|hours|minutes|"
    rf"am|pm|metres|meters))",
    re.I,
)
_KILL = re.compile(
    r"\b(kill|dead|death|died|die|lives|bodies|martyr|massacre|execut|slain|perish|"
    r"toll|claimed)",
    re.I,
)
_HURT = re.compile(r"\b(wound|injur|hurt)", re.I)


_INCLUDING = re.compile(r"\b(?:including|among\s+them|of\s+whom|among\s+whom|among\s+the\s+dead|among)\s*$", re.I)


def _what(before: str, after: str) -> str | None:
    """'killed' or 'injured' for a number, from the nearest casualty word around it."""
    best: tuple[int, str] | None = None
    for m in _KILL.finditer(after):
        best = (m.start(), "killed")
        break
    for m in _HURT.finditer(after):
        if best is None or m.start() < best[0]:
            best = (m.start(), "injured")
        break
    b2: tuple[int, str] | None = None
    for rx, what in ((_KILL, "killed"), (_HURT, "injured")):
        ms = list(rx.finditer(before))
        if ms:
            dist = len(before) - ms[-1].end()
            if b2 is None or dist < b2[0]:
                b2 = (dist, what)
    if _INCLUDING.search(before) and b2 is not None:
        return b2[1]  # "killed 15 civilians including four children": the statement it is part of
    if b2 is not None and b2[0] <= 12:
        return b2[1]  # "killed six people and injured ten": the verb just before wins
    if best is not None and (b2 is None or best[0] <= b2[0] + 10):
        return best[1]
    return b2[1] if b2 is not None else None


def casualty_statements(text: str, low: str, lang: str) -> list[tuple[int, str, int, str, str]]:
    out: list[tuple[int, str, int, str, str]] = []
    if lang == "ar":
        return _arabic_statements(text)
    seen: set[int] = set()
    for m in _NUM_NOUN.finditer(text):
        n = to_int(m.group(1))
        if n is None or n > 5000 or 1900 <= n <= 2100:
            continue
        noun = m.group(4).lower()
        group = rules.group_of(noun)
        what = _what(text[max(0, m.start() - 60) : m.start()], text[m.end() : m.end() + 60])
        if what is None:
            continue
        out.append((m.start(), what, n, group, m.group(0)))
        seen.add(m.start(1))
    for rx in (_NUM_VERB, _VERB_NUM):
        for m in rx.finditer(text):
            gi = 1 if rx is _NUM_VERB else 2
            if m.start(gi) in seen:
                continue
            n = to_int(m.group(gi))
            if n is None or n > 5000 or 1900 <= n <= 2100:
                continue
            verb = m.group(gi + 2 if rx is _NUM_VERB else 1).lower()
            if rx is _VERB_NUM:
                rest = text[m.end() : m.end() + 40].lower()
                g = re.match(rf"\s+((?:[\w'-]+\s+){{0,3}}?)({_GROUP_WORDS})\b", rest)
                if g:
                    continue  # counted by the noun pattern
            what = "injured" if _HURT.match(verb) else "killed"
            if verb.startswith(("left", "leaving", "claimed")):
                w2 = _what("", text[m.end() : m.end() + 40])
                if w2 is None:
                    continue
                what = w2
            out.append((m.start(), what, n, "any", m.group(0)))
            seen.add(m.start(gi))
    out.sort()
    return out


_AR_NUM = r"(\d+|" + "|".join(sorted(AR_WORDS, key=len, reverse=True)) + r")"
_AR_KILL = r"(?:مقتل|قتل|استشهاد|قضى|سقوط|مصرع|اعدام)"
_AR_HURT = r"(?:اصابه|جرح|اصيب|جرحى|مصابين)"
_AR_STATEMENTS = (
    re.compile(rf"({_AR_KILL})\s+(?:نحو\s+|اكثر من\s+|ما لا يقل عن\s+)?{_AR_NUM}\s+(\S+)"),
    re.compile(rf"({_AR_HURT})\s+(?:نحو\s+|اكثر من\s+)?{_AR_NUM}\s+(\S+)"),
    re.compile(rf"{_AR_NUM}\s+(قتلى|قتيلا|قتيل|شهداء|شهيدا|جرحى|مصابين|اشخاص|مدنيين|مدنيا|اطفال|عناصر)"),
)


def _arabic_statements(text: str) -> list[tuple[int, str, int, str, str]]:
    f = fold_arabic(text)
    out = []
    for i, rx in enumerate(_AR_STATEMENTS):
        for m in rx.finditer(f):
            if i < 2:
                n = to_int(m.group(2))
                noun = m.group(3)
                what = "killed" if i == 0 else "injured"
            else:
                n = to_int(m.group(1))
                noun = m.group(2)
                what = "injured" if noun in ("جرحى", "مصابين") else "killed"
            if n is None:
                continue
            out.append((m.start(), what, n, rules.group_of_ar(noun), text[m.start() : m.end()]))
    out.sort()
    return out


# --------------------------------------------------------------------------------------------------------
# Decisions
# --------------------------------------------------------------------------------------------------------


def _score(z: list[float], p: Params) -> float:
    return z[0] * p.title_weight + z[1] * p.lead_weight + z[2]


def decide_place(f: Features, p: Params) -> Found:
    if not f.places:
        return Found(None, "", 0.0)
    scored = sorted(
        (
            ((_score(z, p) + z[3] * p.early_weight) * (p.capital_weight if k == "SY01" else 1.0), k)
            for k, z in f.places.items()
        ),
        reverse=True,
    )
    total = sum(s for s, _ in scored) or 1.0
    s, adm1 = scored[0]
    kind, adm2, name, words = f.place_best[adm1]
    gaz = place_index().gaz
    value = {"adm1_pcode": adm1, "adm1_name": gaz.admin_name(adm1), "name": words or f.place_words[adm1], "kind": kind}
    return Found(value, f.place_words[adm1] if kind == "adm1" else words, round(s / total, 3))


def decide_actor(f: Features, p: Params) -> Found:
    """The side with the highest score (the government and its allies, the opposition groups… each
    together), then the party of that side named most."""
    sides: dict[str, float] = defaultdict(float)
    each: dict[str, float] = {}
    for a, z in f.actors.items():
        s = (
            p.mention_weight * (z[0] * p.title_weight + z[1] * p.lead_weight + z[2])
            + z[3] * p.agent_weight
            - z[4] * p.victim_weight
        )
        each[a] = s
        sides[rules.side_of(a)] += s
    air = f.causes.get("airstrike")
    if air is not None and p.air_weight and "COALITION" not in sides:
        share = (_score(air, p) + air[3] * p.early_weight) / (
            sum(_score(z, p) + z[3] * p.early_weight for z in f.causes.values()) or 1.0
        )
        sides[rules.AIR_SIDE] += p.air_weight * share
        each.setdefault(rules.AIR_SIDE, 0.0)
    if not sides:
        return Found(None, "", 0.0)
    side, best = max(sides.items(), key=lambda kv: kv[1])
    if best < p.actor_min:
        return Found(None, "", 0.0)
    party = max((a for a in each if rules.side_of(a) == side), key=lambda a: each[a])
    total = sum(max(v, 0.0) for v in sides.values()) or 1.0
    return Found(party, f.actor_words.get(party, ""), round(min(1.0, best / total), 3))


def decide_cause(f: Features, p: Params) -> Found:
    best: tuple[float, str] | None = None
    total = 0.0
    for k, z in f.causes.items():
        s = (_score(z, p) + z[3] * p.early_weight) * (p.clash_weight if k == "armed_clash" else 1.0)
        total += s
        if best is None or s > best[0]:
            best = (s, k)
    if best is None or best[0] < p.cause_min:
        return Found(None, "", 0.0)
    return Found(best[1], f.cause_words.get(best[1], ""), round(best[0] / (total or 1.0), 3))


def _pick(items: list[tuple[int, str, int, str, str]], rule: str, tlen: int) -> tuple[int, str] | None:
    if not items:
        return None
    if rule == "max":
        it = max(items, key=lambda x: x[2])
    elif rule == "title":
        in_title = [x for x in items if x[0] < tlen]
        it = max(in_title, key=lambda x: x[2]) if in_title else items[0]
    else:
        it = items[0]
    return it[2], it[4]


def decide_casualties(f: Features, p: Params, tlen: int) -> dict[str, Found]:
    out: dict[str, Found] = {}
    counts = [c for c in f.counts if c[0] < p.count_window]
    killed = [c for c in counts if c[1] == "killed"]
    hurt = [c for c in counts if c[1] == "injured"]
    civ = ("civ", "child", "woman", "any") if p.any_as_civilian else ("civ", "child", "woman")
    groups = {
        "killed": killed,
        "killed_civilian": [c for c in killed if c[3] in civ],
        "killed_combatant": [c for c in killed if c[3] == "com"],
        "killed_children": [c for c in killed if c[3] == "child"],
        "killed_women": [c for c in killed if c[3] == "woman"],
        "injured": hurt,
        "injured_civilian": [c for c in hurt if c[3] in civ],
        "injured_combatant": [c for c in hurt if c[3] == "com"],
    }
    for k, items in groups.items():
        picked = _pick(items, p.count_rule, tlen)
        if picked is not None:
            out[k] = Found(picked[0], picked[1], 0.8 if k != "killed" else 0.7)
    return out


def decide_date(f: Features, p: Params) -> tuple[Found, str]:
    if f.published is None:
        return Found(None, "", 0.0), "day"
    if p.date_rule == "relative" and f.relative is not None:
        d, words, prec = f.relative
        return Found(d.isoformat(), words, 0.8), prec
    return Found(f.published.isoformat(), f.published_words, 0.6), "day"


def decide(article: Article, f: Features, p: Params = DEFAULT) -> Extraction:
    d, prec = decide_date(f, p)
    tlen = len(article.title) + 1 if article.title else 0
    return Extraction(
        language=f.language,
        published=f.published.isoformat() if f.published else None,
        date=d,
        date_precision=prec,
        place=decide_place(f, p),
        party=decide_actor(f, p),
        violation_type=decide_cause(f, p),
        casualties=decide_casualties(f, p, tlen),
    )


def extract(article: Article, p: Params = DEFAULT) -> Extraction:
    """Everything the rules find in one article."""
    return decide(article, features(article), p)
