"""Place-name gazetteer for Syria: free text ("Idlib governorate", "Saraqib town", "Rif Dimashq") to a place.

Built once per process from the bundled data:

- OCHA admin areas ADM1/2/3 (English, Arabic and ADM3 reference names) → areas at their label points;
- OCHA admin capitals, GeoNames (``cities500`` with alternate names, ``cities1000``) and the Syrian
  Archive locations (English + Arabic) → points, each placed in its ADM1/2/3 by point-in-polygon against
  the ADM3 polygons (one vectorised STRtree query; points just outside every polygon, e.g. on the
  coast or a border, snap to the nearest sub-district within ~5 km, the others are dropped).

Names are compared by *keys* that absorb the usual transliteration noise (case, diacritics, hyphens and
apostrophes, Arabic articles "al-/ar-/as-…", doubled letters, a final "-ah/-eh"), then by a consonant
*skeleton* (vowels dropped, kh/gh/q/th… folded) and, last, by a strict fuzzy match restricted to the
candidates allowed by the hints. Type words ("governorate", "district", "sub-district", "town"…) are
removed from the key and say which kind of place is meant.

An admin area whose name is also the name of a town inside it inherits that town's alternate names
(GeoNames lists "Tadmur|Palmyra|Tadmor…" for the town, OCHA names the district "Tadmor" only), so
"Tadmur district", "Albu Kamal district" or "Kobane" reach the OCHA area without a hand-written alias.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from unidecode import unidecode

from truce.geo.geometry import bundled_adm3_repaired, bundled_admin_features, bundled_path
from truce.geo.models import admin_areas, places

PRECISIONS = ("exact", "near", "adm3", "adm2", "adm1", "country")
"""Finest first. "near" = a settlement's gazetteer point (UCDP where_prec 2: within ~25 km)."""

SYRIA_CENTER = (34.8021, 38.9968)  # lat, lon of Syria's centre (bundled data); other countries: from their areas
SNAP_DEG = 0.045  # ~5 km: a point this close to a sub-district (and inside none) is placed in it

# Kinds of gazetteer entries; "point" is a populated place, neighbourhood, landmark…
ADM1, ADM2, ADM3, POINT, COUNTRY = "adm1", "adm2", "adm3", "point", "country"

# Sources, best first, when two points of the same name compete (then by population).
_SOURCE_RANK = {"geonames": 0, "capital": 1, "geonames_rg": 2, "syrian_archive": 3}

# --------------------------------------------------------------------------------------------------------
# Explicit aliases: only the names that no normalisation rule reaches. (alias, OCHA English name, kinds)
# Everything else (Idlib/Idleb, Hamah/Hama, Latakia/Lattakia, Tartus/Tartous, Daraa/Dar'a, Jabal/Jebel
# Saman, Tadmur/Tadmor, Kobane/Ayn al Arab, Albu Kamal/Abu Kamal, Al Qamishli/Quamishli…) is reached by
# the keys, the skeletons or the alternate names GeoNames gives for the town an area is named after.
# --------------------------------------------------------------------------------------------------------
ALIASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # The governorate around Damascus: Arabic "Rif Dimashq", the VDC's "Damascus Suburbs", the news'
    # "Damascus countryside".
    ("Rif Dimashq", "Rural Damascus", (ADM1, ADM2)),
    ("Rif Dimashk", "Rural Damascus", (ADM1, ADM2)),
    ("Reef Dimashq", "Rural Damascus", (ADM1, ADM2)),
    ("Rif Damascus", "Rural Damascus", (ADM1, ADM2)),
    ("Reef Damascus", "Rural Damascus", (ADM1, ADM2)),
    ("Damascus Rural", "Rural Damascus", (ADM1, ADM2)),
    ("Damascus Suburbs", "Rural Damascus", (ADM1,)),
    ("Damascus Countryside", "Rural Damascus", (ADM1,)),
    ("Damascus Rif", "Rural Damascus", (ADM1,)),
    # OCHA shortens the district of Maarat an-Numan to "Al Ma'ra".
    ("Maarrat an Numan", "Al Ma'ra", (ADM2,)),
    ("Maarat al-Numaan", "Al Ma'ra", (ADM2,)),
    ("Maaret al-Numan", "Al Ma'ra", (ADM2,)),
    ("Maarat al-Nouman", "Al Ma'ra", (ADM2,)),
    # The VDC's spelling, with the article glued on.
    ("Deir Ezzor", "Deir-ez-Zor", (ADM1, ADM2, ADM3)),
    ("Deirezzor", "Deir-ez-Zor", (ADM1, ADM2, ADM3)),
    ("Deir Ezor", "Deir-ez-Zor", (ADM1, ADM2, ADM3)),
    # Too short for a consonant skeleton to be safe.
    ("Deraa", "Dar'a", (ADM1, ADM2, ADM3)),
    ("Dera'a", "Dar'a", (ADM1, ADM2, ADM3)),
)

