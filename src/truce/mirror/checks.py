"""What a mirror checks of a signed checkpoint, and the proofs of misbehaviour it writes.

A checkpoint is taken as verified only when (1) the log's signature on it verifies with the log key the
mirror pinned, (2) a consistency proof joins the last checkpoint the mirror verified to it (RFC 9162
§2.1.4.2), and (3) the mirror's OWN tree, recomputed from the entries it replayed, has the checkpoint's root
at the checkpoint's size. A witness co-signs only then.

A proof of misbehaviour (`truce ledger check-proof FILE` checks it) holds the log key, the two conflicting
signed checkpoints and the evidence that joins them to a contradiction:

- ``same_size``: two roots for one tree size;
- ``prefix``: a consistency proof, made by the mirror from its own copy, that the larger tree has at the
  smaller size a root other than the smaller checkpoint's root, so no consistency proof can join them;
- ``rollback``: the log's latest checkpoint went back to a smaller tree (consistent, but older);
- ``consistency_failed``: the proof the log served does not join them (weaker: it shows the log could not
  prove its new tree extends the old one).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from truce import db
from truce.errors import ValidationFailed
from truce.ledger import chain, merkle, signing
from truce.ledger.checkpoints import (
    SIG_ED25519,
    Checkpoint,
    cosign,
    key_id,
    open_note,
    verify_note,
)
from truce.mirror.models import mirror_state
from truce.mirror.records import Alarm, record_seen

PROOF_FORMAT = "truce-misbehaviour/1"


class CheckError(ValueError):
    pass


def parse_vkey(vkey: str) -> tuple[str, bytes]:
    """A C2SP verifier key `name+hex(key ID)+base64(0x01 || Ed25519 public key)`: (name, public key)."""
    try:
        name, kid, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
    except ValueError as e:
        raise CheckError(f"log key {vkey!r} is not a verifier key name+keyid+base64 ({e})") from None
    if len(raw) != 33 or raw[0] != SIG_ED25519:
        raise CheckError(f"log key {vkey!r}: not an Ed25519 verifier key")
    if key_id(name, raw[1:], SIG_ED25519).hex() != kid.lower():
        raise CheckError(f"log key {vkey!r}: its key ID does not match its name and key")
    return name, raw[1:]


@dataclass(frozen=True)
class Signed:
    note: str
    body: str
    cp: Checkpoint

    @property
    def size(self) -> int:
        return self.cp.size

    @property
    def root(self) -> bytes:
        return self.cp.root

    def describe(self) -> str:
        return f"size {self.cp.size} root {base64.b64encode(self.cp.root).decode()}"


def open_signed(note: str, vkey: str) -> Signed:
    """Open a signed checkpoint and verify the log's signature on it (CheckError otherwise)."""
    name, pub = parse_vkey(vkey)
    try:
        body, sigs = open_note(note)
        cp = Checkpoint.parse(body)
    except ValueError as e:
        raise CheckError(f"not a signed checkpoint: {e}") from None
    if not any(verify_note(body, s, name, pub) for s in sigs if s.name == name):
        raise CheckError(f"the checkpoint of size {cp.size} does not carry a valid signature of the log {name}")
    return Signed(note, body, cp)


def _hexes(proof: list[bytes]) -> list[str]:
    return [p.hex() for p in proof]


def proof_doc(kind: str, message: str, vkey: str, a: Signed, b: Signed, evidence: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": PROOF_FORMAT,
        "kind": kind,
        "message": message,
        "log_key": vkey,
        "checkpoints": [a.note, b.note],
        "evidence": evidence,
    }


def own_conflict(conn: Any, vkey: str, held: Signed, other: Signed, kind: str, what: str) -> Any:
    """The alarm when `other`, no larger than the checkpoint `held` that this mirror verified against its own
    copy, conflicts with it (None when it does not); the evidence is made from the mirror's own tree."""

    assert other.size <= held.size
    tree = merkle.Tree(conn)
    if other.size == held.size:
        if other.root == held.root:
            return None
        ev: dict[str, Any] = {"type": "same_size"}
        msg = f"{what}: two roots for tree size {held.size}: {held.describe()} (held) and {other.describe()}"
        return Alarm(kind, msg, held.note, other.note, proof_doc(kind, msg, vkey, held, other, ev))
    if other.size == 0:
        return None
    own = tree.root(other.size)
    proof = tree.consistency_proof(other.size, held.size)
    if own == other.root:
        if kind == "split_view":
            return None  # an older checkpoint of the same history, seen by a peer: nothing wrong
        ev = {"type": "rollback", "proof": _hexes(proof)}
        msg = (
            f"{what}: rollback: the log's latest checkpoint went back from {held.describe()} to an older "
            f"{other.describe()}"
        )
        return Alarm("rollback", msg, held.note, other.note, proof_doc("rollback", msg, vkey, held, other, ev))
    ev = {"type": "prefix", "prefix_root": own.hex(), "proof": _hexes(proof)}
    msg = (
        f"{what}: the log signed {held.describe()} and {other.describe()}, which is not a prefix of it "
        f"(the held tree has root {base64.b64encode(own).decode()} at size {other.size})"
    )
    return Alarm(kind, msg, held.note, other.note, proof_doc(kind, msg, vkey, held, other, ev))


