"""Business time (issue 12): a decision is dated by the day it decides on unless told otherwise: a
measure by its evaluation's as-of day (deadlines counted from it), an accession by the application's
day; an accession needs "eligible" on that day (undetermined only with an admin's override, saying
why); a party that applies is an applicant for the "has signed or applied" criterion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.measures.test_measures import _evaluate, _verified_breach
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.eligibility.service import evaluate as eligibility
from truce.eligibility.service import report_position
from truce.errors import PermissionDenied, ValidationFailed
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.measures import service as measures
from truce.parties.service import add_party, status_on

APPLIED = "2017-09-01"


def test_a_measure_decided_without_a_date_is_dated_by_the_evaluation_and_its_deadline_follows(astana_url):
    app = Truce(astana_url)
    _verified_breach(app, "2017-09-10")
    mid = _evaluate(app, "2017-09-20")["proposals"][0]["id"]
    with app.write() as conn:
        for g in ("rus", "tur", "irn"):
            out = measures.decide_measure(app, conn, get_actor(conn, f"{g}_verifier"), mid, True, "as shown")
    assert out["on"] == "2017-09-20"
    assert out["deadline"] == (date(2017, 9, 20) + timedelta(days=7)).isoformat()  # notice: 7 days
    with app.read() as conn:
        m = measures.get_measure(conn, mid)
    assert (m["decided_at"], m["deadline"]) == ("2017-09-20", "2017-09-27")


def _newcomer(app: Truce) -> None:
    with app.write() as conn:
        add_party(app, conn, SYSTEM, {"id": "NEWCO", "name": "Liwa al-Jadid", "kind": "armed_group"}, "2017-01-01")


def _apply(app: Truce) -> dict:
    with app.write() as conn:
        return measures.apply_accession(app, conn, SYSTEM, "NEWCO", APPLIED)


def _approve_all(app: Truce, aid: int) -> dict:
    with app.write() as conn:
        for g in ("rus", "tur", "irn"):
            out = measures.decide_accession(app, conn, get_actor(conn, f"{g}_verifier"), aid, True, "meets them")
    return out


def test_a_party_with_no_status_that_applies_has_applied_and_undetermined_needs_an_override(astana_url):
    app = Truce(astana_url)
    _newcomer(app)
    res = _apply(app)
    at_application = {c["kind"]: c["status"] for c in res["eligibility"]["criteria"]}
    assert at_application["truce_status"] == "passed"  # it applies: it has applied
    assert res["eligibility"]["result"] == "undetermined"  # no positions reported: separation unknown
    with app.read() as conn:
        same_day = eligibility(conn, "NEWCO", APPLIED)
        assert status_on(conn, "NEWCO", APPLIED) == "applicant"
    assert {c["kind"]: c["status"] for c in same_day["criteria"]} == at_application
    assert same_day["result"] == res["eligibility"]["result"]

    with pytest.raises(ValidationFailed) as e:
        _approve_all(app, res["id"])
    assert "undetermined" in e.value.message and "override" in e.value.message
    with app.write() as conn:
        with pytest.raises(PermissionDenied):
            measures.override_eligibility(app, conn, get_actor(conn, "rus_verifier"), res["id"], "no")
        with pytest.raises(ValidationFailed):
            measures.override_eligibility(app, conn, SYSTEM, res["id"], "  ")
    r = CliRunner().invoke(
        cli,
        ["accession", "override", str(res["id"]), "--reason", "positions verified by the UN panel", "--db", astana_url],
    )
    assert r.exit_code == 0 and "override recorded" in r.output, r.output
    out = _approve_all(app, res["id"])
    assert out["outcome"] == "approved" and out["on"] == APPLIED  # dated by the application
    assert out["status_change"]["effective"] == APPLIED
    with app.read() as conn:
        (acc,) = [a for a in measures.list_accessions(conn) if a["id"] == res["id"]]
    assert acc["eligibility"]["override"]["reason"] == "positions verified by the UN panel"
    assert verify(app).ok


def test_an_accession_is_judged_on_the_application_day_not_the_machine_clock(astana_url):
    """Positions next to a designated group's, reported for the application's day, fail the separation
    criterion on that day (on the machine's clock they are out of the window: undetermined)."""
    app = Truce(astana_url)
    _newcomer(app)
    with app.write() as conn:
        monitor = get_actor(conn, "rus_monitor")
        report_position(app, conn, monitor, "NEWCO", "2017-08-30", 35.939, 36.63)
        report_position(app, conn, monitor, "NUSRA", "2017-08-30", 35.93, 36.63)
    res = _apply(app)
    assert res["eligibility"]["result"] == "not_eligible"
    with app.read() as conn:
        assert eligibility(conn, "NEWCO", date.today().isoformat())["result"] != "not_eligible"
    with app.write() as conn:
        measures.override_eligibility(app, conn, SYSTEM, res["id"], "an override does not cure a failed criterion")
    with pytest.raises(ValidationFailed) as e:
        _approve_all(app, res["id"])
    assert "fails eligibility criteria" in e.value.message and APPLIED in e.value.message
    with app.write() as conn, pytest.raises(ValidationFailed) as e:
        measures.decide_accession(app, conn, get_actor(conn, "rus_verifier"), res["id"], True, "x", "2017-08-31")
    assert "before the application" in e.value.message
