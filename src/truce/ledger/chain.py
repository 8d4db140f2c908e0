"""The hash-chained ledger: append, verify the chain, replay into a scratch database.

Hash rules follow Certificate Transparency (RFC 6962/9162): an entry's hash is
SHA-256(0x00 || canonical JSON of the entry): the entries are the leaves of the ledger's Merkle tree
(`truce.ledger.merkle`, nodes SHA-256(0x01 || left || right)), whose new nodes each append writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from truce import times
from truce.ledger import merkle, reactions
from truce.ledger.blobs import BlobStore
from truce.ledger.context import SYSTEM, Actor, ApplyContext
from truce.ledger.models import ledger_entries, ledger_head

GENESIS = "0" * 64
#: the payload key that keeps a command's business time when the deployment's clock is not the real one
BUSINESS_AT = "business_at"

__all__ = ["SYSTEM", "Actor", "ApplyContext", "applier", "record", "replay_entry"]


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def canonical_str(obj: Any) -> str:
    return canonical(obj).decode("utf-8")


def leaf_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(b"\x00" + canonical(entry)).hexdigest()


node_hash = merkle.hash_children  # SHA-256(0x01 || left || right)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def business_now() -> str:
    """What a service stamps on a command as its business time: the business clock when it is not the real one
    (see truce.times), else the real time as the ledger writes it."""
    return times.now() if times.business_clock() else now_iso()


Applier = Callable[[Connection, dict[str, Any], ApplyContext], Any]
APPLIERS: dict[str, Applier] = {}
_applier_loader: list[Callable[[], None]] = []


def set_applier_loader(load: Callable[[], None]) -> None:
    """What imports the modules whose appliers are needed: run once, the first time a command is applied
    (read-only commands never pay for importing every domain)."""
    _applier_loader[:] = [load]


def applier_for(command: str) -> Applier | None:
    """The command's applier, after loading every domain module once: reactions are declared in modules
    other than the command's own, so all of them must be registered before any command is applied."""
    if _applier_loader:
        _applier_loader.pop()()
    return APPLIERS.get(command)


def applier(command: str) -> Callable[[Applier], Applier]:
    """Register the function that projects a command's payload into the tables."""

    def deco(fn: Applier) -> Applier:
        if command in APPLIERS:
            raise RuntimeError(f"two appliers for {command}")
        APPLIERS[command] = fn
        return fn

    return deco


def entry_dict(row: Any) -> dict[str, Any]:
    return {
        "seq": int(row.seq),
        "at": row.at,
        "actor": row.actor,
        "org": row.org,
        "command": row.command,
        "payload": json.loads(row.payload),
        "prev": row.prev_hash,
    }


def _lock_head(conn: Connection) -> tuple[int, str]:
    """Lock the ledger head for the rest of the transaction and return it (seq, hash).

    On PostgreSQL the one-row head table is locked FOR UPDATE: every writer queues here, so whatever a
    writer reads after this (the next incident number, whether a report UUID is known) stays true until
    it commits. On SQLite the write transaction is BEGIN IMMEDIATE: the database is already locked."""
    stmt = select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)
    pg = conn.dialect.name == "postgresql"
    if pg:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        if pg:
            # Two first writers at once: one inserts, the other waits on the key and then finds the row.
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(
                pg_insert(ledger_head).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing(index_elements=["id"])
            )
            row = conn.execute(stmt).first()
            assert row is not None
            return int(row.seq), row.hash
        conn.execute(insert(ledger_head).values(id=1, seq=0, hash=GENESIS))
        return 0, GENESIS
    return int(row.seq), row.hash


def lock(conn: Connection) -> None:
    """Take the ledger lock at the start of a write transaction, before the command reads anything:
    ids taken as max(id)+1 and checks such as "is this UUID known" are then made by one writer at a time.
    On SQLite, BEGIN IMMEDIATE (db.write_tx) has locked the database already."""
    if conn.dialect.name != "sqlite":
        _lock_head(conn)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1)).first()
    return (int(row.seq), row.hash) if row else (0, GENESIS)


