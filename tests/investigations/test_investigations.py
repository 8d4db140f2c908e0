"""Investigations: the clock, denials of access counted against the denying party, closing with a
report, who may do what; on SQLite and PostgreSQL, with the ledger verifying after each scenario."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from tests.helpers import ledger_count, report
from typer.testing import CliRunner

from truce.app import Truce
from truce.attachments import EvidenceFile
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from truce.incidents.service import show_incident
from truce.investigations import service as inv
from truce.ledger.models import blobs as blobs_table
from truce.ledger.service import verify
from truce.notifications.service import list_notifications
from truce.reports.service import submit

runner = CliRunner()

OPEN = "2017-09-22T08:00:00Z"
DENIED = "2017-09-23T08:00:00Z"
RESUMED = "2017-09-24T20:00:00Z"  # 36 h paused
CLOSED = "2017-09-26T08:00:00Z"  # 96 h after opening


def _incident(app: Truce, user: str = "rus_monitor") -> int:
    with app.write() as conn:
        res = submit(app, conn, get_actor(conn, user), report(occurred_at="2017-09-21T06:30:00Z"))
    assert res.incident_id is not None
    return res.incident_id


def _do(app: Truce, user: str, fn, *args, **kw):
    with app.write() as conn:
        return fn(app, conn, get_actor(conn, user), *args, **kw)


def test_the_clock_runs_pauses_on_denial_and_stops_at_closing(astana_url):
    """An investigator must see how long the investigation has really been running: time during
    which a party kept the team out does not count."""
    app = Truce(astana_url)
    iid = _incident(app)
    opened = _do(app, "rus_verifier", inv.open_investigation, iid, at=OPEN)
    vid = opened["id"]
    with app.read() as conn:
        assert show_incident(conn, iid)["status"] == "under_investigation"
        running = inv.get_investigation(conn, vid, now="2017-09-23T02:00:00Z")
    assert running["status"] == "open" and running["org_id"] == "RUS_OFFICE"
    assert running["clock"]["running"] and running["elapsed_active_seconds"] == 18 * 3600

    denial = _do(app, "rus_verifier", inv.deny_access, vid, "Syrian Arab Army", "Khan Shaykhun checkpoint", at=DENIED)
    assert denial["party_id"] == "SYR"
    with app.read() as conn:
        paused = inv.get_investigation(conn, vid, now="2017-09-23T20:00:00Z")
    assert paused["status"] == "paused" and paused["paused_since"] == DENIED
    assert paused["clock"]["paused_seconds"] == 12 * 3600  # a pause still running counts
    assert paused["elapsed_active_seconds"] == 24 * 3600

    _do(app, "rus_verifier", inv.resume_investigation, vid, at=RESUMED)
    with app.read() as conn:
        resumed = inv.get_investigation(conn, vid, now="2017-09-25T08:00:00Z")
    assert resumed["status"] == "open" and resumed["paused_since"] is None
    assert resumed["paused_seconds"] == 36 * 3600
    assert resumed["denials"][0]["resumed_at"] == RESUMED
    assert resumed["elapsed_active_seconds"] == (72 - 36) * 3600

    _do(app, "rus_verifier", inv.close_investigation, vid, "confirmed", "Crater analysis confirms shelling", at=CLOSED)
    with app.read() as conn:
        closed = inv.get_investigation(conn, vid)  # a closed clock no longer moves
        assert show_incident(conn, iid)["status"] == "open"
        assert [r["id"] for r in inv.list_investigations(conn, status="closed")] == [vid]
        assert inv.list_investigations(conn, status="open") == []
    assert closed["status"] == "closed" and closed["finding"] == "confirmed"
    assert closed["clock"]["total_seconds"] == 96 * 3600
    assert closed["elapsed_active_seconds"] == 60 * 3600
    assert verify(app).ok


def test_an_access_denial_is_recorded_and_counted_against_the_denying_party(astana_url):
    """The enforcement measures and the bulletin count denials of access per party."""
    app = Truce(astana_url)
    vid = _do(app, "tur_verifier", inv.open_investigation, _incident(app), at=OPEN)["id"]
    _do(app, "tur_verifier", inv.deny_access, vid, "SYR", "Hospital in Khan Shaykhun", at=DENIED, note="turned back")
    # A second denial while the clock is paused, by another party: recorded too, the clock stays paused.
    _do(app, "tur_verifier", inv.deny_access, vid, "Faylaq al-Sham", "Road to Saraqib", at="2017-09-23T09:00:00Z")
    _do(app, "tur_verifier", inv.resume_investigation, vid, at="2017-09-23T10:00:00Z")
    _do(app, "tur_verifier", inv.deny_access, vid, "SYR", "Airbase perimeter", at="2017-09-25T10:00:00Z")
    with app.read() as conn:
        assert inv.access_denials_by_party(conn) == {"SYR": 2, "FAYLAQ": 1}
        assert inv.access_denials_by_party(conn, since="2017-09-24") == {"SYR": 1}
        assert inv.access_denials_by_party(conn, until="2017-09-23") == {"SYR": 1, "FAYLAQ": 1}
        assert inv.access_denials_by_party(conn, until="2017-09-23T08:30:00Z") == {"SYR": 1}
        got = inv.get_investigation(conn, vid, now="2017-09-25T12:00:00Z")
        # the liaison of the denying party is told what is recorded against it; other parties are not
        syr = list_notifications(conn, get_actor(conn, "syr_liaison"))
        other = list_notifications(conn, get_actor(conn, "jaish_islam_liaison"))
    assert [(d["party_id"], d["site"]) for d in got["denials"]] == [
        ("SYR", "Hospital in Khan Shaykhun"),
        ("FAYLAQ", "Road to Saraqib"),
        ("SYR", "Airbase perimeter"),
    ]
    assert got["denials"][0]["note"] == "turned back" and got["denials"][0]["recorded_by"] == "tur_verifier"
    assert got["paused_seconds"] == 2 * 3600 and got["clock"]["paused_seconds"] == 4 * 3600
    assert [n["kind"] for n in syr] == ["access_denial", "access_denial"] and other == []
    assert verify(app).ok


def test_closing_attaches_the_report_files_as_blobs(astana_url):
    app = Truce(astana_url)
    iid = _incident(app)
    vid = _do(app, "irn_verifier", inv.open_investigation, iid, at=OPEN)["id"]
    _do(app, "irn_verifier", inv.deny_access, vid, "SYR", "Checkpoint 4", at=DENIED)
    files = [EvidenceFile("report.pdf", b"%PDF-1.4 findings"), EvidenceFile("annex.csv", b"site,time\nA,08:00\n")]
    res = _do(app, "irn_verifier", inv.close_investigation, vid, "unverifiable", "Access was never granted", files,
              at=CLOSED)
    assert len(res["reports"]) == 2
    with app.read() as conn:
        got = inv.get_investigation(conn, vid)
        shas = {r.sha256 for r in conn.execute(select(blobs_table.c.sha256))}
    assert {f["name"] for f in got["report_blobs"]} == {"report.pdf", "annex.csv"}
    for f in got["report_blobs"]:
        assert f["sha256"] in shas and app.blobs.verify(f["sha256"])
    pdf = next(f["sha256"] for f in got["report_blobs"] if f["name"] == "report.pdf")
    assert app.blobs.read(pdf).startswith(b"%PDF")
    # closed while paused: the pause ends at closing, and the denial stays unresolved
    assert got["paused_seconds"] == (96 - 24) * 3600 and got["elapsed_active_seconds"] == 24 * 3600
    assert got["denials"][0]["resumed_at"] is None
    assert verify(app).ok


def test_who_may_run_an_investigation(astana_url):
    """A monitor cannot open one; another guarantor's verifier cannot close one it did not open."""
    app = Truce(astana_url)
    iid = _incident(app)
    before = ledger_count(app)
    with pytest.raises(PermissionDenied, match="only admin, verifier may"):
        _do(app, "rus_monitor", inv.open_investigation, iid)
    with pytest.raises(PermissionDenied):
        _do(app, "syr_liaison", inv.open_investigation, iid)
    assert ledger_count(app) == before
    vid = _do(app, "rus_verifier", inv.open_investigation, iid, at=OPEN)["id"]
    with pytest.raises(PermissionDenied, match="run by RUS_OFFICE"):
        _do(app, "tur_verifier", inv.close_investigation, vid, "confirmed", "x")
    # the joint group may act on any investigation
    _do(app, "joint_verifier", inv.deny_access, vid, "SYR", "Bridge", at=DENIED)
    assert verify(app).ok


