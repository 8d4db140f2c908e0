"""The report a client submits, validated field by field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from truce import times
from truce.reports.models import (
    CASUALTY_FIELDS,
    LOCATION_PRECISIONS,
    OBSERVATION_MODES,
    SOURCE_KINDS,
    TIME_PRECISIONS,
    VIOLATION_TYPES,
    VISIBILITY_TIERS,
)

CLOCK_SKEW = timedelta(minutes=10)
MAX_CASUALTIES = 1_000_000  # more than any one incident: beyond it a number is a typo (or an attack)


def _one_of(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError(f"'{value}' is not a known {what} (one of: {', '.join(allowed)})")
    return value


class Casualties(BaseModel):
    model_config = ConfigDict(extra="forbid")
    killed: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    killed_low: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    killed_high: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    killed_civilian: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    killed_combatant: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured_low: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured_high: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured_civilian: int | None = Field(None, ge=0, le=MAX_CASUALTIES)
    injured_combatant: int | None = Field(None, ge=0, le=MAX_CASUALTIES)

    @model_validator(mode="after")
    def _ordered(self) -> Casualties:
        for k in ("killed", "injured"):
            lo, best, hi = getattr(self, f"{k}_low"), getattr(self, k), getattr(self, f"{k}_high")
            vals = [v for v in (lo, best, hi) if v is not None]
            if vals != sorted(vals):
                raise ValueError(f"{k}: low ≤ best ≤ high does not hold ({lo}, {best}, {hi})")
        return self




class ReportIn(BaseModel):
    """A report as submitted. `id` is the client-made UUID that makes resubmission safe."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = None
    source_kind: str | None = None
    occurred_at: datetime
    occurred_precision: str = "exact"
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    location_precision: str | None = None
    place_name: str | None = Field(None, max_length=300)
    violation_type: str
    alleged_party: str | None = Field(None, max_length=300)
    target: str | None = Field(None, max_length=300)
    weapons: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=50)
    casualties: Casualties = Field(default_factory=lambda: Casualties())
    narrative: str | None = Field(None, max_length=20000)
    language: str | None = Field(None, max_length=8)
    observation: str | None = None
    visibility: str | None = None
    incident_id: int | None = Field(None, ge=1)
    simulated: bool = False

    @field_validator("source_kind")
    @classmethod
    def _sk(cls, v: str | None) -> str | None:
        return _one_of(v, SOURCE_KINDS, "source kind")

    @field_validator("violation_type")
    @classmethod
    def _vt(cls, v: str) -> str:
        return _one_of(v, VIOLATION_TYPES, "violation type") or v

    @field_validator("occurred_precision")
    @classmethod
    def _tp(cls, v: str) -> str:
        return _one_of(v, TIME_PRECISIONS, "time precision") or v

    @field_validator("location_precision")
    @classmethod
    def _lp(cls, v: str | None) -> str | None:
        return _one_of(v, LOCATION_PRECISIONS, "location precision")

    @field_validator("observation")
    @classmethod
    def _obs(cls, v: str | None) -> str | None:
        return _one_of(v, OBSERVATION_MODES, "observation mode")

    @field_validator("visibility")
    @classmethod
    def _vis(cls, v: str | None) -> str | None:
        return _one_of(v, VISIBILITY_TIERS, "visibility tier")

    @field_validator("occurred_at")
    @classmethod
    def _when(cls, v: datetime) -> datetime:
        v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
        if v > times.now_dt() + CLOCK_SKEW:
            raise ValueError(f"{v.isoformat()} is in the future")
        if v.year < 1945:
            raise ValueError(f"{v.isoformat()} is implausibly early")
        return v

    @model_validator(mode="after")
    def _where(self) -> ReportIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if self.lat is None and not (self.place_name and self.place_name.strip()):
            raise ValueError("a report needs a location: lat and lon, or a place_name")
        return self


# THE field list of a report as a client gives it: ReportIn's fields with the casualty counts flattened.
# The mapped-CSV importer takes these names as its fields, the JSON API and `report submit -f` take ReportIn
# itself; `report submit`'s flags and the web form's inputs are made from `INPUT_FIELDS` below.
REPORT_INPUT_FIELDS: tuple[str, ...] = (
    *(f for f in ReportIn.model_fields if f != "casualties"),
    *CASUALTY_FIELDS,
)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def flat_casualties(c: Casualties | dict[str, Any]) -> dict[str, int | None]:
    d = c.model_dump() if isinstance(c, Casualties) else c
    return {k: d.get(k) for k in CASUALTY_FIELDS}
