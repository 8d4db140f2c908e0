"""Three real nodes on one machine, as separate processes over HTTP: the host (`truce serve`) and two
guarantors' mirrors (`truce mirror follow`, each with its own database — one SQLite, one PostgreSQL with its
files in the database — and its own office key). They follow and co-sign; a published bulletin cites the
agreed checkpoint. Then the host (a) restores an older backup and goes on with other entries, (b) drops its
last 10 entries and recomputes the chain, (c) edits one old payload and recomputes, (d) shows one mirror a
different history than the other. Each is caught by the mirrors at their next pull (or gossip), naming the two
conflicting signed checkpoints, with a proof that `truce ledger check-proof` confirms; the mirrors keep
serving their own copy."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, delete, update
from sqlalchemy.pool import NullPool
from tests.helpers import report
from tests.mirror import tamper
from typer.testing import CliRunner

from truce import db as truce_db
from truce.app import Truce
from truce.auth.credentials import create_token
from truce.auth.service import get_actor
from truce.bulletins import service as bulletins
from truce.cli import app as cli
from truce.ledger import signing
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_checkpoints, ledger_cosignatures, ledger_witness_state
from truce.mirror.models import mirror_state
from truce.reports.service import submit

DAY = "2017-09-21"
TRUCE = [sys.executable, "-m", "truce.cli"]
runner = CliRunner()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """A `truce serve` process."""

    def __init__(self, url: str, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*TRUCE, "serve", "--db", url, "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait(self) -> Node:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                why = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"the node did not start: {why}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def serve(*specs: tuple[str, dict[str, str]]) -> list[Node]:
    """Start nodes side by side, then wait for each."""
    nodes = [Node(url, env) for url, env in specs]
    return [n.wait() for n in nodes]


def env_for(blob_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRUCE_BLOB_DIR"}
    if blob_dir is not None:
        env["TRUCE_BLOB_DIR"] = str(blob_dir)
    return env


T0 = [time.monotonic()]


def lap(what: str) -> None:
    if os.environ.get("TRUCE_SCENARIO_TIMES"):
        print(f"{time.monotonic() - T0[0]:6.1f} s  {what}", file=sys.stderr)
    T0[0] = time.monotonic()


def run_all(*cmds: tuple[list[str], dict[str, str]]) -> list[subprocess.CompletedProcess[str]]:
    """Run CLI processes side by side; their results in order."""
    procs = [subprocess.Popen([*TRUCE, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for argv, env in cmds]
    out = []
    for (argv, _), p in zip(cmds, procs, strict=True):
        so, se = p.communicate(timeout=120)
        out.append(subprocess.CompletedProcess(argv, p.returncode, so, se))
    return out


def copy_sqlite(src: Path, dst: Path) -> str:
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()
    return f"sqlite:///{dst}"


def resign(url: str) -> dict[str, Any]:
    """The dishonest host drops its checkpoints and signs its new state with the log's key it holds."""
    eng = create_engine(url, poolclass=NullPool)
    with eng.begin() as conn:
        for t in (ledger_cosignatures, ledger_checkpoints, ledger_witness_state):
            conn.execute(delete(t))
    eng.dispose()
    app = Truce(url)
    with app.write() as conn:
        return signing.make_checkpoint(app, conn)


def add_reports(url: str, n: int, who: str, narrative: str) -> None:
    app = Truce(url)
    for i in range(n):
        with app.write() as conn:
            submit(app, conn, get_actor(conn, who), report(narrative=f"{narrative} {i}"))


def root_line(note: str) -> str:
    return note.split("\n")[2]


def check_alarm(res: subprocess.CompletedProcess[str], held: str, new_root: str | None = None) -> str:
    """Exit 3, both checkpoints named, and a proof file that check-proof confirms. Returns the alarm text."""
    assert res.returncode == 3, res.stdout + res.stderr
    assert "ALARM" in res.stderr and "the checkpoint this mirror holds" in res.stderr, res.stderr
    assert root_line(held) in res.stderr and "the conflicting checkpoint" in res.stderr
    if new_root is not None:
        assert new_root in res.stderr
    m = re.search(r"proof of misbehaviour: (\S+)", res.stderr)
    assert m, res.stderr
    chk = runner.invoke(cli, ["ledger", "check-proof", m.group(1)])
    assert chk.exit_code == 0 and "PROVEN" in chk.output, chk.output
    return res.stderr


