"""The measures ladder: proposal from verified breaches, the joint decision, deadlines, escalation."""

from __future__ import annotations

import pytest
from tests.helpers import report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.errors import Conflict, PermissionDenied, ValidationFailed
from truce.incidents.verification import add_finding
from truce.ledger.service import verify
from truce.measures import service as measures
from truce.parties.service import list_parties
from truce.reports.service import submit


def _verified_breach(app: Truce, day: str, party: str = "SYR", lat: float = 35.93) -> int:
    with app.write() as conn:
        first = submit(
            app,
            conn,
            get_actor(conn, "rus_monitor"),
            report(occurred_at=f"{day}T06:00:00Z", alleged_party=party, lat=lat),
        )
        submit(
            app,
            conn,
            get_actor(conn, "tur_monitor"),
            report(occurred_at=f"{day}T07:00:00Z", alleged_party=party, lat=lat, incident_id=first.incident_id),
        )
        for g in ("rus", "tur", "irn"):
            add_finding(
                app, conn, get_actor(conn, f"{g}_verifier"), first.incident_id, "confirmed", "site_visit", "seen", party
            )
    return first.incident_id


def _evaluate(app: Truce, as_of: str, user: str = "joint_verifier") -> dict:
    with app.write() as conn:
        return measures.evaluate(app, conn, get_actor(conn, user), as_of)


def _vote(app: Truce, user: str, mid: int, approve: bool = True, on: str = "2017-09-21"):
    with app.write() as conn:
        return measures.decide_measure(app, conn, get_actor(conn, user), mid, approve, "as the evidence shows", on)


def test_threshold_proposes_approval_sets_deadline_missed_deadline_escalates(astana_url):
    """A party over the threshold gets the proposed measure; approving sets a deadline; missing it proposes
    the next step; evaluating twice proposes nothing new."""
    app = Truce(astana_url)
    iid = _verified_breach(app, "2017-09-10")
    res = _evaluate(app, "2017-09-20")
    assert [(p["party_id"], p["step"], p["kind"], p["rule_id"]) for p in res["proposals"]] == [
        ("SYR", 1, "notice", "R1")
    ]
    ev = res["proposals"][0]["evidence"]
    assert ev["points"] == 3 and [i["incident_id"] for i in ev["incidents"]] == [iid]
    assert len(ev["incidents"][0]["reports"]) == 2 and ev["incidents"][0]["ledger_seq"] > 0
    assert _evaluate(app, "2017-09-20")["proposals"] == []
    mid = res["proposals"][0]["id"]
    assert _vote(app, "rus_verifier", mid)["outcome"] is None
    with pytest.raises(Conflict):
        _vote(app, "rus_verifier", mid)  # one vote per guarantor
    assert _vote(app, "tur_verifier", mid)["outcome"] is None
    last = _vote(app, "irn_verifier", mid)
    assert last["outcome"] == "approved" and last["deadline"] == "2017-09-28"
    with app.read() as conn:
        m = measures.get_measure(conn, mid)
    assert (m["status"], m["compliance"], m["deadline"]) == ("approved", "open", "2017-09-28")
    assert _evaluate(app, "2017-09-28")["proposals"] == []  # the deadline day itself is still in time
    late = _evaluate(app, "2017-10-05")
    assert [b["measure_id"] for b in late["breached"]] == [mid]
    assert [(p["step"], p["kind"], p["rule_id"]) for p in late["proposals"]] == [
        (2, "formal_demand", "missed_deadline")
    ]
    assert late["proposals"][0]["evidence"]["missed_deadlines"][0]["measure_id"] == mid
    again = _evaluate(app, "2017-10-06")
    assert again["proposals"] == [] and again["breached"] == []
    assert verify(app).ok


