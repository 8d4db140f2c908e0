"""The ledger's Merkle tree: what appending costs with it, and how fast proofs come out of a large tree.

    .venv/bin/python benchmarks/bench_merkle.py [--entries N] [--big 1000000] [--rounds R]

(a) Appending N ledger entries through `chain.record` (a no-op command, so that the ledger itself is all
    that is timed: the worst case for the ratio) with the tree, against the same code with the tree's
    write switched off (`merkle.append_leaf` replaced by a no-op: today's append before the tree), in the
    same process, alternating rounds on fresh SQLite databases. Two shapes: one entry per transaction
    (how the services append: BEGIN IMMEDIATE, synchronous=FULL, commit) and all entries in one
    transaction (the raw statement cost, no fsync to hide behind). Target: <= 1.1x.
(b) Proofs in a tree of 1,000,000 entries: the ledger and its tree are filled directly (synthetic leaf
    hashes, rows bulk-inserted, nodes computed by `merkle.build_nodes`; not timed), then inclusion proofs
    of random entries (with the tree head), consistency proofs of random pairs and tree heads of random
    sizes are timed one by one through `merkle.Tree`, each proof verified. Target: inclusion < 5 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import truce.models  # noqa: E402,F401
from truce import db  # noqa: E402
from truce.ledger import chain, merkle  # noqa: E402
from truce.ledger.chain import SYSTEM  # noqa: E402
from truce.ledger.models import ledger_entries, ledger_head, ledger_tree  # noqa: E402

NOOP = "bench.noop"
chain.APPLIERS.setdefault(NOOP, lambda conn, payload, ctx: None)


def fresh_db(folder: str, name: str) -> tuple[str, object]:
    url = f"sqlite:///{os.path.join(folder, name)}"
    engine = db.make_engine(url)
    db.migrate(engine)
    return url, engine


def append(engine: object, n: int, one_tx: bool) -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds): on a shared machine the CPU time is the steadier measure
    of the statements' cost; the wall time includes the fsyncs of the commits."""
    payload = {"report": "x" * 200}
    t0, c0 = time.perf_counter(), time.process_time()
    if one_tx:
        with db.write_tx(engine) as conn:  # type: ignore[arg-type]
            for i in range(n):
                chain.record(conn, SYSTEM, NOOP, {**payload, "i": i}, blobs=None)  # type: ignore[arg-type]
    else:
        for i in range(n):
            with db.write_tx(engine) as conn:  # type: ignore[arg-type]
                chain.record(conn, SYSTEM, NOOP, {**payload, "i": i}, blobs=None)  # type: ignore[arg-type]
    return time.perf_counter() - t0, time.process_time() - c0


def bench_append(n: int, rounds: int) -> None:
    real = merkle.append_leaf
    print(f"(a) appending {n} entries, {rounds} alternating rounds per shape (median seconds)")
    for one_tx, label in ((False, "one entry per transaction"), (True, "all entries in one transaction")):
        times: dict[str, list[float]] = {"with tree": [], "without tree": []}
        cpu: dict[str, list[float]] = {"with tree": [], "without tree": []}
        for r in range(rounds):
            order = ["with tree", "without tree"] if r % 2 == 0 else ["without tree", "with tree"]
            for kind in order:
                with tempfile.TemporaryDirectory() as folder:
                    _url, engine = fresh_db(folder, "a.db")
                    merkle.append_leaf = real if kind == "with tree" else (lambda *a, **k: None)  # type: ignore[assignment]
                    try:
                        wall, used = append(engine, n, one_tx)
                        times[kind].append(wall)
                        cpu[kind].append(used)
                    finally:
                        merkle.append_leaf = real  # type: ignore[assignment]
                        engine.dispose()  # type: ignore[attr-defined]
        w, wo = statistics.median(times["with tree"]), statistics.median(times["without tree"])
        cw, cwo = statistics.median(cpu["with tree"]), statistics.median(cpu["without tree"])
        print(f"    {label}")
        print(
            f"      wall: with tree {w / n * 1e6:7.1f} us/entry, without {wo / n * 1e6:7.1f} us/entry, "
            f"ratio {w / wo:5.3f}x"
        )
        print(
            f"      CPU:  with tree {cw / n * 1e6:7.1f} us/entry, without {cwo / n * 1e6:7.1f} us/entry, "
            f"ratio {cw / cwo:5.3f}x"
        )


