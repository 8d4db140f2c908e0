"""What a dishonest host does to its own database, behind the ledger's back: cut the tail, edit an entry,
and recompute the chain and the Merkle tree so that `truce ledger verify`'s chain check still passes."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.pool import NullPool

from truce.ledger import chain, merkle
from truce.ledger.models import ledger_entries, ledger_head


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(url, poolclass=NullPool)


def recompute(url: str, start: int = 1) -> None:
    """Recompute every hash and link from entry `start` on, the head, and the whole Merkle tree."""
    eng = _engine(url)
    try:
        with eng.begin() as conn:
            c = ledger_entries.c
            prev = (
                chain.GENESIS
                if start == 1
                else conn.execute(select(c.hash).where(c.seq == start - 1)).scalar_one()
            )
            rows = conn.execute(select(ledger_entries).where(c.seq >= start).order_by(c.seq)).all()
            for r in rows:
                d = {"seq": int(r.seq), "at": r.at, "actor": r.actor, "org": r.org, "command": r.command,
                     "payload": json.loads(r.payload), "prev": prev}
                h = chain.leaf_hash(d)
                conn.execute(update(ledger_entries).where(c.seq == r.seq).values(prev_hash=prev, hash=h))
                prev = h
            last = conn.execute(select(c.seq, c.hash).order_by(c.seq.desc()).limit(1)).one()
            conn.execute(update(ledger_head).where(ledger_head.c.id == 1).values(seq=last.seq, hash=last.hash))
            merkle.backfill(conn)
    finally:
        eng.dispose()


def drop_tail(url: str, n: int) -> int:
    """Drop the last n entries; returns the new head."""
    eng = _engine(url)
    try:
        with eng.begin() as conn:
            c = ledger_entries.c
            top = int(conn.execute(select(c.seq).order_by(c.seq.desc()).limit(1)).scalar_one())
            conn.execute(delete(ledger_entries).where(c.seq > top - n))
    finally:
        eng.dispose()
    recompute(url, top - n)
    return top - n


def edit_payload(url: str, seq: int, change: dict) -> None:  # type: ignore[type-arg]
    """Change fields of an old entry's payload, then recompute everything after it."""
    eng = _engine(url)
    try:
        with eng.begin() as conn:
            c = ledger_entries.c
            p = json.loads(conn.execute(select(c.payload).where(c.seq == seq)).scalar_one())
            p.update(change)
            conn.execute(update(ledger_entries).where(c.seq == seq).values(payload=chain.canonical_str(p)))
    finally:
        eng.dispose()
    recompute(url, seq)
