"""The word lists and patterns of intake extraction: actors, violation types, casualty groups.

Actors come from the party register (the bundled Astana scenario's names and aliases) and from the few
actors a news story names that are not parties to a truce (a foreign coalition, a local administration's
forces); each has an id. Violation kinds are Truce's violation types plus "execution".
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

# Truce's violation types an article can allege, plus "execution" (reported as attack_on_civilians).
VIOLATION_KINDS = ("airstrike", "shelling", "chemical_weapons_use", "ied", "sniper_fire", "armed_clash", "execution")


def report_violation_type(kind: str | None) -> str:
    """The report's violation type for an extracted kind."""
    if kind == "execution":
        return "attack_on_civilians"
    return kind or "other"


# --------------------------------------------------------------------------------------------------------
# Actors
# --------------------------------------------------------------------------------------------------------

# Actors that are not parties in the register (ids in upper case like the register's), with their names.
EXTRA_ACTORS: dict[str, tuple[str, ...]] = {
    "SYR": (
        "regime",
        "assad forces",
        "assad's forces",
        "assads forces",
        "pro-regime",
        "pro-government",
        "government troops",
        "government forces",
        "syrian army",
        "syrian troops",
        "syrian forces",
        "syrian government",
        "syrian military",
        "loyalist",
        "barrel bomb",
        "barrel bombs",
        "syrian warplanes",
        "syrian jets",
        "syrian regime",
        "hezbollah",
        "iranian-backed",
        "قوات النظام",
        "النظام السوري",
        "الجيش السوري",
        "قوات الاسد",
        "الطيران السوري",
        "ميليشيات",
    ),
    "RUS": ("russian", "russia", "russians", "moscow", "الطيران الروسي", "روسي", "روسيا"),
    "COALITION": (
        "coalition",
        "u.s.-led",
        "us-led",
        "u.s. led",
        "american",
        "u.s.",
        "washington",
        "pentagon",
        "french",
        "british",
        "israeli",
        "israel",
        "اسراييلي",  # folded: ئ is read as ي
        "اسراييل",
        "التحالف",
        "الامريكي",
        "الاميركي",
    ),
    "SDF": (
        "syrian democratic forces",
        "sdf",
        "ypg",
        "kurdish",
        "kurds",
        "kurdish-led",
        "pyd",
        "asayish",
        "قسد",
        "سوريا الديمقراطيه",
        "الكردي",
        "الكرديه",
    ),
    "OPPOSITION": (
        "rebel",
        "rebels",
        "opposition",
        "free syrian army",
        "fsa",
        "insurgents",
        "armed groups",
        "islamist",
        "faylaq al-rahman",
        "jaish al-fatah",
        "army of conquest",
        "turkish-backed",
        "turkey-backed",
        "المعارضه",
        "الفصائل",
        "الجيش الحر",
        "فصائل",
    ),
    "ISIL": (
        "islamic state",
        "is",
        "isis",
        "isil",
        "daesh",
        "da'esh",
        "jihadist",
        "jihadists",
        "suicide bomber",
        "suicide bombers",
        "داعش",
        "الدوله الاسلاميه",
        "تنظيم الدوله",
    ),
    "NUSRA": (
        "nusra",
        "al-nusra",
        "al nusra",
        "fateh al-sham",
        "fatah al-sham",
        "tahrir al-sham",
        "hts",
        "al-qaeda",
        "al-qaida",
        "al qaeda",
        "النصره",
        "تحرير الشام",
    ),
}

