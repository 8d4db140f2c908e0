"""Backup (online, one snapshot), restore by replay into either engine, and a move from SQLite to PostgreSQL
verified table by table."""

from __future__ import annotations

import json
import threading
import zipfile

import pytest
from tests.helpers import report

from truce.app import Truce
from truce.attachments import EvidenceFile
from truce.auth.service import get_actor
from truce.errors import Conflict, ValidationFailed
from truce.ledger import backup as bk
from truce.ledger.service import compare_table, projection_tables, verify
from truce.reports.service import submit


def _same(a: Truce, b: Truce) -> None:
    with a.read() as x, b.read() as y:
        for t in projection_tables():
            assert compare_table(x, y, t)[1] == [], t.name


def test_backup_while_writing_then_restore_on_both_engines(astana_url, tmp_path, request):
    host = Truce(astana_url)
    with host.write() as conn:
        submit(host, conn, get_actor(conn, "rus_monitor"), report(), [EvidenceFile("a.jpg", b"\xff\xd8 one")])
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # the server goes on writing while the backup runs
        while not stop.is_set() and len(written) < 30:
            with host.write() as conn:
                r = submit(host, conn, get_actor(conn, "tur_monitor"), report())
            written.append(r.ledger_seq)

    t = threading.Thread(target=writer)
    t.start()
    try:
        res = bk.backup(host, tmp_path / "b.zip")
    finally:
        stop.set()
        t.join()
    with zipfile.ZipFile(tmp_path / "b.zip") as z:
        m = json.loads(z.read("manifest.json"))
        lines = z.read("ledger.jsonl").splitlines()
    assert m["entries"] == res.entries == len(lines) and json.loads(lines[-1])["hash"] == m["head"]["hash"]
    for engine in ("sqlite", "postgresql"):
        url = f"sqlite:///{tmp_path / 'restored.db'}" if engine == "sqlite" else request.getfixturevalue("pg_url")
        out = bk.restore(tmp_path / "b.zip", url)
        assert out.entries == res.entries and out.head_hash == res.head_hash and out.blobs == res.blobs
        restored = Truce(url)
        assert verify(restored).ok
        assert set(restored.blobs.all()) >= set(host.blobs.all()) - set()  # every file came along
        # Restoring over a ledger is refused: a restore writes into an empty database only.
        with pytest.raises(Conflict, match="already holds a ledger"):
            bk.restore(tmp_path / "b.zip", url)


def test_restore_refuses_a_damaged_archive(sqlite_url, tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(ValidationFailed, match="not a zip archive"):
        bk.restore(tmp_path / "x.zip", sqlite_url)
    with zipfile.ZipFile(tmp_path / "y.zip", "w") as z:
        z.writestr("manifest.json", json.dumps({"format": bk.FORMAT, "entries": 1, "head": {"seq": 1, "hash": "x"}}))
        z.writestr("ledger.jsonl", json.dumps({c: "x" for c in bk.COLUMNS} | {"seq": 1}) + "\n")
    with pytest.raises(ValidationFailed, match="entry 1"):
        bk.restore(tmp_path / "y.zip", sqlite_url)
    assert Truce(sqlite_url).read_only is False


def test_replay_into_moves_sqlite_to_postgresql(pg_url, request):
    host = Truce(request.getfixturevalue("sqlite_astana"))
    with host.write() as conn:
        submit(host, conn, get_actor(conn, "rus_monitor"), report(), [EvidenceFile("b.pdf", b"%PDF two")])
    res = bk.replay_into(host, pg_url)
    assert res.ok, res.problems
    moved = Truce(pg_url)
    _same(host, moved)
    assert verify(moved).ok and set(moved.blobs.all()) == set(host.blobs.all())
    with pytest.raises(Conflict):
        bk.replay_into(host, pg_url)


def test_the_commands(pg_url, tmp_path, request):
    from typer.testing import CliRunner

    from truce.cli import app as cli

    runner = CliRunner()
    src = request.getfixturevalue("sqlite_astana")
    r = runner.invoke(cli, ["ledger", "replay", "--db", src, "--into", pg_url])
    assert r.exit_code == 0 and "tables identical" in r.output, r.output
    r = runner.invoke(cli, ["ledger", "replay", "--db", src, "--into", pg_url])
    assert r.exit_code == 2 and "already holds a ledger" in r.output and "Traceback" not in r.output
    r = runner.invoke(cli, ["backup", str(tmp_path / "b.zip"), "--db", src])
    assert r.exit_code == 0 and "backup" in r.output, r.output
    r = runner.invoke(cli, ["restore", str(tmp_path / "b.zip"), "--db", f"sqlite:///{tmp_path / 'r.db'}"])
    assert r.exit_code == 0 and "restored" in r.output and "includes" not in r.output, r.output
    r = runner.invoke(cli, ["restore", str(tmp_path / "nothing.zip"), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert r.exit_code == 2 and "no such file" in r.output
    (tmp_path / "p.json").write_text("{}")
    r = runner.invoke(cli, ["ledger", "check-proof", str(tmp_path / "p.json")])
    assert r.exit_code == 2 and "not a proof of misbehaviour" in r.output
