"""The log's key, signed checkpoints, the offices' co-signatures, "agreed" per the decision rule, and the
public API for checkpoints and proofs (both engines)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import delete, text

from truce.app import Truce
from truce.bulletins.service import create_key, load_private_key
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.ledger import checkpoints as cp
from truce.ledger import merkle, signing
from truce.ledger.chain import SYSTEM
from truce.ledger.models import ledger_entries, ledger_tree
from truce.ledger.service import verify
from truce.web.app import create_app

OFFICES = ["IRN_OFFICE", "RUS_OFFICE", "TUR_OFFICE"]


def _keys(app: Truce, tmp_path: Path) -> dict[str, Ed25519PrivateKey]:
    out = {}
    with app.write() as conn:
        for org in OFFICES:
            made = create_key(app, conn, SYSTEM, org, key_dir=tmp_path / "keys")
            out[org] = load_private_key(made["file"])
    return out


def _note_verifies_with_log_key(app: Truce, note: str) -> cp.Checkpoint:
    with app.read() as conn:
        k = signing.log_key(conn)
    assert k is not None
    body, sigs = cp.open_note(note)
    assert cp.verify_note(body, sigs[0], k["origin"], bytes.fromhex(k["public_key"]))
    return cp.Checkpoint.parse(body)


def test_log_key_checkpoint_cosignatures_and_agreed(astana_url, tmp_path, monkeypatch):
    monkeypatch.setenv(signing.ORIGIN_ENV, "truce.example/astana-2017")
    app = Truce(astana_url)
    keys = _keys(app, tmp_path)
    with app.write() as conn:
        k = signing.ensure_log_key(app, conn)
        assert k["created"] and k["origin"] == "truce.example/astana-2017"
        assert not signing.ensure_log_key(app, conn)["created"]
        first = signing.make_checkpoint(app, conn)
        assert first["created"] and not signing.make_checkpoint(app, conn)["created"]  # idempotent at one size
    c = _note_verifies_with_log_key(app, first["note"])
    with app.read() as conn:
        assert c.size == merkle.Tree(conn).size() and c.root == merkle.Tree(conn).root()
        assert signing.vkey(conn) == cp.vkey(c.origin, bytes.fromhex(signing.log_key(conn)["public_key"]))
    # unanimity (Astana): agreed only when all three offices have co-signed
    agreed = []
    for org in OFFICES:
        with app.write() as conn:
            res = signing.cosign_local(conn, org, keys[org], size=c.size, now=1764750000)
            assert res["created"]
            agreed.append(signing.checkpoint(conn, c.size)["agreed"])
    assert agreed == [False, False, True]
    with app.read() as conn:
        done = signing.checkpoint(conn, c.size)
        assert done["cosigners"] == OFFICES and signing.latest_agreed(conn, c.size)["size"] == c.size
        assert signing.check_note(conn, done["note"]).ok
        # the rule is read from the agreement in force
        assert signing.agreement_status(conn, {"RUS_OFFICE", "TUR_OFFICE"}).agreed is False
    with app.write() as conn:
        conn.execute(text("UPDATE agreements SET decision_rule = 'majority'"))
    with app.read() as conn:
        assert signing.agreement_status(conn, {"RUS_OFFICE", "TUR_OFFICE"}).agreed is True
        assert signing.agreement_status(conn, {"RUS_OFFICE"}).agreed is False
    assert signing.is_agreed("majority", OFFICES, {"RUS_OFFICE", "TUR_OFFICE"})
    assert not signing.is_agreed("majority", OFFICES[:2], {"RUS_OFFICE"})
    assert not signing.is_agreed("unanimity", OFFICES, {"RUS_OFFICE", "TUR_OFFICE", "SYR_LIAISON"})
    assert signing.is_agreed("unanimity", OFFICES, {*OFFICES, "SYR_LIAISON"})
    assert not signing.is_agreed("unanimity", [], set())


def test_check_note_refuses_forged_and_missing_cosignatures(astana_url, tmp_path):
    app = Truce(astana_url)
    keys = _keys(app, tmp_path)
    with app.write() as conn:
        point = signing.make_checkpoint(app, conn)
        for org in OFFICES:
            signing.cosign_local(conn, org, keys[org], now=1764750000)
        note = signing.checkpoint(conn, point["size"])["note"]
        assert signing.check_note(conn, note).ok
        body, sigs = cp.open_note(note)
        # a forged co-signature (another key under RUS_OFFICE's witness name)
        forged = cp.cosign(body, "truce-witness/RUS_OFFICE", Ed25519PrivateKey.generate(), 1764750000)
        lines = [s.line() if s.name != "truce-witness/RUS_OFFICE" else forged for s in sigs]
        check = signing.check_note(conn, cp.make_note(body, lines))
        assert not check.ok and any("RUS_OFFICE does not verify" in p for p in check.problems)
        # a co-signature left out: not agreed
        check = signing.check_note(conn, cp.make_note(body, [s.line() for s in sigs if "TUR" not in s.name]))
        assert any("not agreed under the unanimity rule" in p and "missing TUR_OFFICE" in p for p in check.problems)
        # a checkpoint the log did not sign
        other = cp.Checkpoint(point["body"].split("\n")[0], point["size"], bytes(32)).body()
        rogue = cp.sign_note(other, other.split("\n")[0], Ed25519PrivateKey.generate())
        check = signing.check_note(conn, cp.make_note(other, [rogue]))
        assert any("not signed by the log's key" in p for p in check.problems)
        assert signing.check_note(conn, "garbage").problems[0].startswith("checkpoint: note:")


def test_local_cosign_checks_consistency_and_refuses_a_rewritten_ledger(db_url, tmp_path):
    from truce import scenario

    app = Truce(db_url)
    scenario.load(app, SYSTEM)
    keys = _keys(app, tmp_path)
    with app.write() as conn:
        old = signing.make_checkpoint(app, conn)
        signing.cosign_local(conn, "RUS_OFFICE", keys["RUS_OFFICE"])
        # the key must be a registered key of that office
        with pytest.raises(ValidationFailed, match="not a registered"):
            signing.cosign_local(conn, "RUS_OFFICE", keys["TUR_OFFICE"])
        with pytest.raises(ValidationFailed, match="not a guarantor office"):
            signing.cosign_local(conn, "SYR_LIAISON", keys["RUS_OFFICE"])
    # the ledger grows honestly: co-signing the bigger checkpoint passes the consistency check
    with app.write() as conn:
        create_key(app, conn, SYSTEM, "IRN_OFFICE", key_dir=tmp_path / "more")
        grown = signing.make_checkpoint(app, conn)
        res = signing.cosign_local(conn, "RUS_OFFICE", keys["RUS_OFFICE"])
        assert res["created"] and res["from_size"] == old["size"] and grown["size"] == old["size"] + 1
        # an older checkpoint is refused
        with pytest.raises(Conflict, match="older"):
            signing.cosign_local(conn, "RUS_OFFICE", keys["RUS_OFFICE"], size=old["size"])
    # the host drops its last 3 entries and appends others in their place: same size, another history
    n = grown["size"]
    with app.write() as conn:
        conn.execute(delete(ledger_entries).where(ledger_entries.c.seq > n - 3))
        conn.execute(
            text("UPDATE ledger_head SET seq = :s, hash = (SELECT hash FROM ledger_entries WHERE seq = :s)"),
            {"s": n - 3},
        )
        conn.execute(delete(ledger_tree))
        merkle.backfill(conn)
        for org in ("TUR_OFFICE", "IRN_OFFICE", "TUR_OFFICE"):
            create_key(app, conn, SYSTEM, org, key_dir=tmp_path / "fork")
        conn.execute(delete(signing.ledger_checkpoints).where(signing.ledger_checkpoints.c.size == n))
        forked = signing.make_checkpoint(app, conn)
        assert forked["size"] == n and forked["root"] != grown["root"]
        with pytest.raises(Conflict, match=f"does not extend the checkpoint of size {n}"):
            signing.cosign_local(conn, "RUS_OFFICE", keys["RUS_OFFICE"])
        # an office that never co-signed has nothing to compare with: it signs what it sees
        assert signing.cosign_local(conn, "TUR_OFFICE", keys["TUR_OFFICE"])["created"]


def test_checkpoint_needs_the_private_key(db_url):
    app = Truce(db_url)
    with app.write() as conn:
        signing.ensure_log_key(app, conn)
        conn.execute(delete(signing.ledger_signer))
        with pytest.raises(NotFound, match="does not hold the private key of the log"):
            signing.make_checkpoint(app, conn)


def test_demo_style_ledger_verify_covers_tree_and_log_key(astana_url, tmp_path):
    app = Truce(astana_url)
    keys = _keys(app, tmp_path)
    with app.write() as conn:
        signing.make_checkpoint(app, conn)
        signing.cosign_local(conn, "IRN_OFFICE", keys["IRN_OFFICE"])
    res = verify(app)
    assert res.ok, res.problems
    assert res.tables["ledger_tree"] > 0 and res.tables["ledger_log_keys"] == 1
    assert "ledger_checkpoints" not in res.tables  # operational: signs the ledger, not made by it
    # a tree node changed behind the ledger's back is caught like any projection
    with app.write() as conn:
        conn.execute(text("UPDATE ledger_tree SET hash = :h WHERE level = 1 AND idx = 0"), {"h": bytes(32)})
    res = verify(app)
    assert not res.ok and any("table ledger_tree" in p for p in res.problems)


# --- the public API ------------------------------------------------------------------------------------


def test_api_checkpoints_cosignatures_and_proofs(astana_url, tmp_path):
    app = Truce(astana_url)
    keys = _keys(app, tmp_path)
    client = TestClient(create_app(astana_url))
    assert client.get("/api/v1/ledger/checkpoint").status_code == 404
    with app.write() as conn:
        point = signing.make_checkpoint(app, conn)
    size = point["size"]
    r = client.get("/api/v1/ledger/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    c = _note_verifies_with_log_key(app, r.text)
    assert c.size == size and client.get(f"/api/v1/ledger/checkpoints/{size}").text == r.text
    assert client.get(f"/api/v1/ledger/checkpoints/{size + 1}").status_code == 404
    lk = client.get("/api/v1/ledger/log-key").json()
    assert lk["origin"] == c.origin and lk["vkey"].startswith(c.origin + "+")

    # co-signatures: valid, idempotent, forged, wrong name, not an office, garbage, no such checkpoint
    url = f"/api/v1/ledger/checkpoints/{size}/cosignatures"
    line = cp.cosign(c.body(), "truce-witness/TUR_OFFICE", keys["TUR_OFFICE"], 1764750000)
    r = client.post(url, content=line, headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.json()["created"] and r.json()["missing"] == ["IRN_OFFICE", "RUS_OFFICE"]
    r = client.post(url, content=line, headers={"content-type": "text/plain"})
    assert r.status_code == 200 and not r.json()["created"]
    forged = cp.cosign(c.body(), "truce-witness/RUS_OFFICE", keys["TUR_OFFICE"], 1764750000)
    bad = [
        (forged, 422, "does not verify"),
        (cp.cosign(c.body(), "someone/RUS_OFFICE", keys["RUS_OFFICE"], 1), 422, "truce-witness/"),
        (cp.cosign(c.body(), "truce-witness/SYR_LIAISON", keys["RUS_OFFICE"], 1), 422, "not a guarantor office"),
        ("hello", 422, "em dash"),
        (cp.sign_note(c.body(), "truce-witness/RUS_OFFICE", keys["RUS_OFFICE"]), 422, "not a cosignature/v1"),
    ]
    for body, status, message in bad:
        r = client.post(url, content=body, headers={"content-type": "text/plain"})
        assert r.status_code == status and message in r.json()["message"], (body, r.text)
    r = client.post(f"/api/v1/ledger/checkpoints/{size + 5}/cosignatures", content=line)
    assert r.status_code == 404
    for org in ("IRN_OFFICE", "RUS_OFFICE"):
        line = cp.cosign(c.body(), f"truce-witness/{org}", keys[org], 1764750001)
        assert client.post(url, content=line).json()["created"]
    listed = client.get("/api/v1/ledger/checkpoints").json()["checkpoints"]
    assert listed[0] == {**listed[0], "size": size, "root": c.root.hex(), "agreed": True, "cosigners": OFFICES}
    note = client.get("/api/v1/ledger/checkpoint").text
    assert note.count("\u2014 truce-witness/") == 3
    with app.read() as conn:
        assert signing.check_note(conn, note).ok

    # proofs
    for seq in (1, size // 2, size):
        p = client.get("/api/v1/ledger/proof/inclusion", params={"seq": seq, "size": size}).json()
        assert (p["seq"], p["index"], p["size"], p["root"]) == (seq, seq - 1, size, c.root.hex())
        proof = [bytes.fromhex(x) for x in p["proof"]]
        assert merkle.verify_inclusion(seq - 1, size, bytes.fromhex(p["leaf_hash"]), proof, c.root)
    with app.write() as conn:
        create_key(app, conn, SYSTEM, "IRN_OFFICE", key_dir=tmp_path / "more")
    p = client.get("/api/v1/ledger/proof/consistency", params={"from": size, "to": size + 1}).json()
    assert p["from"] == size and p["to"] == size + 1 and p["old_root"] == c.root.hex()
    assert merkle.verify_consistency(
        size, size + 1, c.root, bytes.fromhex(p["new_root"]), [bytes.fromhex(x) for x in p["proof"]]
    )
    assert client.get("/api/v1/ledger/proof/inclusion", params={"seq": 1}).json()["size"] == size + 1
    for path, params, field in [
        ("inclusion", {"seq": size + 2}, "seq"),
        ("inclusion", {"seq": 1, "size": size + 2}, None),
        ("inclusion", {"seq": 0}, "seq"),
        ("consistency", {"from": 3, "to": 2}, None),
        ("consistency", {"from": 1, "to": size + 2}, None),
    ]:
        r = client.get(f"/api/v1/ledger/proof/{path}", params=params)
        assert r.status_code == 422 and r.json()["code"] == "validation_failed", (params, r.text)
        if field:
            assert field in [d["field"] for d in r.json()["details"]], r.text
