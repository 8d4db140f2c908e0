"""A mirror pulls a node's raw entries over its API, checks them, fetches the blobs they cite and replays them
into its own database; a pull killed halfway resumes; the mirror's app refuses changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.helpers import report

from truce.app import ReadOnly, Truce
from truce.attachments import EvidenceFile
from truce.auth.credentials import create_token
from truce.auth.service import get_actor
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries
from truce.ledger.service import compare_table, projection_tables, verify
from truce.mirror import service as mirror
from truce.reports.service import submit
from truce.web.app import create_app


def token_for(app: Truce, user: str) -> str:
    with app.write() as conn:
        return str(create_token(app, conn, SYSTEM, user)["token"])


def host_source(url: str, token: str | None) -> mirror.Source:
    return mirror.Source("http://testserver", token, client=TestClient(create_app(url)))


def test_entries_and_blobs_api_need_a_full_reader(astana_url):
    host = Truce(astana_url)
    with TestClient(create_app(astana_url)) as c:
        r = c.get("/api/v1/ledger/entries")
        assert r.status_code == 401
        monitor = token_for(host, "rus_monitor")
        r = c.get("/api/v1/ledger/entries", headers={"Authorization": f"Bearer {monitor}"})
        assert r.status_code == 403 and "may not read the raw ledger" in r.json()["message"]
        verifier = token_for(host, "rus_verifier")
        h = {"Authorization": f"Bearer {verifier}"}
        d = c.get("/api/v1/ledger/entries", params={"after": 2, "limit": 3}, headers=h).json()
        assert [e["seq"] for e in d["entries"]] == [3, 4, 5]
        assert set(d["entries"][0]) == {"seq", "at", "actor", "org", "command", "payload", "prev_hash", "hash"}
        assert isinstance(d["entries"][0]["payload"], str) and d["head"]["seq"] > 5
        sha = next(iter(host.blobs.all()))
        r = c.get(f"/api/v1/blobs/{sha}", headers=h)
        assert r.status_code == 200 and r.content == host.blobs.read(sha)
        assert c.get(f"/api/v1/blobs/{'0' * 64}", headers=h).status_code == 404
        assert c.get("/api/v1/blobs/xyz", headers=h).status_code == 422
        assert c.get(f"/api/v1/blobs/{sha}").status_code == 401


@pytest.mark.parametrize("mirror_engine", ["sqlite", "postgresql"])
def test_a_mirror_follows_resumes_and_is_read_only(astana_url, mirror_engine, request, tmp_path: Path):
    host = Truce(astana_url)
    with host.write() as conn:
        submit(host, conn, get_actor(conn, "rus_monitor"), report(), [EvidenceFile("photo.jpg", b"\xff\xd8 evidence")])
    token = token_for(host, "tur_verifier")
    url = f"sqlite:///{tmp_path / 'mirror.db'}" if mirror_engine == "sqlite" else request.getfixturevalue("pg_url")
    m = Truce(url, blob_dir=str(tmp_path / "mirror-blobs"))
    mirror.start(m.engine, "http://testserver")
    src = host_source(astana_url, token)
    # A pull killed after two batches: what was committed stays, the next pull goes on from the mirror's head.
    first = mirror.pull(m, src, batch=7, stop_after_batches=2)
    assert first.pulled == 14 and first.head == 14
    second = mirror.pull(m, src, batch=50)
    with host.read() as conn:
        head = conn.execute(select(func.max(ledger_entries.c.seq))).scalar_one()
    assert second.head == head and first.pulled + second.pulled == head
    m = Truce(url, blob_dir=str(tmp_path / "mirror-blobs"))
    with host.read() as live, m.read() as copy:
        for t in projection_tables():
            assert compare_table(live, copy, t)[1] == [], t.name
    assert set(m.blobs.all()) == set(host.blobs.all())  # the evidence file too, though no replay reads it
    assert verify(m).ok
    # Nothing new: a pull is a no-op.
    assert mirror.pull(m, src).pulled == 0
    # The mirror's application refuses changes, with a clear error.
    assert m.read_only
    with pytest.raises(ReadOnly, match="read-only mirror of http://testserver"), m.write():
        pass
    with TestClient(create_app(url)) as c:
        # the mirror's users and tokens came with the ledger: a verifier's token is valid there, its change refused
        r = c.post("/api/v1/reports", json=report(), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and r.json()["code"] == "read_only", r.text


def test_a_mirror_refuses_an_entry_that_does_not_hash(astana_url, tmp_path):
    from sqlalchemy import update

    host = Truce(astana_url)
    token = token_for(host, "tur_verifier")
    m = Truce(f"sqlite:///{tmp_path / 'mirror.db'}", blob_dir=str(tmp_path / "mb"))
    mirror.start(m.engine, "http://testserver")
    with host.engine.begin() as conn:
        conn.execute(update(ledger_entries).where(ledger_entries.c.seq == 3).values(payload='{"edited":1}'))
    res = mirror.pull(m, host_source(astana_url, token), batch=100)
    assert res.alarm is not None and "entry 3" in res.alarm.message and res.head == 0
    with m.read() as conn:
        st = mirror.status(conn)
    assert st["following"] is False and st["alarms"][0]["kind"] == "fork"
    with pytest.raises(mirror.Stopped):
        mirror.pull(m, host_source(astana_url, token))


def test_the_mirror_page_and_status_api_show_the_alarm(astana_url, tmp_path):
    from sqlalchemy import update

    host = Truce(astana_url)
    token = token_for(host, "tur_verifier")
    url = f"sqlite:///{tmp_path / 'mirror.db'}"
    m = Truce(url, blob_dir=str(tmp_path / "mb"))
    mirror.start(m.engine, "http://testserver")
    assert mirror.pull(m, host_source(astana_url, token), batch=20).alarm is None
    with host.engine.begin() as conn:  # the host edits an entry the mirror holds, and recomputes nothing
        conn.execute(update(ledger_entries).where(ledger_entries.c.seq == 5).values(payload='{"edited":1}'))
    with host.write() as conn:
        submit(host, conn, get_actor(conn, "rus_monitor"), report())
    assert mirror.pull(m, host_source(astana_url, token)).alarm is None  # its tail still links: nothing to see
    with TestClient(create_app(url)) as c:
        page = c.get("/mirror")
        assert page.status_code == 200 and 'data-following="yes"' in page.text and "No alarm." in page.text
        st = c.get("/api/v1/mirror/status").json()
        assert st["following"] is True and st["source"] == "http://testserver" and st["alarms"] == []
