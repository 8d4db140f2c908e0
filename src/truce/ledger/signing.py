"""The log's key, its signed checkpoints, the guarantor offices' co-signatures, and "agreed".

- The log's Ed25519 key is made once per deployment (`ensure_log_key`, run by `truce init` and
  `truce demo`, or by the first checkpoint): its public key and the log's *origin* go into the ledger
  (command `ledger.log_key`), its private key into the operational table `ledger_signer` of the same
  database (so a copy made by replay never holds it). The origin is `TRUCE_LOG_ORIGIN` when the key is
  made, by default `truce.example/<id of the agreement in force>`; it is recorded and never changes.
- A checkpoint (`make_checkpoint`) is the C2SP note of the tree head at the ledger's current size,
  signed by the log's key (key name = origin). Stored in `ledger_checkpoints`; one per size.
- Guarantor offices are witnesses. A witness is named `truce-witness/<ORG>` (e.g.
  `truce-witness/RUS_OFFICE`) and signs with a `key.add` key of its office (the keys that sign
  bulletins), as a cosignature/v1 (type 0x04). `add_cosignature` accepts a cosignature line only when
  it verifies with a registered, unrevoked key of that office; the same line twice changes nothing.
- A checkpoint is **agreed** when its co-signers satisfy the decision rule of the agreement in force:
  unanimity — every guarantor office of the agreement's guarantors; majority — more than half of them.
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, insert, select, update

from truce.agreements.service import current
from truce.auth.models import organisations
from truce.bulletins.models import signing_keys
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.ledger import checkpoints as cp
from truce.ledger import merkle
from truce.ledger.chain import SYSTEM, Actor, ApplyContext, applier, head, now_iso
from truce.ledger.models import (
    ledger_checkpoints,
    ledger_cosignatures,
    ledger_log_keys,
    ledger_signer,
    ledger_witness_state,
)

ORIGIN_ENV = "TRUCE_LOG_ORIGIN"
WITNESS_PREFIX = "truce-witness/"


def witness_name(org: str) -> str:
    return WITNESS_PREFIX + org


# --- the log's key -----------------------------------------------------------------------------------------


def default_origin(conn: Connection) -> str:
    env = os.environ.get(ORIGIN_ENV)
    if env:
        return cp.check_name(env.strip(), f"{ORIGIN_ENV}")
    a = current(conn)
    return f"truce.example/{a['id'] if a else 'truce'}"


def log_key(conn: Connection) -> dict[str, Any] | None:
    """The log's public key as the ledger records it (the newest, if it was ever replaced)."""
    r = conn.execute(select(ledger_log_keys).order_by(ledger_log_keys.c.ledger_seq.desc()).limit(1)).first()
    return dict(r._mapping) if r else None


def ensure_log_key(app: Any, conn: Connection, actor: Actor = SYSTEM, origin: str | None = None) -> dict[str, Any]:
    """Make the log's key if the deployment has none. Returns {key_id, origin, public_key, created}."""
    have = log_key(conn)
    if have is not None:
        return {**have, "created": False}
    origin = cp.check_name(origin or default_origin(conn), "origin")
    key = Ed25519PrivateKey.generate()
    pub = cp.raw_public_key(key)
    kid = cp.key_id(origin, pub, cp.SIG_ED25519).hex()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    conn.execute(insert(ledger_signer).values(key_id=kid, private_key=pem.decode("ascii"), created_at=now_iso()))
    payload = {"key_id": kid, "origin": origin, "public_key": pub.hex()}
    seq, _ = app.record(conn, actor, "ledger.log_key", payload)
    return {**payload, "ledger_seq": seq, "created": True}


@applier("ledger.log_key")
def _apply_log_key(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(ledger_log_keys).values(
            key_id=p["key_id"], origin=p["origin"], public_key=p["public_key"], created_at=ctx.at, ledger_seq=ctx.seq
        )
    )


def vkey(conn: Connection) -> str | None:
    k = log_key(conn)
    return vkey_of(k) if k else None


def vkey_of(k: dict[str, Any]) -> str:
    """The verifier key (name+keyid+base64 key) of a log key as `log_key` returns it."""
    return cp.vkey(k["origin"], bytes.fromhex(k["public_key"]))


