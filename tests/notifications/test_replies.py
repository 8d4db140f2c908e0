"""Notifications and the right of reply: the party an incident is attributed to is notified, may reply
with counter-evidence within the agreement's window, and the reply is shown beside the finding."""

from __future__ import annotations

import json

import pytest
from tests.helpers import ledger_count, report
from typer.testing import CliRunner

from truce import times
from truce.app import Truce
from truce.attachments import EvidenceFile
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.errors import PermissionDenied, ValidationFailed
from truce.incidents import verification
from truce.incidents.service import show_incident
from truce.investigations import service as inv
from truce.ledger.service import verify
from truce.notifications.service import list_notifications
from truce.replies import service as replies
from truce.reports.service import submit

runner = CliRunner()


def _attributed_incident(app: Truce, party: str = "SYR") -> int:
    """An incident reported by the Russian office and confirmed by all three guarantors against `party`."""
    with app.write() as conn:
        res = submit(app, conn, get_actor(conn, "rus_monitor"), report(occurred_at="2017-09-21T06:30:00Z"))
    iid = res.incident_id
    assert iid is not None
    for user in ("rus_verifier", "tur_verifier", "irn_verifier"):
        with app.write() as conn:
            verification.add_finding(app, conn, get_actor(conn, user), iid, finding="confirmed",
                                     reason_code="observed", note="seen from the observation post",
                                     attributed_party=party)
    with app.read() as conn:
        inc = show_incident(conn, iid)
    assert inc["verdict"] == "verified" and inc["attributed_party_id"] == party
    return iid


def _notes(app: Truce, user: str) -> list[dict]:
    with app.read() as conn:
        return list_notifications(conn, get_actor(conn, user))


def _reply(app: Truce, user: str, iid: int, text: str = "No unit of ours was there", evidence=None):
    with app.write() as conn:
        return replies.file_reply(app, conn, get_actor(conn, user), iid, text, evidence)


def test_the_attributed_party_is_notified_once_and_no_one_else(astana_url):
    app = Truce(astana_url)
    iid = _attributed_incident(app)
    syr = _notes(app, "syr_liaison")
    assert [(n["kind"], n["incident_id"], n["party_id"], n["org_id"]) for n in syr] == [
        ("attribution", iid, "SYR", "SYR_LIAISON")
    ]
    n = syr[0]
    assert n["replied"] is False and f"truce reply add {iid}" in n["message"]
    # the window is the agreement's reply_window_days (7 in Astana 2017) from the attribution
    assert times.seconds_between(n["created_at"], n["reply_due"]) == 7 * 86400
    assert _notes(app, "faylaq_liaison") == []
    assert _notes(app, "tur_verifier") == []
    assert [x["id"] for x in _notes(app, "admin")] == [n["id"]]  # an admin sees every organisation's
    # a revised finding that keeps the attribution does not notify again
    with app.write() as conn:
        verification.add_finding(app, conn, get_actor(conn, "tur_verifier"), iid, finding="confirmed",
                                 reason_code="imagery", attributed_party="SYR")
    assert len(_notes(app, "syr_liaison")) == 1
    assert verify(app).ok


def test_the_party_files_a_reply_with_counter_evidence_shown_beside_the_finding(astana_url):
    app = Truce(astana_url)
    iid = _attributed_incident(app)
    res = _reply(app, "syr_liaison", iid, "Our artillery was withdrawn on 20 September",
                 [EvidenceFile("withdrawal-order.pdf", b"%PDF-1.4 order 17/9")])
    assert res["party_id"] == "SYR" and res["visibility"] == "parties" and res["notification_id"] is not None
    with app.read() as conn:
        shown = replies.replies_for(conn, iid)
    assert [(r["party_id"], r["filed_by"], r["text"]) for r in shown] == [
        ("SYR", "syr_liaison", "Our artillery was withdrawn on 20 September")
    ]
    ev = shown[0]["evidence"]
    assert ev[0]["name"] == "withdrawal-order.pdf" and app.blobs.read(ev[0]["sha256"]) == b"%PDF-1.4 order 17/9"
    # the liaison's notice now says it replied; the joint group is told a reply was filed
    assert _notes(app, "syr_liaison")[0]["replied"] is True
    assert [n["kind"] for n in _notes(app, "joint_verifier")] == ["reply"]
    # shown wherever the finding is: an investigation of the incident shows it too
    with app.write() as conn:
        vid = inv.open_investigation(app, conn, get_actor(conn, "tur_verifier"), iid)["id"]
    with app.read() as conn:
        assert [r["id"] for r in inv.get_investigation(conn, vid)["replies"]] == [res["id"]]
        # visibility: a 'parties' reply is not public, but parties and guarantors see it
        assert replies.replies_for(conn, iid, None) == []
        assert len(replies.replies_for(conn, iid, get_actor(conn, "faylaq_liaison"))) == 1
        assert len(replies.replies_for(conn, iid, get_actor(conn, "rus_monitor"))) == 1
    assert verify(app).ok


