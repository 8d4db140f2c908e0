"""Findings, the joint verdict under the decision rule, attribution, classification, severity, confidence."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.helpers import CENTRAL_DAMASCUS, IDLIB_CITY, report

from truce.agreements import service as agreements
from truce.app import Truce
from truce.auth.service import get_actor
from truce.errors import PermissionDenied, ValidationFailed
from truce.incidents.verification import add_finding, decide
from truce.incidents.views import incident_detail
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.reports.service import submit


def _submit(app: Truce, user: str, **kw):
    with app.write() as conn:
        return submit(app, conn, get_actor(conn, user), report(**kw))


def _find(app: Truce, user: str, incident: int, finding: str, reason: str, party: str | None = None):
    with app.write() as conn:
        return add_finding(app, conn, get_actor(conn, user), incident, finding, reason, f"{user} says {finding}", party)


def _detail(app: Truce, incident: int, viewer=SYSTEM):
    with app.read() as conn:
        return incident_detail(conn, incident, viewer)


def test_unanimity_disputed_then_majority_version_verifies_and_attributes(astana_url):
    """The reference scenario: RUS confirms, TUR disputes under unanimity → disputed; a majority
    version of the agreement and IRN's confirmation → verified, attributed, classified, graded."""
    app = Truce(astana_url)
    first = _submit(app, "rus_monitor", violation_type="shelling", alleged_party="SYR")
    _submit(
        app,
        "tur_monitor",
        violation_type="shelling",
        alleged_party="SYR",
        incident_id=first.incident_id,
        lat=IDLIB_CITY[0] + 0.01,
    )
    iid = first.incident_id
    assert _detail(app, iid)["verdict"] == "pending"
    _find(app, "rus_verifier", iid, "confirmed", "site_visit", "SYR")
    assert _detail(app, iid)["verdict"] == "pending"
    _find(app, "tur_verifier", iid, "disputed", "contradicting_evidence")
    d = _detail(app, iid)
    assert d["verdict"] == "disputed" and d["agreement_version"] == 1 and d["attributed_party_id"] is None
    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        agreements.add_version(
            app,
            conn,
            SYSTEM,
            {
                **{k: v1[k] for k in ("id", "title", "guarantors", "clauses", "settings")},
                "effective": "2017-09-01",
                "decision_rule": "majority",
            },
        )
    d = _detail(app, iid)
    assert d["agreement_version"] == 2 and d["verdict"] == "pending"  # 1 of 3 confirmed, IRN yet to speak
    _find(app, "irn_verifier", iid, "confirmed", "corroborated", "SYR")
    d = _detail(app, iid)
    assert d["verdict"] == "verified"
    assert (d["attribution"], d["attributed_party_id"]) == ("attributed", "SYR")
    assert (d["clause_id"], d["breach"]) == ("C1", "breach")
    assert d["severity"] == "grave" and "inside a zone" in d["severity_reason"]
    assert {f["guarantor"]: f["finding"] for f in d["findings"]} == {
        "RUS": "confirmed",
        "TUR": "disputed",
        "IRN": "confirmed",
    }
    assert [e["command"] for e in d["ledger"]].count("finding.add") == 3
    assert verify(app).ok


def test_no_guarantor_verifies_alone_what_it_alone_asserted(astana_url):
    """Only the Russian office reported it and only Russia confirms: it is not verified."""
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor").incident_id
    _find(app, "rus_verifier", iid, "confirmed", "observed", "SYR")
    d = _detail(app, iid)
    assert d["verdict"] != "verified" and d["verdict"] == "pending"
    assert "RUS" not in d["confidence_parts"]["counted_guarantors"]
    _find(app, "tur_verifier", iid, "unverifiable", "no_access")
    _find(app, "irn_verifier", iid, "unverifiable", "insufficient_information")
    assert _detail(app, iid)["verdict"] == "not_verified"
    # The other two confirming would verify it: their findings count.
    _find(app, "tur_verifier", iid, "confirmed", "imagery", "SYR")
    _find(app, "irn_verifier", iid, "confirmed", "imagery", "SYR")
    assert _detail(app, iid)["verdict"] == "verified"


def test_findings_are_revised_with_history_kept(astana_url):
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor").incident_id
    first = _find(app, "tur_verifier", iid, "unverifiable", "no_access")
    second = _find(app, "tur_verifier", iid, "confirmed", "site_visit", "SYR")
    d = _detail(app, iid)
    assert second["supersedes"] == first["id"]
    assert [f["finding"] for f in d["finding_history"]] == ["unverifiable", "confirmed"]
    assert [f["finding"] for f in d["findings"]] == ["confirmed"]