def _private_key(conn: Connection, key_id: str) -> Ed25519PrivateKey:
    r = conn.execute(select(ledger_signer.c.private_key).where(ledger_signer.c.key_id == key_id)).first()
    if r is None:
        raise NotFound(
            f"this database does not hold the private key of the log (key {key_id}): checkpoints are signed by the "
            "deployment that appends to the ledger, not by a copy of it"
        )
    key = serialization.load_pem_private_key(r.private_key.encode("ascii"), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


# --- checkpoints -------------------------------------------------------------------------------------------


def make_checkpoint(app: Any, conn: Connection) -> dict[str, Any]:
    """Sign a checkpoint of the ledger at its current size (the existing one when there is one at that size)."""
    k = log_key(conn) or ensure_log_key(app, conn)
    size = head(conn)[0]
    existing = checkpoint(conn, size)
    if existing is not None:
        return {**existing, "created": False}
    root = merkle.Tree(conn).root(size)
    body = cp.Checkpoint(k["origin"], size, root).body()
    line = cp.sign_note(body, k["origin"], _private_key(conn, k["key_id"]))
    conn.execute(
        insert(ledger_checkpoints).values(
            size=size, root=root.hex(), body=body, signature=line, key_id=k["key_id"], created_at=now_iso()
        )
    )
    out = checkpoint(conn, size)
    assert out is not None
    return {**out, "created": True}


def _cp_dict(conn: Connection, r: Any) -> dict[str, Any]:
    cos = conn.execute(
        select(ledger_cosignatures).where(ledger_cosignatures.c.size == r.size).order_by(ledger_cosignatures.c.org_id)
    ).all()
    d = {
        "size": int(r.size),
        "root": r.root,
        "body": r.body,
        "signature": r.signature,
        "key_id": r.key_id,
        "created_at": r.created_at,
        "cosigners": [c.org_id for c in cos],
        "cosignatures": [c.line for c in cos],
    }
    d["note"] = cp.make_note(r.body, [r.signature, *d["cosignatures"]])
    st = agreement_status(conn, set(d["cosigners"]))
    d["agreed"] = st.agreed
    d["missing"] = st.missing
    d["rule"] = st.rule
    return d


def checkpoint(conn: Connection, size: int | None = None) -> dict[str, Any] | None:
    """A stored checkpoint (the latest when size is None), with its co-signatures and whether it is agreed."""
    stmt = select(ledger_checkpoints)
    stmt = stmt.where(ledger_checkpoints.c.size == size) if size is not None else stmt
    r = conn.execute(stmt.order_by(ledger_checkpoints.c.size.desc()).limit(1)).first()
    return _cp_dict(conn, r) if r else None


def list_checkpoints(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.size.desc()).limit(limit)).all()
    return [_cp_dict(conn, r) for r in rows]


def latest_agreed(conn: Connection, covering: int = 0) -> dict[str, Any] | None:
    """The latest agreed checkpoint whose tree includes ledger entry `covering` (size >= covering)."""
    for r in conn.execute(
        select(ledger_checkpoints)
        .where(ledger_checkpoints.c.size >= covering)
        .order_by(ledger_checkpoints.c.size.desc())
    ):
        d = _cp_dict(conn, r)
        if d["agreed"]:
            return d
    return None


# --- witnesses and "agreed" --------------------------------------------------------------------------------


@dataclass
class AgreementStatus:
    rule: str
    offices: list[str]
    cosigners: list[str]
    missing: list[str]
    agreed: bool


def guarantor_offices(conn: Connection) -> tuple[list[str], str]:
    """The guarantor offices of the agreement in force (its guarantors' offices) and its decision rule."""
    a = current(conn)
    rows = conn.execute(
        select(organisations.c.id, organisations.c.party_id).where(organisations.c.kind == "guarantor_office")
    ).all()
    guarantors = set(a["guarantors"]) if a else None
    offices = sorted(r.id for r in rows if guarantors is None or r.party_id in guarantors)
    return offices, (a["decision_rule"] if a else "unanimity")


def is_agreed(rule: str, offices: list[str], cosigners: set[str]) -> bool:
    have = len(set(offices) & cosigners)
    if not offices:
        return False
    if rule == "majority":
        return have * 2 > len(offices)
    return have == len(offices)


