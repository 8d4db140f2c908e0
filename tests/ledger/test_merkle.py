"""The ledger's Merkle tree: RFC 9162 §2.1 known answers, the stored tree against a naive oracle, and
corruption probes that must each fail."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from sqlalchemy import delete, func, insert, select

from truce import db
from truce.ledger import chain, merkle
from truce.ledger.chain import SYSTEM
from truce.ledger.merkle import Tree, root_of, verify_consistency, verify_inclusion
from truce.ledger.models import ledger_entries, ledger_tree

# --- reference vectors ---------------------------------------------------------------------------------
# Source: the Certificate Transparency reference implementations' test vectors, as published in
# github.com/transparency-dev/merkle: testonly/constants.go (LeafInputs, RootHashes) and
# proof/verify_test.go (inclusionProofs, consistencyProofs). There, inclusion vectors number leaves
# from 1: the vector (1, 8) is leaf index 0 in the tree of size 8.

LEAF_INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
ROOTS = [  # the roots of the trees of sizes 1..8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
INCLUSION = {  # (leaf number from 1, tree size) -> audit path
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (3, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (2, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
CONSISTENCY = {  # (m, n) -> proof
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
    (6, 7): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(x: str) -> bytes:
    return bytes.fromhex(x)


def ref_leaves() -> list[bytes]:
    return [hashlib.sha256(b"\x00" + bytes.fromhex(x)).digest() for x in LEAF_INPUTS]


# --- a naive oracle: RFC 9162 §2.1 written as the RFC states it, on lists ------------------------------


def oracle_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + oracle_mth(d[:k]) + oracle_mth(d[k:])).digest()


def oracle_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return oracle_path(m, d[:k]) + [oracle_mth(d[k:])]
    return oracle_path(m - k, d[k:]) + [oracle_mth(d[:k])]


def oracle_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [oracle_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return oracle_subproof(m, d[:k], b) + [oracle_mth(d[k:])]
    return oracle_subproof(m - k, d[k:], False) + [oracle_mth(d[:k])]


# --- known answers ---------------------------------------------------------------------------------------


def test_roots_of_the_reference_tree():
    leaves = ref_leaves()
    assert root_of([]).hex() == EMPTY_ROOT
    for n in range(1, 9):
        assert root_of(leaves[:n]).hex() == ROOTS[n - 1]
        assert oracle_mth(leaves[:n]).hex() == ROOTS[n - 1]


@pytest.mark.parametrize(("leaf", "size"), list(INCLUSION))
def test_reference_inclusion_proofs(leaf, size):
    leaves = ref_leaves()
    proof = [h(x) for x in INCLUSION[(leaf, size)]]
    assert merkle.inclusion_path(leaf - 1, leaves[:size]) == proof
    assert verify_inclusion(leaf - 1, size, leaves[leaf - 1], proof, h(ROOTS[size - 1]))


@pytest.mark.parametrize(("m", "n"), list(CONSISTENCY))
def test_reference_consistency_proofs(m, n):
    leaves = ref_leaves()
    proof = [h(x) for x in CONSISTENCY[(m, n)]]
    assert merkle.consistency_path(m, leaves[:n]) == proof
    assert verify_consistency(m, n, h(ROOTS[m - 1]), h(ROOTS[n - 1]), proof)


def test_hash_children_is_the_chain_node_rule():
    a, b = SOME_HASH, ref_leaves()[0]
    assert merkle.hash_children(a, b) == hashlib.sha256(b"\x01" + a + b).digest() == chain.node_hash(a, b)


# --- corruption probes (as the reference verifier tests mutate valid proofs) ---------------------------


def inclusion_probes(index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes):
    yield "index - 1", (index - 1, size, leaf, proof, root)
    yield "index + 1", (index + 1, size, leaf, proof, root)
    yield "size * 2", (index, size * 2, leaf, proof, root)
    yield "size // 2", (index, size // 2, leaf, proof, root)
    yield "wrong leaf", (index, size, SOME_HASH, proof, root)
    yield "leaf not 32 bytes", (index, size, b"WrongLeaf", proof, root)
    yield "empty-tree root", (index, size, leaf, proof, h(EMPTY_ROOT))
    yield "random root", (index, size, leaf, proof, SOME_HASH)
    yield "leaf and root swapped", (index, size, root, proof, leaf)
    yield "trailing garbage", (index, size, leaf, [*proof, b""], root)
    yield "trailing root", (index, size, leaf, [*proof, root], root)
    yield "preceding garbage", (index, size, leaf, [b"", *proof], root)
    yield "preceding root", (index, size, leaf, [root, *proof], root)
    for i in range(len(proof)):
        for bit in (0, 3, 255):
            bad = list(proof)
            b = bytearray(bad[i])
            b[bit // 8] ^= 1 << (bit % 8)
            bad[i] = bytes(b)
            yield f"proof[{i}] bit {bit} flipped", (index, size, leaf, bad, root)
    if proof:
        yield "a hash removed", (index, size, leaf, proof[:-1], root)
        yield "first hash removed", (index, size, leaf, proof[1:], root)
    yield "a hash added", (index, size, leaf, [*proof, SOME_HASH], root)
    if len(proof) > 1:
        yield "a hash inserted", (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root)
    yield "index = size", (size, size, leaf, proof, root)
    yield "negative index", (-1, size, leaf, proof, root)
    yield "not a list of bytes", (index, size, leaf, ["ab" * 32] * len(proof), root)


def consistency_probes(m: int, n: int, r1: bytes, r2: bytes, proof: list[bytes]):
    yield "m - 1", (m - 1, n, r1, r2, proof)
    yield "m + 1", (m + 1, n, r1, r2, proof)
    yield "n * 2", (m, n * 2, r1, r2, proof)
    yield "n // 2", (m, n // 2, r1, r2, proof)
    yield "wrong old root", (m, n, SOME_HASH, r2, proof)
    yield "wrong new root", (m, n, r1, SOME_HASH, proof)
    yield "swapped roots", (m, n, r2, r1, proof)
    yield "empty proof", (m, n, r1, r2, [])
    yield "trailing garbage", (m, n, r1, r2, [*proof, b""])
    yield "trailing old root", (m, n, r1, r2, [*proof, r1])
    yield "trailing new root", (m, n, r1, r2, [*proof, r2])
    yield "preceding garbage", (m, n, r1, r2, [b"", *proof])
    yield "preceding old root", (m, n, r1, r2, [r1, *proof])
    yield "preceding new root", (m, n, r1, r2, [r2, *proof])
    yield "preceding proof[0]", (m, n, r1, r2, [proof[0], *proof])
    yield "a hash removed", (m, n, r1, r2, proof[:-1])
    yield "a hash added", (m, n, r1, r2, [*proof, SOME_HASH])
    for i in range(len(proof)):
        for bit in (0, 4, 255):
            bad = list(proof)
            b = bytearray(bad[i])
            b[bit // 8] ^= 1 << (bit % 8)
            bad[i] = bytes(b)
            yield f"proof[{i}] bit {bit} flipped", (m, n, r1, r2, bad)
    yield "m > n", (n, m, r2, r1, proof)
    yield "m = n with a non-empty proof", (n, n, r2, r2, proof)
    yield "empty first tree (m = 0)", (0, n, h(EMPTY_ROOT), r2, proof)
    yield "empty first tree (m = 0), empty proof", (0, n, h(EMPTY_ROOT), r2, [])


@pytest.mark.parametrize(("leaf", "size"), list(INCLUSION))
def test_inclusion_corruption_probes_each_fail(leaf, size):
    leaves = ref_leaves()
    good = (leaf - 1, size, leaves[leaf - 1], [h(x) for x in INCLUSION[(leaf, size)]], h(ROOTS[size - 1]))
    assert verify_inclusion(*good)
    passed = [name for name, args in inclusion_probes(*good) if verify_inclusion(*args)]
    assert passed == [], f"corrupted inclusion proofs that verified: {passed}"


@pytest.mark.parametrize(("m", "n"), list(CONSISTENCY))
def test_consistency_corruption_probes_each_fail(m, n):
    good = (m, n, h(ROOTS[m - 1]), h(ROOTS[n - 1]), [h(x) for x in CONSISTENCY[(m, n)]])
    assert verify_consistency(*good)
    passed = [name for name, args in consistency_probes(*good) if verify_consistency(*args)]
    assert passed == [], f"corrupted consistency proofs that verified: {passed}"


def test_trivial_and_malformed_cases():
    leaves = ref_leaves()
    r1 = h(ROOTS[0])
    assert verify_inclusion(0, 1, leaves[0], [], r1)
    assert not verify_inclusion(0, 0, leaves[0], [], r1)
    assert not verify_inclusion(0, 1, leaves[0], [], b"")
    assert verify_consistency(3, 3, h(ROOTS[2]), h(ROOTS[2]), [])
    assert not verify_consistency(3, 3, h(ROOTS[2]), h(ROOTS[3]), [])
    assert not verify_consistency(0, 0, h(EMPTY_ROOT), h(EMPTY_ROOT), [])
    for junk in (None, "x", 1.5, True):
        assert not verify_inclusion(junk, 8, leaves[0], [], r1)  # type: ignore[arg-type]
        assert not verify_consistency(junk, 8, r1, r1, [])  # type: ignore[arg-type]
    assert not verify_inclusion(0, 8, leaves[0], None, r1)  # type: ignore[arg-type]
    assert not verify_consistency(1, 8, r1, h(ROOTS[7]), None)  # type: ignore[arg-type]


# --- the stored tree -------------------------------------------------------------------------------------

NOOP = "test.merkle.noop"
chain.APPLIERS.setdefault(NOOP, lambda conn, payload, ctx: None)


def _append(url: str, count: int) -> None:
    engine = db.get_engine(url)
    with db.write_tx(engine) as conn:
        for i in range(count):
            chain.record(conn, SYSTEM, NOOP, {"i": i}, blobs=None)  # type: ignore[arg-type]


def _stored_leaves(conn) -> list[bytes]:
    rows = conn.execute(select(ledger_entries.c.hash).order_by(ledger_entries.c.seq)).scalars()
    return [bytes.fromhex(x) for x in rows]


def _check_every_proof(conn, upto: int) -> int:
    tree = Tree(conn)
    leaves = _stored_leaves(conn)
    checked = 0
    for n in range(1, upto + 1):
        d = leaves[:n]
        root = tree.root(n)
        assert root == oracle_mth(d), f"root of size {n}"
        for i in range(n):
            proof = tree.inclusion_proof(i, n)
            assert proof == oracle_path(i, d), f"inclusion proof ({i}, {n})"
            assert verify_inclusion(i, n, leaves[i], proof, root)
            checked += 1
        for m in range(1, n + 1):
            proof = tree.consistency_proof(m, n)
            assert proof == oracle_subproof(m, d, True), f"consistency proof {m} -> {n}"
            assert verify_consistency(m, n, oracle_mth(leaves[:m]), root, proof)
            checked += 1
    return checked


def test_stored_tree_every_proof_up_to_64_sqlite(sqlite_url):
    _append(sqlite_url, 64)
    with db.read_tx(db.get_engine(sqlite_url)) as conn:
        assert Tree(conn).size() == 64
        # 64 leaves: 32 + 16 + 8 + 4 + 2 + 1 stored nodes above the leaves
        assert conn.execute(select(func.count()).select_from(ledger_tree)).scalar() == 63
        assert _check_every_proof(conn, 64) == 2 * sum(range(1, 65))


def test_stored_tree_every_proof_both_engines(db_url):
    # appended one transaction at a time, as the services append
    for _ in range(21):
        _append(db_url, 1)
    with db.read_tx(db.get_engine(db_url)) as conn:
        _check_every_proof(conn, 21)


def test_stored_tree_refuses_out_of_range_arguments(db_url):
    _append(db_url, 5)
    with db.read_tx(db.get_engine(db_url)) as conn:
        tree = Tree(conn)
        assert tree.root(0) == h(EMPTY_ROOT)
        for bad in (lambda: tree.root(6), lambda: tree.root(-1)):
            with pytest.raises(ValueError, match="beyond the ledger|0 or more"):
                bad()
        with pytest.raises(ValueError, match="not a leaf"):
            tree.inclusion_proof(5, 5)
        with pytest.raises(ValueError, match="not a leaf"):
            tree.inclusion_proof(-1, 5)
        with pytest.raises(ValueError, match="beyond the ledger"):
            tree.inclusion_proof(0, 6)
        with pytest.raises(ValueError, match="between 1 and n"):
            tree.consistency_proof(0, 5)
        with pytest.raises(ValueError, match="between 1 and n"):
            tree.consistency_proof(5, 4)
        with pytest.raises(ValueError, match="beyond the ledger"):
            tree.consistency_proof(2, 9)
        assert tree.consistency_proof(5, 5) == []


def test_backfill_rebuilds_exactly_the_stored_tree(db_url):
    _append(db_url, 37)
    engine = db.get_engine(db_url)
    with db.read_tx(engine) as conn:
        before = sorted(conn.execute(select(ledger_tree)).all())
    with db.write_tx(engine) as conn:
        conn.execute(delete(ledger_tree))
    with db.read_tx(engine) as conn, pytest.raises(merkle.TreeError, match="lacks node"):
        Tree(conn).root()
    with db.write_tx(engine) as conn:
        assert merkle.backfill(conn) == len(before)
    with db.read_tx(engine) as conn:
        assert sorted(conn.execute(select(ledger_tree)).all()) == before


def test_migration_fills_the_tree_of_an_existing_ledger(empty_db_url):
    """A database made before the tree existed (revision 0001) gets every node from the migration."""
    from alembic import command

    engine = db.make_engine(empty_db_url)
    with engine.connect().execution_options(truce_write=True) as conn:
        command.upgrade(db.alembic_config(conn), "0001")
        conn.commit()
    prev, leaves = chain.GENESIS, []
    with db.write_tx(engine) as conn:
        for seq in range(1, 12):
            entry = {
                "seq": seq,
                "at": "2026-12-01T00:00:00.000000Z",
                "actor": "system",
                "org": "ADMIN",
                "command": NOOP,
                "payload": {"i": seq},
                "prev": prev,
            }
            hh = chain.leaf_hash(entry)
            conn.execute(
                insert(ledger_entries).values(
                    seq=seq,
                    at=entry["at"],
                    actor="system",
                    org="ADMIN",
                    command=NOOP,
                    payload=chain.canonical_str(entry["payload"]),
                    prev_hash=prev,
                    hash=hh,
                )
            )
            prev = hh
            leaves.append(bytes.fromhex(hh))
        conn.execute(insert(chain.ledger_head).values(id=1, seq=11, hash=prev))
    db.migrate(engine)
    with db.read_tx(engine) as conn:
        tree = Tree(conn)
        assert tree.root() == oracle_mth(leaves)
        assert tree.inclusion_proof(4, 11) == oracle_path(4, leaves)
    # and appending goes on from there
    with db.write_tx(engine) as conn:
        chain.record(conn, SYSTEM, NOOP, {"i": 12}, blobs=None)  # type: ignore[arg-type]
    with db.read_tx(engine) as conn:
        leaves = _stored_leaves(conn)
        assert Tree(conn).root() == oracle_mth(leaves)
    engine.dispose()


def test_replay_writes_the_same_tree(db_url, tmp_path):
    _append(db_url, 13)
    src = db.get_engine(db_url)
    dst_url = f"sqlite:///{tmp_path / 'replayed.db'}"
    dst = db.make_engine(dst_url)
    db.migrate(dst)
    with db.read_tx(src) as live, db.write_tx(dst) as out:
        for row in chain.iter_entries(live):
            chain.replay_entry(out, row, None)  # type: ignore[arg-type]
    with db.read_tx(src) as a, db.read_tx(dst) as b:
        assert sorted(a.execute(select(ledger_tree)).all()) == sorted(b.execute(select(ledger_tree)).all())
        assert Tree(a).root() == Tree(b).root()
    dst.dispose()
    db._migrated.discard(dst_url)
