"""Uniting areas: a settlement joins Z4 on a day; incidents before stay outside, after fall inside."""

from __future__ import annotations

import pytest
from tests.helpers import report
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.errors import ValidationFailed
from truce.incidents.service import show_incident
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.reports.service import submit
from truce.zones.queries import zone_history
from truce.zones.service import split_zone, unite_zone

SHEIKH_MISKINE = ("SY120304", 32.86928816, 36.14826658)
runner = CliRunner()


def _incident(app: Truce, day: str) -> int:
    with app.write() as conn:
        return submit(
            app,
            conn,
            get_actor(conn, "rus_monitor"),
            report(occurred_at=f"{day}T10:00:00Z", lat=SHEIKH_MISKINE[1], lon=SHEIKH_MISKINE[2]),
        ).incident_id


def _zones_of(app: Truce, iid: int) -> list[tuple[str, int]]:
    with app.read() as conn:
        return [(z["zone_id"], z["zone_version"]) for z in show_incident(conn, iid)["zones"]]


def test_settlement_united_into_z4_on_a_date(astana_url):
    app = Truce(astana_url)
    before = _incident(app, "2017-06-15")
    r = runner.invoke(
        cli,
        [
            "zone",
            "unite",
            "Z4",
            "--adm",
            SHEIKH_MISKINE[0],
            "--as-of",
            "2017-07-09",
            "--reason",
            "reconciled settlement",
            "--db",
            astana_url,
        ],
    )
    assert r.exit_code == 0, r.output
    after = _incident(app, "2017-08-01")
    assert _zones_of(app, before) == []
    assert _zones_of(app, after) == [("Z4", 2)]
    hist = runner.invoke(cli, ["zone", "history", "Z4", "--db", astana_url])
    assert hist.exit_code == 0 and "reconciled settlement" in hist.output
    with app.read() as conn:
        versions = zone_history(conn, "Z4")
    assert [(v["version"], v["valid_from"], v["valid_to"]) for v in versions] == [
        (1, "2017-05-06", "2017-07-09"),
        (2, "2017-07-09", None),
    ]
    assert SHEIKH_MISKINE[0] in versions[1]["adm_pcodes"] and versions[1]["area_sqkm"] > versions[0]["area_sqkm"]
    assert verify(app).ok


def test_incidents_recorded_before_the_union_are_reassigned(astana_url):
    """An incident already recorded for a day after the union date moves into the zone when the union is made."""
    app = Truce(astana_url)
    later = _incident(app, "2017-08-01")
    assert _zones_of(app, later) == []
    with app.write() as conn:
        unite_zone(app, conn, SYSTEM, "Z4", "2017-07-09", adm=[SHEIKH_MISKINE[0]])
    assert _zones_of(app, later) == [("Z4", 2)]
    with app.write() as conn:
        split_zone(
            app, conn, SYSTEM, "Z4", "2017-07-20", [SHEIKH_MISKINE[0]], new_zone="Z4S", new_name="Sheikh Miskine"
        )
    assert _zones_of(app, later) == [("Z4S", 1)]
    assert verify(app).ok


def test_uniting_refuses_bad_requests(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        for kwargs, field in [({"adm": ["SY999999"]}, "adm"), ({"with_zone": "Z4"}, "with"), ({}, "with")]:
            with pytest.raises(ValidationFailed) as e:
                unite_zone(app, conn, SYSTEM, "Z4", "2017-07-09", **kwargs)
            assert e.value.field == field
        with pytest.raises(ValidationFailed) as e:
            unite_zone(app, conn, SYSTEM, "Z4", "2017-05-06", adm=[SHEIKH_MISKINE[0]])
        assert e.value.field == "as_of"


def test_two_zones_united(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        res = unite_zone(app, conn, SYSTEM, "Z1", "2017-10-01", with_zone="Z2")
        hist = {(v["zone_id"], v["version"]): v for v in zone_history(conn)}
    assert res["version"] == 2
    assert hist[("Z2", 1)]["valid_to"] == "2017-10-01" and hist[("Z1", 1)]["valid_to"] == "2017-10-01"
    assert verify(app).ok
