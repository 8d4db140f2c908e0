"""`truce demo`: the whole demo builds, is marked simulated where it is, verifies, and is served."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.ledger.service import verify
from truce.reports.models import reports
from truce.web.app import create_app

runner = CliRunner()


def test_demo_builds_verifies_and_serves(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli, ["demo", "--no-serve", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "demo ready" in r.output
    said = " ".join(r.output.split())  # the summary line may wrap
    assert "the story of 2017 played" in said and "the demo runs as of 2017-12-31" in said
    # Each demo account gets a generated password, printed once and kept in a 0600 file.
    pw_file = tmp_path / "demo-passwords.txt"
    assert pw_file.stat().st_mode & 0o777 == 0o600
    passwords = dict(line.split() for line in pw_file.read_text().splitlines() if not line.startswith("#"))
    assert {"admin", "rus_verifier", "syr_liaison"} <= set(passwords)
    assert passwords["rus_verifier"] in r.output
    app = Truce(db_url)
    with app.read() as conn:
        sim = conn.execute(select(func.count()).select_from(reports).where(reports.c.simulated.is_(True))).scalar_one()
        sim_q = select(reports.c.org_id).where(reports.c.simulated.is_(True)).distinct()
        sim_orgs = {o for (o,) in conn.execute(sim_q)}
        bad = conn.execute(select(func.count()).select_from(reports).where(
            reports.c.simulated.is_(True), ~reports.c.narrative.startswith("[SIMULATED]"))).scalar_one()
    assert sim > 50 and sim_orgs == {"RUS_OFFICE", "TUR_OFFICE", "IRN_OFFICE"} and bad == 0
    # Incidents in every state, with investigations and replies, still marked simulated.
    listed = json.loads(runner.invoke(cli, ["incident", "list", "--limit", "0", "--json", "--db", db_url]).output)
    verdicts = {i["verdict"] for i in listed["incidents"]}
    assert {"pending", "disputed", "verified"} <= verdicts
    with app.read() as conn:
        from truce.incidents.models import findings, investigations, replies

        assert conn.execute(select(func.count()).select_from(investigations)).scalar_one() > 0
        assert conn.execute(select(func.count()).select_from(replies)).scalar_one() > 0
        assert conn.execute(select(func.count()).select_from(findings).where(
            ~findings.c.note.startswith("[SIMULATED]"))).scalar_one() == 0
    # Eligibility on the demo data: FAYLAQ passes, NUSRA fails on the UNSC listing.
    faylaq = json.loads(runner.invoke(cli, ["eligibility", "FAYLAQ", "--as-of", "2017-09-21", "--json",
                                            "--db", db_url]).output)
    assert faylaq["result"] == "eligible"
    nusra = json.loads(runner.invoke(cli, ["eligibility", "NUSRA", "--as-of", "2017-09-21", "--json",
                                           "--db", db_url]).output)
    assert nusra["result"] == "not_eligible" and nusra["criteria"][0]["status"] == "failed"
    # The story: Sheikh Miskine (SY120304) united into Z4 from 9 July 2017, a decision marked simulated.
    z4 = json.loads(runner.invoke(cli, ["zone", "history", "Z4", "--json", "--db", db_url]).output)
    united = [v for v in z4 if v["valid_from"] == "2017-07-09"]
    assert len(united) == 1 and "SY120304" in united[0]["adm_pcodes"]
    assert "simulated for the demo" in united[0]["reason"]
    assert verify(app).ok
    # Running the demo again changes nothing.
    again = runner.invoke(cli, ["demo", "--no-serve", "--db", db_url])
    assert again.exit_code == 0 and "1269 already there" in again.output and "(0 already there)" not in again.output
    assert "the story of 2017 was played already" in " ".join(again.output.split())
    assert "have passwords already" in again.output and passwords["rus_verifier"] not in again.output
    users = json.loads(runner.invoke(cli, ["user", "list", "--db", db_url, "--json"]).output)
    assert {"rus_monitor", "tur_verifier", "irn_verifier", "joint_verifier", "syr_liaison", "admin"} <= {
        u["name"] for u in users}
    client = TestClient(create_app(db_url))
    page = client.get("/")
    assert page.status_code == 200
    for z in ("Z1", "Z2", "Z3", "Z4", "approximate", "simulated"):
        assert z in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    z3 = client.get("/?zone=Z3")
    assert z3.status_code == 200 and "Incidents in Z3" in z3.text
    fc = client.get("/api/v1/zones").json()
    assert {f["properties"]["zone"] for f in fc["features"]} == {"Z1", "Z2", "Z3", "Z4"}
    inc = client.get("/api/v1/incidents", params={"zone": "Z1", "limit": 5}).json()
    assert inc["total"] > 0 and all(i["zones"] == ["Z1"] for i in inc["incidents"])
    err = client.get("/api/v1/incidents", params={"adm": "XX1"})
    assert err.status_code == 422 and err.json()["code"] == "validation_failed"
    assert err.json()["details"][0]["field"] == "adm"
