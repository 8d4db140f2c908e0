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


# --- each rule driven to each outcome ------------------------------------------------------------------


def _weights(app: Truce, **weights: int) -> None:
    """A new version of the agreement (from 2017-09-01) whose measures weigh breaches and denials so."""
    from truce.agreements import service as agreements
    from truce.ledger.chain import SYSTEM

    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        cfg = v1["settings"]["measures"]
        agreements.add_version(
            app,
            conn,
            SYSTEM,
            {
                **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "decision_rule")},
                "settings": {k: v for k, v in v1["settings"].items() if k != "measures"},
                "effective": "2017-09-01",
                "measures": {**cfg, "weights": {**cfg["weights"], **weights}},
            },
        )


@pytest.mark.parametrize(
    ("grave", "expected"),
    [(2, None), (3, ("R1", 1, "notice")), (8, ("R1", 1, "notice")), (9, ("R2", 2, "formal_demand")),
     (15, ("R3", 3, "joint_inspection")), (29, ("R3", 3, "joint_inspection")), (30, ("R4", 4, "suspension"))],
)
def test_each_rung_rule_is_reached_at_its_threshold_and_not_below(astana_url, grave, expected):
    """One verified grave breach worth ``grave`` points: below R1 nothing is proposed; else the highest rule
    whose threshold the points reach, never a lower one too."""
    app = Truce(astana_url)
    _weights(app, grave=grave)
    _verified_breach(app, "2017-09-10")
    res = _evaluate(app, "2017-09-20")
    got = [(p["rule_id"], p["step"], p["kind"]) for p in res["proposals"]]
    assert got == ([] if expected is None else [expected])
    if expected is not None:
        assert res["proposals"][0]["evidence"]["points"] == grave


def test_minor_breaches_and_access_denials_add_up_within_the_window(astana_url):
    """A minor breach (1 point) alone stays under R1; with an access denial (2 points) it reaches R1; a
    breach older than the 30-day window no longer counts."""
    from truce.investigations import service as inv

    app = Truce(astana_url)
    iid = None
    with app.write() as conn:
        first = submit(
            app, conn, get_actor(conn, "rus_monitor"),
            report(occurred_at="2017-09-10T06:00:00Z", alleged_party="SYR", violation_type="sniper_fire"),
        )
        iid = first.incident_id
        for g in ("rus", "tur", "irn"):
            add_finding(app, conn, get_actor(conn, f"{g}_verifier"), iid, "confirmed", "site_visit", "seen", "SYR")
    with app.read() as conn:
        pts = measures.party_points(conn, "SYR", "2017-09-20", measures.ladder_config(None))
    assert [(i["incident_id"], i["severity"], i["points"]) for i in pts["incidents"]] == [(iid, "minor", 1)]
    assert _evaluate(app, "2017-09-20")["proposals"] == []
    with app.write() as conn:
        vid = inv.open_investigation(app, conn, get_actor(conn, "rus_verifier"), iid, at="2017-09-11T08:00:00Z")["id"]
        inv.deny_access(
            app, conn, get_actor(conn, "rus_verifier"), vid, "SYR", "checkpoint", at="2017-09-12T08:00:00Z"
        )
    res = _evaluate(app, "2017-09-20")
    assert [(p["party_id"], p["rule_id"]) for p in res["proposals"]] == [("SYR", "R1")]
    ev = res["proposals"][0]["evidence"]
    assert ev["points"] == 3 and len(ev["access_denials"]) == 1 and ev["access_denials"][0]["points"] == 2
    with app.read() as conn:
        late = measures.party_points(conn, "SYR", "2017-10-10", measures.ladder_config(None))
    assert late["incidents"] == [] and late["points"] == 2  # the breach of 09-10 fell out; the denial of 09-12 not


