"""Text normalisation shared by alias and name look-ups."""

from __future__ import annotations

import re

from unidecode import unidecode

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PARENS = re.compile(r"\([^)]*\)")


def norm_key(text: str) -> str:
    """Lower-case ASCII with every run of other characters folded to one space."""
    return _NON_ALNUM.sub(" ", unidecode(text or "").lower()).strip()


def actor_key(name: str) -> str:
    """An actor's name (as ACLED gives it) without its parenthesised qualifiers, normalised for look-up."""
    return norm_key(_PARENS.sub(" ", name))
