"""The ledger: hash rules, and `ledger verify` catching every change made behind its back."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import delete, insert, select, text, update
from tests.helpers import report
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.incidents.models import incidents
from truce.ledger.chain import canonical, leaf_hash
from truce.ledger.models import ledger_entries, ledger_head
from truce.ledger.service import verify
from truce.reports.models import reports
from truce.reports.service import submit


def _populate(app: Truce) -> list[str]:
    ids = []
    with app.write() as conn:
        for i, (user, lat) in enumerate([("rus_monitor", 35.93), ("tur_monitor", 35.50), ("irn_monitor", 33.57)]):
            res = submit(app, conn, get_actor(conn, user), report(lat=lat, narrative=f"report {i}"))
            ids.append(res.report_id)
    return ids


def test_entry_hash_follows_certificate_transparency_leaf_rule(astana_url):
    """An outside auditor recomputing SHA-256(0x00 || canonical JSON) must get the stored hash."""
    app = Truce(astana_url)
    _populate(app)
    with app.read() as conn:
        rows = conn.execute(select(ledger_entries).order_by(ledger_entries.c.seq)).all()
        head = conn.execute(select(ledger_head)).one()
    prev = "0" * 64
    for r in rows:
        entry = {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "org": r.org,
            "command": r.command,
            "payload": json.loads(r.payload),
            "prev": prev,
        }
        expected = hashlib.sha256(b"\x00" + canonical(entry)).hexdigest()
        assert r.hash == expected == leaf_hash(entry)
        assert r.prev_hash == prev
        prev = r.hash
    assert (head.seq, head.hash) == (rows[-1].seq, rows[-1].hash)


def test_verify_passes_on_an_honest_database(astana_url):
    app = Truce(astana_url)
    _populate(app)
    res = verify(app)
    assert res.ok, res.problems
    assert res.tables["reports"] == 3 and res.tables["incidents"] == 3


def test_verify_catches_a_report_edited_by_hand(astana_url):
    """Someone with database access rewrites a report's narrative: verify must name the table, row and column."""
    app = Truce(astana_url)
    ids = _populate(app)
    with app.engine.begin() as conn:
        conn.execute(update(reports).where(reports.c.id == ids[1]).values(narrative="nothing happened"))
    res = verify(app)
    assert not res.ok
    assert f"table reports: row id={ids[1]} column narrative" in res.problems[0]
    out = CliRunner().invoke(cli, ["ledger", "verify", "--db", astana_url])
    assert out.exit_code == 1
    assert f"row id={ids[1]} column narrative" in out.output


def test_verify_catches_a_deleted_ledger_entry(astana_url):
    app = Truce(astana_url)
    _populate(app)
    with app.read() as conn:
        seq = (
            conn.execute(
                select(ledger_entries.c.seq)
                .where(ledger_entries.c.command == "report.submit")
                .order_by(ledger_entries.c.seq)
            )
            .scalars()
            .first()
        )
    with app.engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq == seq))
    res = verify(app)
    assert not res.ok and f"ledger entry {seq} is missing" in res.problems[0]


def test_verify_catches_an_incident_inserted_by_hand(astana_url):
    app = Truce(astana_url)
    _populate(app)
    with app.engine.begin() as conn:
        conn.execute(
            insert(incidents).values(
                id=777,
                occurred_at="2017-09-21T00:00:00Z",
                occurred_precision="day",
                lat=35.9,
                lon=36.6,
                location_precision="exact",
                violation_type="shelling",
                status="open",
                verdict="verified",
                simulated=False,
                created_at="2017-09-21T00:00:00Z",
                ledger_seq=1,
            )
        )
    res = verify(app)
    assert not res.ok
    assert "table incidents: row id=777 is in the database but no ledger entry made it" in res.problems


def test_verify_catches_an_altered_payload_and_a_cut_tail(astana_url):
    app = Truce(astana_url)
    _populate(app)
    with app.read() as conn:
        last = conn.execute(select(ledger_entries).order_by(ledger_entries.c.seq.desc())).first()
    payload = json.loads(last.payload)
    payload["report"]["narrative"] = "forged"
    with app.engine.begin() as conn:
        conn.execute(update(ledger_entries).where(ledger_entries.c.seq == last.seq).values(payload=json.dumps(payload)))
    res = verify(app)
    assert not res.ok and f"ledger entry {last.seq} (report.submit) was altered" in res.problems[0]
    # Cutting the tail (deleting the altered entry) leaves the head pointing past the chain's end.
    with app.engine.begin() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq == last.seq))
    res = verify(app)
    assert not res.ok and "ledger head says entry" in res.problems[0]


def test_verify_catches_a_changed_evidence_blob(astana_url):
    from truce.attachments import EvidenceFile

    app = Truce(astana_url)
    with app.write() as conn:
        res = submit(app, conn, get_actor(conn, "rus_monitor"), report(), [EvidenceFile("a.txt", b"original")])
    with app.read() as conn:
        sha = conn.execute(
            text("select sha256 from report_evidence where report_id = :r"), {"r": res.report_id}
        ).scalar_one()
    p = app.blobs.path(sha)
    p.chmod(0o644)
    p.write_bytes(b"tampered")
    out = verify(app)
    assert not out.ok and any(sha in p for p in out.problems)
