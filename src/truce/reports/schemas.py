"""The report a client submits, validated field by field."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from truce import times
from truce.i18n import N_
from truce.reports.models import (
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


# The casualty counts of a report, as every front-end and importer names them (flattened in tables).
CASUALTY_FIELDS: tuple[str, ...] = tuple(Casualties.model_fields)


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


@dataclass(frozen=True)
class WebInput:
    """How the web report form asks for a field."""

    label: str  # a catalogue message
    widget: str = "text"  # text, textarea, datetime, decimal, number or select
    blank: str | None = None  # a select's empty choice (a catalogue message; "—" as it is); None: no empty choice
    attrs: str = ""  # further attributes of the input (a datalist, the place search)


@dataclass(frozen=True)
class InputField:
    """One field of a report as the front-ends take it: the one description from which `truce report submit`'s
    flags (`cli/reports.py`) and the web report form (`web/views.py`, `templates/report.html`) are made."""

    name: str  # the report field, one of REPORT_INPUT_FIELDS
    type: type  # str, int or float: what the flag and the form's input are parsed as
    help: str  # the flag's help
    flag: str | None = None  # `report submit`'s option; None: only with `-f` JSON
    param: str | None = None  # the command's parameter, where it is not the field's name
    repeatable: bool = False  # a list: the flag is given once per value
    choices: tuple[str, ...] = ()  # the allowed values
    web: WebInput | None = None  # None: not on the web form

    @property
    def parameter(self) -> str:
        return self.param or self.name

    @property
    def required(self) -> bool:
        """Required by ReportIn (a casualty count never is)."""
        f = ReportIn.model_fields.get(self.name)
        return bool(f and f.is_required())

    @property
    def max_length(self) -> int | None:
        """ReportIn's limit on the field's length, for the form."""
        f = ReportIn.model_fields.get(self.name)
        for m in f.metadata if f else ():
            if getattr(m, "max_length", None) is not None and self.type is str:
                return int(m.max_length)
        return None


_PLACE_SEARCH = (
    'list="places" autocomplete="off" hx-get="/places" hx-trigger="input changed delay:250ms" hx-target="#places" '
    'hx-swap="innerHTML"'
)
_DECIMAL = 'inputmode="decimal" pattern="-?[0-9]+(\\.[0-9]+)?" size="9"'

# In the order of `report submit --help`.
INPUT_FIELDS: tuple[InputField, ...] = (
    InputField("id", str, N_("Client-made UUID (made for you if absent)"), flag="--id", param="report_id"),
    InputField("occurred_at", str, N_("ISO 8601 time, UTC"), flag="--occurred-at",
               web=WebInput(N_("Date and time (UTC)"), "datetime")),
    InputField("occurred_precision", str, N_("exact, day, week or month"), flag="--precision", param="precision",
               choices=TIME_PRECISIONS, web=WebInput(N_("Precision"), "select")),
    InputField("lat", float, N_("Latitude (WGS84)"), flag="--lat",
               web=WebInput(N_("Latitude"), "decimal", attrs=_DECIMAL)),
    InputField("lon", float, N_("Longitude (WGS84)"), flag="--lon",
               web=WebInput(N_("Longitude"), "decimal", attrs=_DECIMAL)),
    InputField("location_precision", str, N_("exact, near, adm3, adm2, adm1, country"), flag="--location-precision",
               choices=LOCATION_PRECISIONS, web=WebInput(N_("Location precision"), "select")),
    InputField("place_name", str, N_("Place name (resolved by the gazetteer)"), flag="--place", param="place",
               web=WebInput(N_("Place name"), attrs=_PLACE_SEARCH)),
    InputField("violation_type", str, N_("Violation type, e.g. shelling"), flag="--type", param="violation_type",
               choices=VIOLATION_TYPES, web=WebInput(N_("Type"), "select", blank="—")),
    InputField("alleged_party", str, N_("Alleged party (id, name or alias)"), flag="--party", param="party",
               web=WebInput(N_("Alleged party"), attrs='list="party-list"')),
    InputField("target", str, N_("Target"), flag="--target", web=WebInput(N_("Target"))),
    InputField("weapons", str, N_("Weapon (repeatable)"), flag="--weapon", param="weapon", repeatable=True),
    InputField("killed", int, N_("Killed (best estimate)"), flag="--killed", web=WebInput(N_("Killed"), "number")),
    InputField("injured", int, N_("Injured (best estimate)"), flag="--injured", web=WebInput(N_("Injured"), "number")),
    InputField("killed_civilian", int, N_("Civilians killed"), flag="--killed-civilian",
               web=WebInput(N_("of them civilians killed"), "number")),
    InputField("injured_civilian", int, N_("Civilians injured"), web=WebInput(N_("civilians injured"), "number")),
    InputField("narrative", str, N_("What happened"), flag="--narrative", web=WebInput(N_("Account"), "textarea")),
    InputField("language", str, N_("Language of the narrative (ISO 639-1)"), flag="--language"),
    InputField("observation", str, N_("observed, heard or second_hand"), flag="--observation",
               choices=OBSERVATION_MODES, web=WebInput(N_("How it was observed"), "select", blank="—")),
    InputField("visibility", str, N_("public, parties, guarantors or investigators"), flag="--visibility",
               choices=VISIBILITY_TIERS,
               web=WebInput(N_("Who may see it"), "select", blank=N_("default for your organisation"))),
    InputField("source_kind", str, N_("monitor, guarantor_office, party_complaint, media, sensor, ngo"),
               flag="--source-kind", choices=SOURCE_KINDS),
    InputField("incident_id", int, N_("The incident this report belongs to"), flag="--incident", param="incident"),
)
INPUT_FIELD = {f.name: f for f in INPUT_FIELDS}

# The web form's fieldsets (a catalogue message each) and, in each, its inputs by field name in the order shown;
# a tuple is a row of inputs side by side.
WEB_FORM: tuple[tuple[str, tuple[str | tuple[str, ...], ...]], ...] = (
    (N_("When"), ("occurred_at", "occurred_precision")),
    (N_("Where"), ("place_name", ("lat", "lon"), "location_precision")),
    (N_("What"), ("violation_type", "alleged_party", "target", ("killed", "injured"),
                  ("killed_civilian", "injured_civilian"), "observation", "narrative", "visibility")),
)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def flat_casualties(c: Casualties | dict[str, Any]) -> dict[str, int | None]:
    d = c.model_dump() if isinstance(c, Casualties) else c
    return {k: d.get(k) for k in CASUALTY_FIELDS}