def extends(vkey: str, held: Signed, new: Signed, node: Any, kind: str, what: str) -> Any:
    """Whether `new` (larger than `held`) extends it, by a consistency proof the node serves. None when it does;
    else an Alarm, whose evidence is conclusive when the node's proof shows its own root at the held size."""

    old_root, proof = node.consistency(held.size, new.size)
    if merkle.verify_consistency(held.size, new.size, held.root, new.root, proof):
        return None
    msg = f"{what}: {new.describe()} does not extend the checkpoint this mirror holds, {held.describe()}"
    if old_root != held.root and merkle.verify_consistency(held.size, new.size, old_root, new.root, proof):
        ev: dict[str, Any] = {"type": "prefix", "prefix_root": old_root.hex(), "proof": _hexes(proof)}
        msg += f" (its tree has root {base64.b64encode(old_root).decode()} at size {held.size})"
    else:
        ev = {"type": "consistency_failed", "proof": _hexes(proof)}
    return Alarm(kind, msg, held.note, new.note, proof_doc(kind, msg, vkey, held, new, ev))


# --- before and after a pull ---------------------------------------------------------------------------------


def _log_key(app: Any, st: dict[str, Any], source: Any) -> str:
    vkey = st.get("log_key")
    if vkey:
        return str(vkey)
    vkey = source.log_key()
    if not vkey:
        raise ValidationFailed(
            f"{source.url} serves checkpoints but not its log key: give it with --log-key", field="log_key"
        )
    parse_vkey(vkey)
    with db.write_tx(app.engine) as conn:  # trust on first use, then pinned (and checked against our copy)
        conn.execute(update(mirror_state).where(mirror_state.c.id == 1).values(log_key=vkey))
    st["log_key"] = vkey
    return str(vkey)


def before_pull(app: Any, st: dict[str, Any], source: Any, note: str) -> Any:
    """Check the source's latest checkpoint against the last one verified, before anything is pulled. None when
    it may be followed, else an Alarm."""

    vkey = _log_key(app, st, source)
    try:
        new = open_signed(note, vkey)
    except CheckError as e:
        return Alarm("bad_signature", f"{source.url}: {e}", st.get("checkpoint"), note)
    if st.get("origin") and st["origin"] != new.cp.origin:
        return Alarm("bad_signature", f"{source.url}: checkpoint of origin {new.cp.origin}, not {st['origin']}")
    with db.write_tx(app.engine) as conn:
        record_seen(conn, new.cp.origin, new.size, new.root.hex(), note, source.url, False)
        if not st.get("origin"):
            conn.execute(update(mirror_state).where(mirror_state.c.id == 1).values(origin=new.cp.origin))
    if not st.get("checkpoint"):
        return None
    held = open_signed(st["checkpoint"], vkey)
    if new.size <= held.size:
        with app.read() as conn:
            return own_conflict(conn, vkey, held, new, "fork", source.url)
    return extends(vkey, held, new, source, "fork", source.url)


def after_pull(app: Any, source: Any, note: str, witness: tuple[str, Any] | None) -> Any:
    """The mirror's own root at the checkpoint's size must be its root; then it is verified (and co-signed).
    Returns whether it was co-signed, or an Alarm."""
    with app.read() as conn:
        st = dict(conn.execute(mirror_state.select()).mappings().one())
        vkey = st["log_key"]
        new = open_signed(note, vkey)
        tree = merkle.Tree(conn)
        mine = tree.size()
        own = tree.root(new.size) if new.size <= mine else None
        recorded = signing.vkey(conn)
    if recorded is not None and recorded != vkey:
        return Alarm(
            "bad_signature",
            f"{source.url}: it signs with {vkey}, but its ledger records the log key {recorded}",
            st["checkpoint"],
            note,
        )
    if own is None:
        return Alarm(
            "rollback",
            f"{source.url}: it serves {mine} entries but signed {new.describe()}: entries it signed are gone",
            st["checkpoint"],
            note,
        )
    if own != new.root:
        msg = (
            f"{source.url}: the entries it served give root {base64.b64encode(own).decode()} at size {new.size}, "
            f"its signed checkpoint says {new.describe()}"
        )
        return Alarm("bad_entries", msg, st["checkpoint"], note)
    grew = not st["checkpoint"] or new.size > int(st["checkpoint_size"] or 0)
    with db.write_tx(app.engine) as conn:
        if grew:
            conn.execute(
                update(mirror_state)
                .where(mirror_state.c.id == 1)
                .values(checkpoint=note, checkpoint_size=new.size, updated_at=chain.now_iso())
            )
        record_seen(conn, new.cp.origin, new.size, new.root.hex(), note, source.url, True)
    if witness is not None and grew and new.size > 0:
        org, key = witness
        line = cosign(new.body, signing.witness_name(org), key, int(time.time()))
        source.post_cosignature(new.size, line)
        return True
    return False


# --- gossip ---------------------------------------------------------------------------------------------------


def compare_gossip(app: Any, peer: Any, notes: list[str]) -> Any:
    """Compare the checkpoints a peer has seen with this mirror's own copy and held checkpoint."""

    with app.read() as conn:
        st = dict(conn.execute(mirror_state.select()).mappings().one())
    vkey, held_note = st.get("log_key"), st.get("checkpoint")
    if not vkey or not held_note:
        return None
    held = open_signed(held_note, vkey)
    what = f"gossip with {peer.url}"
    for note in notes:
        try:
            other = open_signed(note, vkey)
        except CheckError:
            continue  # not this log's, or not signed by it: nothing it proves
        if other.cp.origin != held.cp.origin:
            continue
        with db.write_tx(app.engine) as conn:
            record_seen(conn, other.cp.origin, other.size, other.root.hex(), note, peer.url, False)
        if other.size <= held.size:
            with app.read() as conn:
                alarm = own_conflict(conn, vkey, held, other, "split_view", what)
        else:
            alarm = extends(vkey, held, other, peer, "split_view", what)
        if alarm is not None:
            return alarm
    return None


# --- restore ---------------------------------------------------------------------------------------------------
