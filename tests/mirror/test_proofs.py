"""Proofs of misbehaviour: made by a mirror from its own copy, checked by anyone with nothing but the file."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from truce.app import Truce
from truce.auth.service import ORG_KINDS
from truce.ledger import chain, merkle
from truce.ledger.checkpoints import Checkpoint, make_note, raw_public_key, sign_note, vkey
from truce.mirror import checks, proof

AT = "2026-01-01T00:00:00.000000Z"
LOG = "truce.example/log"


def ledger(url: str, names: list[str]) -> Truce:
    app = Truce(url)
    with app.write() as conn:
        for n in names:
            payload = {"id": n, "name": n, "kind": ORG_KINDS[0], "party_id": None}
            chain.record(conn, chain.SYSTEM, "org.add", payload, app.blobs, at=AT)
    return app


@pytest.fixture
def logs(tmp_path):
    key = Ed25519PrivateKey.generate()
    common = [f"ORG{i}" for i in range(8)]
    a = ledger(f"sqlite:///{tmp_path / 'a.db'}", common + [f"A{i}" for i in range(6)])
    b = ledger(f"sqlite:///{tmp_path / 'b.db'}", common + [f"B{i}" for i in range(6)])
    return key, vkey(LOG, raw_public_key(key)), a, b


def signed(app: Truce, key: Ed25519PrivateKey, size: int) -> checks.Signed:
    with app.read() as conn:
        body = Checkpoint(LOG, size, merkle.Tree(conn).root(size)).body()
    return checks.open_signed(make_note(body, [sign_note(body, LOG, key)]), vkey(LOG, raw_public_key(key)))


def alarm(a: Truce, vk: str, held: checks.Signed, other: checks.Signed) -> dict:
    with a.read() as conn:
        al = checks.own_conflict(conn, vk, held, other, "fork", "test")
    assert al is not None
    return al.proof


def test_two_roots_for_one_size(logs):
    key, vk, a, b = logs
    doc = alarm(a, vk, signed(a, key, 12), signed(b, key, 12))
    assert doc["evidence"]["type"] == "same_size"
    res = proof.check(json.loads(json.dumps(doc)))
    assert res.proven and "two different roots for tree size 12" in res.lines[-1]


def test_a_smaller_tree_that_is_not_a_prefix(logs):
    key, vk, a, b = logs
    doc = alarm(a, vk, signed(a, key, 14), signed(b, key, 10))
    assert doc["evidence"]["type"] == "prefix"
    res = proof.check(doc)
    assert res.proven and "no consistency proof can join them" in res.lines[-1]
    # Every corruption of the evidence or of a signature makes it fail.
    bad = copy.deepcopy(doc)
    bad["evidence"]["prefix_root"] = signed(b, key, 10).root.hex()  # the log's own root claimed as the prefix
    assert not proof.check(bad).proven
    bad = copy.deepcopy(doc)
    bad["evidence"]["proof"][0] = "00" * 32
    assert not proof.check(bad).proven
    bad = copy.deepcopy(doc)
    bad["evidence"]["proof"] = bad["evidence"]["proof"][:-1]
    assert not proof.check(bad).proven
    bad = copy.deepcopy(doc)
    bad["checkpoints"][1] = bad["checkpoints"][1].replace("\n10\n", "\n11\n")
    assert not proof.check(bad).proven and "signature" in proof.check(bad).lines[-1]
    bad = copy.deepcopy(doc)
    other = Ed25519PrivateKey.generate()
    bad["log_key"] = vkey(LOG, raw_public_key(other))
    assert not proof.check(bad).proven


def test_a_rollback_to_an_older_tree(logs):
    key, vk, a, _ = logs
    doc = alarm(a, vk, signed(a, key, 14), signed(a, key, 9))
    assert doc["kind"] == "rollback" and doc["evidence"]["type"] == "rollback"
    assert proof.check(doc).proven


class Node:
    """A node's consistency proofs (what GET /api/v1/ledger/proof/consistency serves), from its own tree."""

    def __init__(self, app: Truce) -> None:
        self.app = app

    def consistency(self, m: int, n: int) -> tuple[bytes, list[bytes]]:
        with self.app.read() as conn:
            t = merkle.Tree(conn)
            return t.root(m), t.consistency_proof(m, n)


def test_a_larger_tree_extends_or_is_caught_by_the_nodes_own_proof(logs):
    key, vk, a, b = logs
    assert checks.extends(vk, signed(a, key, 9), signed(a, key, 14), Node(a), "fork", "t") is None
    # b's tree at 14 is not an extension of a's at 12: b's own proof shows its root at 12, which differs.
    al = checks.extends(vk, signed(a, key, 12), signed(b, key, 14), Node(b), "fork", "t")
    assert al is not None and al.proof["evidence"]["type"] == "prefix"
    res = proof.check(al.proof)
    assert res.proven and "no consistency proof can join them" in res.lines[-1]


def test_a_forged_checkpoint_proves_nothing(logs):
    key, vk, a, b = logs
    doc = alarm(a, vk, signed(a, key, 12), signed(b, key, 12))
    forger = Ed25519PrivateKey.generate()
    body = checks.open_signed(doc["checkpoints"][1], vk).body
    doc["checkpoints"][1] = make_note(body, [sign_note(body, LOG, forger)])
    res = proof.check(doc)
    assert not res.proven and "does not carry a valid signature" in res.lines[-1]
