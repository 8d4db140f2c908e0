"""The ledger's Merkle tree (RFC 9162 §2.1): tree heads, inclusion and consistency proofs.

Leaf *i* of the tree is ledger entry *i + 1*; its leaf hash is the entry's stored hash
(SHA-256(0x00 || canonical JSON of the entry), see `truce.ledger.chain.leaf_hash`), as bytes.
Interior nodes are SHA-256(0x01 || left || right).

The pure functions (`root_of`, `verify_inclusion`, `verify_consistency`) work on lists of hashes and
never touch a database. `Tree` answers the same questions from the stored tree: table `ledger_tree`
keeps the hash of every complete subtree of two or more leaves, node (L, i) covering leaves
[i * 2^L, (i + 1) * 2^L); level 0 is `ledger_entries.hash` itself. `append_leaf` writes the nodes an
appended entry completes (none for an even index, one on average), in the entry's own transaction.
Any tree head or proof then needs O(log n) stored hashes, read in at most two queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from truce.ledger.models import ledger_entries, ledger_head, ledger_tree

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """An interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def hash_leaf(data: bytes) -> bytes:
    """A leaf over raw data: SHA-256(0x00 || data) (the ledger's leaves are hashed by `chain.leaf_hash`)."""
    return hashlib.sha256(b"\x00" + data).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (RFC 9162 §2.1.1); the empty tree's hash is SHA-256 of ""."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return bytes(leaves[0])
    k = _split(n)
    return hash_children(root_of(leaves[:k]), root_of(leaves[k:]))


def _is_hash(h: object) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == HASH_SIZE


def _ints(*xs: object) -> bool:
    return all(isinstance(x, int) and not isinstance(x, bool) for x in xs)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf hash `leaf` at `index` in the tree of `size` with `root`?

    Returns False (never raises) on any malformed input."""
    try:
        if not _ints(index, size) or not 0 <= index < size:
            return False
        if not _is_hash(leaf) or not _is_hash(root) or not all(_is_hash(p) for p in proof):
            return False
        fn, sn = index, size - 1
        r = bytes(leaf)
        for p in proof:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                r = hash_children(bytes(p), r)
                if not fn & 1:
                    while fn and not fn & 1:
                        fn >>= 1
                        sn >>= 1
            else:
                r = hash_children(r, bytes(p))
            fn >>= 1
            sn >>= 1
        return sn == 0 and r == bytes(root)
    except Exception:  # noqa: BLE001 - a verifier answers, it never raises
        return False


def verify_consistency(m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the tree of size m (`old_root`) is a prefix of size n (`new_root`)?

    m = n holds with an empty proof and equal roots. The empty tree (m = 0) has no consistency proof
    in RFC 9162 and is refused, as are m > n and any malformed input (False, never an exception)."""
    try:
        if not _ints(m, n) or not 1 <= m <= n:
            return False
        if not _is_hash(old_root) or not _is_hash(new_root) or not all(_is_hash(p) for p in proof):
            return False
        if m == n:
            return len(proof) == 0 and bytes(old_root) == bytes(new_root)
        if len(proof) == 0:
            return False
        path = [bytes(p) for p in proof]
        if m & (m - 1) == 0:  # m is an exact power of two: the old root is the first node
            path.insert(0, bytes(old_root))
        fn, sn = m - 1, n - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = hash_children(c, fr)
                sr = hash_children(c, sr)
                if not fn & 1:
                    while fn and not fn & 1:
                        fn >>= 1
                        sn >>= 1
            else:
                sr = hash_children(sr, c)
            fn >>= 1
            sn >>= 1
        return sn == 0 and fr == bytes(old_root) and sr == bytes(new_root)
    except Exception:  # noqa: BLE001
        return False


# --- proofs as recipes over complete subtrees --------------------------------------------------------------

Node = tuple[int, int]  # (level, index): leaves [index * 2^level, (index + 1) * 2^level)


def _range_nodes(a: int, b: int) -> list[Node]:
    """The complete subtrees whose hashes, folded from the right, give MTH(D[a:b]).

    Holds for the ranges RFC 9162's recursion produces: `a` is a multiple of a power of two at least b - a."""
    out: list[Node] = []
    p = a
    while p < b:
        level = (b - p).bit_length() - 1
        while p & ((1 << level) - 1):
            level -= 1
        out.append((level, p >> level))
        p += 1 << level
    return out


