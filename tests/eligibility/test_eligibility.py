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


# --- each kind driven to each of its outcomes ---------------------------------------------------------


def _verified(app: Truce, day: str, parties: tuple[str, ...], attributed: str, lat: float = 35.93) -> int:
    """A verified incident on ``day``: one report per alleged party (the first monitor's starts it),
    confirmed by the three guarantors and attributed to ``attributed``."""
    from tests.helpers import report

    from truce.incidents.verification import add_finding
    from truce.reports.service import submit

    monitors = ("rus_monitor", "tur_monitor", "irn_monitor")
    with app.write() as conn:
        opening = report(occurred_at=f"{day}T06:00:00Z", alleged_party=parties[0], lat=lat)
        first = submit(app, conn, get_actor(conn, monitors[0]), opening)
        for i, p in enumerate(parties[1:], start=1):
            submit(
                app,
                conn,
                get_actor(conn, monitors[i]),
                report(occurred_at=f"{day}T06:30:00Z", alleged_party=p, lat=lat, incident_id=first.incident_id),
            )
        for g in ("rus", "tur", "irn"):
            verifier = get_actor(conn, f"{g}_verifier")
            add_finding(app, conn, verifier, first.incident_id, "confirmed", "site_visit", "seen", attributed)
    return first.incident_id


def _statuses(app: Truce, party: str, day: str) -> dict[str, str]:
    with app.read() as conn:
        return {c["id"]: c["status"] for c in evaluate(conn, party, day)["criteria"]}


def _with_criteria(app: Truce, criteria: list[dict]) -> None:
    """A new version of the agreement whose eligibility criteria are ``criteria`` (from 2017-09-01)."""
    from truce.agreements import service as agreements
    from truce.ledger.chain import SYSTEM

    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        agreements.add_version(
            app,
            conn,
            SYSTEM,
            {
                **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "decision_rule")},
                "settings": {k: v for k, v in v1["settings"].items() if k != "eligibility"},
                "effective": "2017-09-01",
                "eligibility": {"version": 9, "title": "test", "criteria": criteria},
            },
        )


def test_not_designated_and_truce_status_pass_and_fail(astana_url):
    """not_designated: passed (unlisted), failed (listed by a checked authority), failed (a designated group
    even when no checked authority lists it); truce_status: passed (signatory, applicant), failed (none)."""
    app = Truce(astana_url)
    day = "2017-09-21"
    assert _statuses(app, "FAYLAQ", day)["E1"] == "passed"
    assert _statuses(app, "AHRAR", day)["E2"] == "passed"  # an applicant
    assert _statuses(app, "FAYLAQ", day)["E2"] == "passed"  # a signatory
    with app.read() as conn:
        nusra = {c["id"]: c for c in evaluate(conn, "NUSRA", day)["criteria"]}
    assert nusra["E1"]["status"] == "failed" and nusra["E1"]["evidence"]["listed_by"][0]["authority"] == "UNSC"
    assert nusra["E2"]["status"] == "failed" and nusra["E2"]["evidence"]["status_on_day"] is None
    _with_criteria(
        app,
        [
            {"id": "X1", "kind": "not_designated", "authorities": ["EU"], "text": "not listed by the EU"},
            {"id": "X2", "kind": "truce_status", "statuses": ["signatory"], "text": "a signatory"},
        ],
    )
    with app.read() as conn:
        res = evaluate(conn, "NUSRA", day)
    x1 = res["criteria"][0]
    assert x1["status"] == "failed" and x1["evidence"]["kind"] == "designated"  # no EU listing, still designated
    assert _statuses(app, "FAYLAQ", day) == {"X1": "passed", "X2": "passed"}
    assert _statuses(app, "AHRAR", day) == {"X1": "passed", "X2": "failed"}  # an applicant only
    assert verify(app).ok


def test_no_joint_operations_passes_then_fails_within_its_window(astana_url):
    """A verified incident whose reports name the party together with a designated group is a joint
    operation: the criterion fails within its 90 days and passes again after them."""
    app = Truce(astana_url)
    day = "2017-09-21"
    _verified(app, "2017-09-05", ("FAYLAQ",), "FAYLAQ")  # the party alone: no joint operation
    with app.read() as conn:
        e3 = next(c for c in evaluate(conn, "FAYLAQ", day)["criteria"] if c["id"] == "E3")
    assert e3["status"] == "passed" and e3["evidence"]["verified_incidents_naming_party"] == 1
    iid = _verified(app, "2017-09-10", ("FAYLAQ", "NUSRA"), "FAYLAQ", lat=35.95)
    with app.read() as conn:
        res = evaluate(conn, "FAYLAQ", day)
    e3 = next(c for c in res["criteria"] if c["id"] == "E3")
    assert e3["status"] == "failed" and res["result"] == "not_eligible"
    assert [(j["incident_id"], j["with"]) for j in e3["evidence"]["joint_operations"]] == [(iid, ["NUSRA"])]
    assert _statuses(app, "SHAMIYA", day)["E3"] == "passed"  # not named: unaffected
    assert _statuses(app, "FAYLAQ", "2017-12-09")["E3"] == "passed"  # 90 days later, out of the window
    assert verify(app).ok


def test_max_grave_violations_passes_at_the_maximum_and_fails_above_it(astana_url):
    app = Truce(astana_url)
    day = "2017-09-21"
    for d in (1, 3, 5):
        _verified(app, f"2017-09-{d:02d}", ("FAYLAQ",), "FAYLAQ", lat=35.9 + d / 1000)
    with app.read() as conn:
        e5 = next(c for c in evaluate(conn, "FAYLAQ", day)["criteria"] if c["id"] == "E5")
    assert e5["status"] == "passed" and len(e5["evidence"]["grave"]) == 3  # at most 3: three is allowed
    _verified(app, "2017-09-07", ("FAYLAQ",), "FAYLAQ", lat=35.907)
    with app.read() as conn:
        res = evaluate(conn, "FAYLAQ", day)
    e5 = next(c for c in res["criteria"] if c["id"] == "E5")
    assert e5["status"] == "failed" and len(e5["evidence"]["grave"]) == 4 and res["result"] == "not_eligible"
    assert _statuses(app, "JAISH_IDLIB", day)["E5"] == "passed"  # attributed to another party: not counted
    assert verify(app).ok


def test_overall_result_eligible_undetermined_not_eligible(astana_url):
    """The three results: undetermined (no failure, one unknown), eligible (all passed), not_eligible
    (one failure outweighs passes and unknowns)."""
    app = Truce(astana_url)
    day = "2017-09-21"
    with app.read() as conn:
        assert evaluate(conn, "FAYLAQ", day)["result"] == "undetermined"
    _position(app, "FAYLAQ", "2017-09-10", 35.62, 36.63)
    _position(app, "NUSRA", "2017-09-12", 35.93, 36.63)
    with app.read() as conn:
        assert evaluate(conn, "FAYLAQ", day)["result"] == "eligible"
        assert evaluate(conn, "AHRAR", day)["result"] == "undetermined"  # no positions of its own
        assert evaluate(conn, "ISIL", day)["result"] == "not_eligible"
