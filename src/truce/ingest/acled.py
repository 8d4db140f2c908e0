"""ACLED's export format (31 columns) ↔ Truce reports. Pure: no database.

ACLED rows become reports of source kind ``ngo`` (or ``media``), one new incident per new event:
ACLED events are already de-duplicated by ACLED, so no row is matched against existing incidents.
The row's ``event_id_cnty`` is the idempotency key (``external_source`` ``acled``).

Event types → the violation taxonomy (by ``sub_event_type``; its ``event_type`` must agree):

| ACLED event_type | sub_event_type | violation type |
|---|---|---|
| Battles | Armed clash; Government regains territory; Non-state actor overtakes territory | armed_clash |
| Explosions/Remote violence | Shelling/artillery/missile attack | shelling |
| Explosions/Remote violence | Air/drone strike | airstrike |
| Explosions/Remote violence | Remote explosive/landmine/IED; Suicide bomb | ied |
| Explosions/Remote violence | Grenade | ground_attack |
| Explosions/Remote violence | Chemical weapon | chemical_weapons_use |
| Violence against civilians | Attack; Abduction/forced disappearance; Sexual violence | attack_on_civilians |
| Protests | Excessive force against protesters | attack_on_civilians |
| Protests | Peaceful protest; Protest with intervention | other |
| Riots | Violent demonstration; Mob violence | other |
| Strategic developments | Headquarters or base established; Non-violent transfer of territory | troop_movement |
| Strategic developments | Agreement; Arrests; Change to group/activity; Disrupted weapons use; Looting/property destruction; Other | other |

Truce's own ACLED export adds tags for what ACLED's columns cannot say, and the import reads them back, so
Truce's incidents survive a round trip: ``truce:type=<violation type>`` (types ACLED lacks, such as
drone_strike or sniper_fire; it overrides the mapping), ``truce:time=exact`` and ``truce:at=HH:MM:SS`` (a
time of day), ``truce:geo=<location precision>`` (adm3, adm1, country), ``truce:simulated``.

Other columns:

| ACLED | Truce report |
|---|---|
| event_id_cnty | external_id (external_source ``acled``) |
| event_date (YYYY-MM-DD or "21 September 2017") | occurred_at (midnight UTC) |
| time_precision 1 / 2 / 3 | occurred_precision day / week / month |
| latitude, longitude | lat, lon |
| geo_precision 1 / 2 / 3 | location_precision exact / near (about 25 km) / adm2 (a district-level place) |
| location | place_name |
| actor1 | alleged party (resolved by id, name or alias; else kept as text) |
| actor2 | target |
| fatalities | killed |
| notes | narrative |
| every other column (disorder_type, event_type, sub_event_type, the actors' originals, inter codes, civilian_targeting, iso, region, country, admin1-3, source, source_scale, tags, timestamp) | kept verbatim, one ``name: value`` line each, after a ``[ACLED]`` line at the end of the narrative |

P-codes come from the point: ADM1-ADM3 for precision exact or near, ADM1-ADM2 for adm2 (a point outside
every sub-district, on a border or at sea, takes them from the row's admin1-3 names when the gazetteer
knows them); zones only for exact and near (as for every incident). So an ACLED export of ACLED-origin incidents gives the
original rows back, and ``import acled`` of such an export loses none of the fields both share.
"""  # noqa: E501

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from truce.errors import ValidationFailed

ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
PARSER_VERSION = "acled/1"