# FA-KES's seven actor classes by actor id (register ids by kind are handled in fakes.py).
AGENT_AFTER = re.compile(
    r"^(?:'s\s+|s\s+)?(?:[\w-]+\s+)?(?:warplanes?|jets?|aircraft|planes?|helicopters?|air\s*strikes?|air\s*raids?|"
    r"raids?|shell(?:ing|ed|s)?|bombard\w*|bomb(?:ed|ing|s)?|artillery|forces|troops|fighters|militants|"
    r"gunmen|strikes?|missiles?|rockets?|fired|targeted|attack(?:ed|s)?|killed|executed|launched|drones?|"
    r"snipers?|suicide|militia\w*|shot)\b"
)
VICTIM_AFTER = re.compile(
    r"^(?:(?:\s+[\w-]+){0,2}?\s+(?:were|was|have\s+been|had\s+been)?\s*(?:killed|dead|died|wounded|injured|"
    r"captured|executed)\b|\s+(?:areas?|territory|territories|enclaves?|positions|strongholds?|bastion|"
    r"neighbourhoods?|districts?|towns?|villages?|held|controlled)\b)"
)
# Sides that fly: an air strike nobody is named for is the government's (or its allies') in this war.
AIR_SIDE = "SYR"
AGENT_BEFORE = re.compile(
    r"\b(?:by|blamed\s+on|claimed\s+by|carried\s+out\s+by|backed\s+by|led\s+by)\s+(?:the\s+)?(?:[\w-]+\s+)?$"
)


@lru_cache(maxsize=1)
def register_parties() -> list[dict[str, object]]:
    """The parties (id, name, kind, aliases) of the bundled Astana register."""
    text = resources.files("truce.scenarios").joinpath("astana-2017.yaml").read_text("utf-8")
    return list(yaml.safe_load(text)["parties"])


@lru_cache(maxsize=1)
def actor_patterns() -> list[tuple[re.Pattern[str], str]]:
    names: dict[str, set[str]] = {}
    for p in register_parties():
        pid = str(p["id"])
        if p.get("kind") == "guarantor" and pid != "RUS":
            continue  # "Turkey", "Iran" are named in every story about the talks
        aliases = p.get("aliases") or []
        for n in [p["name"], *(aliases if isinstance(aliases, list) else [])]:
            names.setdefault(pid, set()).add(str(n).lower())
    for pid, extra in EXTRA_ACTORS.items():
        names.setdefault(pid, set()).update(extra)
    out = []
    for pid, ns in names.items():
        alts = "|".join(re.escape(n) for n in sorted(ns, key=len, reverse=True) if n not in ("is",))
        out.append((re.compile(bounded(alts)), pid))
    return out


_AR_LETTER = re.compile(r"[\u0600-\u06ff]")


def bounded(alts: str) -> str:
    """A pattern of alternatives as whole words; an Arabic word may carry a one-letter prefix (و ب ل ف ك),
    the article (ال, لل after ل) or both ("للطيران الروسي": the Russian air force's)."""
    return (
        r"(?:(?<![\w-])|(?<=[\s\W][وبلفك])|(?<=[\s\W]ال)|(?<=[\s\W]لل)|(?<=[\s\W][وبفك]ال))"
        rf"(?:{alts})(?![\w-])"
    )


def side_of(pid: str) -> str:
    """The side of the war an actor is on: the government with its allies, the opposition groups, or itself."""
    if pid in ("SYR", "RUS", "IRN"):
        return "SYR"
    if pid in ("OPPOSITION", "TUR") or party_kind(pid) == "armed_group":
        return "OPPOSITION"
    return pid


def party_kind(pid: str) -> str | None:
    for p in register_parties():
        if p["id"] == pid:
            return str(p["kind"])
    return None


# --------------------------------------------------------------------------------------------------------
# Violation kinds
# --------------------------------------------------------------------------------------------------------

