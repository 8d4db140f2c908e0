"""Backup, restore and move: a portable archive of the ledger and its blobs, restored by replay.

`backup` reads the ledger in ONE snapshot while the server runs (a SQLite read transaction in WAL mode; a
PostgreSQL REPEATABLE READ transaction) and writes a zip archive: `manifest.json` (head, entry count, the
latest signed checkpoint the database holds), `ledger.jsonl` (the raw entries, one a line) and `blobs/<sha256>`
(every file the store holds: blobs are written before the entries that cite them and never removed, so each
cited blob is there). The same archive restores into either engine: `restore` replays it with
`chain.replay_entry` (the code of `truce ledger verify`), which rebuilds every table, then checks it against
the checkpoint in the archive and, when given, the latest checkpoint of a live node or mirror.

`replay_into` moves a deployment (SQLite to PostgreSQL) the same way, then compares every table of the two
databases as `ledger verify` does."""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from truce import db
from truce.app import Truce
from truce.errors import Conflict, TruceError, ValidationFailed
from truce.ledger import chain, signing
from truce.ledger.blobs import BlobStore
from truce.ledger.models import ledger_entries
from truce.ledger.service import compare_table, projection_tables

FORMAT = "truce-backup/1"
BATCH = 500
Progress = Callable[[int, int], None]


@dataclass
class Row:
    seq: int
    at: str
    actor: str
    org: str
    command: str
    payload: str
    prev_hash: str
    hash: str


COLUMNS = ("seq", "at", "actor", "org", "command", "payload", "prev_hash", "hash")


def _snapshot(engine: Engine) -> Any:
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


@dataclass
class BackupResult:
    file: Path
    entries: int
    head_hash: str
    blobs: int
    checkpoint: str | None


def backup(app: Any, file: Path, progress: Progress | None = None) -> BackupResult:
    file = Path(file)
    tmp = file.with_name(file.name + ".partial")
    try:  # an archive that cannot be written is refused before the ledger is read
        tmp.open("wb").close()
    except OSError as e:
        raise ValidationFailed(f"{file}: cannot be written ({e.strerror})", field="file") from e
    with _snapshot(app.engine) as conn, conn.begin():
        seq, h = chain.head(conn)  # the first read fixes the snapshot
        note = latest_checkpoint_note(conn, seq)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            with z.open("ledger.jsonl", "w", force_zip64=True) as out:
                for done, r in enumerate(chain.iter_entries(conn, upto=seq), 1):
                    out.write(json.dumps({c: getattr(r, c) for c in COLUMNS}, ensure_ascii=False).encode() + b"\n")
                    if progress and done % 2000 == 0:
                        progress(done, seq)
            n_blobs = 0
            for sha in app.blobs.all():
                with app.blobs.open(sha) as src, z.open(f"blobs/{sha}", "w", force_zip64=True) as dst:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        dst.write(chunk)
                n_blobs += 1
            manifest = {
                "format": FORMAT,
                "created_at": chain.now_iso(),
                "engine": app.engine.dialect.name,
                "entries": seq,
                "head": {"seq": seq, "hash": h},
                "blobs": n_blobs,
                "checkpoint": note,
            }
            z.writestr("operational.json", json.dumps(dump_operational(conn)))
            z.writestr("manifest.json", json.dumps(manifest, indent=2))
    if progress:
        progress(seq, seq)
    tmp.replace(file)
    return BackupResult(file, seq, h, n_blobs, note)


def latest_checkpoint_note(conn: Connection, size: int) -> str | None:
    """The newest agreed checkpoint (else the newest) with its co-signatures, of a size up to `size`."""
    best = None
    for c in signing.list_checkpoints(conn, 1000):
        if c["size"] <= size and (best is None or (c["agreed"] and not best["agreed"])):
            best = c
        if best is not None and best["agreed"]:
            break
    return str(best["note"]) if best else None


# Operational rows a restore must bring back: the log's signing key (without it the restored deployment
# could sign no checkpoint), its checkpoints and co-signatures, and a mirror's own bookkeeping. Not sessions,
# sign-in attempts, nor blob_data (the files go in blobs/).
KEPT_OPERATIONAL = (
    "deployment_settings",
    "ledger_signer",
    "ledger_checkpoints",
    "ledger_cosignatures",
    "ledger_witness_state",
    "mirror_state",
    "mirror_seen",
    "mirror_alarms",
)


def _jsonable(v: Any) -> Any:
    return {"$b64": base64.b64encode(v).decode()} if isinstance(v, (bytes, bytearray, memoryview)) else v


def _unjson(v: Any) -> Any:
    return base64.b64decode(v["$b64"]) if isinstance(v, dict) and "$b64" in v else v