# sub_event_type → (event_type, violation type)
ACLED_TYPES: dict[str, tuple[str, str]] = {
    "Armed clash": ("Battles", "armed_clash"),
    "Government regains territory": ("Battles", "armed_clash"),
    "Non-state actor overtakes territory": ("Battles", "armed_clash"),
    "Shelling/artillery/missile attack": ("Explosions/Remote violence", "shelling"),
    "Air/drone strike": ("Explosions/Remote violence", "airstrike"),
    "Remote explosive/landmine/IED": ("Explosions/Remote violence", "ied"),
    "Suicide bomb": ("Explosions/Remote violence", "ied"),
    "Grenade": ("Explosions/Remote violence", "ground_attack"),
    "Chemical weapon": ("Explosions/Remote violence", "chemical_weapons_use"),
    "Attack": ("Violence against civilians", "attack_on_civilians"),
    "Abduction/forced disappearance": ("Violence against civilians", "attack_on_civilians"),
    "Sexual violence": ("Violence against civilians", "attack_on_civilians"),
    "Peaceful protest": ("Protests", "other"),
    "Protest with intervention": ("Protests", "other"),
    "Excessive force against protesters": ("Protests", "attack_on_civilians"),
    "Violent demonstration": ("Riots", "other"),
    "Mob violence": ("Riots", "other"),
    "Agreement": ("Strategic developments", "other"),
    "Arrests": ("Strategic developments", "other"),
    "Change to group/activity": ("Strategic developments", "other"),
    "Disrupted weapons use": ("Strategic developments", "other"),
    "Headquarters or base established": ("Strategic developments", "troop_movement"),
    "Looting/property destruction": ("Strategic developments", "other"),
    "Non-violent transfer of territory": ("Strategic developments", "troop_movement"),
    "Other": ("Strategic developments", "other"),
}
EVENT_TYPES = tuple(sorted({e for e, _ in ACLED_TYPES.values()}))
DISORDER_TYPES = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
# violation type → the (event_type, sub_event_type) Truce's ACLED export writes for incidents that did not
# come from ACLED. Types marked lossy have no ACLED equivalent: the export adds a truce:type tag.
EXPORT_TYPES: dict[str, tuple[str, str]] = {
    "shelling": ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "airstrike": ("Explosions/Remote violence", "Air/drone strike"),
    "drone_strike": ("Explosions/Remote violence", "Air/drone strike"),
    "ied": ("Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "ground_attack": ("Explosions/Remote violence", "Grenade"),
    "chemical_weapons_use": ("Explosions/Remote violence", "Chemical weapon"),
    "armed_clash": ("Battles", "Armed clash"),
    "sniper_fire": ("Battles", "Armed clash"),
    "attack_on_civilians": ("Violence against civilians", "Attack"),
    "troop_movement": ("Strategic developments", "Headquarters or base established"),
    "heavy_weapons_movement": ("Strategic developments", "Other"),
    "obstruction_of_humanitarian_access": ("Strategic developments", "Other"),
    "obstruction_of_monitors": ("Strategic developments", "Other"),
    "other": ("Strategic developments", "Other"),
}
TYPE_TAG = "truce:type="
SIMULATED_TAG = "truce:simulated"

TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
TIME_PRECISION_OUT = {"exact": "1", "day": "1", "week": "2", "month": "3"}
GEO_PRECISION = {"1": "exact", "2": "near", "3": "adm2"}
GEO_PRECISION_OUT = {"exact": "1", "near": "2", "adm3": "2", "adm2": "3", "adm1": "3", "country": "3"}


# Columns with no column of their own in Truce: kept in the narrative trailer, in this order.
EXTRA_COLUMNS = (
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "source",
    "source_scale",
    "tags",
    "timestamp",
)
TRAILER = "[ACLED]"
MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"), start=1)}


def decode(data: bytes, first_line: int) -> str:
    """A slice of a CSV file as text; a ValidationFailed naming the line when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = first_line + data[: e.start].count(b"\n")
        raise ValidationFailed(f"line {line}: the file is not UTF-8 text ({e.reason})", field="file") from None


def records(
    data: bytes, first_line: int, width: int, rejects: list[tuple[int, str]]
) -> Iterator[tuple[int, list[str]]]:
    """The CSV records of a slice of a file (whole records, no header) as (the file line a record starts on,
    its fields); empty lines are skipped, and a record without ``width`` fields goes to ``rejects`` with its
    line instead. Shared by every importer's parser."""
    reader = csv.reader(io.StringIO(decode(data, first_line)))
    line = first_line
    while True:
        start = line
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # a field over the csv module's limit (131,072 characters), a stray NUL…
            line = first_line + reader.line_num
            why = str(e)
            if "field larger than field limit" in why:
                why = f"a field is longer than {csv.field_size_limit():,} characters"
            rejects.append((start, f"(row): {why}"))
            continue
        line = first_line + reader.line_num
        if not row:
            continue
        if len(row) != width:
            rejects.append((start, f"(row): {len(row)} fields, the header has {width}"))
            continue
        yield start, row


class AcledRowError(ValueError):
    def __init__(self, column: str, message: str):
        self.column = column
        super().__init__(f"{column}: {message}")


def parse_date(raw: str) -> str:
    """ACLED's event_date as YYYY-MM-DD: accepts "2017-09-21", "21 September 2017", "21-Sep-17" is refused."""
    s = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        try:
            return date.fromisoformat(s).isoformat()
        except ValueError as e:
            raise AcledRowError("event_date", f"{s!r} is not a valid date ({e})") from None
    m = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", s)
    if m and m.group(2).lower() in MONTHS:
        try:
            return date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1))).isoformat()
        except ValueError as e:
            raise AcledRowError("event_date", f"{s!r} is not a valid date ({e})") from None
    raise AcledRowError("event_date", f"{s or 'nothing'!r} is not a date (YYYY-MM-DD or '21 September 2017')")


