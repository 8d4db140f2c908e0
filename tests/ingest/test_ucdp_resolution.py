"""UCDP-AEC rows → records: place resolution measured on the real file, and clear errors for bad rows."""

from __future__ import annotations

import collections
import csv
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape
from tests.helpers import UCDP_AEC

from truce.geo.gazetteer import Gazetteer, precision_rank
from truce.geo.geometry import bundled_admin_features, repair
from truce.ingest.ucdp import (
    UCDP_AEC_COLUMNS,
    RowError,
    UcdpRecord,
    parse_row,
    read_ucdp_aec,
    resolve_location,
)

REAL = UCDP_AEC
BUNDLED = Path(__file__).resolve().parents[2] / "src" / "truce" / "scenarios" / "ucdp_aec_2017.csv"
needs_real = pytest.mark.usefixtures("real_ucdp_file")


@pytest.fixture
def real_ucdp_file() -> Path:
    """The real file is required, never skipped: a missing ../shared/data fails loudly."""
    assert REAL.exists(), f"the real UCDP-AEC file is expected at {REAL} (../shared/data, or set TRUCE_SHARED_DATA)"
    return REAL

GOOD = {
    "id": "123",
    "source_article": "deduplicated/eng_Latn/7.jsonl.zst:1",
    "source_date": "2017-03-02 10:00:00",
    "start_date": "2017-03-01",
    "end_date": "2017-03-01",
    "side_a_name": "Government of Syria",
    "side_b_name": "Syrian insurgents",
    "location_root_name": "Syria",
    "location_adm1_name": "Idlib governorate",
    "location_adm2_name": "Markaz Idlib district",
    "location_where_name": "Saraqib town",
    "deaths_side_a": "1",
    "deaths_side_b": "1",
    "deaths_civilian": "1",
    "deaths_unknown": "0",
    "deaths_low": "2",
    "deaths_high": "4",
}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.bundled()


@pytest.fixture(scope="module")
def real(gaz: Gazetteer) -> list[tuple[dict[str, str], UcdpRecord]]:
    with REAL.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = list(read_ucdp_aec(REAL, gaz))
    errors = [r for r in out if isinstance(r, RowError)]
    assert not errors, errors[:5]
    recs = [r for r in out if isinstance(r, UcdpRecord)]
    assert [r.external_id for r in recs] == [row["id"] for row in rows]
    return list(zip(rows, recs, strict=True))


def _adm_polygons(level: int) -> dict[str, shapely.Geometry]:
    return {
        f["properties"][f"adm{level}_pcode"]: repair(shape(f["geometry"]))[0]
        for f in bundled_admin_features(level)
    }


# --------------------------------------------------------------------------------------------------------
# The real file
# --------------------------------------------------------------------------------------------------------


@needs_real
def test_real_file_resolution_figures(real: list[tuple[dict[str, str], UcdpRecord]]) -> None:
    """At least 80% (aim: 90%) of the 4313 UCDP-AEC events land on a district or finer, so maps and
    district tables are not dominated by governorate-level blobs."""
    n = len(real)
    assert n == 4313
    counts = collections.Counter(rec.resolution.precision if rec.resolution else "none" for _, rec in real)
    print("\nUCDP-AEC train, resolution by precision:")
    for level in ("exact", "near", "adm3", "adm2", "adm1", "country", "none"):
        print(f"  {level:8} {counts[level]:5}  {100 * counts[level] / n:5.1f}%")
    district_or_finer = sum(counts[p] for p in ("exact", "near", "adm3", "adm2"))
    print(f"  adm2 or finer: {district_or_finer} = {100 * district_or_finer / n:.1f}%")
    assert counts["none"] == 0
    assert district_or_finer / n >= 0.90


@needs_real
def test_every_named_governorate_is_resolved_to_that_governorate(
    real: list[tuple[dict[str, str], UcdpRecord]], gaz: Gazetteer
) -> None:
    """No event named in a governorate is lost or counted under another governorate's P-code."""
    expected = {
        "Aleppo governorate": "SY02", "Deir ez Zor governorate": "SY09", "Idlib governorate": "SY07",
        "Hamah governorate": "SY05", "Rif Dimashq governorate": "SY03", "Homs governorate": "SY04",
        "Ar Raqqah governorate": "SY11", "Daraa governorate": "SY12", "Al Hasakah governorate": "SY08",
        "Damascus governorate": "SY01", "Latakia governorate": "SY06", "Quneitra governorate": "SY14",
        "As Suwayda governorate": "SY13", "Tartus governorate": "SY10",
    }
    named = 0
    for row, rec in real:
        adm1 = row["location_adm1_name"]
        if not adm1:
            continue
        named += 1
        assert rec.resolution is not None, row
        assert precision_rank(rec.resolution.precision) <= precision_rank("adm1"), (row, rec.resolution)
        assert rec.resolution.adm1_pcode == expected[adm1], (row, rec.resolution)
    print(f"\nrows naming a governorate: {named}, all resolved to it")
    assert named == 4313 - 34