def _inclusion_recipe(m: int, a: int, b: int) -> list[list[Node]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[a:b]) as a list of ranges (each a list of complete subtrees)."""
    out: list[list[Node]] = []
    while b - a > 1:
        k = _split(b - a)
        if m < k:
            out.append(_range_nodes(a + k, b))
            b = a + k
        else:
            out.append(_range_nodes(a, a + k))
            a, m = a + k, m - k
    out.reverse()  # the path lists the sibling nearest the leaf first
    return out


def _consistency_recipe(m: int, a: int, b: int) -> list[list[Node]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[a:b], true) as a list of ranges."""
    out: list[list[Node]] = []
    flag = True
    while True:
        n = b - a
        if m == n:
            if not flag:
                out.append(_range_nodes(a, b))
            break
        k = _split(n)
        if m <= k:
            out.append(_range_nodes(a + k, b))
            b = a + k
        else:
            out.append(_range_nodes(a, a + k))
            a, m, flag = a + k, m - k, False
    out.reverse()
    return out


def _fold(hashes: list[bytes]) -> bytes:
    r = hashes[-1]
    for h in reversed(hashes[:-1]):
        r = hash_children(h, r)
    return r


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) over an in-memory list of leaf hashes."""
    return [_fold([_mem(leaves, nd) for nd in rng]) for rng in _inclusion_recipe(index, 0, len(leaves))]


def consistency_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) over an in-memory list of leaf hashes."""
    return [_fold([_mem(leaves, nd) for nd in rng]) for rng in _consistency_recipe(m, 0, len(leaves))]


def _mem(leaves: Sequence[bytes], node: Node) -> bytes:
    level, idx = node
    return root_of(leaves[idx << level : (idx + 1) << level])


# --- the stored tree ---------------------------------------------------------------------------------------


_SQL_CACHE: dict[tuple[str, str, int], str] = {}


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _sql(conn: Connection, kind: str, n: int) -> str:
    """Plain SQL for a few nodes, made once per shape: building the equivalent SQLAlchemy expression costs
    more than running it. Inner nodes: (level = ? AND idx = ?) OR ..., which SQLite runs as one primary-key
    search per node (MULTI-INDEX OR) and PostgreSQL as a BitmapOr (a row-value IN would scan the table)."""
    key = (conn.dialect.paramstyle, kind, n)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        m = _mark(conn)
        if kind == "inner":
            cond = " OR ".join([f"(level = {m} AND idx = {m})"] * n)
            sql = f"SELECT level, idx, hash FROM ledger_tree WHERE {cond}"
        else:
            sql = f"SELECT seq, hash FROM ledger_entries WHERE seq IN ({', '.join([m] * n)})"
        _SQL_CACHE[key] = sql
    return sql


def _driver_rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """Run one statement on the driver's connection, in the caller's transaction: for the few small,
    fixed statements of the tree, SQLAlchemy's execution machinery costs more than the statement."""
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, params)
        return list(cur.fetchall()) if cur.description else []
    finally:
        cur.close()


def _fetch_inner(conn: Connection, nodes: list[Node]) -> dict[Node, bytes]:
    params = tuple(x for nd in nodes for x in nd)
    rows = _driver_rows(conn, _sql(conn, "inner", len(nodes)), params)
    return {(int(lv), int(ix)): bytes(h) for lv, ix, h in rows}


def _fetch_leaves(conn: Connection, indexes: list[int]) -> dict[Node, bytes]:
    rows = _driver_rows(conn, _sql(conn, "leaves", len(indexes)), tuple(i + 1 for i in indexes))
    return {(0, int(seq) - 1): bytes.fromhex(h) for seq, h in rows}


class TreeError(RuntimeError):
    """The stored tree lacks a node it should hold (a database not migrated, or edited by hand)."""