COUNTRY_NAMES = (
    "Syria", "Syrian Arab Republic", "Syrie", "Siria", "سوريا", "سورية", "الجمهورية العربية السورية"
)

# --------------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------------

_ARTICLES = frozenset(
    ("al", "el", "il", "ul", "ar", "er", "as", "es", "ad", "ed", "at", "et",
     "ash", "esh", "ath", "eth", "az", "ez", "an", "en", "adh", "edh")
)
# Type words: removed from the key; they say which kind of place the text means.
_TYPE_WORDS: dict[str, str | None] = {
    **dict.fromkeys(
        ("governorate", "governorates", "governate", "province", "muhafazah", "muhafaza", "mohafaza",
         "mohafazat", "muhafazat", "countryside"),
        ADM1,
    ),
    **dict.fromkeys(("district", "mintaqat", "mintaqah", "mintaqa", "mantiqah", "mantiqa", "markaz"), ADM2),
    **dict.fromkeys(("subdistrict", "nahiya", "nahiyah", "nahia", "nahiyat", "nahiyeh", "najiyah"), ADM3),
    **dict.fromkeys(
        ("town", "city", "village", "suburb", "suburbs", "neighbourhood", "neighborhood", "quarter",
         "camp", "locality", "hamlet", "farm", "farms", "airport", "airbase", "checkpoint"),
        POINT,
    ),
    # Words that only describe: stripped, no kind implied.
    **dict.fromkeys(
        ("area", "mountain", "mount", "plain", "plains", "region", "outskirts", "vicinity"), None
    ),
}
_DIRECTIONS = frozenset(
    ("north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
     "northeast", "northwest", "southeast", "southwest",
     "northeastern", "northwestern", "southeastern", "southwestern")
)
_AR_TYPE_WORDS: dict[str, str | None] = {
    "محافظه": ADM1, "منطقه": ADM2, "ناحيه": ADM3,
    "مدينه": POINT, "بلده": POINT, "قريه": POINT, "حي": POINT, "مخيم": POINT,
}
_AR_CHARS = re.compile(r"[\u0600-\u06ff]")
_AR_FOLD = str.maketrans("أإآٱىةؤئ", "اااايهوي")
_AR_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")
_AR_TOKEN = re.compile(r"[\u0621-\u064a0-9]+")
_QUOTES = re.compile(r"['`\u2018\u2019\u02bb\u02bc\u02bd\u02be\u02bf\u00b4]")
_SKEL_SUBS = (("sh", "x"), ("ch", "x"), ("kh", "k"), ("gh", "g"), ("th", "t"), ("dh", "d"), ("ph", "f"),
              ("dj", "j"), ("q", "k"), ("c", "k"))
_VOWELS = frozenset("aeiouy")


def _ascii_fold(text: str) -> str:
    text = _QUOTES.sub("", text)
    text = unidecode(text).lower()
    text = _QUOTES.sub("", text)
    text = re.sub(r"sub[\s_-]*districts?", "subdistrict", text)
    text = re.sub(r"air[\s_-]*base", "airbase", text)
    return text


_DOUBLED = re.compile(r"(.)\1+")
_FINAL_H = re.compile(r"([aeiou])h$")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=100_000)
def _fold_token(tok: str) -> str:
    tok = _DOUBLED.sub(r"\1", tok)  # doubled letters: Lattakia/Latakia, Maarrat/Marat
    if len(tok) > 3:
        tok = _FINAL_H.sub(r"\1", tok)  # final -ah/-eh: Hamah/Hama, Hasakah/Hasaka
    return tok


@lru_cache(maxsize=100_000)
def _skeleton_token(tok: str) -> str:
    for a, b in _SKEL_SUBS:
        tok = tok.replace(a, b)
    head = "a" if tok[:1] in _VOWELS and tok[:1] != "y" else tok[:1]  # "Yabrud": y is a consonant here
    rest = "".join(ch for ch in tok[1:] if ch not in _VOWELS)
    return _DOUBLED.sub(r"\1", head + rest)


def _loose(sk: str) -> str:
    """A looser skeleton for the fuzzy tier: sh/s, h and w ignored ('Shiran'/'Seran', 'Hawayij'/'Hawaij')."""
    return _DOUBLED.sub(r"\1", sk.replace("x", "s").replace("h", "").replace("w", ""))