@pytest.mark.slow
def test_three_nodes_follow_cosign_and_catch_every_rewrite(request, tmp_path, monkeypatch, pg_server):
    # --- the host: the Astana scenario, three guarantor offices with their keys, two verifiers' tokens ------
    lap("fixtures")
    host_db = tmp_path / "host.db"
    host_url = copy_sqlite(request.getfixturevalue("sqlite_astana_template"), host_db)
    host_blobs = tmp_path / "host-blobs"
    shutil.copytree(request.getfixturevalue("astana_blobs"), host_blobs)
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(host_blobs))
    host = Truce(host_url)
    keys, tokens = {}, {}
    with host.write() as conn:
        for org in ("RUS_OFFICE", "TUR_OFFICE", "IRN_OFFICE"):
            keys[org] = bulletins.create_key(host, conn, SYSTEM, org, key_dir=tmp_path / "keys")["file"]
        for user in ("tur_verifier", "irn_verifier"):
            tokens[user] = create_token(host, conn, SYSTEM, user)["token"]
        signing.make_checkpoint(host, conn)
        signing.cosign_local(conn, "RUS_OFFICE", bulletins.load_private_key(keys["RUS_OFFICE"]))
    add_reports(host_url, 3, "rus_monitor", "before the backup")
    (node,) = serve((host_url, env_for(host_blobs)))
    backup = tmp_path / "old.zip"
    r = runner.invoke(cli, ["backup", str(backup), "--db", host_url])  # online, while the host serves
    assert r.exit_code == 0, r.output
    add_reports(host_url, 12, "tur_monitor", "after the backup")
    # A bulletin is published: the log signs a checkpoint that includes it, for the guarantors to co-sign.
    with host.write() as conn:
        pub = bulletins.publish(host, conn, get_actor(conn, "joint_verifier"), DAY)
    lap("setup host")

    # --- two guarantors' mirrors: Turkey's on SQLite, Iran's on PostgreSQL (files in the database) ---------
    m1_db, m1_blobs = tmp_path / "tur-mirror.db", tmp_path / "tur-mirror-blobs"
    m1_url = f"sqlite:///{m1_db}"
    m2_name = "truce_irn_mirror" + os.environ.get("PYTEST_XDIST_WORKER", "")
    pg_server.drop_db(m2_name)
    m2_url = pg_server.create_db(m2_name)
    proofs = tmp_path / "proofs"

    def follow(mirror_url: str, user: str, org: str, blobs: Path | None, base: str) -> tuple[list[str], dict[str, str]]:
        return (["mirror", "follow", base, "--db", mirror_url, "--token", tokens[user], "--witness", org,
                 "--key", keys[org], "--once", "--proofs", str(proofs)], env_for(blobs))

    def both(base1: str, base2: str | None = None, m1: str = m1_url, m2: str = m2_url) -> list[Any]:
        return run_all(follow(m1, "tur_verifier", "TUR_OFFICE", m1_blobs, base1),
                       follow(m2, "irn_verifier", "IRN_OFFICE", None, base2 or base1))

    # They follow, verify and co-sign the publication's checkpoint; with the host's own office's co-signature
    # it is agreed, and the published bulletin cites it.
    for res in both(node.base):
        assert res.returncode == 0 and "co-signed" in res.stdout, res.stdout + res.stderr
    lap("first follow")
    with host.write() as conn:
        signing.cosign_local(conn, "RUS_OFFICE", bulletins.load_private_key(keys["RUS_OFFICE"]))
        doc = bulletins.document(host, conn, DAY)
        agreed = signing.checkpoint(conn)
    assert agreed["size"] == pub["checkpoint"]["size"] and agreed["agreed"]
    assert doc["checkpoint"] == agreed["note"]
    assert set(agreed["cosigners"]) == {"RUS_OFFICE", "TUR_OFFICE", "IRN_OFFICE"}
    held = agreed["note"].split("\n\n")[0] + "\n"  # the body the mirrors hold (with the log's signature)
    truce_db.dispose_all()

    lap("bulletin + second follow")
    # A restore of the old backup, checked against the live host's latest agreed checkpoint: behind it.
    r = runner.invoke(cli, ["restore", str(backup), "--db", f"sqlite:///{tmp_path / 'restored.db'}",
                            "--against", node.base])
    assert r.exit_code == 3 and "BEHIND" in r.output, r.output
    node.stop()

    lap("restore behind")
    # The good state of every node, to start each case from.
    good_host = tmp_path / "good-host.db"
    copy_sqlite(host_db, good_host)
    copy_sqlite(m1_db, tmp_path / "good-m1.db")

    def fresh(case: str) -> tuple[str, str, str]:
        h = copy_sqlite(good_host, tmp_path / f"host-{case}.db")
        m1 = copy_sqlite(tmp_path / "good-m1.db", tmp_path / f"m1-{case}.db")
        name = f"{m2_name}_{case}"
        pg_server.drop_db(name)
        return h, m1, pg_server.create_db(name, template=m2_name)

    def point(mirror_url: str, to: str) -> None:  # each case's host listens on its own port
        eng = create_engine(mirror_url, poolclass=NullPool)
        with eng.begin() as conn:
            conn.execute(update(mirror_state).values(source_url=to))
        eng.dispose()

    # Three dishonest hosts, each from the good state, served side by side:
    # (a) the host restores an older backup and goes on with other entries;
    # (b) the host drops its last 10 entries and recomputes the chain;
    # (c) the host edits one old payload and recomputes the chain and the tree.
    cases: dict[str, Any] = {}
    for case in ("a", "b", "c"):
        h, m1, m2 = fresh(case)
        if case == "a":
            Path(h[len("sqlite:///") :]).unlink()
            r = runner.invoke(cli, ["restore", str(backup), "--db", h])
            assert r.exit_code == 0, r.output
            add_reports(h, 20, "rus_monitor", "another history")
        elif case == "b":
            tamper.drop_tail(h, 10)
        else:
            tamper.edit_payload(h, 30, {"edited": True})
        cases[case] = (h, m1, m2, resign(h))
    truce_db.dispose_all()
    lap("cases prepared")
    nodes = dict(zip(cases, serve(*((h, env_for(host_blobs)) for h, _, _, _ in cases.values())), strict=True))
    try:
        cmds = []
        for case, (_, m1, m2, _) in cases.items():
            point(m1, nodes[case].base)
            point(m2, nodes[case].base)
            cmds += [follow(m1, "tur_verifier", "TUR_OFFICE", m1_blobs, nodes[case].base),
                     follow(m2, "irn_verifier", "IRN_OFFICE", None, nodes[case].base)]
        results = run_all(*cmds)
    finally:
        for n in nodes.values():
            n.stop()
    expect = {"a": "does not extend the checkpoint this mirror holds", "b": "rollback", "c": "two roots for tree size"}
    for i, (case, (_, _, _, new)) in enumerate(cases.items()):
        for res in results[2 * i : 2 * i + 2]:
            assert expect[case] in check_alarm(res, agreed["note"], root_line(new["note"])), case
    lap("cases a, b, c")

    # (d) one history shown to Turkey's mirror, another to Iran's: each alone sees a consistent extension;
    # gossip between the mirrors catches it. The mirrors go on serving their own copy.
    h1, m1, m2 = fresh("d")
    h2 = copy_sqlite(good_host, tmp_path / "host-d2.db")
    add_reports(h1, 4, "rus_monitor", "what Turkey sees")
    add_reports(h2, 4, "rus_monitor", "what Iran sees")
    c1, c2 = resign(h1), resign(h2)
    assert c1["size"] == c2["size"] and c1["root"] != c2["root"]
    n1, n2 = serve((h1, env_for(host_blobs)), (h2, env_for(host_blobs)))
    point(m1, n1.base)
    point(m2, n2.base)
    try:
        for res in both(n1.base, n2.base, m1=m1, m2=m2):
            assert res.returncode == 0 and "co-signed" in res.stdout, res.stdout + res.stderr
    finally:
        n1.stop()
        n2.stop()
    lap("case d follow")
    s1, s2 = serve((m1, env_for(m1_blobs)), (m2, env_for(None)))
    try:
        for mine_url, peer, blobs, mine, theirs in ((m1, s2, m1_blobs, c1, c2), (m2, s1, None, c2, c1)):
            if blobs is None:
                monkeypatch.delenv("TRUCE_BLOB_DIR")
            else:
                monkeypatch.setenv("TRUCE_BLOB_DIR", str(blobs))
            g = runner.invoke(cli, ["mirror", "gossip", peer.base, "--db", mine_url, "--proofs", str(proofs)])
            res = subprocess.CompletedProcess([], g.exit_code, g.stdout, g.stderr)
            assert "split_view" in check_alarm(res, mine["note"], root_line(theirs["note"]))
        # Both keep serving their own copy, read-only, with the alarm on their page and API.
        for s, c in ((s1, c1), (s2, c2)):
            st = httpx.get(s.base + "/api/v1/mirror/status").json()
            assert st["following"] is False and st["alarms"][0]["kind"] == "split_view"
            assert st["head"]["seq"] == c["size"] and st["checkpoint_size"] == c["size"]
            page = httpx.get(s.base + "/mirror").text
            assert 'data-following="no"' in page and root_line(c1["note"]) in page and root_line(c2["note"]) in page
            r = httpx.post(s.base + "/api/v1/reports", json=report(),
                           headers={"Authorization": f"Bearer {tokens['tur_verifier']}"})
            assert r.status_code == 403 and r.json()["code"] == "read_only"
        status = runner.invoke(cli, ["mirror", "status", "--db", m1])
        assert status.exit_code == 3 and "split_view" in status.stderr
    finally:
        s1.stop()
        s2.stop()
    lap("case d gossip")
    assert held  # the held body is the agreed checkpoint's
    json.dumps(doc)
