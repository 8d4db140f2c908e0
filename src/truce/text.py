"""Text normalisation shared by alias and name look-ups."""

from __future__ import annotations

import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def norm_key(text: str) -> str:
    """Lower-case ASCII with every run of other characters folded to one space."""
    return _NON_ALNUM.sub(" ", unidecode(text or "").lower()).strip()