def skeleton(key: str) -> str:
    """Consonant skeleton of a key: 'jabal saman' and 'jebel saman' both give 'jblsmn'."""
    if _AR_CHARS.search(key):
        return ""
    return "".join(_skeleton_token(t) for t in key.split())


@dataclass(frozen=True)
class _Analysis:
    full: str  # articles removed, type words kept
    key: str  # type words removed too
    nodir: str  # and direction words ("Northern Aleppo governorate" → "aleppo")
    intent: str | None  # kind the type words point at
    arabic: bool


@lru_cache(maxsize=100_000)
def analyse(text: str) -> _Analysis:
    """The keys of a name and the kind of place its type words point at."""
    if _AR_CHARS.search(text):
        return _analyse_arabic(text)
    raw = [t for t in _NON_ALNUM.split(_ascii_fold(text)) if t]
    no_art = [t for t in raw if t not in _ARTICLES] or raw
    intent: str | None = None
    for t in no_art:
        if _TYPE_WORDS.get(t) is not None:
            intent = _TYPE_WORDS[t]  # the last type word is the head noun: "Mintaqat Markaz Homs district"
    stripped = [t for t in no_art if t not in _TYPE_WORDS] or no_art
    nodir = [t for t in stripped if t not in _DIRECTIONS] or stripped

    def fold(toks: list[str]) -> str:
        return " ".join(_fold_token(t) for t in toks)

    return _Analysis(fold(no_art), fold(stripped), fold(nodir), intent, False)


def _analyse_arabic(text: str) -> _Analysis:
    t = _AR_MARKS.sub("", unicodedata.normalize("NFKC", text)).translate(_AR_FOLD)
    toks = []
    for tok in _AR_TOKEN.findall(t):
        if tok.startswith("ال") and len(tok) > 3:
            tok = tok[2:]
        toks.append(tok)
    intent: str | None = None
    for tok in toks:
        if tok in _AR_TYPE_WORDS:
            intent = _AR_TYPE_WORDS[tok]
            break  # Arabic puts the head noun first: "محافظة إدلب"
    stripped = [tok for tok in toks if tok not in _AR_TYPE_WORDS] or toks
    key = " ".join(stripped)
    return _Analysis(" ".join(toks), key, key, intent, True)


def normalise(text: str) -> str:
    """The comparison key of a name (type words and articles removed)."""
    return analyse(text).key


def alternatives(text: str) -> list[str]:
    """'Tadmur/Palmyra town' → ['Tadmur', 'Palmyra town'];
    'Al-Rai town (Choban Bey)' → ['Al-Rai town', 'Choban Bey']."""
    return [p for p, _ in _parts(text)]


def _parts(text: str) -> list[tuple[str, bool]]:
    """Alternatives of a name, each flagged True when it came from parentheses (an alias or a context)."""
    inner = [p.strip() for p in re.findall(r"\(([^()]*)\)", text)]
    outer = re.sub(r"\([^()]*\)", " ", text)
    parts = [(p.strip(), False) for p in outer.split("/")] + [(p, True) for p in inner]
    return [(re.sub(r"\s+", " ", p), paren) for p, paren in parts if p.strip()]


# --------------------------------------------------------------------------------------------------------
# Entries and resolutions
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    precision: str  # one of PRECISIONS
    lat: float | None
    lon: float | None
    adm1_pcode: str | None
    adm2_pcode: str | None
    adm3_pcode: str | None
    matched: str  # the gazetteer name that matched
    source: str  # ocha_adm1 / ocha_adm2 / ocha_adm3 / geonames / syrian_archive / capital / country


def precision_rank(precision: str) -> int:
    """0 for the finest ("exact") … 5 for "country"."""
    return PRECISIONS.index(precision)


@dataclass
class _Entry:
    name: str
    kind: str
    source: str
    lat: float
    lon: float
    adm1: str | None
    adm2: str | None
    adm3: str | None
    population: int = 0
    names: list[str] = field(default_factory=list)  # every name it is known by (display name first)

    def rank(self) -> tuple[int, int]:
        return (_SOURCE_RANK.get(self.source, 9), -self.population)

    def resolution(self) -> Resolution:
        if self.kind == POINT:
            precision, source = "near", self.source
            if source == "geonames_rg":
                source = "geonames"
        else:
            precision, source = self.kind, "country" if self.kind == COUNTRY else f"ocha_{self.kind}"
        return Resolution(precision, self.lat, self.lon, self.adm1, self.adm2, self.adm3, self.name, source)


