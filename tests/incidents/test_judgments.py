"""Judgments that follow their inputs (issue 12): a zone change re-judges the incidents it moves, the
CSV export and the bulletin say what the incident says, `ledger verify` names a stored judgment that
the rules do not give, and incidents outside the agreement's period are not judged."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update
from tests.helpers import report
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.bulletins.compute import compute
from truce.cli import app as cli
from truce.exports.service import export_incidents
from truce.incidents.models import incidents
from truce.incidents.service import IncidentFilter
from truce.incidents.verification import add_finding
from truce.ledger.service import verify
from truce.reports.service import submit

SHEIKH_MISKINE = ("SY120304", 32.86928816, 36.14826658)  # a sub-district outside every zone of 2017
runner = CliRunner()


def _verified_incident(app: Truce, day: str, lat: float = SHEIKH_MISKINE[1], lon: float = SHEIKH_MISKINE[2]) -> int:
    """A shelling reported by the Russian office, confirmed by Turkey and Iran naming SYR: verified."""
    with app.write() as conn:
        iid = submit(
            app, conn, get_actor(conn, "rus_monitor"), report(occurred_at=f"{day}T10:00:00Z", lat=lat, lon=lon)
        ).incident_id
        for user in ("tur_verifier", "irn_verifier"):
            add_finding(app, conn, get_actor(conn, user), iid, "confirmed", "site_visit", None, "SYR")
    return iid


def _row(app: Truce, iid: int) -> dict:
    with app.read() as conn:
        return dict(conn.execute(incidents.select().where(incidents.c.id == iid)).mappings().one())


def _csv_row(app: Truce, iid: int) -> dict[str, str]:
    text = b"".join(export_incidents(app, "csv", IncidentFilter())).decode("utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r and r.get("id") == str(iid)]
    assert len(rows) == 1, text[:300]
    return rows[0]


def _bulletin_entry(app: Truce, day: str, iid: int) -> dict:
    with app.read() as conn:
        doc = compute(conn, day)
    return next(v for v in doc["numbers"]["incidents"]["verified"] if v["incident"] == iid)


def test_zone_unite_rejudges_the_incident_and_export_and_bulletin_agree(astana_url):
    app = Truce(astana_url)
    iid = _verified_incident(app, "2017-08-01")
    before = _row(app, iid)
    assert (before["verdict"], before["attributed_party_id"]) == ("verified", "SYR")
    assert (before["breach"], before["severity"]) == ("no_breach", "minor")
    assert before["breach_reason"] == "outside every zone on that date"

    r = runner.invoke(
        cli,
        ["zone", "unite", "Z4", "--adm", SHEIKH_MISKINE[0], "--as-of", "2017-07-09", "--db", astana_url],
    )
    assert r.exit_code == 0, r.output
    after = _row(app, iid)
    assert (after["clause_id"], after["breach"], after["severity"]) == ("C1", "breach", "grave")
    assert after["severity_reason"] == "shelling inside a zone"
    exported = _csv_row(app, iid)
    assert (exported["breach"], exported["severity"]) == ("breach", "grave")
    entry = _bulletin_entry(app, "2017-08-01", iid)
    assert (entry["zones"], entry["breach"], entry["severity"]) == (["Z4"], "breach", "grave")
    res = verify(app)
    assert res.ok, res.problems


def test_ledger_verify_names_a_hand_edited_severity(astana_url):
    app = Truce(astana_url)
    iid = _verified_incident(app, "2017-09-21", lat=35.9306, lon=36.6339)  # Idlib city, in Z1
    assert _row(app, iid)["severity"] == "grave"
    assert verify(app).ok
    with app.write() as conn:
        conn.execute(update(incidents).where(incidents.c.id == iid).values(severity="minor"))
    res = verify(app)
    assert not res.ok
    assert f"incident {iid}: severity is 'minor' in the database but the rules give 'grave'" in res.problems
    r = runner.invoke(cli, ["ledger", "verify", "--db", astana_url])
    assert r.exit_code == 1 and f"incident {iid}: severity" in r.output


def test_incidents_outside_the_agreement_period_are_not_judged(astana_url):
    """Astana took effect on 2017-05-06: an incident of January 2017 is "before_agreement" whatever the
    guarantors found (one that nobody looked at yet stays pending); the bulletin of that day says the same."""
    app = Truce(astana_url)
    early = _verified_incident(app, "2017-01-16", lat=35.9306, lon=36.6339)
    row = _row(app, early)
    assert row["verdict"] == "before_agreement"
    assert (row["attributed_party_id"], row["breach"], row["severity"]) == (None, None, None)
    with app.write() as conn:
        unseen = submit(
            app, conn, get_actor(conn, "rus_monitor"), report(occurred_at="2017-01-17T10:00:00Z")
        ).incident_id
    assert _row(app, unseen)["verdict"] == "pending"
    with app.read() as conn:
        doc = compute(conn, "2017-01-16")
    by_verdict = doc["numbers"]["incidents"]["by_verdict"]
    assert by_verdict["before_agreement"] == 1 and by_verdict["verified"] == 0
    res = verify(app)
    assert res.ok, res.problems
