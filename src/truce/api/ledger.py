"""Ledger entries: the head (public, for checkpoints), entries (signed in), payloads (every tier)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from truce.api.deps import actor, read
from truce.auth.visibility import may_read_payloads
from truce.errors import NotFound, PermissionDenied
from truce.ledger import chain
from truce.ledger.chain import Actor
from truce.ledger.models import ledger_entries

router = APIRouter(tags=["ledger"])


@router.get("/ledger/head", summary="The ledger head: sequence number and hash")
def head(request: Request) -> Any:
    with read(request) as conn:
        seq, h = chain.head(conn)
    return {"seq": seq, "hash": h}


@router.get("/ledger", summary="Ledger entries, newest first (cursor: before=SEQ)")
def entries(
    request: Request,
    limit: int = Query(50, ge=1, le=1000),
    before: int | None = Query(None, ge=1, description="Entries with a smaller sequence number"),
    command: str | None = None,
    a: Actor = Depends(actor),
) -> Any:
    c = ledger_entries.c
    stmt = select(c.seq, c.at, c.actor, c.org, c.command, c.hash, c.prev_hash).order_by(c.seq.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(c.seq < before)
    if command:
        stmt = stmt.where(c.command == command)
    with read(request) as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
    nxt = rows[-1]["seq"] if len(rows) == limit and rows[-1]["seq"] > 1 else None
    return {"entries": rows, "next_before": nxt}


@router.get("/ledger/{seq}", summary="One ledger entry with its payload (for who sees every tier)")
def entry(seq: int, request: Request, a: Actor = Depends(actor)) -> Any:
    if not may_read_payloads(a):
        raise PermissionDenied(
            f"user '{a.name}' ({a.role} of {a.org}) may not read ledger payloads: they hold reports of every "
            "visibility tier (admins and verifiers may)"
        )
    with read(request) as conn:
        row = conn.execute(select(ledger_entries).where(ledger_entries.c.seq == seq)).first()
    if row is None:
        raise NotFound(f"no ledger entry {seq}", field="seq")
    d = chain.entry_dict(row)
    d["hash"] = row.hash
    d["payload"] = json.loads(row.payload)
    return d