# Kind preferences: which kinds a type word allows, best first.
_KIND_ORDER: dict[str | None, tuple[str, ...]] = {
    ADM1: (ADM1,),
    ADM2: (ADM2,),
    ADM3: (ADM3,),
    POINT: (POINT, ADM3),
    None: (ADM1, POINT, ADM3, ADM2),  # a bare governorate name means the governorate: "in Idlib"
}
_HINTED_BARE = (POINT, ADM3, ADM2, ADM1)  # a bare name inside a hinted area: the finest place
_COARSE = frozenset((ADM1, ADM2, COUNTRY))


def _csv_rows(name: str) -> Iterator[dict[str, str]]:
    yield from csv.DictReader(io.StringIO(bundled_path(name).read_text("utf-8")))


def _latin_or_arabic(name: str) -> bool:
    """Alternate names worth indexing: Latin or Arabic script (not Cyrillic, CJK… unidecoded to noise)."""
    for ch in name:
        uname = unicodedata.name(ch, "")
        if ch.isalpha() and not ("LATIN" in uname or "MODIFIER" in uname or _AR_CHARS.match(ch)):
            return False
    return True


class Gazetteer:
    """Resolves free-text Syrian place names to OCHA P-codes and points. Build with :meth:`bundled`."""

    def __init__(
        self,
        entries: list[_Entry],
        aliases: Iterable[tuple[str, str, tuple[str, ...]]] = ALIASES,
        countries: dict[str, Country] | None = None,
    ):
        self._entries = entries
        self.countries: dict[str, Country] = countries if countries is not None else {"SY": SYRIA}
        self._country_keys: dict[str, str] = {}
        for iso, c in self.countries.items():
            for n in c.names:
                k = normalise(n)
                if k:
                    self._country_keys.setdefault(k, iso)
        self._index: dict[str, list[int]] = defaultdict(list)
        self._skel: dict[str, list[int]] = defaultdict(list)
        self._alias: dict[str, list[int]] = defaultdict(list)
        self._names: dict[str, str] = {iso: c.names[0] for iso, c in self.countries.items()}
        self._areas: dict[str, _Entry] = {}
        self._cache: dict[tuple[str, str | None, str | None, str | None], Resolution | None] = {}
        for i, e in enumerate(entries):
            if e.kind in (ADM1, ADM2, ADM3):
                pcode = {ADM1: e.adm1, ADM2: e.adm2, ADM3: e.adm3}[e.kind]
                if pcode:
                    self._names.setdefault(pcode, e.name)
                    self._areas.setdefault(pcode, e)
            for key in self._entry_keys(e):
                self._index[key].append(i)
                sk = skeleton(key)
                if len(sk) >= 3:
                    self._skel[sk].append(i)
        by_key = {k: list(v) for k, v in self._index.items()}
        for alias, target, kinds in aliases:
            tkey = normalise(target)
            ids = [i for i in by_key.get(tkey, []) if entries[i].kind in kinds]
            a = analyse(alias)
            # "Damascus countryside" must not make plain "damascus" an alias: type words stay in the key
            akey = a.full
            self._alias[akey].extend(i for i in ids if i not in self._alias[akey])
        self._sorted_keys = sorted((k, i) for k, ids in self._index.items() for i in set(ids))
        # fuzzy pools per governorate: (key, entry, loose skeleton)
        self._by_adm1: dict[str | None, list[tuple[str, int, str]]] = defaultdict(list)
        for k, i in self._sorted_keys:
            if not _AR_CHARS.search(k):
                item = (k, i, _loose(skeleton(k)))
                self._by_adm1[entries[i].adm1].append(item)
                self._by_adm1["*"].append(item)

    @staticmethod
    def _entry_keys(e: _Entry) -> set[str]:
        keys = set()
        for n in e.names:
            a = analyse(n)
            if a.key:
                keys.add(a.key)
        return keys

    # ----------------------------------------------------------------------------------------------------
    @classmethod
    def bundled(cls) -> Gazetteer:
        """The gazetteer of the bundled OCHA, GeoNames and Syrian Archive data (built once per process)."""
        return _bundled_gazetteer()

    def __len__(self) -> int:
        return len(self._entries)

    def admin_name(self, pcode: str) -> str:
        """English name of an OCHA P-code ("SY07" → "Idleb")."""
        try:
            return self._names[pcode]
        except KeyError:
            raise KeyError(f"unknown P-code {pcode!r}") from None

    # ----------------------------------------------------------------------------------------------------
    def resolve(
        self, name: str, *, adm1: str | None = None, adm2: str | None = None, level: str | None = None
    ) -> Resolution | None:
        """Resolve free text ("Idlib governorate", "Rif Dimashq", "Saraqib town", "Duma") to the finest
        place found, or None. ``adm1``/``adm2`` are P-code hints: only places inside them are considered
        (a town name found in several governorates picks the one inside the hinted area). ``level``
        ("adm1", "adm2", "adm3", "point") forces the kind of place, whatever the type words say."""
        if not name or not name.strip():
            return None
        ck = (name, adm1, adm2, level)
        if ck in self._cache:
            return self._cache[ck]
        whole = analyse(name)
        result = None
        for part, paren in _parts(name) or [(name, False)]:
            if paren and self._names_area(part):
                continue  # "Jabal Bishri mountain (Deir Ezzor)": a context, not another name of the place
            result = self._resolve_part(part, whole.intent, adm1, adm2, level)
            if result is not None:
                break
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[ck] = result
        return result

    def _names_area(self, text: str) -> bool:
        """Whether the text is the name of a governorate or district (or of the country)."""
        key = analyse(text).key
        ids = self._alias.get(key, []) + self._index.get(key, [])
        return key in self._country_keys or any(self._entries[i].kind in (ADM1, ADM2) for i in ids)

    def country_code(self, name: str) -> str | None:
        """The ISO code of the loaded country a name denotes ("Yemen", "اليمن", "Syrian Arab Republic")."""
        return self._country_keys.get(normalise(name)) if name and name.strip() else None

    def country_label(self) -> str:
        """The deployment's countries by name: "Syria", "Syria or Yemen"."""
        return " or ".join(c.names[0] for c in self.countries.values()) or "a loaded country"

    def area(self, pcode: str) -> Resolution:
        """The resolution of an OCHA admin area by P-code (at its label point)."""
        try:
            return self._areas[pcode].resolution()
        except KeyError:
            raise KeyError(f"unknown P-code {pcode!r}") from None

    def _country(self, iso: str) -> Resolution:
        c = self.countries[iso]
        return Resolution("country", c.lat, c.lon, None, None, None, c.names[0], "country")

    def _allowed(self, e: _Entry, adm1: str | None, adm2: str | None) -> bool:
        if adm1 is not None and e.adm1 != adm1:
            return False
        if adm2 is not None:
            if e.kind == ADM1:
                return e.adm1 == adm2[:4]
            if e.adm2 != adm2:
                return False
        return True

    def _pick(
        self, ids: Iterable[int], kinds: tuple[str, ...], adm1: str | None, adm2: str | None
    ) -> _Entry | None:
        best: tuple[int, tuple[int, int], int] | None = None
        for i in ids:
            e = self._entries[i]
            if e.kind not in kinds or not self._allowed(e, adm1, adm2):
                continue
            cand = (kinds.index(e.kind), e.rank(), i)
            if best is None or cand < best:
                best = cand
        return None if best is None else self._entries[best[2]]

    def _resolve_part(
        self, text: str, default_intent: str | None, adm1: str | None, adm2: str | None, level: str | None
    ) -> Resolution | None:
        a = analyse(text)
        intent = a.intent or default_intent
        if level is not None:
            kinds: tuple[str, ...] = (level,)
        elif intent is None and (adm1 or adm2):
            kinds = _HINTED_BARE
        else:
            kinds = _KIND_ORDER[intent]
        iso = self._country_keys.get(a.key) or self._country_keys.get(a.nodir)
        if level in (None, COUNTRY) and not (adm1 or adm2) and iso:
            return self._country(iso)
        if level == COUNTRY:
            return None
        # 1. an explicit alias of the whole text ("Damascus countryside"): bare ordering, type words ignored
        if a.full != a.key and a.full in self._alias:
            bare = (level,) if level else (_HINTED_BARE if (adm1 or adm2) else _KIND_ORDER[None])
            e = self._pick(self._alias[a.full], bare, adm1, adm2)
            if e is not None:
                return e.resolution()
        keys = [(a.key, kinds)]
        if a.nodir != a.key:  # "Northern Aleppo governorate": an area that contains it, never a point
            coarse = tuple(k for k in kinds if k in _COARSE)
            if coarse:
                keys.append((a.nodir, coarse))
        for key, ks in keys:
            e = self._lookup(key, ks, adm1, adm2, a.arabic)
            if e is not None:
                return e.resolution()
        return None

    def _lookup(
        self, key: str, kinds: tuple[str, ...], adm1: str | None, adm2: str | None, arabic: bool
    ) -> _Entry | None:
        if not key:
            return None
        # 2. exact key (or alias key)
        e = self._pick(self._alias.get(key, []) + self._index.get(key, []), kinds, adm1, adm2)
        if e is not None or arabic:
            return e
        # 3. consonant skeleton
        sk = skeleton(key)
        if len(sk) >= 3:
            # a short skeleton ("hms") is only trusted for the few, well-known admin areas
            sk_kinds = kinds if len(sk) >= 4 else tuple(k for k in kinds if k in (ADM1, ADM2))
            e = self._pick(self._skel.get(sk, []), sk_kinds, adm1, adm2)
            if e is not None:
                return e
        # 4. strict fuzzy match of the key among the allowed candidates
        if len(key) < 5 or len(key.split()) > 4:
            return None
        pool = self._by_adm1.get(adm1 if adm1 else (adm2[:4] if adm2 else "*"), [])
        loose = _loose(sk)
        cands = [
            (k, i) for k, i, ls in pool if ls == loose and k[0] == key[0] and abs(len(k) - len(key)) <= 3
        ]
        close = difflib.get_close_matches(key, list({k for k, _ in cands}), n=5, cutoff=0.88)
        for k in close:
            e = self._pick((i for kk, i in cands if kk == k), kinds, adm1, adm2)
            if e is not None:
                return e
        return None

    # ----------------------------------------------------------------------------------------------------
    def suggest(self, prefix: str, limit: int = 10) -> list[tuple[str, Resolution]]:
        """Places whose name starts with ``prefix`` (any spelling the gazetteer knows), for autocomplete.
        Labels name the place and the areas it lies in; exact names first, then admin areas, then the
        most populous places."""
        key = analyse(prefix).full if prefix.strip() else ""
        if not key:
            return []
        start = bisect_left(self._sorted_keys, (key, -1))
        hits: dict[int, bool] = {}
        for k, i in self._sorted_keys[start:]:
            if not k.startswith(key):
                break
            hits[i] = hits.get(i, False) or k == key
        kind_rank = {ADM1: 0, ADM2: 1, POINT: 2, ADM3: 3}
        ordered = sorted(hits, key=lambda i: (not hits[i], kind_rank.get(self._entries[i].kind, 9),
                                              self._entries[i].rank(), self._entries[i].name))
        out: list[tuple[str, Resolution]] = []
        seen: set[tuple[str, str | None, str | None, str | None, str]] = set()
        for i in ordered:
            e = self._entries[i]
            label = self._label(e)
            # one suggestion per place: Saraqib (GeoNames), Saraqab (OCHA capital), Saraqib (Syrian Archive)
            sig = (e.kind, e.adm1, e.adm2, e.adm3, skeleton(normalise(e.name)) if e.kind == POINT else e.name)
            if sig in seen:
                continue
            seen.add(sig)
            out.append((label, e.resolution()))
            if len(out) >= limit:
                break
        return out

    def _label(self, e: _Entry) -> str:
        gov = self._names.get(e.adm1 or "", "")
        if e.kind == ADM1:
            return f"{e.name} governorate"
        if e.kind == ADM2:
            return f"{e.name} district, {gov}"
        if e.kind == ADM3:
            return f"{e.name} sub-district, {gov}"
        dist = self._names.get(e.adm2 or "", "")
        return ", ".join(x for x in (e.name, dist, gov) if x)


