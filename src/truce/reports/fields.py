"""A report's fields as the front-ends and importers name them: the casualty counts, and the one description
from which `truce report submit`'s flags and the web report form are made.

Plain data, kept apart from the pydantic model that checks a report (`schemas.py`, `ReportIn`) so that the
command line can build its options without loading pydantic; `tests/reports/test_fields.py` checks the two
agree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from truce.i18n import N_
from truce.reports.models import (
    LOCATION_PRECISIONS,
    OBSERVATION_MODES,
    SOURCE_KINDS,
    TIME_PRECISIONS,
    VIOLATION_TYPES,
    VISIBILITY_TIERS,
)


def _report_model() -> Any:
    """`schemas.ReportIn`, for what the form takes from it (required fields, lengths)."""
    from truce.reports.schemas import ReportIn  # lazy: pydantic, only for the web form (which has loaded it)

    return ReportIn


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
        f = _report_model().model_fields.get(self.name)
        return bool(f and f.is_required())

    @property
    def max_length(self) -> int | None:
        """ReportIn's limit on the field's length, for the form."""
        f = _report_model().model_fields.get(self.name)
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