def build_narrative(notes: str, extras: dict[str, str]) -> str | None:
    """Notes, then the ``[ACLED]`` trailer of the columns Truce has no column for (non-empty ones)."""
    return join_narrative(notes, [f"{k}: {extras[k]}" for k in EXTRA_COLUMNS if extras.get(k)])


def join_narrative(notes: str, lines: list[str]) -> str | None:
    """Notes and trailer lines ``name: value`` (values made one line)."""
    if not lines:
        return notes or None
    body = "\n".join(lines)
    if "\r" in body or body.count("\n") != len(lines) - 1:
        body = "\n".join(_one_line(x) for x in lines)
    return f"{notes}\n\n{TRAILER}\n{body}" if notes else f"{TRAILER}\n{body}"


def split_narrative(narrative: str | None) -> tuple[str, dict[str, str]]:
    """(notes, extras) from a narrative written by :func:`build_narrative` (extras empty otherwise)."""
    text = narrative or ""
    if text.startswith(TRAILER + "\n"):
        notes, body = "", text[len(TRAILER) + 1 :]
    else:
        notes, sep, body = text.rpartition("\n\n" + TRAILER + "\n")
        if not sep:
            return text, {}
    extras: dict[str, str] = {}
    for line in body.split("\n"):
        k, sep, v = line.partition(": ")
        if not sep or k not in EXTRA_COLUMNS:
            return text, {}  # not a trailer of ours after all
        extras[k] = v
    return notes, extras


def _one_line(v: str) -> str:
    k, sep, rest = v.partition(": ")
    return k + sep + rest.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").strip()


# ACLED's `iso` (ISO 3166-1 numeric), `region` and `country` by ISO 3166-1 alpha-2 code, for the countries
# of the ceasefire mechanisms Truce is written for. The export takes an incident's country from its P-code
# (the loaded boundaries); a country missing here is exported with the name its boundaries give (ADM0_EN)
# and blank iso and region: add its line.
ACLED_COUNTRIES: dict[str, tuple[str, str, str]] = {
    "AF": ("4", "South Asia", "Afghanistan"),
    "AM": ("51", "Caucasus and Central Asia", "Armenia"),
    "AZ": ("31", "Caucasus and Central Asia", "Azerbaijan"),
    "CD": ("180", "Middle Africa", "Democratic Republic of Congo"),
    "CF": ("140", "Middle Africa", "Central African Republic"),
    "CO": ("170", "South America", "Colombia"),
    "ET": ("231", "Eastern Africa", "Ethiopia"),
    "GE": ("268", "Caucasus and Central Asia", "Georgia"),
    "IQ": ("368", "Middle East", "Iraq"),
    "LB": ("422", "Middle East", "Lebanon"),
    "LY": ("434", "Northern Africa", "Libya"),
    "ML": ("466", "Western Africa", "Mali"),
    "MM": ("104", "Southeast Asia", "Myanmar"),
    "PH": ("608", "Southeast Asia", "Philippines"),
    "PS": ("275", "Middle East", "Palestine"),
    "SD": ("729", "Northern Africa", "Sudan"),
    "SO": ("706", "Eastern Africa", "Somalia"),
    "SS": ("728", "Eastern Africa", "South Sudan"),
    "SY": ("760", "Middle East", "Syria"),
    "UA": ("804", "Europe", "Ukraine"),
    "YE": ("887", "Middle East", "Yemen"),
}


