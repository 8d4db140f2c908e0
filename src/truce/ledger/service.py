"""`ledger verify`: check the chain, replay it into a scratch database, compare every projection."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, select

from truce import db
from truce.incidents.verification import check_judgments
from truce.ledger import chain
from truce.ledger.context import App
from truce.ledger.models import blobs as blobs_table
from truce.ledger.models import ledger_entries


@dataclass
class VerifyResult:
    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    tables: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "tables": self.tables,
            "problems": self.problems,
        }


# Tables written outside the ledger (web sessions, sign-in attempts; the log's private key, its checkpoints and
# their co-signatures, which sign the ledger; the bytes of blobs kept in the database; a mirror's own
# bookkeeping): not projections, never replayed.
OPERATIONAL_TABLES = frozenset(
    {
        "web_sessions",
        "login_attempts",
        "idempotency_keys",
        "ledger_signer",
        "ledger_checkpoints",
        "ledger_cosignatures",
        "ledger_witness_state",
        "blob_data",
        "mirror_state",
        "mirror_seen",
        "mirror_alarms",
        "totp_secrets",
        "deployment_settings",
    }
)


def projection_tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in OPERATIONAL_TABLES]


def _pk_names(t: Table) -> list[str]:
    return [c.name for c in t.primary_key.columns]


def _fmt(v: Any) -> str:
    s = json.dumps(v, default=str, ensure_ascii=False)
    return s if len(s) <= 80 else s[:77] + "..."


def compare_table(live: Connection, replayed: Connection, t: Table, limit: int = 5) -> tuple[int, list[str]]:
    pk = _pk_names(t)
    cols = [c.name for c in t.columns]

    def rows(conn: Connection) -> dict[tuple[Any, ...], dict[str, Any]]:
        out = {}
        for r in conn.execute(select(t)).mappings():
            out[tuple(r[k] for k in pk)] = dict(r)
        return out

    a, b = rows(live), rows(replayed)
    problems: list[str] = []

    def key_s(k: tuple[Any, ...]) -> str:
        return ", ".join(f"{n}={v}" for n, v in zip(pk, k, strict=True))

    for k in sorted(set(a) | set(b), key=lambda x: tuple(str(v) for v in x)):
        if len(problems) >= limit:
            break
        if k not in b:
            problems.append(f"table {t.name}: row {key_s(k)} is in the database but no ledger entry made it")
        elif k not in a:
            problems.append(f"table {t.name}: row {key_s(k)} made by the ledger is missing from the database")
        else:
            for c in cols:
                if a[k][c] != b[k][c]:
                    problems.append(
                        f"table {t.name}: row {key_s(k)} column {c} is {_fmt(a[k][c])} in the "
                        f"database but {_fmt(b[k][c])} by the ledger"
                    )
                    break
    return len(a), problems


def verify(app: App, progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    res = VerifyResult()
    with app.read() as conn:
        problems = chain.verify_chain(conn)
        res.head_seq, res.head_hash = chain.head(conn)
        res.entries = (
            conn.execute(select(ledger_entries.c.seq).order_by(ledger_entries.c.seq.desc()).limit(1)).scalar() or 0
        )
    if problems:
        res.problems = [p.message for p in problems]
        return res
    fd, path = tempfile.mkstemp(prefix="truce-replay-", suffix=".db")
    os.close(fd)
    os.unlink(path)
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        done = 0
        with app.read() as live:
            batch: list[Any] = []
            for row in chain.iter_entries(live):
                batch.append(row)
                if len(batch) >= 200:
                    _replay_batch(engine, batch, app)
                    done += len(batch)
                    batch = []
                    if progress:
                        progress(done, res.entries)
            if batch:
                _replay_batch(engine, batch, app)
                done += len(batch)
                if progress:
                    progress(done, res.entries)
            with engine.connect() as scratch:
                for t in projection_tables():
                    n, probs = compare_table(live, scratch, t)
                    res.tables[t.name] = n
                    res.problems.extend(probs)
            # The derived fields, recomputed by the rules: a stale judgment that the replay reproduces.
            res.problems.extend(check_judgments(live))
            for r in live.execute(select(blobs_table.c.sha256)):
                try:
                    if not app.blobs.verify(r.sha256):
                        res.problems.append(f"blob {r.sha256}: its content no longer matches its hash")
                except Exception as e:  # missing file
                    res.problems.append(f"blob {r.sha256}: {e}")
    except Exception as e:
        res.problems.append(f"replay failed: {e}")
    finally:
        engine.dispose()
        db._migrated.discard(url)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
    return res


def _replay_batch(engine: Any, rows: list[Any], app: App) -> None:
    with db.write_tx(engine) as conn:
        for row in rows:
            try:
                chain.replay_entry(conn, row, app.blobs)
            except Exception as e:
                raise RuntimeError(f"ledger entry {row.seq} ({row.command}) could not be replayed: {e}") from e


def log(
    conn: Connection, limit: int = 50, offset: int = 0, command: str | None = None, with_payload: bool = False
) -> list[dict[str, Any]]:
    stmt = select(ledger_entries).order_by(ledger_entries.c.seq.desc())
    if command:
        stmt = stmt.where(ledger_entries.c.command == command)
    if limit:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    out = []
    for r in conn.execute(stmt):
        d = {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "org": r.org,
            "command": r.command,
            "hash": r.hash,
            "prev_hash": r.prev_hash,
        }
        if with_payload:
            d["payload"] = json.loads(r.payload)
        else:
            d["payload_bytes"] = len(r.payload)
        out.append(d)
    return out
