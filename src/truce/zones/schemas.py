"""What a new zone must be: the checked input of `truce zone add`, a scenario's zones and the API.

Kept apart from `service.py` so that a read command does not load pydantic."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from truce.checked import Checked, names_in_languages, one_of
from truce.zones.models import NAME_LANGUAGES, ZONE_KINDS


class ZoneIn(Checked):
    FIELD_PREFIX = "zone."

    id: str
    name: str
    kind: Annotated[str, AfterValidator(one_of(ZONE_KINDS))] = "de_escalation_area"
    note: str | None = None
    approximate: bool = False
    valid_from: str
    adm3: list[str] | None = None
    geometry: dict[str, Any] | None = None
    # its name in the readers' languages ({"ar": "منطقة خفض التصعيد في إدلب"}), in `zone_names`
    names: dict[str, str] = Field(default_factory=dict)

    @field_validator("names")
    @classmethod
    def _names(cls, v: dict[str, str]) -> dict[str, str]:
        return dict(sorted(names_in_languages(v, NAME_LANGUAGES).items()))