@dataclass(frozen=True)
class Country:
    """A country the gazetteer knows: its names (display name first) and its centre, for "country" precision."""

    names: tuple[str, ...]
    lat: float
    lon: float


SYRIA = Country(COUNTRY_NAMES, SYRIA_CENTER[0], SYRIA_CENTER[1])


@lru_cache(maxsize=1)
def _bundled_gazetteer() -> Gazetteer:
    return Gazetteer(_bundled_entries())


# --------------------------------------------------------------------------------------------------------
# Building the bundled gazetteer
# --------------------------------------------------------------------------------------------------------


def _split_names(name: str) -> list[str]:
    return [p for p in alternatives(name) if p]


def _bundled_entries() -> list[_Entry]:
    entries: list[_Entry] = []
    # OCHA admin areas
    for level, kind in ((1, ADM1), (2, ADM2), (3, ADM3)):
        for f in bundled_admin_features(level):
            p = f["properties"]
            other = (f"adm{level}_name1", f"adm{level}_ref_n")
            names = [p[f"adm{level}_name"]] + [p[k] for k in other if p.get(k)]
            entries.append(_Entry(
                name=p[f"adm{level}_name"], kind=kind, source=f"ocha_{kind}",
                lat=float(p["center_lat"]), lon=float(p["center_lon"]),
                adm1=p["adm1_pcode"], adm2=p.get("adm2_pcode") if level >= 2 else None,
                adm3=p.get("adm3_pcode") if level == 3 else None, names=names,
            ))
    # points: (names, lat, lon, source, population)
    raw: list[tuple[list[str], float, float, str, int]] = []
    for r in _csv_rows("syr_admin_capitals_ocha.csv"):
        if r["adm_p_lvl"] == "1" and r["name"] != r["adm1_name"] and r["name"] == "Jebel Saman":
            continue  # Aleppo's capital is listed under its district's name: not a place called so
        pop = {"0": 3_000_000, "1": 1_000_000, "2": 100_000, "3": 10_000}.get(r["adm_p_lvl"], 0)
        raw.append((_split_names(r["name"]), float(r["y_coord"]), float(r["x_coord"]), "capital", pop))
    for r in _csv_rows("geonames_sy_cities500.csv"):
        alts = [a for a in r["alternatenames"].split("|") if a and _latin_or_arabic(a)]
        alts = [a for a in alts if not (a.isupper() and len(a) <= 3) and len(normalise(a)) >= 4]
        raw.append(([r["name"], *alts], float(r["latitude"]), float(r["longitude"]), "geonames",
                    int(r["population"] or 0)))
    for r in _csv_rows("rg_cities1000_sy.csv"):
        raw.append(([r["name"]], float(r["lat"]), float(r["lon"]), "geonames_rg", 1000))
    for r in _csv_rows("syrian_archive_locations.csv"):
        if not r["latitude"] or not r["longitude"]:
            continue
        names = _split_names(r["name_en"])
        if r["name_ar"].strip(" -"):
            names.append(r["name_ar"].strip(" -"))
        raw.append((names, float(r["latitude"]), float(r["longitude"]), "syrian_archive", 0))

    props, geoms = bundled_adm3_repaired()
    lats = np.array([x[1] for x in raw])
    lons = np.array([x[2] for x in raw])
    where = place_points(lats, lons, geoms)
    for (names, lat, lon, source, pop), j in zip(raw, where, strict=True):
        if j < 0 or not names:
            continue  # outside Syria by more than ~5 km: wrong coordinates
        p = props[j]
        entries.append(_Entry(names[0], POINT, source, lat, lon, p["adm1_pcode"], p["adm2_pcode"],
                              p["adm3_pcode"], pop, names))
    _inherit_town_names(entries)
    return entries