def test_only_the_attributed_partys_liaison_may_reply(astana_url):
    app = Truce(astana_url)
    iid = _attributed_incident(app)
    before = ledger_count(app)
    with pytest.raises(PermissionDenied, match="attributed to SYR, not to FAYLAQ"):
        _reply(app, "faylaq_liaison", iid)
    with pytest.raises(PermissionDenied, match="only liaison may"):
        _reply(app, "rus_verifier", iid)
    with pytest.raises(PermissionDenied, match="only liaison may"):
        _reply(app, "admin", iid)
    # an incident attributed to no one has nothing to reply to
    with app.write() as conn:
        other = submit(app, conn, get_actor(conn, "tur_monitor"), report(occurred_at="2017-09-20T06:30:00Z"))
    with pytest.raises(PermissionDenied, match="not attributed to any party"):
        _reply(app, "syr_liaison", other.incident_id)
    assert ledger_count(app) == before + 1
    assert verify(app).ok


def test_a_reply_after_the_window_is_refused_with_the_deadline(astana_url, monkeypatch):
    app = Truce(astana_url)
    iid = _attributed_incident(app)
    due = _notes(app, "syr_liaison")[0]["reply_due"]
    monkeypatch.setattr(replies, "now_iso", lambda: times.add_days(due, 1))
    before = ledger_count(app)
    with pytest.raises(ValidationFailed) as e:
        _reply(app, "syr_liaison", iid)
    assert due in e.value.message and "7 days" in e.value.message and e.value.field == "incident"
    assert ledger_count(app) == before
    # on the last second of the window it is still accepted
    monkeypatch.setattr(replies, "now_iso", lambda: due)
    assert _reply(app, "syr_liaison", iid)["filed_at"] == due
    assert verify(app).ok


def test_reply_and_notification_commands_on_the_command_line(astana_url, tmp_path):
    app = Truce(astana_url)
    iid = _attributed_incident(app)
    db = ["--db", astana_url]
    listed = json.loads(runner.invoke(cli, ["notification", "list", *db, "--as", "syr_liaison", "--json"]).output)
    assert [n["incident_id"] for n in listed] == [iid]
    text = runner.invoke(cli, ["notification", "list", *db, "--as", "faylaq_liaison"]).output
    assert "no notifications" in text
    f = tmp_path / "log.txt"
    f.write_text("unit log")
    r = runner.invoke(cli, ["reply", "add", str(iid), *db, "--as", "syr_liaison", "--text", "Not us",
                            "--evidence", str(f)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["reply", "add", str(iid), *db, "--as", "faylaq_liaison", "--text", "Not us"])
    assert r.exit_code == 2 and "attributed to SYR" in r.output and len(r.output.strip().splitlines()) == 1
    rows = json.loads(runner.invoke(cli, ["reply", "list", str(iid), *db, "--json"]).output)
    assert rows[0]["text"] == "Not us" and rows[0]["evidence"][0]["name"] == "log.txt"
    assert "Not us" in runner.invoke(cli, ["reply", "list", str(iid), *db, "--as", "syr_liaison"]).output
    assert runner.invoke(cli, ["ledger", "verify", *db]).exit_code == 0
