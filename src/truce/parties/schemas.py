"""What a new party must be: the checked input of `truce party add`, a scenario's parties and the API.

Kept apart from `service.py` so that a read command does not load pydantic."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from truce.checked import Checked, names_in_languages, one_of
from truce.parties.models import EXTERNAL_SOURCES, NAME_LANGUAGES, PARTY_KINDS, TRUCE_STATUSES

ID_RE = re.compile(r"^[A-Z0-9_]{2,64}$")


class PartyIn(Checked):
    FIELD_PREFIX = "party."
    model_config = ConfigDict(defer_build=True)  # the schema is built on the first write, not for a read command

    id: str
    name: str
    kind: Annotated[str, AfterValidator(one_of(PARTY_KINDS))]
    aliases: list[str] = Field(default_factory=list)
    designations: list[str] = Field(default_factory=list)
    status: Annotated[str | None, AfterValidator(one_of(TRUCE_STATUSES))] = None
    joined: str | None = None
    # names other systems give the party: {"acled": ["Military Forces of Syria"], "ucdp": ["Government of Syria"]}
    external_names: dict[str, list[str]] = Field(default_factory=dict)
    # its name in the readers' languages ({"ar": "جبهة النصرة"}): aliases marked with their language
    names: dict[str, str] = Field(default_factory=dict)

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        return names_in_languages(v, NAME_LANGUAGES)

    @field_validator("external_names")
    @classmethod
    def _external(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = sorted(set(v) - set(EXTERNAL_SOURCES))
        if bad:
            raise ValueError(f"unknown source {bad[0]!r}: expected one of {', '.join(EXTERNAL_SOURCES)}")
        return v

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("must be upper-case letters, digits and _ (2-64)")
        return v