_CAUSES: tuple[tuple[str, str, float], ...] = (
    (
        r"air\s*strikes?|air\s*raids?|warplanes?|war\s*planes|jets|aircraft|helicopters?|barrel\s+bombs?|"
        r"bombing\s+raids?|aerial|bombers|sorties|غاره|غارات|الطيران|طائرات|براميل",
        "airstrike",
        1.0,
    ),
    (
        r"shell(?:ing|ed|s)?|mortars?|artillery|rockets?|missiles?|bombard\w*|cruise\s+missiles?|"
        r"قصف|صواريخ|قذائف|مدفعي",
        "shelling",
        1.0,
    ),
    (
        r"chemical|toxic|poison\w*|chlorine|sarin|nerve\s+agent|gas\s+attack|suffocat\w*|"
        r"كيماوي|كيميائي|غاز|الكلور|السارين",
        "chemical_weapons_use",
        2.0,
    ),
    (
        r"car\s+bomb\w*|suicide|explosion|explosive\w*|blasts?|booby|ied|improvised|land\s*mines?|mines?|"
        r"detonat\w*|bomb\s+attack|bombings?|exploded|blew\s+(?:himself|herself|themselves)\s+up|انفجار|مفخخه|عبوه|انتحاري|لغم",
        "ied",
        1.0,
    ),
    (r"snipers?|sniping|قناص", "sniper_fire", 1.5),
    (
        r"shot\s+dead|gunfire|gunmen|shooting|opened\s+fire|clashes|fighting|battles?|gun\s+battle|firefight|"
        r"shot|اشتباكات|معارك|رصاص",
        "armed_clash",
        0.8,
    ),
    (r"execut\w*|beheaded|behead\w*|firing\s+squad|slaughter\w*|massacred|اعدام|ذبح|اعدم", "execution", 2.0),
)


@lru_cache(maxsize=1)
def cause_patterns() -> list[tuple[re.Pattern[str], str, float]]:
    return [(re.compile(bounded(rx)), kind, w) for rx, kind, w in _CAUSES]


# --------------------------------------------------------------------------------------------------------
# Casualty groups
# --------------------------------------------------------------------------------------------------------

CIVILIAN_WORDS = (
    r"civilians?|people|persons?|residents?|villagers?|children|child|kids|boys?|girls?|babies|infants?|women|"
    r"woman|men|family\s+members|members\s+of\s+(?:one|the\s+same|a)\s+family|worshippers|students|pupils|"
    r"displaced|refugees|passengers|evacuees|patients|doctors|nurses|medics|journalists|workers|inhabitants|"
    r"individuals|victims|others|shepherds|farmers|citizens|teachers|volunteers|rescuers|paramedics"
)
COMBATANT_WORDS = (
    r"soldiers?|troops|fighters?|rebels?|militants?|jihadists?|gunmen|terrorists?|personnel|officers?|"
    r"militiamen|militia\s+members|combatants|insurgents|extremists|servicemen|guards|policemen|recruits|"
    r"mercenaries|members|loyalists|jihadis|commanders?|pilots?|militiamen|army\s+men|conscripts"
)
_CHILD = re.compile(r"children|child|kids|boys?|girls?|babies|infants?")
_WOMAN = re.compile(r"women|woman")
_COM = re.compile(rf"(?:{COMBATANT_WORDS})$")


def group_of(noun: str) -> str:
    n = noun.lower()
    if _CHILD.fullmatch(n):
        return "child"
    if _WOMAN.fullmatch(n):
        return "woman"
    if _COM.match(n):
        return "com"
    return "civ"


def group_of_ar(noun: str) -> str:
    if noun.startswith(("طفل", "اطفال")):
        return "child"
    if noun.startswith(("نساء", "امراه", "سيدات")):
        return "woman"
    if noun.startswith(("عناصر", "عنصر", "مقاتل", "جنود", "جندي", "مسلح", "عسكري")):
        return "com"
    if noun.startswith(("مدني", "اشخاص", "شخص", "مواطن")):
        return "civ"
    return "any"