def fill_big(engine: object, n: int) -> list[bytes]:
    rng = random.Random(14)
    leaves = [hashlib.sha256(b"\x00" + rng.randbytes(16)).digest() for _ in range(n)]
    t0 = time.perf_counter()
    batch = 20000
    with db.write_tx(engine) as conn:  # type: ignore[arg-type]
        prev = chain.GENESIS
        rows = []
        for i, h in enumerate(leaves):
            hx = h.hex()
            rows.append(
                {
                    "seq": i + 1,
                    "at": "2026-12-03T00:00:00.000000Z",
                    "actor": "system",
                    "org": "ADMIN",
                    "command": NOOP,
                    "payload": "{}",
                    "prev_hash": prev,
                    "hash": hx,
                }
            )
            prev = hx
            if len(rows) >= batch:
                conn.execute(insert(ledger_entries), rows)
                rows = []
        if rows:
            conn.execute(insert(ledger_entries), rows)
        conn.execute(insert(ledger_head).values(id=1, seq=n, hash=prev))
        nodes = []
        for lv, ix, hh in merkle.build_nodes(leaves):
            nodes.append({"level": lv, "idx": ix, "hash": hh})
            if len(nodes) >= batch:
                conn.execute(insert(ledger_tree), nodes)
                nodes = []
        if nodes:
            conn.execute(insert(ledger_tree), nodes)
    print(f"    filled {n} entries and their tree directly in {time.perf_counter() - t0:.1f} s (not timed below)")
    return leaves


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def bench_proofs(n: int, samples: int) -> None:
    print(f"(b) proofs in a tree of {n} entries ({samples} of each, timed one by one, ms)")
    with tempfile.TemporaryDirectory() as folder:
        _url, engine = fresh_db(folder, "big.db")
        leaves = fill_big(engine, n)
        rng = random.Random(7)
        with db.read_tx(engine) as conn:  # type: ignore[arg-type]
            tree = merkle.Tree(conn)
            t0 = time.perf_counter()
            root = tree.root()
            print(f"    tree head of all {n}: {(time.perf_counter() - t0) * 1e3:.2f} ms")
            # warm up the page cache as a serving process would have it
            for _ in range(50):
                tree.inclusion_proof(rng.randrange(n), n)
            incl, cons, heads = [], [], []
            for _ in range(samples):
                i = rng.randrange(n)
                t0 = time.perf_counter()
                proof = tree.inclusion_proof(i, n)
                incl.append((time.perf_counter() - t0) * 1e3)
                assert merkle.verify_inclusion(i, n, leaves[i], proof, root), i
            for _ in range(samples):
                m = rng.randrange(1, n)
                t0 = time.perf_counter()
                old = tree.root(m)
                heads.append((time.perf_counter() - t0) * 1e3)
                t0 = time.perf_counter()
                proof = tree.consistency_proof(m, n)
                cons.append((time.perf_counter() - t0) * 1e3)
                assert merkle.verify_consistency(m, n, old, root, proof), m
        engine.dispose()  # type: ignore[attr-defined]
    for label, xs in (("inclusion proof", incl), ("consistency proof", cons), ("tree head of a size", heads)):
        print(f"    {label:<22} median {statistics.median(xs):6.3f}   p99 {pct(xs, 0.99):6.3f}   max {max(xs):6.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=2000, help="entries appended per round in (a)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--big", type=int, default=1_000_000, help="entries of the tree in (b)")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--part", choices=["a", "b", "ab"], default="ab")
    args = ap.parse_args()
    if "a" in args.part:
        bench_append(args.entries, args.rounds)
    if "b" in args.part:
        bench_proofs(args.big, args.samples)


if __name__ == "__main__":
    main()