def country_columns(iso2: str, name: str | None = None) -> dict[str, str]:
    """ACLED's iso, region and country of a country (ISO 3166-1 alpha-2), its name from the data when
    the table above does not have it."""
    iso, region, known = ACLED_COUNTRIES.get(iso2, ("", "", ""))
    return {"iso": iso, "region": region, "country": known or name or iso2}


# The import leaves out of a row's trailer what the export writes by default (Syria's columns: the
# trailer of a row of another country keeps its own).
COUNTRY_DEFAULTS = country_columns("SY")


def default_lines() -> dict[str, frozenset[str]]:
    """Per sub-event type, the trailer lines that carry nothing the export does not write by default."""
    country = {f"{k}: {v}" for k, v in COUNTRY_DEFAULTS.items()}
    return {
        sub: frozenset({*country, f"event_type: {e}", f"disorder_type: {DISORDER_TYPES[e]}"})
        for sub, (e, _) in ACLED_TYPES.items()
    }


def check_header(fieldnames: list[str]) -> dict[str, int]:
    """Column positions by name; ValueError when an ACLED column is missing."""
    names = [f.strip().lstrip("\ufeff") for f in fieldnames]
    missing = [c for c in ACLED_COLUMNS if c not in names]
    if missing:
        raise ValueError(
            f"not an ACLED export: the header lacks {', '.join(missing)} "
            f"(ACLED's 31 columns expected: {', '.join(ACLED_COLUMNS)})"
        )
    return {c: names.index(c) for c in ACLED_COLUMNS}


