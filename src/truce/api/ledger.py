"""Ledger entries: the head (public, for checkpoints), entries (signed in), payloads (every tier); the
Merkle tree's checkpoints, co-signatures and proofs (public: anyone may audit the log)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from truce.api.deps import actor, read, write
from truce.auth.visibility import may_read_payloads
from truce.errors import NotFound, PermissionDenied, ValidationFailed
from truce.ledger import chain, signing
from truce.ledger.chain import Actor
from truce.ledger.merkle import Tree
from truce.ledger.models import ledger_entries

router = APIRouter(tags=["ledger"])
NOTE_TYPE = "text/plain; charset=utf-8"
MAX_COSIGNATURE_BYTES = 4096


@router.get("/ledger/log-key", summary="The log's public key (signs checkpoints), its origin and verifier key")
def log_key(request: Request) -> Any:
    with read(request) as conn:
        k = signing.log_key(conn)
        if k is None:
            raise NotFound("the log has no key yet (truce ledger checkpoint makes one)")
        return {
            "origin": k["origin"],
            "key_id": k["key_id"],
            "public_key": k["public_key"],
            "vkey": signing.vkey(conn),
            "ledger_seq": k["ledger_seq"],
        }


@router.get(
    "/ledger/checkpoint",
    summary="The latest checkpoint as a signed note (C2SP), with every co-signature",
    response_class=PlainTextResponse,
)
def latest_checkpoint(request: Request) -> Any:
    with read(request) as conn:
        c = signing.checkpoint(conn)
    if c is None:
        raise NotFound("no checkpoint has been made yet (truce ledger checkpoint)")
    return PlainTextResponse(c["note"], media_type=NOTE_TYPE)


@router.get("/ledger/checkpoints", summary="Checkpoints, newest first: size, root, agreed, co-signers")
def checkpoints(request: Request, limit: int = Query(100, ge=1, le=1000)) -> Any:
    with read(request) as conn:
        rows = signing.list_checkpoints(conn, limit)
    return {
        "checkpoints": [
            {
                "size": c["size"],
                "root": c["root"],
                "agreed": c["agreed"],
                "rule": c["rule"],
                "cosigners": c["cosigners"],
                "missing": c["missing"],
                "created_at": c["created_at"],
            }
            for c in rows
        ]
    }


@router.get(
    "/ledger/checkpoints/{size}",
    summary="The checkpoint of a tree size as a signed note, with every co-signature",
    response_class=PlainTextResponse,
)
def checkpoint_of_size(size: int, request: Request) -> Any:
    with read(request) as conn:
        c = signing.checkpoint(conn, size)
    if c is None:
        raise NotFound(f"size: there is no checkpoint of size {size}", field="size")
    return PlainTextResponse(c["note"], media_type=NOTE_TYPE)


@router.post(
    "/ledger/checkpoints/{size}/cosignatures",
    summary="Add a guarantor office's co-signature (one cosignature/v1 line, text/plain)",
)
async def add_cosignature(size: int, request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_COSIGNATURE_BYTES:
        raise ValidationFailed(f"cosignature: more than {MAX_COSIGNATURE_BYTES} bytes", field="cosignature")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValidationFailed("cosignature: not UTF-8 text", field="cosignature") from e

    def go() -> Any:
        with write(request) as conn:
            res = signing.add_cosignature(conn, size, line)
            c = signing.checkpoint(conn, size)
        assert c is not None
        return {**res, "agreed": c["agreed"], "cosigners": c["cosigners"], "missing": c["missing"]}

    return await run_in_threadpool(go)


def _tree_call(fn: Any) -> Any:
    try:
        return fn()
    except ValueError as e:
        raise ValidationFailed(str(e)) from e


@router.get("/ledger/proof/inclusion", summary="Inclusion proof of ledger entry SEQ in the tree of SIZE")
def inclusion_proof(
    request: Request,
    seq: int = Query(..., ge=1, description="Sequence number of the entry"),
    size: int | None = Query(None, ge=1, description="Tree size (default: the ledger's size)"),
) -> Any:
    with read(request) as conn:
        tree = Tree(conn)
        n = size if size is not None else tree.size()
        if seq > n:
            raise ValidationFailed(f"seq: entry {seq} is not in the tree of size {n}", field="seq")
        proof = _tree_call(lambda: tree.inclusion_proof(seq - 1, n))
        return {
            "seq": seq,
            "index": seq - 1,
            "size": n,
            "leaf_hash": tree.leaf(seq - 1).hex(),
            "root": tree.root(n).hex(),
            "proof": [p.hex() for p in proof],
        }


@router.get("/ledger/proof/consistency", summary="Consistency proof from the tree of size FROM to size TO")
def consistency_proof(
    request: Request,
    from_: int = Query(..., alias="from", ge=1, description="The older tree size"),
    to: int = Query(..., ge=1, description="The newer tree size"),
) -> Any:
    with read(request) as conn:
        tree = Tree(conn)
        proof = _tree_call(lambda: tree.consistency_proof(from_, to))
        return {
            "from": from_,
            "to": to,
            "old_root": tree.root(from_).hex(),
            "new_root": tree.root(to).hex(),
            "proof": [p.hex() for p in proof],
        }


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