def test_one_no_rejects_under_unanimity_and_votes_need_a_guarantor_verifier(astana_url):
    app = Truce(astana_url)
    _verified_breach(app, "2017-09-10")
    mid = _evaluate(app, "2017-09-20")["proposals"][0]["id"]
    for user in ("rus_monitor", "joint_verifier", "syr_liaison", "admin"):
        with pytest.raises(PermissionDenied):
            _vote(app, user, mid)
    assert _vote(app, "tur_verifier", mid, approve=False)["outcome"] == "rejected"
    with pytest.raises(Conflict):
        _vote(app, "rus_verifier", mid)
    # Rejected on this evidence: not proposed again on the same evidence.
    assert _evaluate(app, "2017-09-21")["proposals"] == []


def test_suspension_rung_changes_the_truce_status(astana_url):
    """Enough grave breaches reach the suspension rung; approving it suspends the party from that day."""
    app = Truce(astana_url)
    for d in range(1, 11):
        _verified_breach(app, f"2017-09-{d:02d}", party="JAISH_IDLIB", lat=35.9 + d / 1000)
    res = _evaluate(app, "2017-09-20")
    p = res["proposals"][0]
    assert (p["party_id"], p["kind"], p["evidence"]["points"]) == ("JAISH_IDLIB", "suspension", 30)
    for g in ("rus", "tur", "irn"):
        out = _vote(app, f"{g}_verifier", p["id"], on="2017-09-22")
    assert out["status_change"]["status"] == "suspended"
    with app.read() as conn:
        before = {x["id"] for x in list_parties(conn, status="signatory", as_of="2017-09-21")}
        after = {x["id"] for x in list_parties(conn, status="suspended", as_of="2017-09-22")}
    assert "JAISH_IDLIB" in before and "JAISH_IDLIB" in after
    assert verify(app).ok


def test_compliance_closes_a_measure(astana_url):
    app = Truce(astana_url)
    _verified_breach(app, "2017-09-10")
    mid = _evaluate(app, "2017-09-20")["proposals"][0]["id"]
    for g in ("rus", "tur", "irn"):
        _vote(app, f"{g}_verifier", mid)
    with app.write() as conn:
        measures.record_compliance(app, conn, get_actor(conn, "joint_verifier"), mid, True, "withdrew", "2017-09-25")
        with pytest.raises(Conflict):
            measures.record_compliance(app, conn, get_actor(conn, "joint_verifier"), mid, False, "again")
    assert _evaluate(app, "2017-10-05")["breached"] == []


def test_accession_follows_eligibility_and_the_joint_decision(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        res = measures.apply_accession(app, conn, get_actor(conn, "ahrar_liaison"), "AHRAR", "2017-09-01")
        with pytest.raises(PermissionDenied):
            measures.apply_accession(app, conn, get_actor(conn, "syr_liaison"), "AHRAR")
    assert res["eligibility"]["party"] == "AHRAR"
    assert res["eligibility"]["result"] == "undetermined"  # no positions reported: an admin must override
    with app.write() as conn:
        with pytest.raises(ValidationFailed):
            measures.decide_accession(app, conn, get_actor(conn, "rus_verifier"), res["id"], True, "x", "2017-09-05")
        measures.override_eligibility(app, conn, get_actor(conn, "admin"), res["id"], "positions seen by the panel")
    with app.write() as conn:
        for g in ("rus", "tur", "irn"):
            out = measures.decide_accession(
                app, conn, get_actor(conn, f"{g}_verifier"), res["id"], True, "meets the criteria", "2017-09-05"
            )
    assert out["outcome"] == "approved" and out["status_change"]["status"] == "signatory"
    with app.read() as conn:
        assert "AHRAR" in {p["id"] for p in list_parties(conn, status="signatory", as_of="2017-09-05")}
        assert "AHRAR" not in {p["id"] for p in list_parties(conn, status="signatory", as_of="2017-09-04")}
    # A designated group applies: its application cannot be approved.
    with app.write() as conn:
        nus = measures.apply_accession(app, conn, get_actor(conn, "admin"), "NUSRA", "2017-09-01")
        assert nus["eligibility"]["result"] == "not_eligible"
        with pytest.raises(ValidationFailed) as e:
            measures.decide_accession(app, conn, get_actor(conn, "rus_verifier"), nus["id"], True, "yes")
    assert "E1" in e.value.message
    assert verify(app).ok
