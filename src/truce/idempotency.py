"""Idempotent writes: a client request id (the API's `Idempotency-Key` header, the CLI's `--request-id`)
makes a retried command return the first answer instead of doing the work twice.

The key is stored with the caller's name, a hash of the canonical request (one hash per field, so that a
refusal can name the fields that differ) and the answer, in the same write transaction as the command:
the command and its key are committed together or not at all, and the ledger lock (chain.lock) makes the
look-up and the write one step, so two retries racing each other still do the work once.

Rules:
- same key, same request (same command, same fields): the first answer (status and body), nothing written;
- same key, another request: refused with 409, naming the fields that differ;
- a refused command (4xx) stores nothing: nothing was written, so a retry simply runs it again;
- keys are per user (two users may use the same key) and kept for `KEEP_DAYS` days.

The table is operational (like web sessions): not a projection of the ledger, not rebuilt by a replay."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Index, Integer, String, Table, Text, delete, insert, select

from truce.db import metadata
from truce.errors import Conflict, ValidationFailed
from truce.ledger.chain import canonical, now_iso

KEEP_DAYS = 30
KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces (a UUID fits, so does a ULID)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("actor", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("request_fields", Text, nullable=False),  # {field: sha256 of its canonical JSON}
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_idempotency_keys_created_at", "created_at"),
)


@dataclass
class Outcome:
    status: int
    body: Any
    replayed: bool


def check_key(key: str, field: str = "Idempotency-Key") -> str:
    if not KEY_RE.match(key):
        raise ValidationFailed(
            f"{field}: 1 to 200 printable ASCII characters without spaces (e.g. a UUID)", field=field
        )
    return key


def field_hashes(fields: dict[str, Any]) -> dict[str, str]:
    return {k: hashlib.sha256(canonical(v)).hexdigest() for k, v in fields.items()}


def run(
    conn: Connection,
    actor: str,
    key: str | None,
    fields: dict[str, Any],
    fn: Callable[[Connection], Any],
    status: int | Callable[[Any], int] = 200,
    encode: Callable[[Any], Any] = lambda x: x,
) -> Outcome:
    """Run `fn(conn)` once per (actor, key) in the caller's write transaction (which holds the ledger lock).

    `fields` describe the request (command, path, body fields); `encode` turns fn's result into JSON-able
    data (the answer stored). Without a key, fn simply runs."""
    if key is None:
        result = encode(fn(conn))
        return Outcome(status(result) if callable(status) else status, result, False)
    check_key(key)
    hashes = field_hashes(fields)
    digest = hashlib.sha256(canonical(hashes)).hexdigest()
    row = conn.execute(
        select(idempotency_keys).where(idempotency_keys.c.actor == actor, idempotency_keys.c.key == key)
    ).first()
    if row is not None:
        if row.request_hash != digest:
            old = json.loads(row.request_fields)
            differ = sorted(k for k in set(old) | set(hashes) if old.get(k) != hashes.get(k))
            raise Conflict(
                f"Idempotency-Key: {key} was used for another request ({', '.join(differ)} differ); "
                "use a new key for a new request",
                details=[{"field": k, "message": "differs from the first request with this key"} for k in differ],
            )
        return Outcome(int(row.status), json.loads(row.response), True)
    result = encode(fn(conn))
    code = status(result) if callable(status) else status
    conn.execute(
        insert(idempotency_keys).values(
            actor=actor,
            key=key,
            request_hash=digest,
            request_fields=json.dumps(hashes, sort_keys=True),
            status=code,
            response=json.dumps(result, sort_keys=True, ensure_ascii=False, default=str),
            created_at=now_iso(),
        )
    )
    return Outcome(code, result, False)


def expire(conn: Connection, days: int = KEEP_DAYS) -> int:
    """Forget keys older than `days` days. Returns how many."""
    cutoff = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return int(conn.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)).rowcount or 0)
