"""Corroboration: reports matched to incidents (auto links, suggested links), and verifiers' link, unlink,
split and suggestion decisions — on SQLite and PostgreSQL, with the ledger replayed after each scenario."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.helpers import IDLIB_CITY, ledger_count, report
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from truce.incidents import matching as M
from truce.incidents.linking import (
    accept_suggestion,
    link_report,
    list_suggestions,
    reject_suggestion,
    split_incident,
    unlink_report,
)
from truce.incidents.models import incident_reports, incidents
from truce.incidents.service import list_incidents, show_incident
from truce.ingest.service import import_ucdp
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.reports.models import reports
from truce.reports.service import SubmitResult, submit

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "events" / "ucdp_aec_syria_train.csv"
runner = CliRunner()


def north(point: tuple[float, float], km: float) -> tuple[float, float]:
    return point[0] + km / M.KM_PER_DEG, point[1]


def east(point: tuple[float, float], km: float) -> tuple[float, float]:
    return point[0], point[1] + km / (M.KM_PER_DEG * math.cos(math.radians(point[0])))


def _submit(app: Truce, user: str, data: dict) -> SubmitResult:
    with app.write() as conn:
        return submit(app, conn, get_actor(conn, user), data)


def _at(point: tuple[float, float], **kw: object) -> dict:
    return report(lat=round(point[0], 6), lon=round(point[1], 6), **kw)


def _members(app: Truce, incident_id: int) -> list[str]:
    with app.read() as conn:
        return sorted(r["id"] for r in show_incident(conn, incident_id)["reports"])


def _call(app: Truce, user: str, fn, *args):
    with app.write() as conn:
        return fn(app, conn, get_actor(conn, user), *args)


def _verified(app: Truce) -> None:
    res = verify(app)
    assert res.ok, res.problems


# --- the done-when scenario --------------------------------------------------------------------------


def test_two_offices_report_the_same_shelling_and_a_far_report_is_another_incident(astana_url):
    """RUS and TUR offices report one shelling 1.5 km and 2 hours apart: one incident with two reports;
    a third report 60 km away is another incident."""
    app = Truce(astana_url)
    rus = _submit(app, "rus_monitor", _at(IDLIB_CITY, occurred_at="2017-09-21T06:30:00Z", narrative="RUS"))
    assert rus.new_incident and rus.how == "origin"
    tur = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 1.5), occurred_at="2017-09-21T08:30:00Z", narrative="TUR"))
    assert not tur.new_incident and tur.how == "auto" and tur.incident_id == rus.incident_id
    assert any("linked automatically" in n for n in tur.notes)
    far = _submit(app, "irn_monitor", _at(north(IDLIB_CITY, 60), occurred_at="2017-09-21T07:00:00Z"))
    assert far.new_incident and far.incident_id != rus.incident_id and not far.suggestions
    with app.read() as conn:
        inc = show_incident(conn, rus.incident_id)
        assert sorted(r["org_id"] for r in inc["reports"]) == ["RUS_OFFICE", "TUR_OFFICE"]
        assert {r["how"] for r in inc["reports"]} == {"origin", "auto"}
        rows, total = list_incidents(conn)
        assert total == 2
        # the auto link recomputed the incident's verification (two sources now)
        assert inc["confidence"] is not None
    _verified(app)


def test_a_doubtful_report_is_suggested_and_accepting_links_it(astana_url):
    """7 km away (beyond the 5 km radius, within twice it): a new incident and a suggestion; accepting it
    moves the report, and the emptied incident is kept as merged but no longer listed."""
    app = Truce(astana_url)
    first = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    doubt = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 7.0)))
    assert doubt.new_incident and doubt.how == "origin"
    assert [s["incident"] for s in doubt.suggestions] == [first.incident_id]
    assert "beyond the 5 km radius" in doubt.suggestions[0]["reason"]
    with app.read() as conn:
        rows, total = list_suggestions(conn)
    assert total == 1 and rows[0]["report_id"] == doubt.report_id and rows[0]["report_incident_id"] == doubt.incident_id
    assert 6.9 < rows[0]["distance_km"] < 7.1 and rows[0]["status"] == "open"
    assert rows[0]["score"] == doubt.suggestions[0]["score"]
    n_reports = _count(app, reports)
    res = _call(app, "tur_verifier", accept_suggestion, rows[0]["id"], "same crater field")
    assert res["from"] == doubt.incident_id and res["to"] == first.incident_id and res["from_left"] == 0
    assert _members(app, first.incident_id) == sorted([first.report_id, doubt.report_id])
    with app.read() as conn:
        assert show_incident(conn, doubt.incident_id)["status"] == "merged"
        assert list_incidents(conn)[1] == 1
        done = list_suggestions(conn, status="accepted")[0][0]
        assert done["decided_by"] == "tur_verifier" and done["decision_reason"] == "same crater field"
        assert not list_suggestions(conn)[0]
    assert _count(app, reports) == n_reports
    with pytest.raises(Conflict):
        _call(app, "tur_verifier", accept_suggestion, rows[0]["id"])
    # A party's liaison is not told which other incidents its complaint may match.
    complaint = _submit(app, "syr_liaison", _at(east(IDLIB_CITY, -7.0), alleged_party="FAYLAQ"))
    assert complaint.how == "origin" and not complaint.suggestions
    assert any("queued for a verifier" in n for n in complaint.notes)
    with app.read() as conn:
        assert list_suggestions(conn, report=complaint.report_id)[1] >= 1
    _verified(app)


def test_different_parties_are_suggested_not_linked_and_a_rejection_needs_a_reason(astana_url):
    app = Truce(astana_url)
    first = _submit(app, "rus_monitor", _at(IDLIB_CITY, alleged_party="FAYLAQ"))
    other = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 1.0), alleged_party="SYR"))
    assert other.new_incident and other.suggestions and other.suggestions[0]["incident"] == first.incident_id
    assert "different alleged parties" in other.suggestions[0]["reason"]
    sid = other.suggestions[0]["id"]
    with pytest.raises(ValidationFailed) as e:
        _call(app, "irn_verifier", reject_suggestion, sid, "  ")
    assert e.value.field == "reason"
    _call(app, "irn_verifier", reject_suggestion, sid, "two different attacks")
    with app.read() as conn:
        assert list_suggestions(conn, status="rejected")[1] == 1
    assert _members(app, other.incident_id) == [other.report_id]
    _verified(app)


def test_two_close_candidates_are_both_suggested(astana_url):
    """Two incidents 8 km apart and a report half-way: both fit equally well, so no automatic link."""
    app = Truce(astana_url)
    a = _submit(app, "rus_monitor", _at(east(IDLIB_CITY, -4.0)))
    b = _submit(app, "rus_monitor", _at(east(IDLIB_CITY, 4.0)))
    assert b.new_incident and [s["incident"] for s in b.suggestions] == [a.incident_id]
    c = _submit(app, "tur_monitor", _at(IDLIB_CITY))
    assert c.how == "origin" and {s["incident"] for s in c.suggestions} == {a.incident_id, b.incident_id}
    assert "another candidate scores within" in c.suggestions[0]["reason"]
    _verified(app)


def test_time_precision_a_day_report_matches_an_exact_one_the_same_day(astana_url):
    app = Truce(astana_url)
    exact = _submit(app, "rus_monitor", _at(IDLIB_CITY, occurred_at="2017-09-21T14:00:00Z"))
    day = _submit(app, "tur_monitor", _at(IDLIB_CITY, occurred_at="2017-09-21T00:00:00Z", occurred_precision="day"))
    assert day.how == "auto" and day.incident_id == exact.incident_id
    later = _submit(app, "irn_monitor", _at(IDLIB_CITY, occurred_at="2017-09-23T00:00:00Z", occurred_precision="day"))
    assert later.new_incident and not later.suggestions
    week = _submit(app, "irn_monitor", _at(IDLIB_CITY, occurred_at="2017-09-19T00:00:00Z", occurred_precision="week"))
    assert week.new_incident and {s["incident"] for s in week.suggestions} & {exact.incident_id, later.incident_id}
    assert all("known only to the week" in s["reason"] for s in week.suggestions)
    _verified(app)


# --- link, unlink, split ------------------------------------------------------------------------------


def test_link_unlink_split_round_trip_never_loses_a_report(astana_url):
    app = Truce(astana_url)
    subs = [
        _submit(app, user, _at(east(IDLIB_CITY, 0.3 * k), occurred_at=f"2017-09-21T0{6 + k}:00:00Z"))
        for k, user in enumerate(["rus_monitor", "tur_monitor", "irn_monitor", "rus_monitor"])
    ]
    iid = subs[0].incident_id
    assert all(s.incident_id == iid for s in subs)
    ids = [s.report_id for s in subs]
    before = (_count(app, reports), _count(app, incident_reports))

    un = _call(app, "rus_verifier", unlink_report, ids[0], "another strike")
    new1 = un["to"]
    assert _members(app, new1) == [ids[0]] and _members(app, iid) == sorted(ids[1:])
    with app.read() as conn:
        inc = show_incident(conn, iid)
        # the origin report left: the incident now takes its time and place from its earliest remaining report
        assert inc["occurred_at"] == "2017-09-21T07:00:00Z"
        assert inc["zones"] and inc["zones"][0]["zone_id"] == "Z1"
        assert {r["how"] for r in show_incident(conn, new1)["reports"]} == {"origin"}

    back = _call(app, "tur_verifier", link_report, ids[0], iid, "same event after all")
    assert back["from_left"] == 0
    assert _members(app, iid) == sorted(ids)
    with app.read() as conn:
        assert show_incident(conn, new1)["status"] == "merged"

    sp = _call(app, "irn_verifier", split_incident, iid, [ids[3], ids[2], ids[3]], "two separate shellings")
    new2 = sp["to"]
    assert _members(app, new2) == sorted([ids[2], ids[3]]) and _members(app, iid) == sorted(ids[:2])
    with app.read() as conn:
        assert show_incident(conn, new2)["occurred_at"] == "2017-09-21T08:00:00Z"

    # the merged incident can be reused: linking a report to it reopens it
    _call(app, "admin", link_report, ids[1], new1)
    with app.read() as conn:
        assert show_incident(conn, new1)["status"] == "open"
    assert (_count(app, reports), _count(app, incident_reports)) == before
    _verified(app)


def test_refusals_are_clear_and_write_nothing(astana_url):
    app = Truce(astana_url)
    one = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    two = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 0.5)))
    assert two.incident_id == one.incident_id
    alone = _submit(app, "irn_monitor", _at(north(IDLIB_CITY, 60)))
    n = ledger_count(app)
    cases = [
        (link_report, ("no-such-report", one.incident_id), NotFound, "report"),
        (link_report, (one.report_id, 999999), NotFound, "incident"),
        (link_report, (one.report_id, one.incident_id), Conflict, "incident"),
        (unlink_report, (alone.report_id,), Conflict, "report"),
        (split_incident, (one.incident_id, [one.report_id, two.report_id]), Conflict, "report"),
        (split_incident, (one.incident_id, [alone.report_id]), ValidationFailed, "report"),
        (split_incident, (one.incident_id, []), ValidationFailed, "report"),
        (split_incident, (999999, [one.report_id]), NotFound, "incident"),
        (accept_suggestion, (999999,), NotFound, "suggestion"),
    ]
    for fn, args, exc, field in cases:
        with pytest.raises(exc) as e:
            _call(app, "rus_verifier", fn, *args)
        assert e.value.field == field, (fn.__name__, e.value.message)
    with pytest.raises(Conflict) as e:
        _call(app, "rus_verifier", unlink_report, alone.report_id)
    assert "only report" in e.value.message
    with pytest.raises(Conflict) as e:
        _call(app, "rus_verifier", split_incident, one.incident_id, [one.report_id, two.report_id])
    assert "empty" in e.value.message
    assert ledger_count(app) == n


def test_a_monitor_cannot_link_unlink_split_or_decide_suggestions(astana_url):
    app = Truce(astana_url)
    one = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    two = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 7.0)))
    sid = two.suggestions[0]["id"]
    n = ledger_count(app)
    for fn, args in [
        (link_report, (two.report_id, one.incident_id)),
        (unlink_report, (two.report_id,)),
        (split_incident, (one.incident_id, [one.report_id])),
        (accept_suggestion, (sid,)),
        (reject_suggestion, (sid, "no")),
    ]:
        with pytest.raises(PermissionDenied) as e:
            _call(app, "rus_monitor", fn, *args)
        assert "verifier" in e.value.message
    assert ledger_count(app) == n


def test_cli_link_unlink_split_and_suggestions(astana_url):
    app = Truce(astana_url)
    db = ["--db", astana_url]
    one = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    two = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 7.0)))
    out = json.loads(runner.invoke(cli, ["suggestion", "list", *db, "--json"]).output)
    assert out["total"] == 1
    sid = out["suggestions"][0]["id"]
    r = runner.invoke(cli, ["suggestion", "accept", str(sid), *db, "--as", "rus_monitor"])
    assert r.exit_code == 2 and "may not" in r.output
    r = runner.invoke(cli, ["suggestion", "accept", str(sid), *db, "--as", "rus_verifier"])
    assert r.exit_code == 0 and f"incident {one.incident_id}" in r.output and "merged" in r.output, r.output
    r = runner.invoke(cli, ["incident", "unlink", two.report_id, *db, "--as", "rus_verifier", "--json"])
    assert r.exit_code == 0, r.output
    new = json.loads(r.output)["to"]
    r = runner.invoke(cli, ["incident", "link", two.report_id, str(one.incident_id), *db, "--as", "tur_verifier"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["incident", "split", str(one.incident_id), "--report", two.report_id, *db,
                            "--as", "irn_verifier"])
    assert r.exit_code == 0 and "moved to new incident" in r.output, r.output
    r = runner.invoke(cli, ["incident", "unlink", one.report_id, *db, "--as", "irn_verifier"])
    assert r.exit_code != 0 and "only report" in r.output
    r = runner.invoke(cli, ["suggestion", "list", *db, "--status", "all"])
    assert r.exit_code == 0 and "accepted" in r.output
    assert new != one.incident_id
    _verified(app)


# --- batch imports -----------------------------------------------------------------------------------


def _ucdp_slice(tmp_path: Path, n: int) -> Path:
    with open(SHARED, encoding="utf-8") as f:
        lines = f.read().splitlines()
    path = tmp_path / "ucdp.csv"
    path.write_text("\n".join(lines[: n + 1]) + "\n", encoding="utf-8")
    return path


def test_batch_import_matches_office_reports_and_stays_idempotent(astana_url, tmp_path):
    """UCDP rows located to a point are linked to an office report of the same event; rows of the
    dataset are never linked to each other; importing the file twice adds nothing."""
    app = Truce(astana_url)
    path = _ucdp_slice(tmp_path, 400)
    first = import_ucdp(app, SYSTEM, path)
    assert first.imported == 400 and first.auto_linked == 0  # one dataset: its rows are never linked together
    with app.read() as conn:
        rows = conn.execute(
            select(reports.c.occurred_at, reports.c.lat, reports.c.lon, reports.c.alleged_party_id,
                   reports.c.violation_type, reports.c.location_precision, reports.c.occurred_precision)
            .where(reports.c.external_source == "ucdp", reports.c.lat.is_not(None))
            .order_by(reports.c.external_id)
        ).all()
    assert len(rows) > 300 and _count(app, incidents) == 400
    # a UCDP event located to a point with no other event within 10 km and 2 days
    pt = next(
        r for r in rows
        if r.location_precision in ("exact", "near") and r.occurred_precision == "day" and r.alleged_party_id
        and not any(
            o is not r and abs(M.to_epoch(o.occurred_at) - M.to_epoch(r.occurred_at)) <= 2 * 86400
            and float(M.haversine_km(r.lat, r.lon, o.lat, o.lon)) <= 10 for o in rows)
    )
    # An office reports the same event: it is linked to the UCDP incident automatically.
    office = _submit(app, "rus_monitor", report(occurred_at=pt.occurred_at[:10] + "T10:00:00Z",
                                                lat=pt.lat, lon=pt.lon, alleged_party=pt.alleged_party_id,
                                                violation_type=pt.violation_type))
    assert office.how == "auto", office.notes
    n = ledger_count(app)
    again = import_ucdp(app, SYSTEM, path)
    assert again.imported == 0 and again.duplicates == 400 and ledger_count(app) == n
    _verified(app)


def test_batch_rows_are_matched_against_the_database_and_each_other(astana_url):
    """Office-style rows in one batch: matched in order, as if submitted one by one."""
    from truce.ingest.service import match_into_incidents

    app = Truce(astana_url)
    first = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    base = dict(occurred_precision="exact", location_precision="exact", adm1_pcode="SY07", adm2_pcode="SY0700",
                adm3_pcode="SY070000", violation_type="shelling", alleged_party_id="SYR", alleged_party_text=None,
                external_source=None)
    far = north(IDLIB_CITY, 60)
    rows = [
        {**base, "id": "r1", "occurred_at": "2017-09-21T07:00:00Z", "lat": IDLIB_CITY[0], "lon": IDLIB_CITY[1]},
        {**base, "id": "r2", "occurred_at": "2017-09-21T07:00:00Z", "lat": far[0], "lon": far[1]},
        {**base, "id": "r3", "occurred_at": "2017-09-21T08:00:00Z", "lat": far[0] + 0.01, "lon": far[1]},
        {**base, "id": "r4", "occurred_at": "2017-09-21T08:00:00Z", "lat": far[0], "lon": far[1] + 0.07},
    ]
    with app.read() as conn:
        new_incidents, links, sugg = match_into_incidents(conn, rows)
        nxt = conn.execute(select(func.max(incidents.c.id))).scalar_one() + 1
    assert links[0] == ["r1", first.incident_id, "auto"]
    assert new_incidents[0] == [nxt, "r2"] and links[2] == ["r3", nxt, "auto"]
    assert links[3][2] == "origin" and sugg and sugg[0]["incident"] == nxt and sugg[0]["report"] == "r4"


# --- settings ----------------------------------------------------------------------------------------


def test_window_and_radius_come_from_the_agreement_in_force(astana_url):
    from truce.agreements.service import add_version, current

    app = Truce(astana_url)
    with app.write() as conn:
        a = current(conn)
        assert a is not None
        data = {k: a[k] for k in ("id", "title", "guarantors", "decision_rule", "clauses", "term_months")}
        data.update(effective="2017-10-01", settings={**a["settings"], "match_radius_km": 1.0,
                                                      "match_window_hours": 2})
        add_version(app, conn, SYSTEM, data)
        w, r = M.match_settings(conn, ["2017-09-21T00:00:00Z", "2017-10-02T00:00:00Z", "2016-01-01T00:00:00Z"])
    assert list(w) == [6.0, 2.0, 6.0] and list(r) == [5.0, 1.0, 5.0]
    _submit(app, "rus_monitor", _at(IDLIB_CITY, occurred_at="2017-10-02T06:00:00Z"))
    later = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 1.5), occurred_at="2017-10-02T07:00:00Z"))
    assert later.how == "origin" and later.suggestions  # 1.5 km is beyond the 1 km radius now: only doubtful
    _verified(app)


# --- the pure rules --------------------------------------------------------------------------------------


def test_type_families():
    assert M.type_score("shelling", "shelling") == 1.0
    assert M.type_score("shelling", "sniper_fire") == M.SAME_FAMILY
    assert M.type_score("troop_movement", "heavy_weapons_movement") == M.SAME_FAMILY
    assert M.type_score("obstruction_of_monitors", "obstruction_of_humanitarian_access") == M.SAME_FAMILY
    assert M.type_score("chemical_weapons_use", "airstrike") == M.SAME_FAMILY
    assert M.type_score("chemical_weapons_use", "sniper_fire") == 0.0
    assert M.type_score("shelling", "troop_movement") == 0.0
    assert M.type_score("other", "other") == M.WITH_OTHER < M.AUTO_MIN_TYPE


def test_intervals_and_gaps():
    day = M.interval("2017-09-21T00:00:00Z", "day")
    assert M.gap_hours(day, M.interval("2017-09-21T23:59:00Z", "exact")) == 0
    assert M.gap_hours(day, M.interval("2017-09-22T06:00:00Z", "exact")) == 6
    assert M.interval("2017-09-21T15:00:00Z", "day") == day
    week = M.interval("2017-09-01T00:00:00Z", "week")
    assert M.gap_hours(week, M.interval("2017-09-07T12:00:00Z", "exact")) == 0
    assert abs(float(M.haversine_km(35.0, 36.0, 35.0 + 1 / M.KM_PER_DEG, 36.0)) - 1.0) < 1e-6


TYPES = ["shelling", "airstrike", "troop_movement", "other", "sniper_fire", "obstruction_of_monitors",
         "chemical_weapons_use"]


def _rand_recs(seed: int, n: int, spread: float, days: float) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        la, lo = 35.0 + rng.uniform(-spread, spread), 37.0 + rng.uniform(-spread, spread)
        out.append({
            "occurred_at": M.from_epoch(1500000000 + int(rng.uniform(0, days * 86400))),
            "occurred_precision": rng.choice(["exact"] * 6 + ["day", "week", "month"]),
            "lat": la, "lon": lo,
            "location_precision": rng.choice(["exact"] * 5 + ["near", "adm3", "adm2", "adm1", "country"]),
            "adm1_pcode": f"A{int(la * 2)}", "adm2_pcode": f"B{int(la * 5)}{int(lo * 5)}",
            "adm3_pcode": f"C{int(la * 10)}{int(lo * 10)}",
            "violation_type": rng.choice(TYPES),
            "alleged_party_id": rng.choice([None, "SYR", "NUSRA"]), "alleged_party_text": None,
            "external_source": rng.choice([None, None, "ucdp"]),
        })
    return out


def _sequential(recs: list[dict], nd: int, w: float, r: float) -> list[tuple]:
    """The reference: submit rows one by one, each scored against every incident so far by `assess`."""
    inc, out = list(range(nd)), []
    for i in range(nd, len(recs)):
        cands = sorted(
            ((a.score, k, a) for k in inc if (a := M.assess(recs[i], recs[k], w, r))), key=lambda x: (-x[0], x[1])
        )
        if cands and cands[0][2].auto and (len(cands) == 1 or cands[0][0] - cands[1][0] >= M.MARGIN - 1e-12):
            out.append(("auto", cands[0][1]))
        else:
            out.append(("origin", tuple(k for _, k, _ in cands[: M.MAX_SUGGESTIONS])))
            inc.append(i)
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 250), nd=st.integers(0, 40),
       spread=st.sampled_from([0.02, 0.05, 0.3]), days=st.sampled_from([1.0, 3.0, 20.0]))
def test_the_grid_hash_batch_matcher_equals_one_by_one_matching(seed, n, nd, spread, days):
    """The vectorised batch matcher (grid hash + fixed point) decides exactly as scalar one-by-one matching."""
    recs = _rand_recs(seed, n + nd, spread, days)
    codes = M.Codes()
    db, rows = M.Items.from_records(codes, recs[:nd]), M.Items.from_records(codes, recs[nd:])
    dec = M.match_items(db, rows, np.full(n, 6.0), np.full(n, 5.0))
    got = [
        ("auto", int(dec.pairs.c[dec.best[i]])) if not dec.origin[i]
        else ("origin", tuple(int(dec.pairs.c[k]) for k in dec.top[i] if k >= 0))
        for i in range(n)
    ]
    assert got == _sequential(recs, nd, 6.0, 5.0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_scalar_and_vectorised_scores_agree_and_are_symmetric(seed):
    a, b = _rand_recs(seed, 2, 0.05, 1.0)
    x, y = M.assess(a, b, 6, 5), M.assess(b, a, 6, 5)
    assert (x is None) == (y is None)
    if x is None or y is None:
        return
    assert x.score == pytest.approx(y.score) and x.auto == y.auto and 0 <= x.score <= 1
    codes = M.Codes()
    pool = M.Items.from_records(codes, [b, a])
    p = M.assess_pairs(pool, 1, np.array([1]), np.array([0]), np.array([6.0]), np.array([5.0]))
    assert p.score.size == 1 and p.score[0] == pytest.approx(x.score) and bool(p.auto[0]) == x.auto


def _count(app: Truce, table) -> int:
    with app.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_accepting_one_suggestion_says_it_closes_its_siblings_and_they_are_not_called_rejected(astana_url):
    """A report with two suggested incidents: accepting one says it also closed the other; trying to reject
    that one afterwards says it was closed by the acceptance, not "already rejected by" someone who never did."""
    app = Truce(astana_url)
    west_inc = _submit(app, "rus_monitor", _at(east(IDLIB_CITY, -7.0)))
    east_inc = _submit(app, "irn_monitor", _at(east(IDLIB_CITY, 7.0)))
    doubt = _submit(app, "tur_monitor", _at(IDLIB_CITY))
    assert sorted(s["incident"] for s in doubt.suggestions) == sorted([west_inc.incident_id, east_inc.incident_id])
    with app.read() as conn:
        rows, _ = list_suggestions(conn, report=doubt.report_id)
    first, second = rows[0]["id"], rows[1]["id"]
    r = runner.invoke(cli, ["suggestion", "accept", str(first), "--as", "tur_verifier", "--db", astana_url])
    assert r.exit_code == 0, r.output
    assert f"also closed: suggestion(s) {second} for the same report" in r.output
    r = runner.invoke(cli, ["suggestion", "reject", str(second), "--reason", "no", "--as", "rus_verifier",
                            "--db", astana_url])
    assert r.exit_code == 2
    assert f"suggestion {second} was closed at" in r.output
    assert "when tur_verifier accepted another suggestion" in r.output
    assert "already rejected" not in r.output
    _verified(app)


def test_incident_show_lists_the_entries_that_moved_its_reports_and_not_those_of_reports_moved_out(astana_url):
    """`incident show`'s ledger entries: the link, unlink and split entries that moved reports in or out are
    listed; the submit entry of a report that was moved out is not (it is listed on its new incident)."""
    app = Truce(astana_url)
    db = ["--db", astana_url]
    one = _submit(app, "rus_monitor", _at(IDLIB_CITY))
    two = _submit(app, "tur_monitor", _at(east(IDLIB_CITY, 1.0)))
    assert two.incident_id == one.incident_id and two.how == "auto"

    def entries(incident: int) -> dict[int, str]:
        r = runner.invoke(cli, ["incident", "show", str(incident), *db, "--json"])
        assert r.exit_code == 0, r.output
        return {e["seq"]: e["command"] for e in json.loads(r.output)["ledger"]}

    assert two.ledger_seq in entries(one.incident_id)
    r = runner.invoke(cli, ["incident", "unlink", two.report_id, *db, "--as", "rus_verifier", "--json"])
    assert r.exit_code == 0, r.output
    unlink = json.loads(r.output)
    left, new = entries(one.incident_id), entries(unlink["to"])
    assert unlink["ledger_seq"] in left and left[unlink["ledger_seq"]] == "incident.unlink"
    assert two.ledger_seq not in left  # moved out: its submit entry is no longer this incident's
    assert unlink["ledger_seq"] in new and two.ledger_seq in new
    r = runner.invoke(cli, ["incident", "link", two.report_id, str(one.incident_id), *db, "--as", "tur_verifier",
                            "--json"])
    assert r.exit_code == 0, r.output
    link_seq = json.loads(r.output)["ledger_seq"]
    r = runner.invoke(cli, ["incident", "split", str(one.incident_id), "--report", two.report_id, *db,
                            "--as", "irn_verifier", "--json"])
    assert r.exit_code == 0, r.output
    split_seq = json.loads(r.output)["ledger_seq"]
    got = entries(one.incident_id)
    assert got.get(link_seq) == "incident.link" and got.get(split_seq) == "incident.split"
    assert two.ledger_seq not in got
    _verified(app)