def agreement_status(conn: Connection, cosigners: set[str]) -> AgreementStatus:
    offices, rule = guarantor_offices(conn)
    return AgreementStatus(
        rule=rule,
        offices=offices,
        cosigners=sorted(set(offices) & cosigners),
        missing=[o for o in offices if o not in cosigners],
        agreed=is_agreed(rule, offices, cosigners),
    )


def witness_keys(conn: Connection, org: str) -> list[tuple[str, bytes]]:
    """(bulletin key id, raw public key) of the office's registered, unrevoked keys."""
    rows = conn.execute(
        select(signing_keys.c.key_id, signing_keys.c.public_key).where(
            signing_keys.c.org_id == org, signing_keys.c.revoked_at.is_(None)
        )
    ).all()
    return [(r.key_id, bytes.fromhex(r.public_key)) for r in rows]


def check_cosignature(conn: Connection, body: str, sig: cp.NoteSignature) -> tuple[str, str] | None:
    """(org, key id) when `sig` is a valid cosignature of a guarantor office over `body`, else None."""
    if not sig.name.startswith(WITNESS_PREFIX):
        return None
    org = sig.name[len(WITNESS_PREFIX) :]
    for kid, pub in witness_keys(conn, org):
        if cp.verify_cosignature(body, sig, sig.name, pub):
            return org, kid
    return None


def add_cosignature(conn: Connection, size: int, line: str) -> dict[str, Any]:
    """Store one office's cosignature of the checkpoint at `size`. Idempotent: the same line again (or another
    cosignature of the same office) changes nothing and reports `created: False`."""
    c = conn.execute(select(ledger_checkpoints).where(ledger_checkpoints.c.size == size)).first()
    if c is None:
        raise NotFound(f"size: there is no checkpoint of size {size}", field="size")
    try:
        sig = cp.NoteSignature.parse(line.strip("\r\n") if isinstance(line, str) else "")
    except ValueError as e:
        raise ValidationFailed(f"cosignature: {e}", field="cosignature") from e
    if not sig.name.startswith(WITNESS_PREFIX):
        raise ValidationFailed(
            f"cosignature: the key name must be {WITNESS_PREFIX}<office>, not {sig.name!r}", field="cosignature"
        )
    org = sig.name[len(WITNESS_PREFIX) :]
    offices, _rule = guarantor_offices(conn)
    if org not in offices:
        raise ValidationFailed(
            f"cosignature: {org} is not a guarantor office of the agreement in force ({', '.join(offices) or 'none'})",
            field="cosignature",
        )
    if sig.timestamp is None:
        raise ValidationFailed(
            "cosignature: not a cosignature/v1 (8-byte timestamp + 64-byte signature)", field="cosignature"
        )
    ok = check_cosignature(conn, c.body, sig)
    if ok is None:
        raise ValidationFailed(
            f"cosignature: it does not verify with any registered, unrevoked key of {org} over the checkpoint of "
            f"size {size}",
            field="cosignature",
        )
    prior = conn.execute(
        select(ledger_cosignatures.c.line).where(
            ledger_cosignatures.c.size == size, ledger_cosignatures.c.org_id == org
        )
    ).first()
    if prior is not None:
        return {"size": size, "org": org, "created": False, "same": prior.line == sig.line()}
    conn.execute(
        insert(ledger_cosignatures).values(
            size=size, org_id=org, line=sig.line(), timestamp=sig.timestamp, key_id=ok[1], received_at=now_iso()
        )
    )
    return {"size": size, "org": org, "created": True, "timestamp": sig.timestamp}


