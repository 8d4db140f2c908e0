"""Numbers in English and Arabic text: digits (Latin and Arabic-Indic), number words, ranges."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SPECIAL = {"dozen": 12, "dozens": 24, "scores": 40, "hundred": 100, "hundreds": 200, "couple": 2}

# Arabic number words (folded: alef/ta marbuta/ya variants as the gazetteer folds them).
AR_WORDS = {
    "واحد": 1,
    "واحده": 1,
    "اثنان": 2,
    "اثنين": 2,
    "اثنتين": 2,
    "شخصين": 2,
    "ثلاث": 3,
    "ثلاثه": 3,
    "اربع": 4,
    "اربعه": 4,
    "خمس": 5,
    "خمسه": 5,
    "ست": 6,
    "سته": 6,
    "سبع": 7,
    "سبعه": 7,
    "ثماني": 8,
    "ثمانيه": 8,
    "ثمان": 8,
    "تسع": 9,
    "تسعه": 9,
    "عشر": 10,
    "عشره": 10,
    "عشرين": 20,
    "عشرون": 20,
    "ثلاثين": 30,
    "ثلاثون": 30,
    "اربعين": 40,
    "اربعون": 40,
    "خمسين": 50,
    "خمسون": 50,
    "ستين": 60,
    "ستون": 60,
    "سبعين": 70,
    "سبعون": 70,
    "ثمانين": 80,
    "ثمانون": 80,
    "تسعين": 90,
    "تسعون": 90,
    "مئه": 100,
    "مائه": 100,
    "عشرات": 24,
}
_AR_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹أإآٱىة", "01234567890123456789اااايه")

WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|"
    r"seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|a\s+dozen|dozens(?:\s+of)?|a\s+couple\s+of|scores\s+of|"
    r"hundreds\s+of|a\s+hundred|(?:one|two|three|four|five)\s+hundred(?:\s+and\s+\w+)?)"
)
DIGIT_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d{1,5})"
NUMBER = rf"(?:{DIGIT_NUMBER}|{WORD_NUMBER})"


def to_int(text: str) -> int | None:
    """'112' → 112, '1,200' → 1200, 'twenty-two' → 22, 'a dozen' → 12, '٣٥' → 35, 'خمسة' → 5."""
    s = text.strip().lower().translate(_AR_DIGITS)
    s = re.sub(r"\s+of$", "", s)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", s):
        return int(s.replace(",", ""))
    if s in AR_WORDS:
        return AR_WORDS[s]
    total, current = 0, 0
    seen = False
    for tok in re.split(r"[\s-]+", s):
        if tok in ("and", "a", "couple") and tok != "a":
            continue
        if tok == "a":
            current = max(current, 1)
            continue
        if tok in _UNITS:
            current += _UNITS[tok]
        elif tok in _TENS:
            current += _TENS[tok]
        elif tok == "hundred":
            current = max(current, 1) * 100
        elif tok in _SPECIAL:
            current = _SPECIAL[tok] if current <= 1 else current * _SPECIAL[tok]
        else:
            return None
        seen = True
    total += current
    return total if seen else None
