"""`truce mirror`: a node that follows another over its HTTP API and keeps its own verified copy.

A pull takes the entries after the mirror's own head, checks each one's hash and its link to the one before,
fetches the blobs they cite, and replays them into the mirror's database with `chain.replay_entry` (the code
`truce ledger verify` runs), one transaction per batch: the mirror's head is the truth, so a pull killed
halfway resumes where the last committed batch ended. It then checks the source's signed checkpoint against
the last one it verified (a consistency proof) and against its own copy (its own root at that size), and
only then takes it as verified (and, as a witness, co-signs it). A history that does not extend what it holds
stops it: it keeps its copy, records an alarm naming the two conflicting signed checkpoints, and writes a
proof of misbehaviour (`truce.mirror.proof`) that anyone checks with `truce ledger check-proof FILE`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from sqlalchemy import Connection, Engine, desc, insert, select, update

from truce import db
from truce.errors import TruceError
from truce.ledger import chain, merkle, signing
from truce.ledger.blobs import BlobError, BlobStore
from truce.ledger.checkpoints import Checkpoint, open_note
from truce.mirror import checks
from truce.mirror.checks import CheckError, open_signed, parse_vkey
from truce.mirror.models import mirror_alarms, mirror_seen, mirror_state
from truce.mirror.records import Alarm

BATCH = 1000
HEX = frozenset("0123456789abcdef")


class SourceError(TruceError):
    code = "source_error"
    status = 502


class Stopped(TruceError):
    code = "mirror_stopped"
    status = 409


@dataclass
class Entry:
    """A raw ledger entry as the source serves it (attribute names of a `ledger_entries` row)."""

    seq: int
    at: str
    actor: str
    org: str
    command: str
    payload: str
    prev_hash: str
    hash: str


# --- the source: another node's HTTP API ----------------------------------------------------------------


class Source:
    """The node followed (or a peer mirror), over its HTTP API."""

    api = "/api/v1"

    def __init__(self, url: str, token: str | None = None, client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.client = client or httpx.Client(base_url=self.url, timeout=120.0)
        if token:
            self.client.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.client.close()

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        missing_ok: bool = False,
        absent: tuple[int, ...] = (404,),
    ) -> httpx.Response | None:
        try:
            r = self.client.get(self.api + path, params=params)
        except httpx.HTTPError as e:
            raise SourceError(f"{self.url}: cannot reach the node ({e.__class__.__name__}: {e})") from None
        if r.status_code in absent and missing_ok:
            return None
        if r.status_code >= 400:
            raise SourceError(f"{self.url}{self.api}{path}: HTTP {r.status_code}: {_message(r)}")
        return r

    def entries(self, after: int, limit: int = BATCH) -> tuple[list[Entry], int, str]:
        r = self._get("/ledger/entries", {"after": after, "limit": limit})
        assert r is not None
        d = r.json()
        try:
            rows = [Entry(**{k: e[k] for k in Entry.__dataclass_fields__}) for e in d["entries"]]
            return rows, int(d["head"]["seq"]), str(d["head"]["hash"])
        except (KeyError, TypeError, ValueError) as e:
            raise SourceError(f"{self.url}: the ledger feed is malformed ({e})") from None

    def blob(self, sha256: str) -> bytes | None:
        r = self._get(f"/blobs/{sha256}", missing_ok=True)
        return None if r is None else r.content

    def checkpoint(self, size: int | None = None) -> str | None:
        """The latest signed checkpoint (or the one of a size), or None if the node serves none."""
        # (an older Truce without checkpoints answers /ledger/checkpoint as /ledger/{seq}: 422)
        path = "/ledger/checkpoint" if size is None else f"/ledger/checkpoints/{size}"
        r = self._get(path, missing_ok=True, absent=(404, 422))
        return None if r is None else r.text

    def consistency(self, m: int, n: int) -> tuple[bytes, list[bytes]]:
        """A consistency proof from size m to size n, with the node's own root at size m."""
        r = self._get("/ledger/proof/consistency", {"from": m, "to": n})
        assert r is not None
        d = r.json()
        try:
            return bytes.fromhex(d["old_root"]), [bytes.fromhex(h) for h in d["proof"]]
        except (KeyError, TypeError, ValueError) as e:
            raise SourceError(f"{self.url}: the consistency proof is malformed ({e})") from None

    def inclusion(self, seq: int, size: int) -> list[bytes]:
        r = self._get("/ledger/proof/inclusion", {"seq": seq, "size": size})
        assert r is not None
        return [bytes.fromhex(h) for h in r.json()["proof"]]

    def log_key(self) -> str | None:
        """The log's verifier key (C2SP vkey) as the node publishes it."""
        r = self._get("/ledger/log-key", missing_ok=True, absent=(404, 422))
        return None if r is None else str(r.json().get("vkey") or "") or None

    def latest_agreed(self) -> str | None:
        """The newest checkpoint the node reports as agreed (else its latest), as a signed note."""
        r = self._get("/ledger/checkpoints", {"limit": 100}, missing_ok=True, absent=(404, 422))
        if r is None:
            return None
        rows = r.json().get("checkpoints", [])
        agreed = [c["size"] for c in rows if c.get("agreed")]
        return self.checkpoint(max(agreed)) if agreed else self.checkpoint()

    def seen(self) -> list[str]:
        r = self._get("/mirror/seen", {"limit": 50}, missing_ok=True)
        return [] if r is None else [c["note"] for c in r.json()["checkpoints"]]

    def post_cosignature(self, size: int, line: str) -> None:
        try:
            r = self.client.post(
                f"{self.api}/ledger/checkpoints/{size}/cosignatures",
                content=line.encode(),
                headers={"Content-Type": "text/plain"},
            )
        except httpx.HTTPError as e:
            raise SourceError(f"{self.url}: cannot reach the node ({e})") from None
        if r.status_code >= 400:
            raise SourceError(f"{self.url}: the co-signature was refused: HTTP {r.status_code}: {_message(r)}")