def test_a_rejected_measure_is_proposed_again_on_new_evidence(astana_url):
    app = Truce(astana_url)
    _verified_breach(app, "2017-09-10")
    mid = _evaluate(app, "2017-09-20")["proposals"][0]["id"]
    _vote(app, "tur_verifier", mid, approve=False)
    assert _evaluate(app, "2017-09-20")["proposals"] == []  # same evidence: not again
    _verified_breach(app, "2017-09-15", lat=35.95)
    again = _evaluate(app, "2017-09-20")["proposals"]
    assert [(p["step"], p["evidence"]["points"]) for p in again] == [(1, 6)]  # new evidence: proposed again


def test_an_approved_measure_is_not_proposed_again_and_a_breached_compliance_escalates(astana_url):
    app = Truce(astana_url)
    _verified_breach(app, "2017-09-10")
    mid = _evaluate(app, "2017-09-20")["proposals"][0]["id"]
    for g in ("rus", "tur", "irn"):
        _vote(app, f"{g}_verifier", mid)
    _verified_breach(app, "2017-09-21", lat=35.95)  # more points, still rung 1: approved already
    assert _evaluate(app, "2017-09-22")["proposals"] == []
    with app.write() as conn:
        joint = get_actor(conn, "joint_verifier")
        measures.record_compliance(app, conn, joint, mid, False, "kept shelling", "2017-09-23")
    res = _evaluate(app, "2017-09-24")  # before the deadline: the recorded breach alone escalates
    assert res["breached"] == []
    assert [(p["step"], p["rule_id"]) for p in res["proposals"]] == [(2, "missed_deadline")]


def test_exclusion_follows_a_missed_suspension_deadline_and_sets_the_status(astana_url):
    """The last rungs: an approved suspension (party suspended) whose 30-day deadline passes proposes the
    exclusion; approving it excludes the party."""
    app = Truce(astana_url)
    _weights(app, grave=30)
    _verified_breach(app, "2017-09-10", party="JAISH_IDLIB")
    p = _evaluate(app, "2017-09-20")["proposals"][0]
    assert (p["kind"], p["rule_id"]) == ("suspension", "R4")
    for g in ("rus", "tur", "irn"):
        out = _vote(app, f"{g}_verifier", p["id"], on="2017-09-21")
    assert out["deadline"] == "2017-10-21" and out["status_change"]["status"] == "suspended"
    late = _evaluate(app, "2017-10-25")
    assert [b["measure_id"] for b in late["breached"]] == [p["id"]]
    ex = late["proposals"][0]
    assert (ex["step"], ex["kind"], ex["rule_id"]) == (5, "exclusion", "missed_deadline")
    for g in ("rus", "tur", "irn"):
        out = _vote(app, f"{g}_verifier", ex["id"], on="2017-10-26")
    assert out["deadline"] is None and out["status_change"]["status"] == "excluded"
    with app.read() as conn:
        assert "JAISH_IDLIB" in {x["id"] for x in list_parties(conn, status="excluded", as_of="2017-10-26")}
    assert verify(app).ok


@pytest.mark.parametrize(
    ("rule", "votes", "outcome"),
    [
        ("unanimity", {}, None),
        ("unanimity", {"RUS": True, "TUR": True}, None),
        ("unanimity", {"RUS": True, "TUR": True, "IRN": True}, "approved"),
        ("unanimity", {"RUS": True, "TUR": True, "IRN": False}, "rejected"),
        ("unanimity", {"TUR": False}, "rejected"),
        ("majority", {"RUS": True}, None),
        ("majority", {"RUS": True, "TUR": False}, None),
        ("majority", {"RUS": True, "IRN": True}, "approved"),
        ("majority", {"RUS": False, "TUR": False}, "rejected"),
        ("majority", {"RUS": False}, None),
        ("majority", {"RUS": True, "TUR": False, "IRN": False}, "rejected"),
    ],
)
def test_the_decision_rule_tally(rule, votes, outcome):
    assert measures._tally(rule, ["RUS", "TUR", "IRN"], votes) == outcome
