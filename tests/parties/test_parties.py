"""The party register: kinds, aliases, designations and status as of a date; agreement versions in force."""

from __future__ import annotations

import pytest

from truce.agreements import service as agreements
from truce.app import Truce
from truce.errors import ValidationFailed
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.parties import service as parties


def test_register_answers_who_was_bound_on_a_day(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        parties.change_status(app, conn, SYSTEM, "AHRAR", "signatory", "2017-07-01", "accession accepted")
        parties.change_status(app, conn, SYSTEM, "JAISH_IDLIB", "suspended", "2017-08-01", "grave violations")
    with app.read() as conn:
        june = {p["id"] for p in parties.list_parties(conn, status="signatory", as_of="2017-06-15")}
        sept = {p["id"] for p in parties.list_parties(conn, status="signatory", as_of="2017-09-01")}
        before = parties.list_parties(conn, status="signatory", as_of="2016-12-01")
        nusra = parties.show_party(conn, "HTS")
    assert "AHRAR" not in june and "JAISH_IDLIB" in june
    assert "AHRAR" in sept and "JAISH_IDLIB" not in sept
    assert before == []
    assert nusra["id"] == "NUSRA" and nusra["kind"] == "designated" and nusra["designations"][0]["authority"] == "UNSC"
    assert verify(app).ok


def test_designated_group_can_never_become_a_party(astana_url):
    app = Truce(astana_url)
    with app.write() as conn, pytest.raises(ValidationFailed) as e:
        parties.change_status(app, conn, SYSTEM, "ISIL", "applicant", "2017-07-01", "asked")
    assert "designated" in e.value.message


def test_the_version_in_force_at_the_incident_time_applies(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        v1 = agreements.get(conn, "astana-2017")
        agreements.add_version(app, conn, SYSTEM, {**{k: v1[k] for k in (
            "id", "title", "guarantors", "clauses", "settings", "term_months")}, "effective": "2017-10-01",
            "decision_rule": "majority"})
    with app.read() as conn:
        assert agreements.in_force(conn, "2017-09-30T23:00:00Z")["version"] == 1
        assert agreements.in_force(conn, "2017-10-02")["decision_rule"] == "majority"
        assert agreements.in_force(conn, "2017-01-01") is None
        assert agreements.get(conn, "astana-2017", 1)["valid_to"] == "2017-10-01"
    assert verify(app).ok
