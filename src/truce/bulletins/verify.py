"""`truce bulletin verify FILE.json`: recompute every number of a bulletin and check its signatures.

1. The ledger's hash chain is checked, and its entry at the bulletin's `ledger.seq` must have the
   file's `ledger.head_hash`.
2. The ledger is replayed, entries 1..seq, into a scratch SQLite database, and the bulletin is
   computed there: every value of the file must equal it ("ledger").
3. The bulletin is computed on the live database with the same sequence filter ("database"): every
   value must equal the file's too. Where the database differs from the replay at `seq`, the replay is
   carried on to the ledger head: a value the later entries explain (a report linked to another
   incident since, say) is reported as a note, not as a difference; any other is a difference, as
   when a row was changed behind the ledger's back.
4. Every signature in the file is checked against the public keys recorded in the ledger (`key.add`
   entries, revocations by `key.revoke`): Ed25519 over `signed_message(date, seq, sha256 of the body)`.
5. The checkpoint the file cites (`checkpoint`, a C2SP signed note) must be signed by the log's key
   recorded in the ledger, co-signed by the guarantor offices (their `key.add` keys) as the agreement's
   decision rule requires, hold the root of this ledger's Merkle tree at its size, and an inclusion
   proof must show the bulletin's entry `ledger.seq` in it. A published bulletin that cites no agreed
   checkpoint fails; a bulletin that was never published is only noted.

Each difference names its path in the JSON, e.g.
`numbers.by_governorate.SY07.RUS_OFFICE.reports: file 4, ledger 4, database 5`."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from truce import db
from truce.bulletins.compute import compute, version
from truce.bulletins.service import body_of, check_signature, digest, published
from truce.ledger import chain, merkle, signing
from truce.ledger.chain import canonical
from truce.ledger.context import App
from truce.ledger.models import ledger_entries

IGNORED = ("generated_with",)
ABSENT = object()
Progress = Callable[[int, int], None]


@dataclass
class VerifyReport:
    date: str = ""
    seq: int = 0
    head_hash: str = ""
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "date": self.date,
            "seq": self.seq,
            "head_hash": self.head_hash,
            "numbers_checked": self.checked,
            "problems": self.problems,
            "notes": self.notes,
            "signatures": self.signatures,
            "checkpoint": self.checkpoint,
        }


def flatten(obj: Any, prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Leaves of a JSON value by path: a.b.c, list items as a[0]."""
    out = {} if out is None else out
    if isinstance(obj, dict) and obj:
        for k in sorted(obj):
            flatten(obj[k], f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, list) and obj:
        for i, v in enumerate(obj):
            flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = obj
    return out


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        if rest:
            out += [int(i) for i in ("[" + rest).replace("]", "").split("[")[1:]]
    return out


def _get(obj: Any, path: str) -> Any:
    for t in _tokens(path):
        in_list = isinstance(t, int) and isinstance(obj, list) and 0 <= t < len(obj)
        in_dict = isinstance(t, str) and isinstance(obj, dict) and t in obj
        if not (in_list or in_dict):
            return ABSENT
        obj = obj[t]
    return obj


def _join(tokens: list[str | int]) -> str:
    s = ""
    for t in tokens:
        s += f"[{t}]" if isinstance(t, int) else (f".{t}" if s else t)
    return s


def _where_absent(path: str, docs: tuple[Any, ...]) -> str:
    """The shortest prefix of a path that some of the documents lack."""
    toks = _tokens(path)
    for k in range(1, len(toks) + 1):
        q = _join(toks[:k])
        if any(_get(d, q) is ABSENT for d in docs):
            return q
    return path


def _show(v: Any) -> str:
    if v is ABSENT:
        return "absent"
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 60 else s[:57] + "..."


def _norm(body: dict[str, Any]) -> dict[str, Any]:
    norm: dict[str, Any] = json.loads(canonical(body_of(body)))
    for k in IGNORED:
        norm.pop(k, None)
    return norm


