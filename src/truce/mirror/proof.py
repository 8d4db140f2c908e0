"""`truce ledger check-proof FILE`: check a proof of misbehaviour written by a mirror, needing nothing else.

It verifies the log's signature on both checkpoints (with the log key the file names; compare it with the
key the deployment published), then the evidence (`truce.mirror.checks` describes the kinds)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from truce.errors import ValidationFailed
from truce.ledger import merkle
from truce.mirror.checks import PROOF_FORMAT, CheckError, Signed, open_signed


@dataclass
class ProofCheck:
    proven: bool = False
    kind: str = ""
    lines: list[str] = field(default_factory=list)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


def load(path: Path) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValidationFailed(f"{path}: no such file", field="file") from None
    except ValueError as e:
        raise ValidationFailed(f"{path}: not JSON ({e})", field="file") from None
    if not isinstance(doc, dict) or doc.get("format") != PROOF_FORMAT:
        raise ValidationFailed(f"{path}: not a proof of misbehaviour ({PROOF_FORMAT})", field="file")
    return doc


def check(doc: dict[str, Any]) -> ProofCheck:
    out = ProofCheck(kind=str(doc.get("kind", "")))
    say = out.lines.append
    vkey = str(doc.get("log_key", ""))
    notes = doc.get("checkpoints") or []
    if len(notes) != 2:
        say("the file must hold two signed checkpoints")
        return out
    signed: list[Signed] = []
    for i, note in enumerate(notes, 1):
        try:
            s = open_signed(str(note), vkey)
        except CheckError as e:
            say(f"checkpoint {i}: {e}")
            return out
        say(f"checkpoint {i}: {s.cp.origin}, {s.describe()}: the log's signature verifies ({vkey.split('+')[0]})")
        signed.append(s)
    a, b = signed
    if a.cp.origin != b.cp.origin:
        say(f"the two checkpoints are of different logs ({a.cp.origin}, {b.cp.origin}): no conflict")
        return out
    ev = doc.get("evidence") or {}
    kind = ev.get("type")
    try:
        proof = [bytes.fromhex(h) for h in ev.get("proof", [])]
    except (TypeError, ValueError):
        say("evidence: the proof is not a list of hex hashes")
        return out
    small, large = (a, b) if a.size <= b.size else (b, a)
    if a.size == b.size:
        if a.root != b.root:
            say(f"PROVEN: the log signed two different roots for tree size {a.size}: {_b64(a.root)} and {_b64(b.root)}")
            out.proven = True
        else:
            say("the two checkpoints are the same tree: no conflict")
        return out
    if kind in ("prefix", "prefix_of_other"):
        try:
            prefix = bytes.fromhex(str(ev.get("prefix_root", "")))
        except ValueError:
            prefix = b""
        if not merkle.verify_consistency(small.size, large.size, prefix, large.root, proof):
            say(
                f"evidence: the consistency proof does not show the root of the tree of size {large.size} at size "
                f"{small.size}"
            )
            return out
        say(
            f"the consistency proof shows that the tree of size {large.size} has root {_b64(prefix)} at size "
            f"{small.size}"
        )
        if prefix != small.root:
            say(
                f"PROVEN: the log signed root {_b64(small.root)} for size {small.size}, which is not a prefix of its "
                f"tree of size {large.size}: no consistency proof can join them"
            )
            out.proven = True
        else:
            say("the smaller tree is a prefix of the larger one: no conflict")
        return out
    if kind == "rollback":
        if merkle.verify_consistency(small.size, large.size, small.root, large.root, proof):
            say(
                f"PROVEN (rollback): the tree of size {small.size} is a prefix of the tree of size {large.size}, but "
                f"the log presented it as its latest after signing size {large.size} (see the mirror's alarm)"
            )
            out.proven = a.size > b.size  # held first, then the smaller one as the latest
        else:
            say("evidence: the consistency proof does not join them")
        return out
    if kind == "consistency_failed":
        if merkle.verify_consistency(small.size, large.size, small.root, large.root, proof):
            say("the consistency proof the log served joins them: no conflict")
        else:
            say(
                f"the consistency proof the log served does not join size {small.size} to size {large.size}: the log "
                "did not prove that its new tree extends the old one (a conclusive proof needs the log's root at "
                f"size {small.size}, or its entries)"
            )
            out.proven = False
        return out
    say(f"evidence: unknown type {kind!r}")
    return out
