"""Eligibility criteria: data, evidence per criterion, the UNSC listing, separation from designated groups."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.eligibility.service import evaluate, report_position
from truce.ledger.service import verify

runner = CliRunner()


def _position(app: Truce, party: str, day: str, lat: float, lon: float) -> dict:
    with app.write() as conn:
        return report_position(app, conn, get_actor(conn, "rus_monitor"), party, day, lat, lon)


def test_listed_group_fails_on_the_first_criterion(astana_url):
    r = runner.invoke(cli, ["eligibility", "NUSRA", "--as-of", "2017-09-21", "--db", astana_url, "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)
    assert res["result"] == "not_eligible"
    first = res["criteria"][0]
    assert (first["id"], first["status"]) == ("E1", "failed")
    assert first["evidence"]["listed_by"][0]["authority"] == "UNSC"


def test_faylaq_passes_then_fails_separation_when_reported_next_to_nusra(astana_url):
    app = Truce(astana_url)
    with app.read() as conn:
        res = evaluate(conn, "FAYLAQ", "2017-09-21")
    assert res["result"] == "undetermined"  # no positions reported yet: separation unknown
    assert {c["id"]: c["status"] for c in res["criteria"]}["E4"] == "unknown"
    _position(app, "FAYLAQ", "2017-09-10", 35.62, 36.63)
    nusra = _position(app, "NUSRA", "2017-09-12", 35.93, 36.63)
    with app.read() as conn:
        res = evaluate(conn, "FAYLAQ", "2017-09-21")
    assert res["result"] == "eligible", res
    close = _position(app, "FAYLAQ", "2017-09-15", 35.939, 36.63)  # about 1 km from NUSRA's position
    with app.read() as conn:
        res = evaluate(conn, "Faylaq al-Sham", "2017-09-21")
    e4 = next(c for c in res["criteria"] if c["id"] == "E4")
    assert res["result"] == "not_eligible" and e4["status"] == "failed"
    closest = e4["evidence"]["closest"]
    assert 0.8 < closest["distance_km"] < 1.2
    assert closest["party_position"]["id"] == close["id"] and closest["designated_position"]["id"] == nusra["id"]
    assert closest["party_position"]["ledger_seq"] > 0
    # Outside the 30-day window the old positions no longer count.
    with app.read() as conn:
        assert evaluate(conn, "FAYLAQ", "2017-11-30")["criteria"][3]["status"] == "unknown"
    assert verify(app).ok


def test_criteria_are_data_a_new_criterion_of_a_known_kind_needs_no_code(astana_url):
    from truce.agreements import service as agreements
    from truce.ledger.chain import SYSTEM

    app = Truce(astana_url)
    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        elig = v1["settings"]["eligibility"]
        stricter = {
            **elig,
            "version": 2,
            "criteria": [
                *elig["criteria"],
                {"id": "E6", "kind": "separation_km", "km": 50, "days": 30, "text": "50 km from designated groups"},
            ],
        }
        agreements.add_version(
            app,
            conn,
            SYSTEM,
            {
                **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "decision_rule")},
                "settings": {k: v for k, v in v1["settings"].items() if k != "eligibility"},
                "effective": "2017-09-01",
                "eligibility": stricter,
            },
        )
    _position(app, "FAYLAQ", "2017-09-10", 35.62, 36.63)
    _position(app, "NUSRA", "2017-09-12", 35.93, 36.63)  # about 34 km
    with app.read() as conn:
        res = evaluate(conn, "FAYLAQ", "2017-09-21")
    assert res["criteria_set"]["version"] == 2
    statuses = {c["id"]: c["status"] for c in res["criteria"]}
    assert statuses["E4"] == "passed" and statuses["E6"] == "failed"