@needs_real
def test_rows_naming_only_the_country_stay_at_country_precision(
    real: list[tuple[dict[str, str], UcdpRecord]],
) -> None:
    """An event placed only in "Syria" is kept (not dropped) and not pinned to an arbitrary place."""
    only_country = [
        rec for row, rec in real
        if not (row["location_adm1_name"] or row["location_adm2_name"] or row["location_where_name"])
    ]
    print(f"\nrows naming only the country: {len(only_country)}")
    assert len(only_country) == 16
    for rec in only_country:
        assert rec.resolution is not None and rec.resolution.precision == "country"
        assert rec.resolution.adm1_pcode is None and rec.place_name is None


@needs_real
def test_finer_places_agree_with_the_coarser_names_given(
    real: list[tuple[dict[str, str], UcdpRecord]], gaz: Gazetteer
) -> None:
    """A town pin always lies inside the district (and governorate) the row names: a where-name that
    matches a namesake elsewhere is not used, the row stays at its district."""
    adm2_polys = _adm_polygons(2)
    adm1_polys = _adm_polygons(1)
    checked_points = 0
    for row, rec in real:
        r = rec.resolution
        assert r is not None
        if row["location_adm2_name"] and precision_rank(r.precision) <= precision_rank("adm2"):
            names = {k: row[k] for k in ("location_adm1_name", "location_adm2_name")}
            district = resolve_location(names, gaz)
            assert district is not None and district.precision == "adm2"
            assert r.adm2_pcode == district.adm2_pcode, (row, r)
        if r.precision in ("near", "exact"):
            assert r.lat is not None and r.lon is not None and r.adm2_pcode and r.adm1_pcode
            pt = shapely.Point(r.lon, r.lat)
            # points are placed by point-in-polygon, snapping up to ~5 km onto the nearest sub-district
            assert adm2_polys[r.adm2_pcode].distance(pt) < 0.05, (row, r)
            assert adm1_polys[r.adm1_pcode].distance(pt) < 0.05, (row, r)
            checked_points += 1
    print(f"\npoints checked against their district polygon: {checked_points}")
    assert checked_points > 1500


@needs_real
def test_all_named_districts_resolve(real: list[tuple[dict[str, str], UcdpRecord]]) -> None:
    """Every district name UCDP uses (Markaz …, Mintaqat …, Albu Kamal, Atarib…) reaches an OCHA district."""
    missed = collections.Counter(
        row["location_adm2_name"] for row, rec in real
        if row["location_adm2_name"] and rec.resolution and rec.resolution.precision in ("adm1", "country")
    )
    assert not missed, missed


@needs_real
def test_records_carry_times_counts_and_a_readable_narrative(
    real: list[tuple[dict[str, str], UcdpRecord]],
) -> None:
    """Each record has an ISO UTC time with a precision, consistent death counts and a one-line summary."""
    precisions = collections.Counter(rec.occurred_precision for _, rec in real)
    assert set(precisions) <= {"day", "week", "month"} and precisions["day"] == 4171
    for row, rec in real:
        assert rec.occurred_at == f"{row['start_date']}T00:00:00Z"
        assert rec.killed_low <= rec.killed <= rec.killed_high
        assert rec.killed_combatant + rec.killed_civilian <= rec.killed
        assert rec.narrative.startswith(f"UCDP GED event {rec.external_id}: ") and "\n" not in rec.narrative
        assert rec.line >= 2


def test_bundled_2017_subset_reads_cleanly(gaz: Gazetteer) -> None:
    """The 2017 scenario file shipped with the package imports without a single bad row."""
    out = list(read_ucdp_aec(BUNDLED, gaz))
    assert out and not [r for r in out if isinstance(r, RowError)]


# --------------------------------------------------------------------------------------------------------
# One row
# --------------------------------------------------------------------------------------------------------


def test_good_row_becomes_a_record(gaz: Gazetteer) -> None:
    """The fields an analyst sees: time, precision, place, counts and narrative."""
    rec = parse_row(dict(GOOD), 2, gaz)
    assert rec.external_id == "123" and rec.line == 2
    assert rec.occurred_at == "2017-03-01T00:00:00Z" and rec.occurred_precision == "day"
    assert rec.place_name == "Saraqib town"
    assert rec.resolution is not None and rec.resolution.precision == "near"
    assert rec.resolution.adm2_pcode == "SY0700"
    assert (rec.killed, rec.killed_low, rec.killed_high) == (3, 2, 4)
    assert (rec.killed_civilian, rec.killed_combatant) == (1, 2)
    assert rec.source_date == "2017-03-02T10:00:00Z"
    assert rec.narrative == (
        "UCDP GED event 123: Government of Syria vs Syrian insurgents at Saraqib town, Idlib governorate; "
        "3 killed (2-4)."
    )