def place_points(lats: np.ndarray, lons: np.ndarray, geoms: list[shapely.Geometry]) -> np.ndarray:
    """Index of the polygon containing each point (vectorised STRtree query), the nearest one within
    ~5 km for points inside none, -1 for the rest."""
    pts = shapely.points(lons, lats)
    tree = shapely.STRtree(geoms)
    out = np.full(len(pts), -1, dtype=np.int64)
    pi, gi = tree.query(pts, predicate="intersects")
    out[pi[::-1]] = gi[::-1]  # first polygon wins for a point on a shared border
    missing = np.flatnonzero(out < 0)
    if len(missing):
        mi, mg = tree.query_nearest(pts[missing], max_distance=SNAP_DEG, all_matches=False)
        out[missing[mi]] = mg
    return out


def _inherit_town_names(entries: list[_Entry]) -> None:
    """An admin area named after a town inside it takes the town's other names (GeoNames alternates).
    Town and area match by equal key, or by equal consonant skeleton of at least three letters."""
    towns: dict[str, list[_Entry]] = defaultdict(list)
    for e in entries:
        if e.kind == POINT and e.source in ("geonames", "capital", "geonames_rg"):
            for n in e.names:
                for k in _match_keys(n):
                    towns[k].append(e)
    for a in entries:
        if a.kind not in (ADM1, ADM2, ADM3):
            continue
        extra: list[str] = []
        for k in {k for n in a.names for k in _match_keys(n)}:
            for town in towns.get(k, []):
                inside = {ADM1: town.adm1 == a.adm1, ADM2: town.adm2 == a.adm2, ADM3: town.adm3 == a.adm3}
                if inside[a.kind]:
                    extra.extend(n for n in town.names if n not in a.names and n not in extra)
        a.names.extend(extra)