@pytest.mark.parametrize(
    ("step", "kwargs", "error", "field"),
    [
        ("open_again", {}, Conflict, "incident"),
        ("deny", {"party": "Nobody Known", "site": "x"}, ValidationFailed, "party"),
        ("deny", {"party": "SYR", "site": " "}, ValidationFailed, "site"),
        ("deny", {"party": "SYR", "site": "x", "at": "2017-09-22T07:00:00Z"}, ValidationFailed, "at"),
        ("deny", {"party": "SYR", "site": "x", "at": "2099-01-01T00:00:00Z"}, ValidationFailed, "at"),
        ("deny", {"party": "SYR", "site": "x", "at": "yesterday"}, ValidationFailed, "at"),
        ("resume", {}, Conflict, "investigation"),
        ("close", {"finding": "probably", "summary": "x"}, ValidationFailed, "finding"),
        ("close", {"finding": "confirmed", "summary": ""}, ValidationFailed, "summary"),
    ],
    ids=["second-open", "unknown-party", "no-site", "before-opening", "future", "not-a-time", "resume-running",
         "bad-finding", "no-summary"],
)
def test_bad_steps_are_refused_naming_why_and_nothing_is_written(astana_url, step, kwargs, error, field):
    app = Truce(astana_url)
    iid = _incident(app)
    vid = _do(app, "rus_verifier", inv.open_investigation, iid, at=OPEN)["id"]
    before = ledger_count(app)
    with pytest.raises(error) as e:
        if step == "open_again":
            _do(app, "rus_verifier", inv.open_investigation, iid)
        elif step == "deny":
            _do(app, "rus_verifier", inv.deny_access, vid, kwargs["party"], kwargs["site"], at=kwargs.get("at"))
        elif step == "resume":
            _do(app, "rus_verifier", inv.resume_investigation, vid)
        else:
            _do(app, "rus_verifier", inv.close_investigation, vid, kwargs["finding"], kwargs["summary"])
    assert e.value.field == field, e.value.message
    assert ledger_count(app) == before