class Tree:
    """The Merkle tree of the ledger as stored in `ledger_tree` (and `ledger_entries` for the leaves)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def size(self) -> int:
        """The ledger's size: its head's sequence number (0 before the first entry)."""
        seq = self.conn.execute(select(ledger_head.c.seq).where(ledger_head.c.id == 1)).scalar()
        return int(seq or 0)

    def _check_size(self, size: int, what: str = "size") -> int:
        if not _ints(size) or size < 0:
            raise ValueError(f"{what} must be a whole number of entries, 0 or more (got {size!r})")
        have = self.size()
        if size > have:
            raise ValueError(f"{what} {size} is beyond the ledger, which holds {have} entries")
        return have

    def root(self, size: int | None = None) -> bytes:
        """The tree head (MTH) of the first `size` entries (default: all of them)."""
        if size is None:
            size = self.size()
        else:
            self._check_size(size)
        if size == 0:
            return EMPTY_ROOT
        nodes = _range_nodes(0, size)
        got = self._nodes(nodes)
        return _fold([got[nd] for nd in nodes])

    def leaf(self, index: int) -> bytes:
        return self._nodes([(0, index)])[(0, index)]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]): the audit path of leaf `index` (= ledger seq - 1) in the tree of `size`."""
        self._check_size(size)
        if not _ints(index) or not 0 <= index < size:
            raise ValueError(f"index {index!r} is not a leaf of the tree of size {size} (0 <= index < size)")
        return self._resolve(_inclusion_recipe(index, 0, size))

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[n]): shows the tree of size m is a prefix of the tree of size n (empty when m = n)."""
        self._check_size(n, "n")
        if not _ints(m) or not 1 <= m <= n:
            raise ValueError(
                f"m {m!r} must be between 1 and n = {n}: a consistency proof goes from a non-empty tree to "
                "one at least as large"
            )
        return self._resolve(_consistency_recipe(m, 0, n))

    def _resolve(self, recipe: list[list[Node]]) -> list[bytes]:
        got = self._nodes([nd for rng in recipe for nd in rng])
        return [_fold([got[nd] for nd in rng]) for rng in recipe]

    def _nodes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        want = set(nodes)
        leaves = [idx for level, idx in want if level == 0]
        inner = [(level, idx) for level, idx in want if level > 0]
        got: dict[Node, bytes] = {}
        if leaves:
            got.update(_fetch_leaves(self.conn, leaves))
        if inner:
            got.update(_fetch_inner(self.conn, inner))
        missing = want - got.keys()
        if missing:
            level, idx = min(missing)
            raise TreeError(
                f"the ledger's Merkle tree lacks node (level {level}, index {idx}): the table ledger_tree does "
                "not cover the ledger (run `truce db upgrade`, or the database was changed behind the ledger)"
            )
        return got


# --- appending ---------------------------------------------------------------------------------------------


def new_nodes(conn: Connection, index: int, leaf: bytes, prev_leaf: bytes | None) -> list[tuple[int, int, bytes]]:
    """The complete subtrees (level >= 1) that appending leaf `index` completes, with their hashes.

    `prev_leaf` is the hash of leaf index - 1 (the ledger's previous entry, known to the appender).
    Reads at most one query, and only when index + 1 is a multiple of 4."""
    if not index & 1:
        return []
    assert prev_leaf is not None
    cur = hash_children(prev_leaf, leaf)
    out = [(1, index >> 1, cur)]
    j = index >> 1
    need: list[Node] = []
    level = 1
    while j & 1:
        need.append((level, j - 1))
        j >>= 1
        level += 1
    if need:
        got = _fetch_inner(conn, need)
        for level, sib in need:
            h = got.get((level, sib))
            if h is None:
                raise TreeError(
                    f"the ledger's Merkle tree lacks node (level {level}, index {sib}) needed to append entry "
                    f"{index + 1} (run `truce db upgrade`)"
                )
            cur = hash_children(h, cur)
            out.append((level + 1, sib >> 1, cur))
    return out


def append_leaf(conn: Connection, index: int, leaf: bytes, prev_leaf: bytes | None) -> None:
    """Store the nodes completed by appending leaf `index` (call in the entry's transaction)."""
    nodes = new_nodes(conn, index, leaf, prev_leaf)
    if nodes:
        m = _mark(conn)
        sql = f"INSERT INTO ledger_tree (level, idx, hash) VALUES ({m}, {m}, {m})"
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(sql, nodes)
        finally:
            cur.close()


def build_nodes(leaves: Iterable[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """Every complete subtree (level >= 1) over a stream of leaf hashes from leaf 0, as they complete
    (for backfills). Memory is O(log n): a stack of the right edge's complete subtrees."""
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the pending right-edge subtrees
    for index, leaf in enumerate(leaves):
        level, cur, i = 0, bytes(leaf), index
        while stack and stack[-1][0] == level:
            _, left = stack.pop()
            cur = hash_children(left, cur)
            level += 1
            i >>= 1
            yield (level, i, cur)
        stack.append((level, cur))


def backfill(conn: Connection, batch: int = 5000) -> int:
    """Fill `ledger_tree` for every entry of a ledger that was written before the tree existed.

    Idempotent: clears the table first. Returns the number of nodes written."""
    from sqlalchemy import delete

    conn.execute(delete(ledger_tree))
    c = ledger_entries.c

    def leaves() -> Iterator[bytes]:
        last = 0
        while True:
            rows = conn.execute(select(c.seq, c.hash).where(c.seq > last).order_by(c.seq).limit(batch)).all()
            if not rows:
                return
            for _seq, h in rows:
                yield bytes.fromhex(h)
            last = int(rows[-1][0])

    written = 0
    pending: list[dict[str, object]] = []
    for lv, ix, h in build_nodes(leaves()):
        pending.append({"level": lv, "idx": ix, "hash": h})
        if len(pending) >= batch:
            conn.execute(insert(ledger_tree), pending)
            written += len(pending)
            pending = []
    if pending:
        conn.execute(insert(ledger_tree), pending)
        written += len(pending)
    return written
