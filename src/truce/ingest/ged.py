"""UCDP GED's own CSV (the Georeferenced Event Dataset, with coordinates) → report fields. Pure: no database.

`truce import ucdp FILE` reads it when the header has GED's columns (``where_prec``, ``latitude``…);
otherwise the file is read as UCDP-AEC. GED and UCDP-AEC share UCDP's event ids (``external_source``
``ucdp``): a GED row for an event already imported from UCDP-AEC is recorded as a correction of it,
linked to the same incident, which then takes GED's coordinates.

| GED | Truce report |
|---|---|
| id | external_id |
| date_start (YYYY-MM-DD[ HH:MM:SS]) | occurred_at (midnight UTC) |
| date_prec 1 / 2 / 3 / 4 / 5 | occurred_precision day / week / week / month / month (1 exact day; 2 a 2-6 day span; 3 the week; 4 the month; 5 longer: month is the coarsest Truce has) |
| latitude, longitude | lat, lon |
| where_prec 1 / 2 / 3 / 4 / 5 / 6 / 7 | location_precision exact / near (25 km) / adm2 / adm1 / country (part of a country or a line) / country / country (waters, airspace) |
| where_coordinates (else where_description) | place_name |
| type_of_violence 3 (one-sided), or side_b Civilians | violation type attack_on_civilians; otherwise armed_clash |
| side_a / side_b | alleged party (resolved, else text) / target |
| best, low, high | killed, killed_low, killed_high |
| deaths_civilians; deaths_a + deaths_b | killed_civilian; killed_combatant |
| the rest (conflict, dyad, source office, headline, adm_1, adm_2) | narrative |

P-codes come from the point as fine as the precision allows (ADM1-3 for exact and near, ADM1-2 for adm2,
ADM1 for adm1, none for country).
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from truce.ingest.acled import records

GED_COLUMNS = (
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "gwnoa",
    "gwnob",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
)
REQUIRED = (
    "id",
    "type_of_violence",
    "side_a",
    "side_b",
    "where_prec",
    "latitude",
    "longitude",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
)
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "month"}
WHERE_PRECISION = {"1": "exact", "2": "near", "3": "adm2", "4": "adm1", "5": "country", "6": "country", "7": "country"}


class GedRowError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(f"{column}: {message}")


def is_ged(columns: list[str]) -> bool:
    names = {c.strip().lstrip("\ufeff") for c in columns}
    return {"where_prec", "latitude", "longitude", "date_prec"} <= names


def check_header(columns: list[str]) -> dict[str, int]:
    names = [c.strip().lstrip("\ufeff") for c in columns]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise ValueError(f"not a UCDP GED file: the header lacks {', '.join(missing)}")
    return {c: names.index(c) for c in GED_COLUMNS if c in names}


def _day(raw: str, column: str) -> str:
    s = raw.strip()[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
        raise GedRowError(column, f"{raw.strip() or 'nothing'!r} is not a date (YYYY-MM-DD expected)")
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError as e:
        raise GedRowError(column, f"{s!r} is not a valid date ({e})") from None


def _count(row: list[str], pos: dict[str, int], column: str) -> int:
    raw = row[pos[column]].strip()
    if raw.endswith(".0"):
        raw = raw[:-2]
    if not raw.isdigit():
        raise GedRowError(column, f"{raw or 'nothing'!r} is not a non-negative whole number")
    return int(raw)


def _float(row: list[str], pos: dict[str, int], column: str, lo: float, hi: float) -> float:
    raw = row[pos[column]].strip()
    try:
        v = float(raw)
    except ValueError:
        raise GedRowError(column, f"{raw or 'nothing'!r} is not a number") from None
    if not lo <= v <= hi:
        raise GedRowError(column, f"{v} is outside {lo:g}..{hi:g}")
    return v


def parse_rows(
    data: bytes, first_line: int, columns: list[str], today: str, resolve_actor: Callable[[str], str | None]
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    pos = check_header(columns)
    width = len(columns)

    def cell(row: list[str], c: str) -> str:
        i = pos.get(c)
        return row[i].strip() if i is not None else ""

    out: list[dict[str, Any]] = []
    rejects: list[tuple[int, str]] = []
    for start, row in records(data, first_line, width, rejects):
        try:
            eid = cell(row, "id")
            if not re.fullmatch(r"\d+", eid):
                raise GedRowError("id", f"{eid or 'nothing'!r} is not a UCDP event id (digits expected)")
            start_day = _day(cell(row, "date_start"), "date_start")
            end_day = _day(cell(row, "date_end"), "date_end") if cell(row, "date_end") else start_day
            if end_day < start_day:
                raise GedRowError("date_end", f"{end_day} is before date_start {start_day}")
            if start_day > today:
                raise GedRowError("date_start", f"{start_day} is in the future")
            dprec = DATE_PRECISION.get(cell(row, "date_prec"))
            if dprec is None:
                raise GedRowError("date_prec", f"{cell(row, 'date_prec')!r} is not 1-5")
            wprec = WHERE_PRECISION.get(cell(row, "where_prec"))
            if wprec is None:
                raise GedRowError("where_prec", f"{cell(row, 'where_prec')!r} is not 1-7")
            lat = _float(row, pos, "latitude", -90, 90)
            lon = _float(row, pos, "longitude", -180, 180)
            side_a, side_b = cell(row, "side_a"), cell(row, "side_b")
            if not side_a:
                raise GedRowError("side_a", "missing side name")
            a, b = _count(row, pos, "deaths_a"), _count(row, pos, "deaths_b")
            civ = _count(row, pos, "deaths_civilians")
            _count(row, pos, "deaths_unknown")
            best, low, high = _count(row, pos, "best"), _count(row, pos, "low"), _count(row, pos, "high")
            if not low <= best <= high:
                raise GedRowError("best", f"low ≤ best ≤ high does not hold ({low}, {best}, {high})")
            tov = cell(row, "type_of_violence")
            if tov not in ("1", "2", "3"):
                raise GedRowError("type_of_violence", f"{tov!r} is not 1, 2 or 3")
        except GedRowError as e:
            rejects.append((start, str(e)))
            continue
        party = resolve_actor(side_a)
        place = cell(row, "where_coordinates") or cell(row, "where_description") or None
        where = ", ".join(x for x in (place, cell(row, "adm_2"), cell(row, "adm_1")) if x) or cell(row, "country")
        narrative = f"UCDP GED event {eid}: {side_a} vs {side_b or '?'} at {where}; {best} killed" + (
            f" ({low}-{high})." if (low, high) != (best, best) else "."
        )
        extra = [
            f"{k}: {cell(row, c)}"
            for k, c in (("Conflict", "conflict_name"), ("Dyad", "dyad_name"), ("Sources", "source_office"),
                         ("Headline", "source_headline"))
            if cell(row, c)
        ]
        if extra:
            narrative += "\n" + "\n".join(extra)
        out.append(
            {
                "external_id": eid,
                "occurred_at": start_day + "T00:00:00Z",
                "occurred_precision": dprec,
                "lat": lat,
                "lon": lon,
                "location_precision": wprec,
                "place_name": place[:300] if place else None,
                "violation_type": "attack_on_civilians"
                if tov == "3" or side_b.lower() == "civilians"
                else "armed_clash",
                "alleged_party_id": party,
                "alleged_party_text": None if party else side_a[:300],
                "target": side_b[:300] or None,
                "killed": best,
                "killed_low": low,
                "killed_high": high,
                "killed_civilian": civ,
                "killed_combatant": a + b,
                "narrative": narrative,
                "line": start,
            }
        )
    return out, rejects
