"""`truce import ucdp` on UCDP GED's own CSV (with coordinates): format detection, precision codes, P-codes
from the points, idempotency, and GED rows correcting the same events imported from UCDP-AEC."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select
from tests.helpers import UCDP_AEC
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.geo.gazetteer import Gazetteer
from truce.incidents.models import incident_reports, incidents
from truce.ingest import ged
from truce.ingest.service import import_ucdp
from truce.ingest.ucdp import resolve_location
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.reports.models import reports

WHERE_PREC = {"exact": 1, "near": 2, "adm3": 2, "adm2": 3, "adm1": 4, "country": 6}


def ged_sample(path: Path, n: int = 60) -> tuple[Path, list[dict[str, str]]]:
    """GED rows for the first ``n`` UCDP-AEC events: coordinates and where_prec from the gazetteer, as GED
    would give them; deaths, dates, sides as in UCDP-AEC."""
    gaz = Gazetteer.bundled()
    with open(UCDP_AEC, encoding="utf-8") as f:
        aec = [r for r, _ in zip(csv.DictReader(f), range(n), strict=False)]
    out = []
    for r in aec:
        res = resolve_location(r, gaz)
        assert res is not None and res.lat is not None
        a, b, civ, unk = (int(r[k]) for k in ("deaths_side_a", "deaths_side_b", "deaths_civilian", "deaths_unknown"))
        days = (r["end_date"] > r["start_date"])
        row = dict.fromkeys(ged.GED_COLUMNS, "")
        row.update(
            id=r["id"], relid=f"SYR-{r['id']}", year=r["start_date"][:4], active_year="1", code_status="Clear",
            type_of_violence="3" if r["side_b_name"] == "Civilians" else "1", conflict_name="Syria: Government",
            dyad_name=f"{r['side_a_name']} - {r['side_b_name']}", side_a=r["side_a_name"], side_b=r["side_b_name"],
            number_of_sources="1", source_office="SOHR", source_headline="Clashes reported",
            where_prec=str(WHERE_PREC[res.precision]), where_coordinates=r["location_where_name"],
            where_description=r["location_where_name"], adm_1=r["location_adm1_name"], adm_2=r["location_adm2_name"],
            latitude=f"{res.lat:.5f}", longitude=f"{res.lon:.5f}", geom_wkt=f"POINT ({res.lon:.5f} {res.lat:.5f})",
            country="Syria", country_id="652", region="Middle East", event_clarity="1",
            date_prec="2" if days else "1", date_start=f"{r['start_date']} 00:00:00.000",
            date_end=f"{r['end_date']} 00:00:00.000", deaths_a=str(a), deaths_b=str(b), deaths_civilians=str(civ),
            deaths_unknown=str(unk), best=str(a + b + civ + unk), high=r["deaths_high"], low=r["deaths_low"],
        )
        out.append(row)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=ged.GED_COLUMNS)
        w.writeheader()
        w.writerows(out)
    return path, out


def test_ged_file_is_detected_and_imported_with_points(astana_url, tmp_path):
    path, rows = ged_sample(tmp_path / "ged.csv")
    app = Truce(astana_url)
    r = CliRunner().invoke(cli, ["import", "ucdp", str(path), "--db", astana_url, "--json"])
    assert r.exit_code == 0, r.output
    assert '"source": "ucdp_ged"' in r.output and f'"imported": {len(rows)}' in r.output
    with app.read() as conn:
        got = {g.external_id: g for g in conn.execute(select(reports).where(reports.c.external_source == "ucdp"))}
    assert len(got) == len(rows)
    for row in rows:
        g = got[row["id"]]
        assert (g.lat, g.lon) == (float(row["latitude"]), float(row["longitude"]))
        assert g.killed == int(row["best"]) and g.killed_civilian == int(row["deaths_civilians"])
        assert g.occurred_precision == ("week" if row["date_prec"] == "2" else "day")
        prec = {"1": "exact", "2": "near", "3": "adm2", "4": "adm1", "6": "country"}[row["where_prec"]]
        assert g.location_precision == prec
        if prec in ("exact", "near"):
            assert g.adm3_pcode is not None
        if prec == "adm1":
            assert g.adm1_pcode and g.adm2_pcode is None
        if row["side_a"] == "Government of Syria":
            assert g.alleged_party_id == "SYR"
        assert g.violation_type == ("attack_on_civilians" if row["type_of_violence"] == "3" else "armed_clash")
    again = import_ucdp(app, SYSTEM, path)
    assert again.imported == 0 and again.duplicates == len(rows) and not again.batches
    assert verify(app).ok


def test_ged_rows_correct_the_same_events_from_ucdp_aec(astana_url, tmp_path):
    with open(UCDP_AEC, encoding="utf-8") as f:
        lines = f.read().splitlines()
    aec = tmp_path / "aec.csv"
    aec.write_text("\n".join(lines[:31]) + "\n", encoding="utf-8")
    app = Truce(astana_url)
    assert import_ucdp(app, SYSTEM, aec).imported == 30
    path, rows = ged_sample(tmp_path / "ged.csv", 30)
    s = import_ucdp(app, SYSTEM, path)
    assert s.source == "ucdp_ged" and s.corrections == 30 and s.imported == 0
    with app.read() as conn:
        assert conn.execute(select(func.count()).select_from(incidents)).scalar_one() == 30
        links = conn.execute(select(incident_reports.c.how, func.count()).group_by(incident_reports.c.how)).all()
        lat = conn.execute(select(incidents.c.lat).join(incident_reports, incident_reports.c.incident_id ==
                                                        incidents.c.id)
                           .join(reports, reports.c.id == incident_reports.c.report_id)
                           .where(reports.c.external_id == rows[0]["id"])).scalars().first()
    assert dict(links) == {"origin": 30, "correction": 30}
    assert lat == float(rows[0]["latitude"])
    assert verify(app).ok


def test_bad_ged_rows_are_rejected_with_line_numbers(astana_url, tmp_path):
    path, rows = ged_sample(tmp_path / "ged.csv", 8)
    rows[2]["latitude"] = "95"
    rows[4]["where_prec"] = "9"
    rows[5]["low"] = str(int(rows[5]["best"]) + 1)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=ged.GED_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    s = import_ucdp(Truce(astana_url), SYSTEM, path)
    assert s.imported == 5
    assert [ln for ln, _ in s.rejected] == [4, 6, 7]
    assert s.rejected[0][1].startswith("latitude:") and s.rejected[1][1].startswith("where_prec:")
    assert "low ≤ best ≤ high" in s.rejected[2][1]