def dump_operational(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name in KEPT_OPERATIONAL:
        t = db.metadata.tables[name]
        out[name] = [{k: _jsonable(v) for k, v in r.items()} for r in conn.execute(select(t)).mappings()]
    return out


def load_operational(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    from sqlalchemy import insert

    with db.write_tx(engine) as conn:
        for name in KEPT_OPERATIONAL:
            if rows.get(name):
                t = db.metadata.tables[name]
                conn.execute(insert(t), [{k: _unjson(v) for k, v in r.items()} for r in rows[name]])


# --- replay into another database ---------------------------------------------------------------------


def _require_empty(engine: Engine, url: str) -> None:
    with engine.connect() as conn:
        seq, _ = chain.head(conn)
        any_row = conn.execute(select(ledger_entries.c.seq).limit(1)).first()
    if seq or any_row:
        raise Conflict(
            f"{_safe(url)} already holds a ledger ({seq} entries): restore and move write into an empty database",
            field="db",
        )


def _safe(url: str) -> str:
    from sqlalchemy import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def replay_rows(
    engine: Engine, rows: Iterable[Any], blobs: BlobStore, total: int, progress: Progress | None = None
) -> tuple[int, str]:
    """Check each entry's hash and link and replay it, a transaction per batch. Returns the head."""
    prev_seq, prev = 0, chain.GENESIS
    batch: list[Any] = []

    def flush() -> None:
        with db.write_tx(engine) as conn:
            for r in batch:
                try:
                    chain.replay_entry(conn, r, blobs)
                except Exception as e:
                    raise TruceError(f"ledger entry {r.seq} ({r.command}) could not be replayed: {e}") from e
        batch.clear()

    for r in rows:
        if int(r.seq) != prev_seq + 1 or r.prev_hash != prev:
            raise ValidationFailed(f"ledger entry {r.seq}: does not follow entry {prev_seq} (the chain is broken)")
        if chain.leaf_hash(chain.entry_dict(r)) != r.hash:
            raise ValidationFailed(f"ledger entry {r.seq} ({r.command}) was altered: its hash does not match")
        batch.append(r)
        prev_seq, prev = int(r.seq), r.hash
        if len(batch) >= BATCH:
            flush()
            if progress:
                progress(prev_seq, total)
    if batch:
        flush()
    if progress:
        progress(prev_seq, total)
    return prev_seq, prev


@dataclass
class MoveResult:
    url: str
    entries: int
    head_hash: str
    blobs: int
    tables: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def replay_into(app: Any, url: str, progress: Progress | None = None) -> MoveResult:
    """Move a deployment into another (empty) database by replaying its ledger; compare every table."""
    if not url.startswith(("sqlite", "postgresql")):
        raise ValidationFailed(f"--into: {url!r} is not a SQLite or PostgreSQL database URL", field="into")
    target = Truce(url)
    if target.url == app.url:
        raise ValidationFailed("--into: that is this deployment's own database", field="into")
    _require_empty(target.engine, target.url)
    n_blobs = copy_blobs(app.blobs, target.blobs)
    with _snapshot(app.engine) as live, live.begin():
        total, _ = chain.head(live)
        seq, h = replay_rows(target.engine, chain.iter_entries(live, upto=total), target.blobs, total, progress)
        res = MoveResult(target.url, seq, h, n_blobs)
        with target.engine.connect() as moved:
            for t in projection_tables():
                n, probs = compare_table(live, moved, t)
                res.tables[t.name] = n
                res.problems.extend(probs)
    return res


def copy_blobs(src: BlobStore, dst: BlobStore) -> int:
    n = 0
    for sha in src.all():
        if not dst.exists(sha):
            with src.open(sha) as f:
                dst.put_verified(sha, iter(lambda: f.read(1 << 20), b""))
        n += 1
    return n


# --- restore ----------------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    url: str
    entries: int = 0
    head_hash: str = ""
    blobs: int = 0
    checkpoint_size: int | None = None
    agreed: list[str] = field(default_factory=list)  # what was checked, said plainly
    behind: list[str] = field(default_factory=list)
    diverges: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.behind and not self.diverges


def read_manifest(z: zipfile.ZipFile, name: str) -> dict[str, Any]:
    try:
        m: dict[str, Any] = json.loads(z.read("manifest.json"))
    except KeyError:
        raise ValidationFailed(f"{name}: not a Truce backup (no manifest.json)", field="file") from None
    except ValueError as e:
        raise ValidationFailed(f"{name}: manifest.json is not JSON ({e})", field="file") from None
    if m.get("format") != FORMAT:
        raise ValidationFailed(f"{name}: format {m.get('format')!r}, this Truce reads {FORMAT}", field="file")
    return m


def _rows(z: zipfile.ZipFile, name: str) -> Iterator[Row]:
    with z.open("ledger.jsonl") as f:
        for n, line in enumerate(f, 1):
            try:
                d = json.loads(line)
                yield Row(**{c: d[c] for c in COLUMNS})
            except (ValueError, KeyError, TypeError) as e:
                raise ValidationFailed(f"{name}: ledger.jsonl line {n} is not a ledger entry ({e})") from None


def restore(file: Path, url: str, against: list[str] | None = None, progress: Progress | None = None) -> RestoreResult:
    """Restore a backup into an empty database by replay, then check it against the checkpoints known."""
    file = Path(file)
    if not file.is_file():
        raise ValidationFailed(f"{file}: no such file", field="file")
    try:
        z = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise ValidationFailed(f"{file}: not a Truce backup (not a zip archive)", field="file") from None
    with z:
        m = read_manifest(z, file.name)
        target = Truce(url)
        _require_empty(target.engine, target.url)
        res = RestoreResult(target.url)
        for info in z.infolist():
            if info.filename.startswith("blobs/") and len(info.filename) == 70:
                sha = info.filename[6:]
                with z.open(info) as f:
                    target.blobs.put_verified(sha, [f.read()])
                res.blobs += 1
        total = int(m["entries"])
        res.entries, res.head_hash = replay_rows(target.engine, _rows(z, file.name), target.blobs, total, progress)
        if res.entries != total or res.head_hash != m["head"]["hash"]:
            raise ValidationFailed(
                f"{file.name}: the archive's entries end at {res.entries}, its manifest says {total}", field="file"
            )
        if "operational.json" in z.namelist():
            load_operational(target.engine, json.loads(z.read("operational.json")))
    from truce.mirror import service as follower  # lazy: the mirror (httpx) only for a restore that checks

    follower.check_restore(target, res, m.get("checkpoint"), against or [])
    return res
