"""One rule per decision: the verdict and attribution rule (`incidents.rules`) is the one that the
verification service stores and that the bulletin counts; fed the same findings, all three agree."""

from __future__ import annotations

import itertools

from tests.helpers import IDLIB_CITY, report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.bulletins.compute import compute
from truce.incidents import rules
from truce.incidents.models import incidents
from truce.incidents.verification import add_finding
from truce.reports.service import submit

DAY = "2017-09-21"
ASTANA = {"id": "astana-2017", "version": 1, "decision_rule": "unanimity", "guarantors": ["RUS", "TUR", "IRN"]}
OFFICES = {"RUS_OFFICE": "RUS", "TUR_OFFICE": "TUR", "IRN_OFFICE": "IRN"}

# What each guarantor says: no finding, confirmed naming SYR / naming FAYLAQ / naming no one, disputed.
SAYS = [None, ("confirmed", "SYR"), ("confirmed", "FAYLAQ"), ("confirmed", None), ("disputed", None)]


def test_decide_and_attribute_by_hand():
    f = {"RUS": rules.Finding("confirmed", "SYR"), "TUR": rules.Finding("confirmed", "FAYLAQ")}
    v = rules.verdict_of(ASTANA, OFFICES, ["RUS_OFFICE", "TUR_OFFICE"], {**f, "IRN": rules.Finding("confirmed")})
    assert (v.verdict, v.attributed_party_id, v.attribution) == ("verified", None, "could_not_be_attributed")
    v = rules.verdict_of(
        ASTANA, OFFICES, ["RUS_OFFICE"], {**f, "IRN": rules.Finding("confirmed", "FAYLAQ")}
    )  # RUS is the sole source: its finding does not count, TUR and IRN name FAYLAQ
    assert (v.verdict, v.attributed_party_id, v.counted) == ("verified", "FAYLAQ", ["TUR", "IRN"])
    v = rules.verdict_of(ASTANA, OFFICES, ["RUS_OFFICE", "TUR_OFFICE"], {**f, "IRN": rules.Finding("disputed")})
    assert (v.verdict, v.attributed_party_id) == ("disputed", None)


def test_own_reports_verify_and_country_wide_clauses_are_rules():
    """An impartial monitor's own reports verify only when the agreement says so; a country-wide clause
    makes a breach outside the zones in its countries (the ADM1 P-code's first two letters), not elsewhere."""
    unmha = {"id": "h", "version": 1, "decision_rule": "unanimity", "guarantors": ["UNMHA"],
             "clauses": [{"id": "C2", "prohibited": ["obstruction_of_monitors"], "countries": ["YE"]}]}
    offices = {"UNMHA_OFFICE": "UNMHA"}
    found = {"UNMHA": rules.Finding("confirmed", "HOUTHI")}
    assert rules.verdict_of(unmha, offices, ["UNMHA_OFFICE"], found).verdict == "pending"
    own = {**unmha, "settings": {"own_reports_verify": True}}
    assert rules.verdict_of(own, offices, ["UNMHA_OFFICE"], found).verdict == "verified"

    def judged(adm1: str | None) -> dict:
        return rules.judge(rules.Facts(
            violation_type="obstruction_of_monitors", agreement=own, offices=offices,
            sources=[rules.Source("UNMHA_OFFICE")], findings=found, in_zone=False, adm1_pcode=adm1,
        ))

    assert (judged("YE18")["breach"], judged("YE18")["breach_reason"]) == (
        "breach", "obstruction_of_monitors in YE, prohibited country-wide by C2")
    assert judged("SY07")["breach"] == "no_breach"
    assert judged(None)["breach_reason"] == "outside every zone on that date"
    everywhere = {**own, "clauses": [{"id": "C2", "prohibited": ["obstruction_of_monitors"], "scope": "country"}]}
    wide = rules.classify("obstruction_of_monitors", everywhere, False, None, "HOUTHI", (), "SY07")
    assert wide["breach"] == "breach"


def test_the_bulletin_and_the_stored_verdict_follow_the_one_rule(astana_url):
    """Many incidents of one day, each with another combination of findings (and one or two reporting
    offices): the verdict and attribution that `rules.verdict_of` gives for those findings is the one
    stored on the incident and the one the bulletin of the day counts."""
    app = Truce(astana_url)
    combos = list(itertools.product(SAYS, repeat=3))[::6]  # 21 spread-out combinations
    expected: dict[int, rules.Verdict] = {}
    with app.write() as conn:
        users = {
            u: get_actor(conn, u)
            for u in ("rus_monitor", "tur_monitor", "rus_verifier", "tur_verifier", "irn_verifier")
        }
        for n, combo in enumerate(combos):
            at = f"{DAY}T{n % 24:02d}:10:00Z"
            lat, lon = IDLIB_CITY[0] + 0.3 * (n // 6), IDLIB_CITY[1] - 0.3 * (n % 6)
            first = submit(app, conn, users["rus_monitor"], report(occurred_at=at, lat=lat, lon=lon))
            sources = ["RUS_OFFICE"]
            if n % 2:  # a second office's report of the same event
                submit(
                    app,
                    conn,
                    users["tur_monitor"],
                    report(occurred_at=at, lat=lat, lon=lon, incident_id=first.incident_id),
                )
                sources.append("TUR_OFFICE")
            given: dict[str, rules.Finding] = {}
            for g, says in zip(("RUS", "TUR", "IRN"), combo, strict=True):
                if says is None:
                    continue
                finding, party = says
                reason = "site_visit" if finding == "confirmed" else "contradicting_evidence"
                add_finding(app, conn, users[f"{g.lower()}_verifier"], first.incident_id, finding, reason, None, party)
                given[g] = rules.Finding(finding, party)
            expected[first.incident_id] = rules.verdict_of(ASTANA, OFFICES, sources, given)
    verdicts = {v.verdict for v in expected.values()}
    assert verdicts == {"verified", "pending", "disputed", "not_verified"}
    assert {v.attribution for v in expected.values()} >= {"attributed", "could_not_be_attributed"}
    with app.read() as conn:
        stored = {
            r.id: (r.verdict, r.attributed_party_id, r.attribution)
            for r in conn.execute(incidents.select().where(incidents.c.id.in_(list(expected))))
        }
        doc = compute(conn, DAY)
    inc = doc["numbers"]["incidents"]
    on_map = {p["incident"]: p["verdict"] for p in inc["map"]}
    verified = {v["incident"]: v for v in inc["verified"]}
    for iid, want in expected.items():
        assert stored[iid] == (want.verdict, want.attributed_party_id, want.attribution), iid
        assert on_map[iid] == want.verdict, iid
        if want.verdict == "verified":
            got = verified[iid]
            assert (got["attributed_party"], got["attribution"], got["confirmed_by"]) == (
                want.attributed_party_id,
                want.attribution,
                want.confirmed_by,
            ), iid
        else:
            assert iid not in verified