class Replay:
    """A scratch SQLite database that the ledger is replayed into, entry by entry, as far as asked."""

    def __init__(self, app: App, progress: Progress | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="truce-bulletin-replay-", suffix=".db")
        os.close(fd)
        os.unlink(self.path)
        self.url = f"sqlite:///{self.path}"
        self.engine = db.make_engine(self.url)
        db.migrate(self.engine)
        self.app = app
        self.at = 0
        self.progress = progress

    def to(self, upto: int, total: int) -> None:
        batch: list[Any] = []
        with self.app.read() as live:
            for row in chain.iter_entries(live, upto=upto):
                if int(row.seq) <= self.at:
                    continue
                batch.append(row)
                if len(batch) >= 200:
                    self._apply(batch, total)
                    batch = []
            if batch:
                self._apply(batch, total)

    def _apply(self, rows: list[Any], total: int) -> None:
        # Entries are fetched with a cursor on the live database while the scratch one is written.
        with db.write_tx(self.engine) as conn:
            for row in rows:
                try:
                    chain.replay_entry(conn, row, self.app.blobs)
                except Exception as e:
                    raise RuntimeError(f"ledger entry {row.seq} ({row.command}) could not be replayed: {e}") from e
        self.at = int(rows[-1].seq)
        if self.progress:
            self.progress(self.at, total)

    def compute(self, day: str, seq: int) -> dict[str, Any]:
        with db.read_tx(self.engine) as conn:
            return compute(conn, day, seq)

    def close(self) -> None:
        self.engine.dispose()
        db._migrated.discard(self.url)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.unlink(self.path + suffix)


def verify_document(app: App, doc: Any, progress: Progress | None = None) -> VerifyReport:
    rep = VerifyReport()
    if not isinstance(doc, dict) or not isinstance(doc.get("ledger"), dict) or "numbers" not in doc:
        rep.problems.append("the file is not a Truce bulletin (no ledger and numbers)")
        return rep
    try:
        rep.date = str(doc["date"])
        rep.seq = int(doc["ledger"]["seq"])
        rep.head_hash = str(doc["ledger"]["head_hash"])
    except (KeyError, TypeError, ValueError):
        rep.problems.append("the file is not a Truce bulletin (date, ledger.seq or ledger.head_hash missing)")
        return rep

    with app.read() as live:
        chain_problems = chain.verify_chain(live)
        head_seq, _ = chain.head(live)
        entry = live.execute(select(ledger_entries.c.hash).where(ledger_entries.c.seq == rep.seq)).first()
    if chain_problems:
        rep.problems += [f"ledger: {p.message}" for p in chain_problems]
        return rep
    if entry is None:
        rep.problems.append(f"ledger.seq: the ledger has no entry {rep.seq} (its head is entry {head_seq})")
        return rep
    if entry.hash != rep.head_hash:
        rep.problems.append(f"ledger.head_hash: file {rep.head_hash}, ledger {entry.hash}")

    file_doc = _norm(doc)
    file_flat = flatten(file_doc)
    replay = Replay(app, progress)
    try:
        replay.to(rep.seq, head_seq)
        ledger_doc = _norm(replay.compute(rep.date, rep.seq))
        with app.read() as live:
            db_doc = _norm(compute(live, rep.date, rep.seq))
        ledger_flat, db_flat = flatten(ledger_doc), flatten(db_doc)
        later: dict[str, Any] | None = None
        paths = sorted(set(file_flat) | set(ledger_flat) | set(db_flat))
        reported: set[str] = set()
        for p in paths:
            f, lv, dv = (x.get(p, ABSENT) for x in (file_flat, ledger_flat, db_flat))
            if f == lv == dv:
                continue
            if ABSENT in (f, lv, dv):
                # A whole row or list item is missing on one side: name it once, where it starts.
                p = _where_absent(p, (file_doc, ledger_doc, db_doc))
                if p in reported:
                    continue
                reported.add(p)
                f, lv, dv = (_get(x, p) for x in (file_doc, ledger_doc, db_doc))
            if f == lv and head_seq > rep.seq:
                if later is None:
                    replay.to(head_seq, head_seq)
                    later = _norm(replay.compute(rep.date, rep.seq))
                if _get(later, p) == dv:
                    rep.notes.append(
                        f"{p}: file {_show(f)}, database {_show(dv)}: changed by ledger entries after {rep.seq}"
                    )
                    continue
            rep.problems.append(f"{p}: file {_show(f)}, ledger {_show(lv)}, database {_show(dv)}")
        rep.checked = len(paths)
        if doc.get("generated_with") != version():
            rep.notes.append(f"the file was made by {doc.get('generated_with')}; this is {version()}")
    except Exception as e:
        rep.problems.append(f"replay failed: {e}")
        return rep
    finally:
        replay.close()

    _check_signatures(app, doc, rep)
    _check_checkpoint(app, doc, rep)
    return rep


