"""Judgments that follow their inputs (issue 12): a zone change re-judges the incidents it moves, the
CSV export and the bulletin say what the incident says, `ledger verify` names a stored judgment that
the rules do not give, and incidents outside the agreement's period are not judged."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import update
from tests.helpers import report
from tests.web.conftest import client_for, sign_in
from typer.testing import CliRunner

from truce.agreements import service as agreements
from truce.app import Truce
from truce.auth.service import get_actor
from truce.bulletins.compute import compute
from truce.bulletins.render import build_view
from truce.cli import app as cli
from truce.exports.service import export_incidents
from truce.incidents.models import incidents
from truce.incidents.service import IncidentFilter
from truce.incidents.verification import add_finding
from truce.ledger.chain import SYSTEM
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


def _submit(app: Truce, day: str, lat: float = 35.9306, lon: float = 36.6339) -> int:
    """A shelling in Idlib city (zone Z1) reported by the Russian office, that nobody has looked at."""
    with app.write() as conn:
        return submit(
            app, conn, get_actor(conn, "rus_monitor"), report(occurred_at=f"{day}T10:00:00Z", lat=lat, lon=lon)
        ).incident_id


def _judged(app: Truce, iid: int) -> tuple:
    r = _row(app, iid)
    return (r["verdict"], r["clause_id"], r["breach"], r["severity"])


MAARAT = (35.6476, 36.6746)  # Maarat al-Numan, zone Z1, 30 km from Idlib city
BEFORE = ("before_agreement", None, "before_agreement", "before_agreement")
AFTER = ("after_agreement", None, "after_agreement", "after_agreement")


def test_incidents_outside_the_agreement_period_are_not_judged(astana_url):
    """Astana took effect on 2017-05-06: an incident of January 2017 is "before_agreement" in its verdict,
    breach and severity whatever the guarantors found, and so is one that nobody looked at yet; the CLI,
    the export and the bulletin of that day say the same, and the bulletin's totals leave them out."""
    app = Truce(astana_url)
    early = _verified_incident(app, "2017-01-16", lat=35.9306, lon=36.6339)
    row = _row(app, early)
    assert _judged(app, early) == BEFORE
    assert (row["attributed_party_id"], row["attribution"]) == (None, None)
    assert row["breach_reason"] == "not judged: before the agreement took effect"
    unseen = _submit(app, "2017-01-16", *MAARAT)
    assert unseen != early and _judged(app, unseen) == BEFORE
    inside = _submit(app, "2017-09-21")
    assert _judged(app, inside) == ("pending", None, None, None)

    r = runner.invoke(cli, ["incident", "show", str(unseen), "--db", astana_url])
    assert r.exit_code == 0, r.output
    assert "verdict: before_agreement" in r.output
    assert "clause, breach, severity: before_agreement (not judged: before the agreement took effect)" in r.output
    r = runner.invoke(cli, ["incident", "list", "--verdict", "before_agreement", "--json", "--db", astana_url])
    assert r.exit_code == 0, r.output
    assert {early, unseen} <= {i["id"] for i in json.loads(r.output)["incidents"]}
    exported = _csv_row(app, unseen)
    assert (exported["verdict"], exported["breach"], exported["severity"]) == BEFORE[:1] + BEFORE[2:]
    client = client_for(astana_url)
    sign_in(client, astana_url, "rus_verifier")
    api = client.get(f"/api/v1/incidents/{unseen}").json()
    assert (api["verdict"], api["clause_id"], api["breach"], api["severity"]) == BEFORE
    page = client.get(f"/incidents/{unseen}")
    assert page.status_code == 200 and page.text.count("before agreement") >= 3, page.text  # verdict, breach, severity

    with app.read() as conn:
        doc = compute(conn, "2017-01-16")
    inc = doc["numbers"]["incidents"]
    assert inc["by_verdict"]["before_agreement"] == 2 and inc["by_verdict"]["pending"] == 0
    assert (inc["total"], inc["outside_period"], inc["verified"], inc["by_zone"]) == (0, 2, [], {
        z: {"incidents": 0, "verified": 0, "breaches": 0} for z in inc["by_zone"]
    })
    summary = build_view(doc).summary
    assert "Incidents outside the agreement's period, not judged: 2 (before agreement)." in summary, summary
    with app.read() as conn:
        assert compute(conn, "2017-09-21")["numbers"]["incidents"]["total"] == 1
    res = verify(app)
    assert res.ok, res.problems


def test_a_new_agreement_version_moves_the_period_and_the_incidents_follow(astana_url):
    """An earlier agreement (the Ankara ceasefire of 30 December 2016, guaranteed by Russia and Turkey)
    moves the period's start before 2017-01-16: the incidents of that day, with and without findings, are
    judged again; a later version that ends the agreement makes the incidents after its end "after the
    agreement". Each change is a reaction of `agreement.add`, on replay too (`ledger verify`)."""
    app = Truce(astana_url)
    early = _verified_incident(app, "2017-01-16", lat=35.9306, lon=36.6339)
    unseen = _submit(app, "2017-01-16", *MAARAT)
    late = _submit(app, "2017-09-21")
    assert _judged(app, early) == _judged(app, unseen) == BEFORE
    with app.write() as conn:
        astana = agreements.get(conn, "astana-2017")
        keep = ("clauses", "settings", "term_months", "decision_rule")
        agreements.add_version(app, conn, SYSTEM, {
            **{k: astana[k] for k in keep}, "id": "ankara-2016", "title": "Ankara ceasefire",
            "effective": "2016-12-30", "guarantors": ["RUS", "TUR"],
        })
    # Under Ankara (RUS, TUR; unanimity) Turkey's confirmation counts and Russia's own report does not:
    # verified, under C1 but no breach (the zones were drawn in May). The unseen one is pending, like any
    # incident nobody judged.
    assert _judged(app, early) == ("verified", "C1", "no_breach", "minor")
    assert _row(app, early)["breach_reason"] == "outside every zone on that date"
    assert (_row(app, early)["agreement_id"], _row(app, early)["attributed_party_id"]) == ("ankara-2016", "SYR")
    assert _judged(app, unseen) == ("pending", None, None, None)
    assert _judged(app, late) == ("pending", None, None, None)
    with app.read() as conn:
        assert compute(conn, "2017-01-16")["numbers"]["incidents"]["total"] == 2

    with app.write() as conn:
        agreements.add_version(app, conn, SYSTEM, {
            **{k: astana[k] for k in (*keep, "id", "title", "guarantors")}, "effective": "2017-06-01",
            "ends": "2017-08-01",
        })
    assert _judged(app, late) == AFTER
    assert _row(app, late)["breach_reason"] == "not judged: after the agreement ended"
    assert _judged(app, early)[0] == "verified"
    res = verify(app)
    assert res.ok, res.problems
    r = runner.invoke(cli, ["ledger", "verify", "--db", astana_url])
    assert r.exit_code == 0, r.output
