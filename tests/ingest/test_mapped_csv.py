"""`truce import csv FILE --mapping MAPPING.yaml`: users' own spreadsheets, validated as `report submit`
validates a report, with rejects naming the line, the field and the user's column."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.incidents.models import incident_reports, incidents
from truce.ledger.service import verify
from truce.reports.models import reports

MAPPING = """\
columns:
  external_id: Ref
  occurred_at: Date
  lat: Latitude
  lon: Longitude
  place_name: Village
  violation_type: What happened
  alleged_party: Who
  killed: Dead
  injured: Hurt
  narrative: Description
  weapons: Weapons
constants:
  source_kind: ngo
  occurred_precision: day
  language: en
values:
  violation_type: {Artillery: shelling, Air raid: airstrike, Sniper: sniper_fire}
date_format: "%d/%m/%Y"
external_source: sham_ngo
"""
HEADER = ["Ref", "Date", "Latitude", "Longitude", "Village", "What happened", "Who", "Dead", "Hurt", "Description",
          "Weapons"]
ROWS = [
    ["A-1", "21/09/2017", "35.93", "36.63", "", "Artillery", "Syrian Arab Army", "2", "5", "Shells on the market",
     "mortar; 122mm"],
    ["A-2", "22/09/2017", "", "", "Duma", "air raid", "Russian Federation", "0", "", "Jets over Duma", ""],
    ["A-3", "23/09/2017", "95", "36.6", "", "Sniper", "", "", "", "lat is wrong", ""],
    ["A-4", "24/09/2017", "35.9", "36.6", "", "Pillow fight", "", "", "", "unknown type", ""],
    ["A-5", "31/02/2017", "35.9", "36.6", "", "Artillery", "", "", "", "no such day", ""],
    ["A-6", "25/09/2017", "", "", "Nowhere-on-earth", "Artillery", "", "", "", "place unknown", ""],
    ["A-7", "26/09/2017", "33.57", "36.40", "", "Artillery", "Jaish al-Islam", "x", "", "dead not a number", ""],
    ["A-8", "27/09/2017", "33.5722", "36.4025", "", "Sniper", "Jaish al-Islam", "1", "", "Sniper in Duma", ""],
]


def _files(tmp_path: Path, rows: list[list[str]]) -> tuple[Path, Path]:
    sheet = tmp_path / "sheet.csv"
    with open(sheet, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return sheet, mapping


def test_sheet_with_mapping_imports_good_rows_and_lists_bad_ones(astana_url, tmp_path):
    sheet, mapping = _files(tmp_path, ROWS)
    rejects = tmp_path / "rejects.csv"
    r = CliRunner().invoke(cli, ["import", "csv", str(sheet), "--mapping", str(mapping), "--db", astana_url,
                                 "--rejects", str(rejects)])
    assert r.exit_code == 0, r.output
    assert "3 imported" in r.output and "5 rejected" in r.output
    with open(rejects, encoding="utf-8") as f:
        rej = {int(x["line"]): x["reason"] for x in csv.DictReader(f)}
    assert set(rej) == {4, 5, 6, 7, 8}
    assert rej[4].startswith("lat:") and "[column 'Latitude']" in rej[4]
    assert rej[5].startswith("violation_type:") and "Pillow fight" in rej[5] and "[column 'What happened']" in rej[5]
    assert rej[6].startswith("occurred_at:") and "31/02/2017" in rej[6]
    assert rej[7].startswith("place_name:") and "Nowhere-on-earth" in rej[7]
    assert "killed" in rej[8] and "[column 'Dead']" in rej[8]
    app = Truce(astana_url)
    with app.read() as conn:
        got = {g.external_id: g for g in conn.execute(select(reports).where(reports.c.external_source == "sham_ngo"))}
        zones = conn.execute(select(incidents.c.id)).all()
    assert set(got) == {"A-1", "A-2", "A-8"} and len(zones) == 3
    a1, a2, a8 = got["A-1"], got["A-2"], got["A-8"]
    assert (a1.violation_type, a1.alleged_party_id, a1.killed, a1.injured) == ("shelling", "SYR", 2, 5)
    assert a1.occurred_at == "2017-09-21T00:00:00Z" and a1.occurred_precision == "day"
    assert a1.adm3_pcode == "SY070000" and a1.weapons == '["122mm", "mortar"]' and a1.source_kind == "ngo"
    assert a2.violation_type == "airstrike" and a2.adm1_pcode == "SY03" and a2.location_precision != "exact"
    assert a8.violation_type == "sniper_fire" and a8.alleged_party_id == "JAISH_ISLAM"
    assert verify(app).ok


def test_reimport_is_idempotent_and_a_changed_row_is_a_correction(astana_url, tmp_path):
    sheet, mapping = _files(tmp_path, [ROWS[0], ROWS[7]])
    args = ["import", "csv", str(sheet), "--mapping", str(mapping), "--db", astana_url, "--json"]
    assert '"imported": 2' in CliRunner().invoke(cli, args).output
    assert '"duplicates": 2' in CliRunner().invoke(cli, args).output
    changed = list(ROWS[7])
    changed[7] = "3"
    _files(tmp_path, [ROWS[0], changed])
    out = CliRunner().invoke(cli, args).output
    assert '"corrections": 1' in out and '"duplicates": 1' in out
    app = Truce(astana_url)
    with app.read() as conn:
        v = conn.execute(select(reports.c.killed, reports.c.supersedes, incident_reports.c.how)
                         .join(incident_reports, incident_reports.c.report_id == reports.c.id)
                         .where(reports.c.external_id == "A-8").order_by(reports.c.ledger_seq)).all()
    assert [(x.killed, x.how) for x in v] == [(1, "origin"), (3, "correction")] and v[1].supersedes
    assert verify(app).ok


def test_a_bad_mapping_is_refused_naming_the_field(astana_url, tmp_path):
    sheet, mapping = _files(tmp_path, ROWS[:1])
    mapping.write_text("columns:\n  occured_at: Date\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["import", "csv", str(sheet), "--mapping", str(mapping), "--db", astana_url])
    assert r.exit_code == 2 and "occured_at" in r.output
    mapping.write_text("columns:\n  occurred_at: Datum\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["import", "csv", str(sheet), "--mapping", str(mapping), "--db", astana_url])
    assert r.exit_code == 2 and "'Datum'" in r.output


def test_client_made_ids_behave_as_in_report_submit(astana_url, tmp_path):
    import uuid

    from tests.helpers import report

    from truce.ledger.chain import SYSTEM
    from truce.reports.service import submit

    app = Truce(astana_url)
    taken = str(uuid.uuid4())
    with app.write() as conn:
        submit(app, conn, SYSTEM, report(id=taken))
    fresh = str(uuid.uuid4())
    sheet = tmp_path / "ids.csv"
    mapping = tmp_path / "ids.yaml"
    mapping.write_text("columns: {id: UUID, occurred_at: When, lat: Lat, lon: Lon, violation_type: Type, killed: K}\n")

    def write(killed: str) -> None:
        sheet.write_text(f"UUID,When,Lat,Lon,Type,K\n{taken},2017-09-21,35.93,36.63,shelling,1\n"
                         f"{fresh},2017-09-22,35.93,36.63,shelling,{killed}\n")

    write("1")
    args = ["import", "csv", str(sheet), "--mapping", str(mapping), "--db", astana_url, "--json"]
    out = CliRunner().invoke(cli, args).output
    assert '"imported": 1' in out and f"id: report {taken} exists already" in out
    with app.read() as conn:
        assert conn.execute(select(reports.c.external_id).where(reports.c.id == fresh)).scalar_one() == fresh
    assert '"duplicates": 1' in CliRunner().invoke(cli, args).output
    write("4")
    out = CliRunner().invoke(cli, args).output
    assert '"corrections": 0' in out and f"id: report {fresh} was already imported with different content" in out
    assert verify(app).ok