def _message(r: httpx.Response) -> str:
    try:
        return str(r.json().get("message") or r.text[:200])
    except ValueError:
        return r.text[:200]


class FetchingBlobStore(BlobStore):
    """The mirror's own blob store, which fetches from the source (and checks the hash) a blob that a
    replayed entry reads and the mirror does not have yet."""

    def __init__(self, inner: BlobStore, source: Source) -> None:
        self.inner, self.source = inner, source
        self.where = inner.where

    def exists(self, sha256: str) -> bool:
        return self.inner.exists(sha256)

    def put_chunks(self, sha256: str, chunks: Iterable[bytes]) -> None:
        self.inner.put_chunks(sha256, chunks)

    def all(self) -> Iterator[str]:
        return self.inner.all()

    def fetch(self, sha256: str) -> bool:
        if self.inner.exists(sha256):
            return True
        data = self.source.blob(sha256)
        if data is None:
            return False
        self.inner.put_verified(sha256, [data])
        return True

    def open(self, sha256: str) -> BinaryIO:
        if not self.fetch(sha256):
            raise BlobError(
                f"blob {sha256} is missing from {self.inner.where}, and {self.source.url} does not serve it"
            )
        return self.inner.open(sha256)


def cited_blobs(payload: Any) -> Iterator[str]:
    """The sha256s an entry's payload cites as files (keys `blob` and `sha256`, at any depth)."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            if k in ("blob", "sha256") and isinstance(v, str) and len(v) == 64 and set(v) <= HEX:
                yield v
            else:
                yield from cited_blobs(v)
    elif isinstance(payload, list):
        for v in payload:
            yield from cited_blobs(v)


# --- state -------------------------------------------------------------------------------------------------


def state(conn: Connection) -> dict[str, Any] | None:
    row = conn.execute(select(mirror_state).where(mirror_state.c.id == 1)).mappings().first()
    return dict(row) if row else None


def start(engine: Engine, source_url: str, witness: str | None = None, log_key: str | None = None) -> dict[str, Any]:
    """Make a database a mirror of `source_url` (or check that it is one of that source already), pinning the
    source log's verifier key when it is given."""
    if log_key:
        try:
            parse_vkey(log_key)
        except CheckError as e:
            raise TruceError(str(e), field="log_key") from None
    with db.write_tx(engine) as conn:
        st = state(conn)
        if st is None:
            hseq, _ = chain.head(conn)
            if hseq:
                raise TruceError(
                    f"the mirror's database already holds {hseq} ledger entries of its own: a mirror starts from "
                    "an empty database (or one that already mirrors this source)",
                    field="db",
                )
            conn.execute(
                insert(mirror_state).values(
                    id=1,
                    source_url=source_url,
                    checkpoint_size=0,
                    following=True,
                    witness=witness,
                    updated_at=chain.now_iso(),
                )
            )
        elif st["source_url"].rstrip("/") != source_url.rstrip("/"):
            raise TruceError(
                f"this database mirrors {st['source_url']}, not {source_url}: use another database", field="db"
            )
        elif witness and st["witness"] != witness:
            conn.execute(update(mirror_state).where(mirror_state.c.id == 1).values(witness=witness))
        st = state(conn)
        assert st is not None
        if log_key and st["log_key"] and st["log_key"] != log_key:
            raise TruceError(
                f"this mirror pinned the log key {st['log_key']} of its source; it does not take another",
                field="log_key",
            )
        if log_key and not st["log_key"]:
            conn.execute(update(mirror_state).where(mirror_state.c.id == 1).values(log_key=log_key))
            st["log_key"] = log_key
    assert st is not None
    return st


