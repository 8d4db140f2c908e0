"""What a mirror records of what it saw: the checkpoints seen, and the alarm a conflict raises (a module of
its own so that the checks and the follower both use them without importing each other)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from truce.ledger import chain
from truce.mirror.models import mirror_seen


def record_seen(conn: Connection, origin: str, size: int, root_hex: str, note: str, where: str, verified: bool) -> None:
    have = conn.execute(
        select(mirror_seen.c.id).where(
            mirror_seen.c.size == size, mirror_seen.c.root == root_hex, mirror_seen.c.seen_from == where
        )
    ).first()
    if have is None:
        conn.execute(
            insert(mirror_seen).values(
                origin=origin,
                size=size,
                root=root_hex,
                note=note,
                seen_from=where,
                verified=verified,
                at=chain.now_iso(),
            )
        )


@dataclass
class Alarm:
    kind: str
    message: str
    held: str | None = None
    new: str | None = None
    proof: dict[str, Any] | None = None
    id: int = 0
    proof_file: Path | None = None