# Names the news uses for places that the gazetteer does not reach (regions with no boundary of their own,
# transliterations no normalisation rule of the gazetteer gives), with their governorate's P-code. A region
# straddling governorates is listed under the one FA-KES and the monitors mostly mean.
PLACE_VARIANTS: dict[str, str] = {
    # Rural Damascus: regions and their Arabic names
    "Qalamoun": "SY03",
    "Qalamon": "SY03",
    "Qalamoon": "SY03",
    "Ghouta": "SY03",
    "Gouta": "SY03",
    "Ghuta": "SY03",
    "Wadi Barada": "SY03",
    "القلمون": "SY03",
    "الغوطة": "SY03",
    "الغوطة الشرقية": "SY03",
    "وادي بردى": "SY03",
    # Quneitra: the Golan
    "Golan": "SY14",
    "Golan Heights": "SY14",
    "الجولان": "SY14",
    # Deir-ez-Zor: the spellings of the wires
    "Deir Ezour": "SY09",
    "Deir Ezzour": "SY09",
    "Deir Ezzur": "SY09",
    "Deir Zour": "SY09",
    "Boukamal": "SY09",
    "Bukamal": "SY09",
    "دير الزور": "SY09",
    "البوكمال": "SY09",
    # Aleppo
    "Efrin": "SY02",
    "Khan Touman": "SY02",
    "Khan Tuman": "SY02",
    "Sheikh Maqsoud": "SY02",
    "Ramouseh": "SY02",
    "Kuweires": "SY02",
    "عفرين": "SY02",
    "منبج": "SY02",
    # Idlib
    "Fouaa": "SY07",
    "Foua": "SY07",
    "Kefraya": "SY07",
    "Kafraya": "SY07",
    "Salqeen": "SY07",
    "Salqin": "SY07",
    "خان شيخون": "SY07",
    # Homs
    "Shayrat": "SY04",
    "Shairat": "SY04",
    "Qaryatain": "SY04",
    "Qaryatein": "SY04",
    "تدمر": "SY04",
    # Lattakia
    "Hmeimim": "SY06",
    "Hmeymim": "SY06",
    "Khmeimim": "SY06",
}

# Capitalised English words that are also gazetteer names but rarely mean the place in a news story.
NOT_PLACES = frozenset(
    (
        # Arabic type words (folded), names of a few hamlets too: "مدينة حلب" is the city of Aleppo
        "مدينه",
        "بلده",
        "قريه",
        "محافظه",
        "منطقه",
        "ناحيه",
        "مخيم",
        "ريف",
        "syrian",
        "observatory",
        "human",
        "rights",
        "state",
        "islamic",
        "army",
        "free",
        "front",
        "forces",
        "army",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "reuters",
        "said",
        "government",
        "russian",
        "russia",
        "turkey",
        "turkish",
        "iraq",
        "lebanon",
        "jordan",
        "israel",
        "iran",
        "united",
        "nations",
        "council",
        "democratic",
        "coalition",
        "kurdish",
        "civil",
        "defence",
        "defense",
        "white",
        "helmets",
        "news",
        "agency",
        "media",
        "north",
        "south",
        "east",
        "west",
        "central",
        "jaish",
        "jabhat",
        "ahrar",
        "sham",
        "levant",
        "nusra",
        "fateh",
        "tahrir",
        "faylaq",
        "rahman",
        "islam",
        "jund",
        "kafr",
        "tall",
        "tell",
        "deir",
        "jabal",
        "jebel",
        "wadi",
        "ain",
        "bab",
        "abu",
        "umm",
        "beit",
        "bayt",
        "harakat",
        "ansar",
        "brigade",
        "division",
        "liwa",
        "ministry",
        "hospital",
        "school",
        "mosque",
        "market",
        "city",
        "town",
        "village",
        "province",
        "district",
        "capital",
        "road",
        "highway",
        "airport",
        "base",
        "camp",
        "prison",
        "rami",
        "sharia",
        "revolution",
        "tags",
        "video",
        "get",
        "short",
        "url",
        "military",
        "national",
        "health",
        "press",
        "minister",
        "president",
        "assad",
        "bashar",
    )
)
