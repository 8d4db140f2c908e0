"""The verification issue's scripted scenario, end to end through the services and the ledger."""

from __future__ import annotations

from tests.helpers import IDLIB_CITY, report

from truce.agreements import service as agreements
from truce.app import Truce
from truce.auth.service import get_actor
from truce.geo.geometry import haversine_km
from truce.incidents.verification import add_finding
from truce.incidents.views import incident_detail
from truce.investigations.service import access_denials_by_party, deny_access, open_investigation
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.notifications.service import list_notifications
from truce.replies.service import file_reply
from truce.reports.service import submit


def test_two_offices_one_shelling_findings_rule_change_reply_and_access_denial(astana_url):
    app = Truce(astana_url)
    lat, lon = IDLIB_CITY
    with app.write() as conn:
        rus = submit(
            app,
            conn,
            get_actor(conn, "rus_monitor"),
            report(
                occurred_at="2017-09-21T06:30:00Z",
                lat=lat,
                lon=lon,
                violation_type="shelling",
                alleged_party="SYR",
                observation="observed",
            ),
        )
        tur = submit(
            app,
            conn,
            get_actor(conn, "tur_monitor"),
            report(
                occurred_at="2017-09-21T08:30:00Z",
                lat=lat + 0.0135,
                lon=lon,
                violation_type="shelling",
                alleged_party="SYR",
                observation="heard",
            ),
        )
        far = submit(
            app,
            conn,
            get_actor(conn, "irn_monitor"),
            report(
                occurred_at="2017-09-21T07:00:00Z",
                lat=lat - 0.54,
                lon=lon,
                violation_type="shelling",
                alleged_party="SYR",
            ),
        )
    assert 1.4 < haversine_km(lat, lon, lat + 0.0135, lon) < 1.6
    assert 59 < haversine_km(lat, lon, lat - 0.54, lon) < 61
    iid = rus.incident_id
    assert tur.incident_id == iid and far.incident_id != iid
    with app.read() as conn:
        d = incident_detail(conn, iid)
    assert sorted(r["id"] for r in d["reports"]) == sorted([rus.report_id, tur.report_id])

    with app.write() as conn:
        add_finding(app, conn, get_actor(conn, "rus_verifier"), iid, "confirmed", "site_visit", "craters", "SYR")
        add_finding(app, conn, get_actor(conn, "tur_verifier"), iid, "disputed", "contradicting_evidence", "no")
    with app.read() as conn:
        assert incident_detail(conn, iid)["verdict"] == "disputed"  # unanimity

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
        add_finding(app, conn, get_actor(conn, "irn_verifier"), iid, "confirmed", "corroborated", "seen", "SYR")
    with app.read() as conn:
        d = incident_detail(conn, iid)
        notes = list_notifications(conn, get_actor(conn, "syr_liaison"))
    assert (d["verdict"], d["agreement_version"], d["attributed_party_id"]) == ("verified", 2, "SYR")
    assert any(n["incident_id"] == iid and n["kind"] == "attribution" for n in notes)

    with app.write() as conn:
        file_reply(app, conn, get_actor(conn, "syr_liaison"), iid, "Our artillery did not fire that day.")
    with app.read() as conn:
        shown = incident_detail(conn, iid)
        shown_to_liaison = incident_detail(conn, iid, get_actor(conn, "syr_liaison"))
    for view in (shown, shown_to_liaison):
        assert [r["text"] for r in view["replies"]] == ["Our artillery did not fire that day."]
        assert {f["guarantor"] for f in view["findings"]} == {"RUS", "TUR", "IRN"}

    with app.write() as conn:
        inv = open_investigation(app, conn, get_actor(conn, "tur_verifier"), iid, at="2017-09-22T08:00:00Z")
        deny_access(
            app,
            conn,
            get_actor(conn, "tur_verifier"),
            inv["id"],
            "SYR",
            "road to the market",
            at="2017-09-22T10:00:00Z",
        )
    with app.read() as conn:
        assert access_denials_by_party(conn) == {"SYR": 1}
        assert incident_detail(conn, iid)["investigations"][0]["status"] == "paused"
    assert verify(app).ok