def _verify_all(app: Truce, iid: int, party: str | None = "SYR") -> dict:
    for g in ("rus", "tur", "irn"):
        _find(app, f"{g}_verifier", iid, "confirmed", "corroborated", party)
    return _detail(app, iid)


def test_outside_every_zone_is_no_breach(astana_url):
    app = Truce(astana_url)
    iid = _submit(
        app, "rus_monitor", lat=CENTRAL_DAMASCUS[0], lon=CENTRAL_DAMASCUS[1], violation_type="sniper_fire"
    ).incident_id
    d = _verify_all(app, iid)
    assert d["verdict"] == "verified" and d["breach"] == "no_breach" and "outside every zone" in d["breach_reason"]
    assert d["severity"] == "minor"


def test_attack_on_an_excluded_group_is_no_breach(astana_url):
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor", violation_type="airstrike", alleged_party="RUS", target="ISIL").incident_id
    d = _verify_all(app, iid, "RUS")
    assert d["target_party_id"] == "ISIL" and d["breach"] == "no_breach" and "C4" in d["breach_reason"]


def test_civilians_killed_make_it_grave_and_unnamed_party_is_not_attributed(astana_url):
    app = Truce(astana_url)
    iid = _submit(
        app, "rus_monitor", violation_type="sniper_fire", casualties={"killed": 2, "killed_civilian": 2}
    ).incident_id
    d = _verify_all(app, iid, None)
    assert d["attribution"] == "could_not_be_attributed" and d["attributed_party_id"] is None
    assert d["severity"] == "grave" and "2 civilians killed" in d["severity_reason"]


def test_confidence_counts_independent_sources_once(astana_url):
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor", observation="heard").incident_id
    one = _detail(app, iid)["confidence_parts"]
    _submit(app, "rus_monitor", incident_id=iid, observation="heard")  # same office: still one source
    same = _detail(app, iid)["confidence_parts"]
    _submit(app, "tur_monitor", incident_id=iid, observation="observed")
    two = _detail(app, iid)
    parts = two["confidence_parts"]
    assert one["independent_sources"] == same["independent_sources"] == 1
    assert parts["independent_sources"] == 2 and parts["observation"] == 1.0
    w = {"sources": 0.4, "observation": 0.2, "evidence": 0.15, "agreement": 0.25}
    expected = sum(w[k] * parts[k] for k in w)
    assert two["confidence"] == pytest.approx(expected, abs=1e-3)
    assert 0 <= two["confidence"] <= 1


@pytest.mark.parametrize(
    ("user", "kind"),
    [
        ("tur_monitor", PermissionDenied),
        ("admin", PermissionDenied),
        ("syr_liaison", PermissionDenied),
        ("joint_verifier", PermissionDenied),
        ("analyst", PermissionDenied),
    ],
)
def test_only_a_guarantor_verifier_records_its_guarantors_finding(astana_url, user, kind):
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor").incident_id
    with pytest.raises(kind):
        _find(app, user, iid, "confirmed", "site_visit")


def test_bad_finding_input_names_the_field(astana_url):
    app = Truce(astana_url)
    iid = _submit(app, "rus_monitor").incident_id
    for args, field in [(("maybe", "site_visit"), "finding"), (("confirmed", "no_access"), "reason")]:
        with pytest.raises(ValidationFailed) as e:
            _find(app, "rus_verifier", iid, *args)
        assert e.value.field == field
    with pytest.raises(ValidationFailed) as e:
        _find(app, "rus_verifier", iid, "disputed", "staged", "SYR")
    assert e.value.field == "party"


@given(
    st.sampled_from(["unanimity", "majority"]),
    st.lists(st.sampled_from([None, "confirmed", "disputed", "unverifiable"]), min_size=1, max_size=5),
)
def test_decision_rule_properties(rule, vals):
    counted = [f"G{i}" for i in range(len(vals))]
    current = {g: v for g, v in zip(counted, vals, strict=True) if v}
    verdict = decide(rule, counted, current)
    c = vals.count("confirmed")
    if rule == "unanimity":
        assert (verdict == "verified") == (c == len(vals))
    else:
        assert (verdict == "verified") == (c * 2 > len(vals))
    if c == 0 and None not in vals:
        assert verdict == "not_verified"
    # Adding a confirmation never turns a verified incident into anything else.
    if verdict == "verified":
        assert decide(rule, [*counted, "X"], {**current, "X": "confirmed"}) == "verified"


def test_every_combination_of_three_guarantors_is_decided():
    for rule, vals in itertools.product(
        ["unanimity", "majority"], itertools.product([None, "confirmed", "disputed", "unverifiable"], repeat=3)
    ):
        current = {g: v for g, v in zip("ABC", vals, strict=True) if v}
        assert decide(rule, list("ABC"), current) in ("pending", "verified", "not_verified", "disputed")
