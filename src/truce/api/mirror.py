"""What a mirror needs from the node it follows (the raw ledger entries, the blobs they cite), and what a
mirror shows of itself (the checkpoints it has seen, for gossip; its state and alarms).

Visibility: ledger payloads hold reports of every tier, so the raw feed and the blobs are served to those who
see every tier (`may_read_payloads`: admins, and verifiers of a guarantor office or the joint group) — a
guarantor's mirror follows with a token of one of its verifiers and receives everything. The public keeps
what it sees today: the head, the signed checkpoints and proofs, and evidence through the report pages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select

from truce.api.deps import actor, read, truce
from truce.auth.visibility import may_read_payloads
from truce.errors import NotFound, PermissionDenied, ValidationFailed
from truce.ledger import chain
from truce.ledger.blobs import BlobError
from truce.ledger.chain import Actor
from truce.ledger.models import ledger_entries
from truce.mirror.service import seen_checkpoints
from truce.mirror.service import status as mirror_status

router = APIRouter(tags=["mirror"])


def _full_reader(a: Actor, what: str) -> None:
    if not may_read_payloads(a):
        raise PermissionDenied(
            f"user '{a.name}' ({a.role} of {a.org}) may not read {what}: they hold reports of every visibility "
            "tier (a guarantor's mirror follows with a token of one of its verifiers; admins may too)"
        )


@router.get(
    "/ledger/entries",
    summary="Raw ledger entries in order, after a sequence number (for mirrors: everything to recompute and replay)",
)
def raw_entries(
    request: Request,
    after: int = Query(0, ge=0, description="Entries with a larger sequence number"),
    limit: int = Query(1000, ge=1, le=5000),
    a: Actor = Depends(actor),
) -> Any:
    _full_reader(a, "the raw ledger")
    c = ledger_entries.c
    stmt = (
        select(c.seq, c.at, c.actor, c.org, c.command, c.payload, c.prev_hash, c.hash)
        .where(c.seq > after)
        .order_by(c.seq)
        .limit(limit)
    )
    with read(request) as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        seq, h = chain.head(conn)
    body = json.dumps({"entries": rows, "head": {"seq": seq, "hash": h}}, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type="application/json")


@router.get("/blobs/{sha256}", summary="The bytes of a blob (an evidence or imported source file) by its sha256")
def blob(sha256: str, request: Request, a: Actor = Depends(actor)) -> Any:
    _full_reader(a, "blobs")
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise ValidationFailed("sha256: 64 lowercase hex digits", field="sha256")
    store = truce(request).blobs
    try:
        f = store.open(sha256)
    except BlobError as e:
        raise NotFound(str(e), field="sha256") from None

    def chunks() -> Iterator[bytes]:
        with f:
            yield from iter(lambda: f.read(1 << 20), b"")

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@router.get("/mirror/seen", summary="The signed checkpoints this node has seen (gossip between mirrors)")
def seen(request: Request, limit: int = Query(20, ge=1, le=1000)) -> Any:
    with read(request) as conn:
        return {"checkpoints": seen_checkpoints(conn, limit)}


@router.get("/mirror/status", summary="This mirror's state: what it follows, its last verified checkpoint, alarms")
def status(request: Request) -> Any:
    with read(request) as conn:
        return mirror_status(conn)