def test_no_investigation_of_a_missing_incident_and_a_new_one_after_closing(astana_url):
    app = Truce(astana_url)
    with pytest.raises(NotFound):
        _do(app, "rus_verifier", inv.open_investigation, 999)
    iid = _incident(app)
    first = _do(app, "rus_verifier", inv.open_investigation, iid, at=OPEN)["id"]
    _do(app, "rus_verifier", inv.close_investigation, first, "disputed", "Accounts conflict", at=CLOSED)
    second = _do(app, "tur_verifier", inv.open_investigation, iid)["id"]
    with app.read() as conn:
        assert [r["id"] for r in inv.list_investigations(conn, incident_id=iid)] == [second, first]
        assert show_incident(conn, iid)["status"] == "under_investigation"
    assert verify(app).ok


def test_investigation_commands_on_the_command_line(astana_url, tmp_path):
    app = Truce(astana_url)
    iid = _incident(app)
    db = ["--db", astana_url]
    r = runner.invoke(cli, ["investigation", "open", str(iid), *db, "--as", "rus_verifier", "--at", OPEN, "--json"])
    assert r.exit_code == 0, r.output
    vid = json.loads(r.output)["id"]
    r = runner.invoke(cli, ["investigation", "deny", str(vid), "--party", "SYR", "--site", "Checkpoint", "--at", DENIED,
                            *db, "--as", "rus_verifier"])
    assert r.exit_code == 0 and "paused" in r.output, r.output
    r = runner.invoke(cli, ["investigation", "open", str(iid), *db, "--as", "rus_monitor"])
    assert r.exit_code == 2 and "may not open investigations" in r.output
    assert len(r.output.strip().splitlines()) == 1
    runner.invoke(cli, ["investigation", "resume", str(vid), "--at", RESUMED, *db, "--as", "rus_verifier"])
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 report")
    r = runner.invoke(cli, ["investigation", "close", str(vid), "--finding", "confirmed", "--summary", "Done",
                            "--report", str(pdf), "--at", CLOSED, *db, "--as", "rus_verifier"])
    assert r.exit_code == 0, r.output
    shown = json.loads(runner.invoke(cli, ["investigation", "show", str(vid), *db, "--json"]).output)
    assert shown["elapsed_active_seconds"] == 60 * 3600 and shown["report_blobs"][0]["name"] == "report.pdf"
    text = runner.invoke(cli, ["investigation", "show", str(vid), *db]).output
    assert "2d 12:00:00 active" in text and "access denied by SYR" in text
    listed = runner.invoke(cli, ["investigation", "list", *db, "--status", "closed"])
    assert listed.exit_code == 0 and "RUS_OFFICE" in listed.output
    assert runner.invoke(cli, ["ledger", "verify", *db]).exit_code == 0