def alarms(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(mirror_alarms).order_by(desc(mirror_alarms.c.id))).mappings()
    return [dict(r) for r in rows]


def status(conn: Connection) -> dict[str, Any]:
    st = state(conn)
    hseq, hhash = chain.head(conn)
    out: dict[str, Any] = {"mirror": st is not None, "head": {"seq": hseq, "hash": hhash}}
    if st is not None:
        out.update(
            source=st["source_url"],
            origin=st["origin"],
            following=bool(st["following"]),
            witness=st["witness"],
            checkpoint_size=int(st["checkpoint_size"]),
            checkpoint=st["checkpoint"],
            updated_at=st["updated_at"],
        )
    out["alarms"] = [
        {k: a[k] for k in ("id", "at", "kind", "message", "source", "held_checkpoint", "new_checkpoint")}
        for a in alarms(conn)
    ]
    return out


def seen_checkpoints(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest distinct signed checkpoints seen, newest (largest) first."""
    rows = conn.execute(
        select(mirror_seen.c.origin, mirror_seen.c.size, mirror_seen.c.root, mirror_seen.c.note)
        .distinct()
        .order_by(desc(mirror_seen.c.size))
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def raise_alarm(engine: Engine, alarm: Alarm, source: str, proof_dir: Path | None = None) -> Alarm:
    """Record an alarm, stop following, and write the proof of misbehaviour file (if there is a proof)."""
    with db.write_tx(engine) as conn:
        res = conn.execute(
            insert(mirror_alarms).values(
                at=chain.now_iso(),
                kind=alarm.kind,
                message=alarm.message,
                source=source,
                held_checkpoint=alarm.held,
                new_checkpoint=alarm.new,
                proof=json.dumps(alarm.proof, indent=2) if alarm.proof else None,
            )
        )
        alarm.id = int(res.inserted_primary_key[0])  # type: ignore[index]
        conn.execute(
            update(mirror_state).where(mirror_state.c.id == 1).values(following=False, updated_at=chain.now_iso())
        )
    if alarm.proof and proof_dir is not None:
        proof_dir.mkdir(parents=True, exist_ok=True)
        alarm.proof_file = proof_dir / f"misbehaviour-{alarm.id}.json"
        alarm.proof_file.write_text(json.dumps(alarm.proof, indent=2) + "\n")
    return alarm


# --- pulling -----------------------------------------------------------------------------------------------


@dataclass
class PullResult:
    pulled: int = 0
    head: int = 0
    checkpoint_size: int = 0
    cosigned: bool = False
    alarm: Alarm | None = None
    notes: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]


def pull(
    app: Any,
    source: Source,
    *,
    witness: tuple[str, Any] | None = None,
    proof_dir: Path | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    stop_after_batches: int | None = None,
) -> PullResult:
    """One round: pull the source's entries after the mirror's head, replay them, verify its checkpoint."""
    engine = app.engine
    res = PullResult()
    with app.read() as conn:
        st = state(conn)
        res.head, my_hash = chain.head(conn)
    if st is None:
        raise TruceError("this database is not a mirror (run `truce mirror follow URL --db ...` first)", field="db")
    if not st["following"]:
        raise Stopped(
            f"this mirror stopped following {st['source_url']} after an alarm (`truce mirror status` shows it); "
            "it keeps serving its own copy"
        )
    res.checkpoint_size = int(st["checkpoint_size"])

    # 1. The source's latest signed checkpoint: checked against the last one this mirror verified before
    # anything is pulled, so that a history that does not extend ours is refused without taking any of it.
    note = source.checkpoint()
    if note is not None:
        verdict = checks.before_pull(app, st, source, note)
        if verdict is not None:
            res.alarm = raise_alarm(engine, verdict, source.url, proof_dir)
            return res
    # 2. The entries after our head, to the source's head.
    blobs = FetchingBlobStore(app.blobs, source)
    batches = 0
    while True:
        rows, src_seq, src_hash = source.entries(res.head, batch)
        if not rows:
            if src_seq < res.head and note is None:
                res.alarm = raise_alarm(
                    engine,
                    Alarm(
                        "rollback",
                        f"{source.url} went back from entry {res.head} (which this mirror holds) to entry {src_seq}; "
                        "it serves no signed checkpoint to prove it",
                    ),
                    source.url,
                    proof_dir,
                )
                return res
            break
        problem = check_rows(rows, res.head, my_hash)
        if problem is not None:
            res.alarm = raise_alarm(
                engine, Alarm("fork" if note is None else "bad_entries", problem), source.url, proof_dir
            )
            return res
        for r in rows:
            for sha in cited_blobs(json.loads(r.payload)):
                blobs.fetch(sha)
        with db.write_tx(engine) as conn:
            for r in rows:
                try:
                    chain.replay_entry(conn, r, blobs)
                except Exception as e:
                    raise TruceError(
                        f"ledger entry {r.seq} ({r.command}) from {source.url} could not be replayed: {e}"
                    ) from e
            conn.execute(update(mirror_state).where(mirror_state.c.id == 1).values(updated_at=chain.now_iso()))
        res.pulled += len(rows)
        res.head, my_hash = rows[-1].seq, rows[-1].hash
        if progress:
            progress(res.head, src_seq)
        batches += 1
        if stop_after_batches is not None and batches >= stop_after_batches:
            return res
        if res.head >= src_seq:
            break
    # 3. Our own root at the checkpoint's size must be the checkpoint's root; then it is verified.
    if note is not None:
        out = checks.after_pull(app, source, note, witness)
        if isinstance(out, Alarm):
            res.alarm = raise_alarm(engine, out, source.url, proof_dir)
            return res
        res.cosigned = out
    with app.read() as conn:
        st2 = state(conn)
    res.checkpoint_size = int(st2["checkpoint_size"]) if st2 else 0
    return res


def check_rows(rows: list[Entry], head: int, head_hash: str) -> str | None:
    """Each entry's number, its link to the one before, and its hash recomputed."""
    prev_seq, prev = head, head_hash
    for r in rows:
        if r.seq != prev_seq + 1:
            return f"the source sent entry {r.seq} where entry {prev_seq + 1} was due"
        if r.prev_hash != prev:
            return (
                f"entry {r.seq} from the source does not link to entry {prev_seq} "
                + ("that this mirror holds: the source's history before it differs" if prev_seq == head else "")
            ).strip()
        try:
            d = chain.entry_dict(r)
        except ValueError:
            return f"entry {r.seq} from the source has a payload that is not JSON"
        if chain.leaf_hash(d) != r.hash:
            return f"entry {r.seq} ({r.command}) from the source does not hash to the hash it carries"
        prev_seq, prev = r.seq, r.hash
    return None


def gossip(app: Any, peer: Source, proof_dir: Path | None = None) -> tuple[int, Alarm | None]:
    """Compare the checkpoints a peer mirror has seen with this mirror's own copy."""
    notes = peer.seen()
    alarm = checks.compare_gossip(app, peer, notes)
    if alarm is not None:
        alarm = raise_alarm(app.engine, alarm, peer.url, proof_dir)
    return len(notes), alarm


def check_restore(target: Any, res: Any, note: str | None, against: list[str]) -> None:
    """A restored copy against the checkpoint in its backup and the latest agreed checkpoints of live nodes or
    mirrors: the log's signature (the key its own ledger records), then its tree at that size."""
    with target.read() as conn:
        tree = merkle.Tree(conn)
        size = tree.size()
        vkey = signing.vkey(conn)

        def judge(text: str, where: str) -> None:
            try:
                s = open_signed(text, vkey) if vkey else None
            except CheckError as e:
                res.diverges.append(f"{where}: {e}")
                return
            if s is None:
                res.diverges.append(f"{where}: the restored ledger records no log key to check it with")
                return
            agreed = signing.check_note(conn, text, where).ok
            label = f"{where} ({'agreed' if agreed else 'not agreed'}, size {s.size})"
            if s.size <= size:
                if tree.root(s.size) == s.root:
                    res.agreed.append(f"includes {label}")
                else:
                    res.diverges.append(f"diverges from {label}: this copy has another root at size {s.size}")
                return
            if size == 0:
                res.behind.append(f"behind {label}: it holds no entries")
                return
            try:
                old_root, proof = Source(where).consistency(size, s.size)
            except Exception as e:  # noqa: BLE001
                res.behind.append(f"behind {label}: it holds {size} entries ({e})")
                return
            if old_root == tree.root(size) and merkle.verify_consistency(size, s.size, old_root, s.root, proof):
                res.behind.append(
                    f"behind {label}: it holds {size} entries, {s.size - size} are missing (the node has them)"
                )
            else:
                res.diverges.append(
                    f"diverges from {label}: no consistency proof joins this copy's {size} entries to it"
                )

        if note:
            res.checkpoint_size = Checkpoint.parse(open_note(note)[0]).size
            judge(note, "the checkpoint in the backup")
        for url in against:
            src = Source(url)
            try:
                latest = src.latest_agreed()
            finally:
                src.close()
            if latest is None:
                res.agreed.append(f"{url} serves no checkpoint to check against")
            else:
                judge(latest, url)
