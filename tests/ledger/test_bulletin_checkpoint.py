"""Published bulletins cite an agreed checkpoint; `bulletin verify` checks its co-signatures against the
guarantors' keys and the decision rule, and an inclusion proof of the bulletin's entry in it (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truce.app import Truce
from truce.auth.service import get_actor
from truce.bulletins import service as bulletins
from truce.bulletins.verify import verify_document
from truce.ledger import checkpoints as cp
from truce.ledger import signing
from truce.ledger.chain import SYSTEM

DAY = "2017-09-21"
OFFICES = [("RUS_OFFICE", "rus_verifier"), ("TUR_OFFICE", "tur_verifier"), ("IRN_OFFICE", "irn_verifier")]


def _doc(app: Truce) -> dict:
    with app.read() as conn:
        return json.loads(json.dumps(bulletins.document(app, conn, DAY)))


def test_published_bulletin_cites_an_agreed_checkpoint_and_verify_checks_it(astana_url, tmp_path: Path):
    app = Truce(astana_url)
    keyfiles = {}
    with app.write() as conn:
        for org, _user in OFFICES:
            keyfiles[org] = bulletins.create_key(app, conn, SYSTEM, org, key_dir=tmp_path / "keys")["file"]
        # an agreed checkpoint made before the bulletin: it will not include the bulletin's entry
        early = signing.make_checkpoint(app, conn)
        for org, _user in OFFICES:
            signing.cosign_local(conn, org, bulletins.load_private_key(keyfiles[org]))
        early_note = signing.checkpoint(conn, early["size"])["note"]
        bulletins.create_key(app, conn, SYSTEM, "RUS_OFFICE", key_dir=tmp_path / "spare")  # the ledger moves on
    with app.write() as conn:
        pub = bulletins.publish(app, conn, get_actor(conn, "joint_verifier"), DAY)
    seq = pub["seq"]
    assert pub["checkpoint"]["size"] == pub["ledger_seq"] > seq > early["size"]

    # published, but no agreed checkpoint includes it yet: the document says so, verify fails
    doc = _doc(app)
    assert doc["checkpoint"] is None
    assert "awaits the co-signatures of IRN_OFFICE, RUS_OFFICE, TUR_OFFICE" in doc["checkpoint_status"]
    rep = verify_document(app, doc)
    assert not rep.ok and any("cites no agreed checkpoint" in p for p in rep.problems), rep.problems

    # each office signing the bulletin co-signs the publication's checkpoint; agreed once all three did
    for i, (org, user) in enumerate(OFFICES):
        with app.write() as conn:
            res = bulletins.sign(app, conn, get_actor(conn, user), DAY, key_file=keyfiles[org])
            assert res["checkpoint"]["size"] == pub["checkpoint"]["size"]
        assert (_doc(app)["checkpoint"] is None) == (i < 2)
    doc = _doc(app)
    with app.read() as conn:
        origin = signing.log_key(conn)["origin"]
    assert origin == "truce.example/astana-2017"
    assert doc["checkpoint"].startswith(f"{origin}\n{pub['checkpoint']['size']}\n")
    rep = verify_document(app, doc)
    assert rep.ok, rep.problems
    assert rep.checkpoint == {
        "size": pub["checkpoint"]["size"],
        "root": pub["checkpoint"]["root"],
        "agreed": True,
        "rule": "unanimity",
        "cosigners": ["IRN_OFFICE", "RUS_OFFICE", "TUR_OFFICE"],
        "included": True,
    }

    body, sigs = cp.open_note(doc["checkpoint"])

    def with_note(note: str) -> list[str]:
        bad = json.loads(json.dumps(doc))
        bad["checkpoint"] = note
        return verify_document(app, bad).problems

    # a forged co-signature
    forged = [
        s.line() if s.name != "truce-witness/TUR_OFFICE" else cp.cosign(body, s.name, Ed25519PrivateKey.generate(), 1)
        for s in sigs
    ]
    problems = with_note(cp.make_note(body, forged))
    assert any("co-signature of TUR_OFFICE does not verify" in p for p in problems), problems
    assert any("not agreed under the unanimity rule" in p for p in problems), problems
    # not agreed: one co-signature left out
    problems = with_note(cp.make_note(body, [s.line() for s in sigs if s.name != "truce-witness/IRN_OFFICE"]))
    assert any("missing IRN_OFFICE" in p for p in problems), problems
    # agreed, but made before the bulletin: its entry is not included
    problems = with_note(early_note)
    assert problems == [
        f"checkpoint: the tree of size {early['size']} does not include the bulletin's ledger entry {seq}"
    ], problems
    # the file's entry hash changed: no inclusion proof holds (and the hash differs from the ledger's)
    bad = json.loads(json.dumps(doc))
    bad["ledger"]["head_hash"] = "ab" * 32
    problems = verify_document(app, bad).problems
    assert any(f"no inclusion proof shows ledger entry {seq}" in p for p in problems), problems
    # a checkpoint with another root, signed by a stranger under the log's name
    other = cp.Checkpoint(body.split("\n")[0], pub["checkpoint"]["size"], bytes(32)).body()
    problems = with_note(cp.make_note(other, [cp.sign_note(other, other.split("\n")[0], Ed25519PrivateKey.generate())]))
    assert any("not signed by the log's key" in p for p in problems), problems