def cosign_local(
    conn: Connection, org: str, key: Ed25519PrivateKey, size: int | None = None, now: int | None = None
) -> dict[str, Any]:
    """Co-sign a checkpoint as office `org` with its key on this machine, as a witness does: check the log's
    signature, that the checkpoint's root is the tree's, and a consistency proof from the checkpoint this
    office co-signed last (kept in `ledger_witness_state`); refuse otherwise (Conflict naming both)."""
    offices, _ = guarantor_offices(conn)
    if org not in offices:
        raise ValidationFailed(
            f"org: {org} is not a guarantor office of the agreement in force ({', '.join(offices) or 'none'})",
            field="org",
        )
    pub = cp.raw_public_key(key)
    registered = [kid for kid, p in witness_keys(conn, org) if p == pub]
    if not registered:
        raise ValidationFailed(
            f"key: this key is not a registered, unrevoked key of {org} (truce key create --org {org})", field="key"
        )
    c = checkpoint(conn, size)
    if c is None:
        raise NotFound(
            "size: no checkpoint" + (f" of size {size}" if size is not None else "") + " (truce ledger checkpoint)",
            field="size",
        )
    k = log_key(conn)
    body, sigs = cp.open_note(c["body"] + "\n" + c["signature"])
    point = cp.Checkpoint.parse(body)
    if k is None or not any(cp.verify_note(body, s, k["origin"], bytes.fromhex(k["public_key"])) for s in sigs):
        raise Conflict(f"the checkpoint of size {point.size} is not signed by the log's key recorded in the ledger")
    tree = merkle.Tree(conn)
    if tree.root(point.size) != point.root:
        raise Conflict(f"the checkpoint of size {point.size} does not hold the root of this ledger's tree at that size")
    st = conn.execute(select(ledger_witness_state).where(ledger_witness_state.c.org_id == org)).first()
    if st is not None:
        old_size, old_root = int(st.size), bytes.fromhex(st.root)
        if point.size < old_size:
            raise Conflict(
                f"{org} co-signed the checkpoint of size {old_size} already; the checkpoint of size {point.size} is "
                "older: a witness never co-signs a smaller tree"
            )
        proof = tree.consistency_proof(old_size, point.size)
        if not merkle.verify_consistency(old_size, point.size, old_root, point.root, proof):
            raise Conflict(
                f"the checkpoint of size {point.size} (root {point.root.hex()}) does not extend the checkpoint of size "
                f"{old_size} (root {old_root.hex()}) that {org} co-signed: refusing to co-sign"
            )
    line = cp.cosign(body, witness_name(org), key, int(time.time()) if now is None else now)
    res = add_cosignature(conn, point.size, line)
    values = {"size": point.size, "root": point.root.hex(), "updated_at": now_iso()}
    if st is None:
        conn.execute(insert(ledger_witness_state).values(org_id=org, **values))
    else:
        conn.execute(update(ledger_witness_state).where(ledger_witness_state.c.org_id == org).values(**values))
    res["from_size"] = int(st.size) if st is not None else None
    return res


def root_b64(root_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(root_hex)).decode("ascii")


# --- checking a checkpoint note someone hands us (a bulletin's, a mirror's) --------------------------------


@dataclass
class NoteCheck:
    checkpoint: cp.Checkpoint | None
    log_signed: bool
    status: AgreementStatus | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_note(conn: Connection, text: str, where: str = "checkpoint") -> NoteCheck:
    """Check a signed checkpoint note against this ledger: the log's signature (key recorded in the ledger),
    every guarantor office's co-signature (their `key.add` keys), and that they satisfy the decision rule."""
    problems: list[str] = []
    try:
        body, sigs = cp.open_note(text)
        point = cp.Checkpoint.parse(body)
    except (ValueError, TypeError) as e:
        return NoteCheck(None, False, None, [f"{where}: {e}"])
    k = log_key(conn)
    log_signed = k is not None and any(
        cp.verify_note(body, s, k["origin"], bytes.fromhex(k["public_key"])) for s in sigs
    )
    if k is None:
        problems.append(f"{where}: the ledger records no log key to check the checkpoint's signature")
    elif not log_signed:
        problems.append(f"{where}: not signed by the log's key {k['key_id']} ({k['origin']})")
    elif point.origin != k["origin"]:
        problems.append(f"{where}: origin {point.origin!r} is not this log's ({k['origin']!r})")
    cosigners: set[str] = set()
    for s in sigs:
        if not s.name.startswith(WITNESS_PREFIX):
            continue
        org = s.name[len(WITNESS_PREFIX) :]
        if check_cosignature(conn, body, s) is None:
            problems.append(f"{where}: the co-signature of {org} does not verify with its registered keys")
        else:
            cosigners.add(org)
    st = agreement_status(conn, cosigners)
    if not st.agreed:
        problems.append(
            f"{where}: not agreed under the {st.rule} rule: co-signed by {', '.join(st.cosigners) or 'no office'}; "
            f"missing {', '.join(st.missing)}"
        )
    return NoteCheck(point, log_signed, st, problems)