def record(
    conn: Connection,
    actor: Actor,
    command: str,
    payload: dict[str, Any],
    blobs: BlobStore,
    at: str | None = None,
) -> tuple[int, Any]:
    """Apply a command and append its ledger entry in the caller's transaction.

    Returns (sequence number, the applier's result)."""
    apply = applier_for(command)
    if apply is None:
        raise RuntimeError(f"no applier for command {command}")
    # Round-trip the payload through canonical JSON so that what is applied is exactly what is stored.
    payload = json.loads(canonical(payload))
    if BUSINESS_AT not in payload and times.business_clock():
        payload[BUSINESS_AT] = times.now()  # the business time, kept with the command so that replay reproduces it
    prev_seq, prev_hash = _lock_head(conn)
    seq = prev_seq + 1
    at = at or now_iso()
    ctx = ApplyContext(blobs=blobs, seq=seq, at=at, actor=actor.name, org=actor.org,
                       business_at=str(payload.get(BUSINESS_AT) or ""))
    result = apply(conn, payload, ctx)
    reactions.run(conn, command, payload, ctx)
    entry = {
        "seq": seq,
        "at": at,
        "actor": actor.name,
        "org": actor.org,
        "command": command,
        "payload": payload,
        "prev": prev_hash,
    }
    h = leaf_hash(entry)
    conn.execute(
        insert(ledger_entries).values(
            seq=seq,
            at=at,
            actor=actor.name,
            org=actor.org,
            command=command,
            payload=canonical_str(payload),
            prev_hash=prev_hash,
            hash=h,
        )
    )
    merkle.append_leaf(conn, seq - 1, bytes.fromhex(h), bytes.fromhex(prev_hash))
    conn.execute(update(ledger_head).where(ledger_head.c.id == 1).values(seq=seq, hash=h))
    return seq, result


def iter_entries(conn: Connection, upto: int | None = None, batch: int = 2000) -> Iterator[Any]:
    last = 0
    while True:
        stmt = select(ledger_entries).where(ledger_entries.c.seq > last).order_by(ledger_entries.c.seq).limit(batch)
        if upto is not None:
            stmt = stmt.where(ledger_entries.c.seq <= upto)
        rows = conn.execute(stmt).all()
        if not rows:
            return
        yield from rows
        last = int(rows[-1].seq)


@dataclass
class ChainProblem:
    seq: int | None
    message: str


def verify_chain(conn: Connection) -> list[ChainProblem]:
    """Check every entry's hash, every link to its predecessor, contiguity and the head."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev = GENESIS
    for row in iter_entries(conn):
        seq = int(row.seq)
        if seq != expected_seq:
            problems.append(ChainProblem(seq, f"ledger entry {expected_seq} is missing (next entry found is {seq})"))
            return problems
        if row.prev_hash != prev:
            problems.append(ChainProblem(seq, f"ledger entry {seq} does not link to entry {seq - 1}"))
            return problems
        try:
            d = entry_dict(row)
        except ValueError:
            problems.append(ChainProblem(seq, f"ledger entry {seq} has a payload that is not JSON"))
            return problems
        if leaf_hash(d) != row.hash:
            problems.append(
                ChainProblem(seq, f"ledger entry {seq} ({row.command}) was altered: its hash does not match")
            )
            return problems
        prev = row.hash
        expected_seq += 1
    last = expected_seq - 1
    hseq, hhash = head(conn)
    if hseq != last or hhash != prev:
        problems.append(
            ChainProblem(
                hseq,
                f"ledger head says entry {hseq} but the chain ends at entry {last}"
                if hseq != last
                else "ledger head hash does not match the last entry",
            )
        )
    return problems


def replay_entry(conn: Connection, row: Any, blobs: BlobStore) -> None:
    d = entry_dict(row)
    ctx = ApplyContext(blobs=blobs, seq=d["seq"], at=d["at"], actor=d["actor"], org=d["org"],
                       business_at=str(d["payload"].get(BUSINESS_AT) or "") if isinstance(d["payload"], dict) else "")
    fn = applier_for(d["command"])
    if fn is None:
        raise RuntimeError(f"ledger entry {d['seq']} names unknown command {d['command']}")
    fn(conn, d["payload"], ctx)
    reactions.run(conn, d["command"], d["payload"], ctx)
    conn.execute(
        insert(ledger_entries).values(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            org=row.org,
            command=row.command,
            payload=row.payload,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
    )
    merkle.append_leaf(conn, int(row.seq) - 1, bytes.fromhex(row.hash), bytes.fromhex(row.prev_hash))
    existing = conn.execute(select(ledger_head.c.id)).first()
    if existing is None:
        conn.execute(insert(ledger_head).values(id=1, seq=row.seq, hash=row.hash))
    else:
        conn.execute(update(ledger_head).where(ledger_head.c.id == 1).values(seq=row.seq, hash=row.hash))