def parse_rows(
    data: bytes,
    first_line: int,
    columns: list[str],
    today: str,
    resolve_actor: Callable[[str], str | None],
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """Parse a slice of an ACLED CSV (whole records, no header) into report fields.

    ``first_line`` is the file line the slice starts on; ``today`` (YYYY-MM-DD) bounds event dates;
    ``resolve_actor`` turns an actor name into a party id or None. Returns (records, rejects)."""
    pos = check_header(columns)
    width = len(columns)
    i_id, i_date, i_tp, i_et, i_sub = (pos[c] for c in ("event_id_cnty", "event_date", "time_precision",
                                                         "event_type", "sub_event_type"))
    i_a1, i_a2, i_loc, i_lat, i_lon, i_gp = (pos[c] for c in ("actor1", "actor2", "location", "latitude",
                                                               "longitude", "geo_precision"))
    i_notes, i_fat, i_tags = pos["notes"], pos["fatalities"], pos["tags"]
    i_adm1, i_adm2, i_adm3 = pos["admin1"], pos["admin2"], pos["admin3"]
    extra_pos = [(c + ": ", pos[c]) for c in EXTRA_COLUMNS]
    defaults = default_lines()
    dates: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    rejects: list[tuple[int, str]] = []
    for start, row in records(data, first_line, width, rejects):
        try:
            eid = row[i_id].strip()
            if not eid:
                raise AcledRowError("event_id_cnty", "missing ACLED event id")
            if len(eid) > 64:
                raise AcledRowError("event_id_cnty", "longer than 64 characters")
            raw_date = row[i_date]
            day = dates.get(raw_date)
            if day is None:
                day = parse_date(raw_date)
                if day > today:
                    raise AcledRowError("event_date", f"{day} is in the future")
                if day < "1945-01-01":
                    raise AcledRowError("event_date", f"{day} is implausibly early")
                dates[raw_date] = day
            tp = TIME_PRECISION.get(row[i_tp].strip())
            if tp is None:
                raise AcledRowError("time_precision", f"{row[i_tp]!r} is not 1, 2 or 3")
            sub = row[i_sub].strip()
            kind = ACLED_TYPES.get(sub)
            if kind is None:
                raise AcledRowError("sub_event_type", f"{sub or 'nothing'!r} is not an ACLED sub-event type")
            if kind[0] != row[i_et].strip():
                raise AcledRowError("event_type", f"{row[i_et]!r} is not the event type of {sub!r} ({kind[0]})")
            try:
                lat = float(row[i_lat])
                lon = float(row[i_lon])
            except ValueError:
                bad = "latitude" if not _is_float(row[i_lat]) else "longitude"
                raise AcledRowError(bad, f"{row[pos[bad]]!r} is not a number") from None
            if not -90.0 <= lat <= 90.0:
                raise AcledRowError("latitude", f"{lat} is outside -90..90")
            if not -180.0 <= lon <= 180.0:
                raise AcledRowError("longitude", f"{lon} is outside -180..180")
            gp = GEO_PRECISION.get(row[i_gp].strip())
            if gp is None:
                raise AcledRowError("geo_precision", f"{row[i_gp]!r} is not 1, 2 or 3")
            fat = row[i_fat].strip()
            if not fat.isdigit():
                raise AcledRowError("fatalities", f"{fat or 'nothing'!r} is not a non-negative whole number")
        except AcledRowError as e:
            rejects.append((start, str(e)))
            continue
        tags = row[i_tags]
        vtype = kind[1]
        simulated = False
        at = "T00:00:00Z"
        if "truce:" in tags:
            for t in tags.split("|"):
                k, _, v = t.strip().partition("=")
                if k == "truce:type" and v in EXPORT_TYPES:
                    vtype = v
                elif k == "truce:time" and v in TIME_PRECISION_OUT:
                    tp = v
                elif k == "truce:geo" and v in GEO_PRECISION_OUT:
                    gp = v
                elif k == "truce:at" and re.fullmatch(r"\d{2}:\d{2}:\d{2}", v):
                    at = f"T{v}Z"
                elif k == SIMULATED_TAG:
                    simulated = True
        actor1 = row[i_a1].strip()
        party = resolve_actor(actor1) if actor1 else None
        lines = [pre + row[p] for pre, p in extra_pos if row[p]]
        # Values the ACLED export would write anyway are not kept: the event type (from the sub-event
        # type), its usual disorder type, Syria's iso/region/country.
        if len(lines) > 3:
            dflt = defaults[sub]
            lines = [x for x in lines if x not in dflt]
        if not party and len(actor1) <= 300 and actor1:
            lines = [x for x in lines if not x.startswith("actor1: ")]  # kept as alleged_party_text
        actor2 = row[i_a2].strip()
        out.append(
            {
                "external_id": eid,
                "occurred_at": day + at,
                "occurred_precision": tp,
                "lat": lat,
                "lon": lon,
                "location_precision": gp,
                "place_name": row[i_loc].strip()[:300] or None,
                "violation_type": vtype,
                "alleged_party_id": party,
                "alleged_party_text": None if party else (actor1[:300] or None),
                "target": actor2[:300] or None,
                "killed": int(fat),
                "narrative": join_narrative(row[i_notes].strip(), lines),
                "simulated": simulated,
                "line": start,
                "_adm_names": (row[i_adm1].strip(), row[i_adm2].strip(), row[i_adm3].strip()),
            }
        )
    return out, rejects


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def epoch(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return str(int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()))
    except ValueError:
        return ""
