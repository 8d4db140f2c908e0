"""UCDP-AEC rows (UCDP GED events as the UCDP-AEC dataset publishes them) → records. Pure: no database.

The file names places but carries no coordinates (``location_adm1_name`` "Idlib governorate",
``location_adm2_name`` "Ariha district", ``location_where_name`` "Saraqib town"); places are resolved
with the gazetteer, finest first, and a finer place is only kept when it lies inside the coarser areas
the row names.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import Any

from truce.geo.gazetteer import ADM1, ADM2, ADM3, Gazetteer, Resolution, precision_rank
from truce.ingest.acled import records

UCDP_AEC_COLUMNS = (
    "id",
    "source_article",
    "source_date",
    "start_date",
    "end_date",
    "side_a_name",
    "side_b_name",
    "location_root_name",
    "location_adm1_name",
    "location_adm2_name",
    "location_where_name",
    "deaths_side_a",
    "deaths_side_b",
    "deaths_civilian",
    "deaths_unknown",
    "deaths_low",
    "deaths_high",
)
COUNTRY = "Syria"
DEATH_COLUMNS = ("deaths_side_a", "deaths_side_b", "deaths_civilian", "deaths_unknown")


class RowError(Exception):
    """A malformed row: says which line and column, and why."""

    def __init__(self, column: str, message: str, line: int | None = None, external_id: str | None = None):
        self.column = column
        self.reason = message
        self.line = line
        self.external_id = external_id
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"{where}{column}: {message}")


@dataclass
class UcdpRecord:
    external_id: str  # the UCDP GED event id
    line: int  # 1-based line number in the file (header = line 1)
    occurred_at: str  # ISO 8601 UTC midnight of start_date
    occurred_precision: str  # "day", "week" or "month"
    place_name: str | None  # most specific of where/adm2/adm1 names, as written
    resolution: Resolution | None
    side_a: str
    side_b: str
    killed: int  # best estimate = the sum of the four death columns
    killed_low: int
    killed_high: int
    killed_civilian: int
    killed_combatant: int  # side a + side b
    source_date: str | None  # ISO 8601 UTC
    narrative: str


def _cell(row: dict[str, str], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _date(row: dict[str, str], column: str, line: int) -> date:
    raw = _cell(row, column)
    if not raw:
        raise RowError(column, "missing date", line)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise RowError(column, f"{raw!r} is not a date (YYYY-MM-DD expected)", line)
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise RowError(column, f"{raw!r} is not a valid date ({e})", line) from None


def _count(row: dict[str, str], column: str, line: int) -> int:
    raw = _cell(row, column)
    if not raw:
        raise RowError(column, "missing count", line)
    if not re.fullmatch(r"\d+", raw):
        raise RowError(column, f"{raw!r} is not a non-negative whole number", line)
    return int(raw)


def _source_date(row: dict[str, str], line: int) -> str | None:
    raw = _cell(row, "source_date")
    if not raw:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
    raise RowError("source_date", f"{raw!r} is not a date-time (YYYY-MM-DD HH:MM[:SS] expected)", line)


def time_precision(start: date, end: date) -> str:
    """ "day" for a one-day event, "week" when it spans at most 7 calendar days, else "month"."""
    days = (end - start).days + 1
    if days <= 1:
        return "day"
    return "week" if days <= 7 else "month"


def _finer(a: Resolution | None, b: Resolution | None) -> Resolution | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if precision_rank(a.precision) <= precision_rank(b.precision) else b


def resolve_location(row: dict[str, str], gaz: Gazetteer) -> Resolution | None:
    """The finest place the row names that agrees with the coarser names it gives.

    The governorate is resolved first; the district inside it (an OCHA district, or the OCHA district
    around the sub-district UCDP calls a district); then the where-name inside the district (or
    governorate). A where-name that lies outside the named district is not used: the district stands. A
    row naming no governorate resolves its where-name anywhere; with no usable name it stays at country
    level."""
    adm1_name = _cell(row, "location_adm1_name")
    adm2_name = _cell(row, "location_adm2_name")
    where = _cell(row, "location_where_name")
    root = _cell(row, "location_root_name") or COUNTRY

    r1 = gaz.resolve(adm1_name, level=ADM1) if adm1_name else None
    p1 = r1.adm1_pcode if r1 else None
    r2 = gaz.resolve(adm2_name, adm1=p1, level=ADM2) if adm2_name else None
    if adm2_name and r2 is None:
        # UCDP names some newer districts (Atarib, Dayr Hafir, Qudsaya) that OCHA keeps as sub-districts:
        # the event is then known to lie in the OCHA district around that sub-district, no finer.
        r3 = gaz.resolve(adm2_name, adm1=p1, level=ADM3)
        r2 = gaz.area(r3.adm2_pcode) if r3 is not None and r3.adm2_pcode else None
    p2 = r2.adm2_pcode if r2 else None
    best = _finer(r2, r1)
    if where:
        best = _finer(gaz.resolve(where, adm1=p1, adm2=p2), best)
    if best is None:
        best = gaz.resolve(root, level="country")
    return best


def _narrative(ext_id: str, row: dict[str, str], best: int, low: int, high: int) -> str:
    side_a, side_b = _cell(row, "side_a_name"), _cell(row, "side_b_name")
    names = [_cell(row, c) for c in ("location_where_name", "location_adm2_name", "location_adm1_name")]
    where = names[0] or names[1]
    place = ", ".join(x for x in (where, names[2]) if x) or _cell(row, "location_root_name") or COUNTRY
    deaths = f"{best} killed" + (f" ({low}-{high})" if (low, high) != (best, best) else "")
    return f"UCDP GED event {ext_id}: {side_a} vs {side_b} at {place}; {deaths}."


def parse_row(row: dict[str, str], line: int, gaz: Gazetteer) -> UcdpRecord:
    """One CSV row as a record, or :class:`RowError` naming the column that is wrong and why."""
    if None in row:
        raise RowError("(row)", f"{len(row[None])} more fields than the header has", line)  # type: ignore[index]
    ext_id = _cell(row, "id")
    if not ext_id:
        raise RowError("id", "missing UCDP event id", line)
    if not re.fullmatch(r"\d+", ext_id):
        raise RowError("id", f"{ext_id!r} is not a UCDP event id (digits expected)", line)
    try:
        root = _cell(row, "location_root_name")
        if gaz.country_code(root) is None:  # the deployment's countries, from its data
            raise RowError("location_root_name", f"{root or 'nothing'!r} is not {gaz.country_label()}", line)
        start = _date(row, "start_date", line)
        end = _date(row, "end_date", line) if _cell(row, "end_date") else start
        if end < start:
            raise RowError("end_date", f"{end.isoformat()} is before start_date {start.isoformat()}", line)
        for col in ("side_a_name", "side_b_name"):
            if not _cell(row, col):
                raise RowError(col, "missing side name", line)
        a, b, civ, unk = (_count(row, c, line) for c in DEATH_COLUMNS)
        low, high = _count(row, "deaths_low", line), _count(row, "deaths_high", line)
        best = a + b + civ + unk
        if low > best:
            raise RowError("deaths_low", f"{low} is above the best estimate {best} (sum of deaths_*)", line)
        if high < best:
            raise RowError("deaths_high", f"{high} is below the best estimate {best} (sum of deaths_*)", line)
        source_date = _source_date(row, line)
    except RowError as e:
        e.external_id = ext_id
        raise
    names = (_cell(row, c) for c in ("location_where_name", "location_adm2_name", "location_adm1_name"))
    place = next((n for n in names if n), None)
    return UcdpRecord(
        external_id=ext_id,
        line=line,
        occurred_at=f"{start.isoformat()}T00:00:00Z",
        occurred_precision=time_precision(start, end),
        place_name=place,
        resolution=resolve_location(row, gaz),
        side_a=_cell(row, "side_a_name"),
        side_b=_cell(row, "side_b_name"),
        killed=best,
        killed_low=low,
        killed_high=high,
        killed_civilian=civ,
        killed_combatant=a + b,
        source_date=source_date,
        narrative=_narrative(ext_id, row, best, low, high),
    )


def check_header(fieldnames: list[str] | None) -> None:
    """Raise ValueError unless the header has every UCDP-AEC column."""
    if not fieldnames:
        raise ValueError("not a UCDP-AEC file: it is empty (no header line)")
    got = {f.strip().lstrip("\ufeff") for f in fieldnames}
    missing = [c for c in UCDP_AEC_COLUMNS if c not in got]
    if missing:
        raise ValueError(
            f"not a UCDP-AEC file: header lacks {', '.join(missing)} "
            f"(expected columns: {', '.join(UCDP_AEC_COLUMNS)})"
        )


NAMESPACE = uuid.UUID("6f1c1c7e-5d2a-4c4e-9a57-7d2f6b0c1a11")  # report ids: uuid5 of "ucdp:<event id>"


def parse_rows(
    data: bytes,
    first_line: int,
    columns: list[str],
    today: str,
    resolve_actor: Callable[[str], str | None],
    gaz: Gazetteer,
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """A slice of whole UCDP-AEC records (no header) as report fields for the import pipeline
    (`ingest/bulk.py`), and the rejected rows as (line, reason). A report's id is uuid5("ucdp:<id>"), as
    imports always made it; its P-codes come from the names the row gives (`_placed`)."""
    check_header(columns)
    names = [c.strip().lstrip("\ufeff") for c in columns]
    out: list[dict[str, Any]] = []
    rejects: list[tuple[int, str]] = []
    for start, row in records(data, first_line, len(names), rejects):
        try:
            r = parse_row(dict(zip(names, row, strict=True)), start, gaz)
            if r.occurred_at[:10] > today:
                raise RowError("start_date", f"{r.occurred_at[:10]} is in the future", start)
        except RowError as e:
            rejects.append((start, f"{e.column}: {e.reason}"))
            continue
        res = r.resolution
        party = resolve_actor(r.side_a)
        out.append(
            {
                "id": str(uuid.uuid5(NAMESPACE, f"ucdp:{r.external_id}")),
                "external_id": r.external_id,
                "occurred_at": r.occurred_at,
                "occurred_precision": r.occurred_precision,
                "lat": res.lat if res else None,
                "lon": res.lon if res else None,
                "location_precision": res.precision if res else "country",
                "place_name": r.place_name,
                "adm1_pcode": res.adm1_pcode if res else None,
                "adm2_pcode": res.adm2_pcode if res else None,
                "adm3_pcode": res.adm3_pcode if res else None,
                "_placed": True,
                "violation_type": "attack_on_civilians" if r.side_b.strip().lower() == "civilians" else "armed_clash",
                "alleged_party_id": party,
                "alleged_party_text": None if party else r.side_a,
                "target": r.side_b,
                "killed": r.killed,
                "killed_low": r.killed_low,
                "killed_high": r.killed_high,
                "killed_civilian": r.killed_civilian,
                "killed_combatant": r.killed_combatant,
                "narrative": r.narrative,
                "line": start,
            }
        )
    return out, rejects


def read_ucdp_aec(path: str | PathLike[str], gaz: Gazetteer) -> Iterator[UcdpRecord | RowError]:
    """Stream a UCDP-AEC CSV: one :class:`UcdpRecord` per good row, one :class:`RowError` per bad one.
    Raises ValueError at once if the header is not UCDP-AEC's."""
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        check_header(list(reader.fieldnames) if reader.fieldnames is not None else None)
        line = reader.line_num + 1
        for row in reader:
            clean = {k.strip() if isinstance(k, str) else k: v for k, v in row.items()}
            try:
                yield parse_row(clean, line, gaz)
            except RowError as e:
                yield e
            line = reader.line_num + 1