@pytest.mark.parametrize(
    ("start", "end", "precision"),
    [
        ("2017-03-01", "2017-03-01", "day"),
        ("2017-03-01", "2017-03-07", "week"),
        ("2017-03-01", "2017-03-08", "month"),
    ],
)
def test_time_precision_follows_the_date_span(gaz: Gazetteer, start: str, end: str, precision: str) -> None:
    """A one-day event is "day", up to seven calendar days "week", longer "month"."""
    rec = parse_row({**GOOD, "start_date": start, "end_date": end}, 2, gaz)
    assert rec.occurred_precision == precision


def test_where_name_outside_the_named_district_falls_back_to_the_district(gaz: Gazetteer) -> None:
    """A town that is not in the named district is not used: the event stays at the district."""
    row = {**GOOD, "location_adm2_name": "Ariha district"}
    r = resolve_location(row, gaz)
    assert r is not None and (r.precision, r.adm2_pcode) == ("adm2", "SY0705")


def test_where_name_outside_the_named_governorate_is_not_used(gaz: Gazetteer) -> None:
    """A town of another governorate is ignored: the event stays at its governorate."""
    row = {**GOOD, "location_adm1_name": "Hamah governorate", "location_adm2_name": ""}
    r = resolve_location(row, gaz)
    assert r is not None and (r.precision, r.adm1_pcode) == ("adm1", "SY05")


def test_where_name_without_district_is_resolved_inside_the_governorate(gaz: Gazetteer) -> None:
    """With no district named, the town still gives a point (and its district) inside the governorate."""
    row = {**GOOD, "location_adm2_name": ""}
    r = resolve_location(row, gaz)
    assert r is not None and (r.precision, r.adm1_pcode, r.adm2_pcode) == ("near", "SY07", "SY0700")


def _write(tmp_path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = UCDP_AEC_COLUMNS) -> Path:
    path = tmp_path / "ucdp.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"id": ""}, "id", "missing"),
        ({"id": "abc"}, "id", "digits"),
        ({"start_date": "2017-13-45"}, "start_date", "2017-13-45"),
        ({"start_date": "01/03/2017"}, "start_date", "YYYY-MM-DD"),
        ({"start_date": ""}, "start_date", "missing"),
        ({"end_date": "2017-02-27"}, "end_date", "before start_date"),
        ({"deaths_civilian": "-1"}, "deaths_civilian", "non-negative whole number"),
        ({"deaths_side_a": "2.5"}, "deaths_side_a", "non-negative whole number"),
        ({"deaths_unknown": ""}, "deaths_unknown", "missing"),
        ({"deaths_low": "9"}, "deaths_low", "above the best estimate"),
        ({"deaths_high": "1"}, "deaths_high", "below the best estimate"),
        ({"location_root_name": "Iraq"}, "location_root_name", "not Syria"),
        ({"side_b_name": ""}, "side_b_name", "missing"),
        ({"source_date": "yesterday"}, "source_date", "not a date-time"),
    ],
)
def test_malformed_row_gives_row_error_naming_the_column(
    tmp_path: Path, gaz: Gazetteer, change: dict[str, str], column: str, words: str
) -> None:
    """A bad row is reported with its line and the offending column, and does not stop the import."""
    path = _write(tmp_path, [GOOD, {**GOOD, **change, "id": change.get("id", "124")}, {**GOOD, "id": "125"}])
    out = list(read_ucdp_aec(path, gaz))
    assert len(out) == 3
    assert isinstance(out[0], UcdpRecord) and isinstance(out[2], UcdpRecord)
    err = out[1]
    assert isinstance(err, RowError), err
    assert err.column == column and err.line == 3
    assert words in str(err) and str(err).startswith(f"line 3: {column}: ")


def test_line_numbers_count_multiline_fields(tmp_path: Path, gaz: Gazetteer) -> None:
    """Line numbers point at the physical line where a row starts, even after a quoted multi-line field."""
    path = _write(tmp_path, [{**GOOD, "side_b_name": "Syrian\ninsurgents"}, {**GOOD, "id": "x"}])
    out = list(read_ucdp_aec(path, gaz))
    assert isinstance(out[0], UcdpRecord) and out[0].line == 2
    assert isinstance(out[1], RowError) and out[1].line == 4


def test_extra_fields_in_a_row_are_an_error(tmp_path: Path, gaz: Gazetteer) -> None:
    """A row with more fields than the header (a stray comma) is refused, not silently shifted."""
    path = tmp_path / "ucdp.csv"
    values = ",".join(GOOD[c] for c in UCDP_AEC_COLUMNS)
    path.write_text(",".join(UCDP_AEC_COLUMNS) + "\n" + values + ",oops\n")
    out = list(read_ucdp_aec(path, gaz))
    assert isinstance(out[0], RowError) and "more fields" in str(out[0])


def test_bad_header_gives_value_error(tmp_path: Path, gaz: Gazetteer) -> None:
    """Feeding an ACLED export (or any other CSV) is refused at once with the missing columns named."""
    path = _write(tmp_path, [GOOD], columns=tuple(c for c in UCDP_AEC_COLUMNS if c != "deaths_high") + ("x",))
    with pytest.raises(ValueError, match="deaths_high"):
        list(read_ucdp_aec(path, gaz))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        list(read_ucdp_aec(empty, gaz))
