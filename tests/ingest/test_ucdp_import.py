"""`truce import ucdp` on the real UCDP-AEC file: resolution figures, idempotency, rejects, the ledger."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select
from tests.helpers import UCDP_AEC, ledger_count
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.incidents.models import incident_zones, incidents
from truce.ingest.service import import_ucdp
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries
from truce.ledger.service import verify
from truce.reports.models import reports

SHARED = UCDP_AEC


def test_real_file_meets_resolution_figures_and_is_idempotent(astana_url):
    """Importing the real file must place ≥80% of rows in a district or finer, keep country-only rows at
    country precision, and a second import must add nothing."""
    app = Truce(astana_url)
    s = import_ucdp(app, SYSTEM, SHARED)
    assert s.rows == 4313 and s.imported == 4313 and not s.rejected
    fine = sum(v for k, v in s.precision.items() if k in ("exact", "near", "adm3", "adm2"))
    print(f"resolution: {dict(s.precision)}; district or finer {fine / s.rows:.1%}")
    assert fine / s.rows >= 0.80
    # Every row that names a governorate resolves to at least a governorate.
    with open(SHARED, encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    with app.read() as conn:
        got = {r.external_id: r for r in conn.execute(
            select(reports.c.external_id, reports.c.adm1_pcode, reports.c.location_precision, reports.c.killed)
            .where(reports.c.external_source == "ucdp"))}
    named = [i for i, r in rows.items() if r["location_adm1_name"].strip()]
    assert all(got[i].adm1_pcode for i in named)
    country_only = [i for i, r in rows.items() if not (r["location_adm1_name"] or r["location_adm2_name"]
                                                      or r["location_where_name"]).strip()]
    assert all(got[i].location_precision == "country" for i in country_only)
    # Deaths map to casualties: best = the sum of the four death columns.
    sample = next(iter(rows.values()))
    total = sum(int(sample[k]) for k in ("deaths_side_a", "deaths_side_b", "deaths_civilian", "deaths_unknown"))
    assert got[sample["id"]].killed == total
    # One ledger entry per batch, naming the file's sha256 kept in the blob store.
    with app.read() as conn:
        entries = conn.execute(select(ledger_entries.c.payload).where(ledger_entries.c.command == "import.file")).all()
    assert len(entries) == len(s.batches) >= 1
    assert all(json.loads(e.payload)["blob"] == s.sha256 for e in entries)
    assert app.blobs.exists(s.sha256)
    n = ledger_count(app)
    again = import_ucdp(app, SYSTEM, SHARED)
    assert again.imported == 0 and again.duplicates == 4313 and ledger_count(app) == n
    with app.read() as conn:
        assert conn.execute(select(func.count()).select_from(incidents)).scalar_one() == 4313
        assert conn.execute(select(func.count()).select_from(incident_zones)).scalar_one() > 100
    assert verify(app).ok


def test_changed_row_is_recorded_as_a_correction_and_bad_rows_are_listed(astana_url, tmp_path):
    app = Truce(astana_url)
    with open(SHARED, encoding="utf-8") as f:
        lines = f.read().splitlines()
    small = tmp_path / "ucdp.csv"
    small.write_text("\n".join(lines[:21]) + "\n", encoding="utf-8")
    first = import_ucdp(app, SYSTEM, small)
    assert first.imported == 20
    header = lines[0].split(",")
    row = next(csv.reader([lines[5]]))
    row[header.index("deaths_civilian")] = str(int(row[header.index("deaths_civilian")]) + 4)
    row[header.index("deaths_high")] = str(int(row[header.index("deaths_high")]) + 4)
    bad = next(csv.reader([lines[6]]))
    bad[header.index("start_date")] = "2017-13-45"
    edited = tmp_path / "ucdp2.csv"
    with open(edited, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerow(row)
        w.writerow(bad)
    rejects = tmp_path / "rejects.csv"
    r = CliRunner().invoke(cli, ["import", "ucdp", str(edited), "--db", astana_url, "--rejects", str(rejects)])
    assert r.exit_code == 0, r.output
    assert "1 corrections" in r.output and "1 rejected" in r.output
    with open(rejects, encoding="utf-8") as f:
        rej = list(csv.DictReader(f))
    assert rej[0]["line"] == "3" and "start_date" in rej[0]["reason"]
    with app.read() as conn:
        versions = conn.execute(select(reports.c.id, reports.c.supersedes)
                                .where(reports.c.external_id == row[0])).all()
    assert len(versions) == 2 and sum(1 for v in versions if v.supersedes) == 1
    assert verify(app).ok