def _match_keys(name: str) -> list[str]:
    key = normalise(name)
    sk = skeleton(key)
    return [f"k:{key}"] + ([f"s:{sk}"] if len(sk) >= 3 else [])


# --------------------------------------------------------------------------------------------------------
# The gazetteer of a deployment: the bundled Syrian one, plus the areas and places loaded into the database
# --------------------------------------------------------------------------------------------------------

_DB_CACHE: dict[tuple[str, tuple[Any, ...]], Gazetteer] = {}
_db_lock = threading.Lock()


def clear_cache() -> None:
    with _db_lock:
        _DB_CACHE.clear()


def gazetteer_for(conn: Any) -> Gazetteer:
    """The gazetteer of the deployment behind ``conn``: the bundled one while only Syria is loaded (same
    behaviour and speed); else it also holds every loaded country's admin areas (names in every language
    the source gave) and the places of the GeoNames files loaded with `truce geo import-places`, and each
    country's centre for "country" precision. Built once per database state and process."""
    from sqlalchemy import func, select

    stamp = tuple(
        conn.execute(
            select(admin_areas.c.country, func.count()).group_by(admin_areas.c.country).order_by(admin_areas.c.country)
        ).all()
    )
    n_places = int(conn.execute(select(func.count()).select_from(places)).scalar_one())
    others = [c for c, _ in stamp if c != "SY"]
    if not others and not n_places:
        return Gazetteer.bundled()
    key = (str(conn.engine.url), (*stamp, n_places))
    with _db_lock:
        hit = _DB_CACHE.get(key)
    if hit is not None:
        return hit
    base = Gazetteer.bundled()
    entries = list(base._entries) if any(c == "SY" for c, _ in stamp) else []
    countries: dict[str, Country] = dict(base.countries) if entries else {}
    new: list[_Entry] = []
    kinds = {1: ADM1, 2: ADM2, 3: ADM3}
    for country in others:
        rows = conn.execute(
            select(admin_areas.c.pcode, admin_areas.c.level, admin_areas.c.name_en, admin_areas.c.names,
                   admin_areas.c.adm1_pcode, admin_areas.c.adm2_pcode, admin_areas.c.adm3_pcode,
                   admin_areas.c.center_lat, admin_areas.c.center_lon, admin_areas.c.minx, admin_areas.c.miny,
                   admin_areas.c.maxx, admin_areas.c.maxy)
            .where(admin_areas.c.country == country)
            .order_by(admin_areas.c.level, admin_areas.c.pcode)
        ).all()
        cnames: list[str] = []
        for r in rows:
            meta = json.loads(r.names or "{}")
            names = [r.name_en] + [v for k, v in sorted(meta.items()) if isinstance(v, str) and v != r.name_en]
            names += [a for a in meta.get("alt", []) if a not in names]
            adm0 = meta.get("adm0") or {}
            for v in sorted(adm0.values(), key=lambda v: v != adm0.get("en")):  # English first
                if v not in cnames:
                    cnames.append(v)
            kind = kinds.get(r.level, POINT)
            new.append(_Entry(
                name=r.name_en, kind=kind, source=f"ocha_{kind}" if kind != POINT else "ocha_adm",
                lat=r.center_lat, lon=r.center_lon, adm1=r.adm1_pcode,
                adm2=r.adm2_pcode if r.level >= 2 else None, adm3=r.adm3_pcode if r.level >= 3 else None,
                population=0 if kind != POINT else 1, names=names,
            ))
        level1 = [r for r in rows if r.level == min(x.level for x in rows)]
        minx = min(r.minx for r in level1)
        maxx = max(r.maxx for r in level1)
        miny = min(r.miny for r in level1)
        maxy = max(r.maxy for r in level1)
        cnames = [c for c in (cnames or [country]) if c]
        if country not in cnames:
            cnames.append(country)
        countries[country] = Country(tuple(cnames), round((miny + maxy) / 2, 6), round((minx + maxx) / 2, 6))
    for r in conn.execute(
        select(places.c.name, places.c.names, places.c.lat, places.c.lon, places.c.population, places.c.country,
               places.c.adm1_pcode, places.c.adm2_pcode, places.c.adm3_pcode).order_by(places.c.id)
    ):
        names = [n for n in json.loads(r.names) if _latin_or_arabic(n)] or [r.name]
        names = [n for n in names if not (n.isupper() and len(n) <= 3)]
        new.append(_Entry(r.name, POINT, "geonames", r.lat, r.lon, r.adm1_pcode, r.adm2_pcode, r.adm3_pcode,
                          r.population, names or [r.name]))
    _inherit_town_names(new)
    g = Gazetteer(entries + new, countries=countries)
    with _db_lock:
        if len(_DB_CACHE) > 8:
            _DB_CACHE.clear()
        _DB_CACHE[key] = g
    return g