def _check_checkpoint(app: App, doc: dict[str, Any], rep: VerifyReport) -> None:
    cited = doc.get("checkpoint")
    if not cited:
        status = doc.get("checkpoint_status") or "the file has no checkpoint"
        if doc.get("published"):
            rep.problems.append(f"checkpoint: the published bulletin cites no agreed checkpoint ({status})")
        else:
            rep.notes.append(f"the bulletin was not published: it cites no checkpoint ({status})")
        return
    if not isinstance(cited, str):
        rep.problems.append("checkpoint: not a signed note (text)")
        return
    with app.read() as conn:
        check = signing.check_note(conn, cited)
        rep.problems += check.problems
        point = check.checkpoint
        if point is None:
            return
        info: dict[str, Any] = {
            "size": point.size,
            "root": point.root.hex(),
            "agreed": bool(check.status and check.status.agreed),
            "rule": check.status.rule if check.status else None,
            "cosigners": check.status.cosigners if check.status else [],
            "included": False,
        }
        rep.checkpoint = info
        tree = merkle.Tree(conn)
        if point.size < rep.seq:
            rep.problems.append(
                f"checkpoint: the tree of size {point.size} does not include the bulletin's ledger entry {rep.seq}"
            )
            return
        if point.size > tree.size():
            rep.problems.append(
                f"checkpoint: it covers {point.size} entries but this ledger holds {tree.size()}: "
                "the ledger lost entries"
            )
            return
        root = tree.root(point.size)
        if root != point.root:
            rep.problems.append(
                f"checkpoint: this ledger's tree of size {point.size} has root {root.hex()}, the checkpoint "
                f"{point.root.hex()}: the ledger was rewritten since"
            )
        leaf = bytes.fromhex(rep.head_hash) if len(rep.head_hash) == 64 else b""
        proof = tree.inclusion_proof(rep.seq - 1, point.size)
        if merkle.verify_inclusion(rep.seq - 1, point.size, leaf, proof, point.root):
            info["included"] = True
        else:
            rep.problems.append(
                f"checkpoint: no inclusion proof shows ledger entry {rep.seq} (hash {rep.head_hash}) in the tree of "
                f"size {point.size}"
            )


def _keys(app: App) -> tuple[dict[str, dict[str, Any]], dict[str, int], dict[str, int]]:
    """Keys as the ledger records them, revocations, and the entries that recorded each signature."""
    keys: dict[str, dict[str, Any]] = {}
    revoked: dict[str, int] = {}
    recorded: dict[str, int] = {}
    with app.read() as live:
        for r in live.execute(
            select(ledger_entries.c.seq, ledger_entries.c.command, ledger_entries.c.payload)
            .where(ledger_entries.c.command.in_(("key.add", "key.revoke", "bulletin.sign")))
            .order_by(ledger_entries.c.seq)
        ):
            p = json.loads(r.payload)
            if r.command == "key.add":
                keys[p["key_id"]] = {"org": p["org_id"], "public_key": p["public_key"], "seq": int(r.seq)}
            elif r.command == "key.revoke":
                revoked.setdefault(p["key_id"], int(r.seq))
            else:
                recorded[p["signature"]] = int(r.seq)
    return keys, revoked, recorded


def _check_signatures(app: App, doc: dict[str, Any], rep: VerifyReport) -> None:
    sigs = doc.get("signatures") or []
    if not isinstance(sigs, list):
        rep.problems.append("signatures: not a list")
        return
    sha = digest(doc)
    keys, revoked, recorded = _keys(app)
    with app.read() as live:
        pub = published(live, rep.date, rep.seq)
    if pub is not None and pub["sha256"] != sha:
        rep.notes.append(
            f"the file's body (sha256 {sha}) differs from the bulletin published for {rep.date} at entry "
            f"{rep.seq} (sha256 {pub['sha256']})"
        )
    for i, s in enumerate(sigs):
        where = f"signatures[{i}]"
        if not isinstance(s, dict) or not all(isinstance(s.get(k), str) for k in ("org", "key_id", "signature")):
            rep.problems.append(f"{where}: needs org, key_id and signature")
            continue
        org, kid = s["org"], s["key_id"]
        res = {"org": org, "key_id": kid, "ok": False, "message": ""}
        k = keys.get(kid)
        if k is None:
            res["message"] = f"{where}: signature of {org} made with key {kid}, which is not in the ledger"
        elif k["org"] != org:
            res["message"] = f"{where}: key {kid} belongs to {k['org']}, not to {org}"
        elif not check_signature(k["public_key"], rep.date, rep.seq, sha, s["signature"]):
            res["message"] = f"{where}: the signature of {org} (key {kid}) does not match this bulletin"
        elif kid in revoked and recorded.get(s["signature"], revoked[kid] + 1) > revoked[kid]:
            res["message"] = (
                f"{where}: key {kid} of {org} was revoked at ledger entry {revoked[kid]}, before this signature "
                "was recorded"
            )
        else:
            res["ok"] = True
            where_rec = recorded.get(s["signature"])
            res["message"] = f"signature of {org} (key {kid}) is valid" + (
                f", recorded at ledger entry {where_rec}" if where_rec else ", not recorded in the ledger"
            )
        rep.signatures.append(res)
        if not res["ok"]:
            rep.problems.append(str(res["message"]))
