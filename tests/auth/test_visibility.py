"""Visibility tiers: a witness's identity is never shown beyond its tier; each role sees what it may."""

from __future__ import annotations

import pytest
from tests.helpers import report

from truce.app import Truce
from truce.attachments import EvidenceFile
from truce.auth.service import get_actor
from truce.errors import NotFound
from truce.incidents.service import list_incidents
from truce.incidents.views import incident_detail
from truce.reports.service import submit


@pytest.fixture
def world(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:

        def sub(user, data, evidence=None):
            return submit(app, conn, get_actor(conn, user), data, evidence)

        a = sub("admin", report(source_kind="media", alleged_party="SYR", narrative="press report"))
        b = sub("rus_monitor", report(lat=35.5, lon=36.6, alleged_party="FAYLAQ", narrative="office report"))
        inv = sub(
            "tur_monitor",
            report(incident_id=a.incident_id, visibility="investigators", narrative="witness Abu X saw it"),
            [EvidenceFile("statement.txt", b"name of witness", visibility="investigators")],
        )
        g_ev = sub(
            "irn_monitor",
            report(incident_id=b.incident_id, narrative="with a photo"),
            [EvidenceFile("photo.jpg", b"jpeg"), EvidenceFile("witness.txt", b"who", visibility="investigators")],
        )
        c = sub("syr_liaison", report(lat=35.2, lon=36.7, alleged_party="FAYLAQ", narrative="complaint"))
    return app, {
        "A": a.incident_id,
        "B": b.incident_id,
        "C": c.incident_id,
        "inv": inv.report_id,
        "g_ev": g_ev.report_id,
    }


def _seen(app, viewer_name):
    with app.read() as conn:
        viewer = None if viewer_name == "public" else get_actor(conn, viewer_name)
        rows, total = list_incidents(conn, limit=0, viewer=viewer)
        details = {}
        for r in rows:
            details[r["id"]] = incident_detail(conn, r["id"], viewer)
    return {r["id"] for r in rows}, total, details


EXPECTED = {
    "public": {"A"},
    "analyst": {"A"},
    "syr_liaison": {"A", "C"},
    "faylaq_liaison": {"B", "C"},
    "rus_monitor": {"A", "B", "C"},
    "tur_verifier": {"A", "B", "C"},
    "joint_verifier": {"A", "B", "C"},
    "admin": {"A", "B", "C"},
}
SEES_INVESTIGATOR_TIER = {"tur_verifier", "joint_verifier", "admin", "tur_monitor"}


@pytest.mark.parametrize("viewer", [*EXPECTED, "tur_monitor"])
def test_each_role_sees_its_incidents_and_tiers(world, viewer):
    app, ids = world
    seen, total, details = _seen(app, viewer)
    expected = EXPECTED.get(viewer, {"A", "B", "C"})
    assert seen == {ids[k] for k in expected} and total == len(expected)
    a = details.get(ids["A"])
    if a is not None:
        narratives = {r["narrative"] for r in a["reports"]} if "narrative" in (a["reports"] or [{}])[0] else set()
        report_ids = {r["id"] for r in a["reports"]}
        if viewer in SEES_INVESTIGATOR_TIER:
            assert ids["inv"] in report_ids and a["hidden_reports"] == 0
            ev = next(r for r in a["reports"] if r["id"] == ids["inv"])["evidence"]
            assert [e["name"] for e in ev] == ["statement.txt"]
        else:
            assert ids["inv"] not in report_ids and a["hidden_reports"] == 1
            assert not any("Abu X" in (n or "") for n in narratives)
    b = details.get(ids["B"])
    if b is not None and viewer in ("rus_monitor", "faylaq_liaison"):
        g = [r for r in b["reports"] if r["id"] == ids["g_ev"]]
        if viewer == "rus_monitor":  # guarantors tier report: the photo yes, the witness file no
            assert [e["name"] for e in g[0]["evidence"]] == ["photo.jpg"]
        else:  # a liaison sees no guarantors-tier report at all
            assert g == []


def test_an_incident_outside_ones_reach_is_not_found(world):
    app, ids = world
    with app.read() as conn:
        with pytest.raises(NotFound):
            incident_detail(conn, ids["B"], None)
        with pytest.raises(NotFound):
            incident_detail(conn, ids["B"], get_actor(conn, "syr_liaison"))
        with pytest.raises(NotFound):
            incident_detail(conn, ids["C"], get_actor(conn, "analyst"))
