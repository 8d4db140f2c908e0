"""Bulletins as documents: the body (canonical JSON), publishing it, the guarantors' Ed25519 keys and
signatures. Every change goes through a ledger command: `bulletin.publish`, `bulletin.sign`,
`key.add`, `key.revoke`.

The body of a bulletin is the dict `compute` returns; the JSON file adds `generated_at` (when it was
written) and `signatures`, which are not part of the body. Its digest is SHA-256 over the canonical
JSON of the body (`truce.ledger.chain.canonical`: sorted keys, no spaces, UTF-8). A guarantor office
signs the ASCII text `truce-bulletin/1 DATE SEQ SHA256` (`signed_message`) with its Ed25519 key."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from truce import lookups, times
from truce.attachments import ensure_blob_row
from truce.auth.models import organisations
from truce.auth.permissions import require
from truce.bulletins.compute import compute, parse_day
from truce.bulletins.models import bulletin_signatures, bulletins, signing_keys
from truce.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from truce.ledger import signing
from truce.ledger.blobs import BlobError
from truce.ledger.chain import Actor, ApplyContext, applier, canonical, now_iso
from truce.ledger.context import App

NOT_BODY = ("generated_at", "signatures", "published", "checkpoint", "checkpoint_status")
KEY_DIR_ENV = "TRUCE_KEY_DIR"


# --- the document ------------------------------------------------------------------------------------


def body_of(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in NOT_BODY}


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body_of(body))).hexdigest()


def signed_message(day: str, seq: int, sha256: str) -> bytes:
    return f"truce-bulletin/1 {day} {int(seq)} {sha256}".encode("ascii")


def _day(day: str, field: str = "date") -> str:
    d = parse_day(day)
    if d > times.today_date():
        raise ValidationFailed(f"{field}: {d} is in the future", field=field)
    return d.isoformat()


def published(conn: Connection, day: str, seq: int | None = None) -> dict[str, Any] | None:
    """The bulletin of a day as published (the latest publication, or the one at `seq`)."""
    stmt = select(bulletins).where(bulletins.c.day == day)
    if seq is not None:
        stmt = stmt.where(bulletins.c.seq == int(seq))
    r = conn.execute(stmt.order_by(bulletins.c.seq.desc()).limit(1)).mappings().first()
    return dict(r) if r else None


def signatures(conn: Connection, day: str, seq: int) -> list[dict[str, Any]]:
    """The signatures recorded on the bulletin of `day` published at `seq`."""
    return [
        {
            "org": r.org_id,
            "key_id": r.key_id,
            "signature": r.signature,
            "signed_by": r.signed_by,
            "signed_at": r.signed_at,
            "ledger_seq": int(r.ledger_seq),
        }
        for r in conn.execute(
            select(bulletin_signatures)
            .where(bulletin_signatures.c.day == day, bulletin_signatures.c.seq == int(seq))
            .order_by(bulletin_signatures.c.org_id)
        )
    ]


def document(app: App, conn: Connection, day: str, seq: int | None = None) -> dict[str, Any]:
    """The bulletin document of a day: the published one (with its signatures) when the day was
    published (at `seq`, or the latest publication); else computed at `seq` (default: the ledger head)."""
    d = parse_day(day).isoformat()
    pub = published(conn, d, seq)
    if pub is not None:
        body = read_body(app, pub)
        sigs = signatures(conn, d, int(pub["seq"]))
        cited, status = cited_checkpoint(conn, int(pub["seq"]))
        return {
            **body,
            "generated_at": now_iso(),
            "published": _pub_info(pub),
            "signatures": sigs,
            "checkpoint": cited,
            "checkpoint_status": status,
        }
    body = compute(conn, d, seq)
    return {**body, "generated_at": now_iso(), "signatures": []}


def cited_checkpoint(conn: Connection, seq: int) -> tuple[str | None, str]:
    """The signed note of the latest agreed checkpoint whose tree includes ledger entry `seq`, and a sentence
    saying which it is, or why there is none yet (and what would make one)."""
    agreed = signing.latest_agreed(conn, covering=seq)
    if agreed is not None:
        return agreed["note"], (
            f"cites the checkpoint of size {agreed['size']}, agreed under the {agreed['rule']} rule "
            f"(co-signed by {', '.join(agreed['cosigners'])})"
        )
    latest = signing.checkpoint(conn)
    if latest is None or latest["size"] < seq:
        return None, f"no checkpoint includes ledger entry {seq} yet (truce ledger checkpoint)"
    return None, (
        f"no agreed checkpoint includes ledger entry {seq} yet: the checkpoint of size {latest['size']} awaits the "
        f"co-signatures of {', '.join(latest['missing'])} (truce bulletin sign, or truce ledger cosign)"
    )


def _pub_info(pub: dict[str, Any]) -> dict[str, Any]:
    return {
        "sha256": pub["sha256"],
        "published_at": pub["published_at"],
        "published_by": pub["published_by"],
        "ledger_seq": int(pub["ledger_seq"]),
    }


def read_body(app: App, pub: dict[str, Any]) -> dict[str, Any]:

    try:
        raw = app.blobs.read(pub["sha256"])
    except BlobError as e:
        raise Conflict(f"the bulletin of {pub['day']} cannot be read: {e}") from e
    if hashlib.sha256(raw).hexdigest() != pub["sha256"]:
        raise Conflict(f"the stored body of the bulletin of {pub['day']} no longer matches its hash")
    body: dict[str, Any] = json.loads(raw)
    return body


def list_published(conn: Connection, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
    stmt = select(bulletins)
    if since:
        stmt = stmt.where(bulletins.c.day >= times.day(since, "since"))
    if until:
        stmt = stmt.where(bulletins.c.day <= times.day(until, "until"))
    out = []
    keys = {k.key_id: k for k in conn.execute(select(signing_keys))}
    for r in conn.execute(stmt.order_by(bulletins.c.day.desc(), bulletins.c.seq.desc())).mappings():
        d = dict(r)
        d["signatures"] = [
            {"org": s["org"], "key_id": s["key_id"], "signed_at": s["signed_at"],
             "valid": _valid(keys.get(s["key_id"]), s, r)}
            for s in signatures(conn, r["day"], int(r["seq"]))
        ]
        out.append(d)
    return out


def _valid(key: Any, sig: dict[str, Any], pub: Any) -> bool:
    """A listed signature checks against the office's recorded key (not revoked before it was recorded) and the
    published body's hash. (`truce bulletin verify` checks the file itself, recomputing every number.)"""
    return (
        key is not None
        and key.org_id == sig["org"]
        and (key.revoked_at is None or key.revoked_at > sig["signed_at"])
        and check_signature(key.public_key, pub["day"], int(pub["seq"]), pub["sha256"], sig["signature"])
    )


# --- publishing ----------------------------------------------------------------------------------------


def publish(app: App, conn: Connection, actor: Actor, day: str) -> dict[str, Any]:
    """Compute the bulletin of a day at the ledger head, keep its body in the blob store, record it."""
    require(actor, "bulletin.publish")
    if actor.role != "admin" and actor.org_kind != "joint_group":
        raise PermissionDenied(
            f"user '{actor.name}' ({actor.role} of {actor.org}) may not publish bulletins: the joint group's "
            "verifiers or an admin may"
        )
    d = _day(day)
    body = compute(conn, d)
    seq = int(body["ledger"]["seq"])
    last = published(conn, d)
    if last is not None:
        before = read_body(app, last)
        if before.get("numbers") == json.loads(canonical(body["numbers"])):
            raise Conflict(
                f"the bulletin of {d} was published at ledger entry {last['seq']} already, and its numbers have not "
                "changed since",
                field="date",
            )
    raw = canonical(body)
    sha = app.blobs.put_bytes(raw)
    payload = {"day": d, "seq": seq, "head_hash": body["ledger"]["head_hash"], "sha256": sha, "size": len(raw)}
    lseq, _ = app.record(conn, actor, "bulletin.publish", payload)
    # The bulletin will cite an agreed checkpoint that includes it: the log signs one now, which the guarantor
    # offices co-sign as they sign the bulletin (`sign`), or with `truce ledger cosign`.
    point = signing.make_checkpoint(app, conn)
    return {**payload, "ledger_seq": lseq, "body": body, "checkpoint": {"size": point["size"], "root": point["root"]}}


@applier("bulletin.publish")
def _apply_publish(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:

    ensure_blob_row(conn, p["sha256"], p["size"], "application/json", f"bulletin-{p['day']}-{p['seq']}.json", ctx)
    conn.execute(
        insert(bulletins).values(
            day=p["day"],
            seq=p["seq"],
            head_hash=p["head_hash"],
            sha256=p["sha256"],
            size=p["size"],
            published_by=ctx.actor,
            published_at=ctx.now,
            ledger_seq=ctx.seq,
        )
    )


# --- keys ------------------------------------------------------------------------------------------------


def key_id_of(public_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def _office(conn: Connection, org: str) -> Any:
    row = conn.execute(select(organisations).where(organisations.c.id == org)).first()
    if row is None:
        raise NotFound(f"org: no organisation '{org}'", field="org")
    if row.kind != "guarantor_office":
        raise ValidationFailed(
            f"org: {org} is a {row.kind}; only guarantor offices hold bulletin signing keys", field="org"
        )
    return row


def _may_act_for(actor: Actor, org: str, what: str) -> None:
    if actor.role == "admin" or (actor.role == "verifier" and actor.org == org):
        return
    raise PermissionDenied(
        f"user '{actor.name}' ({actor.role} of {actor.org}) may not {what} for {org}: its verifiers or an admin may"
    )


def default_key_path(org: str, key_id: str) -> Path:
    return Path(os.environ.get(KEY_DIR_ENV) or "truce-keys") / f"{org}-{key_id}.pem"


def create_key(
    app: App, conn: Connection, actor: Actor, org: str, out: str | Path | None = None, key_dir: str | Path | None = None
) -> dict[str, Any]:
    """Generate an Ed25519 key pair for a guarantor office: the public key goes into the ledger, the
    private key into a file only its owner may read (0600): `out`, else ORG-KEYID.pem in `key_dir` (default:
    the key directory, TRUCE_KEY_DIR)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    require(actor, "key.add")
    row = _office(conn, org)
    _may_act_for(actor, row.id, "create signing keys")
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    kid = key_id_of(pub)
    path = Path(out) if out else (Path(key_dir) / f"{row.id}-{kid}.pem" if key_dir else default_key_path(row.id, kid))
    if path.exists():
        raise Conflict(f"out: {path} exists already; a key file is never overwritten", field="out")
    payload = {"key_id": kid, "org_id": row.id, "public_key": pub}
    seq, _ = app.record(conn, actor, "key.add", payload)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    return {**payload, "file": str(path), "ledger_seq": seq}


@applier("key.add")
def _apply_key_add(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(signing_keys).values(
            key_id=p["key_id"],
            org_id=p["org_id"],
            public_key=p["public_key"],
            created_by=ctx.actor,
            created_at=ctx.at,
            ledger_seq=ctx.seq,
        )
    )


def revoke_key(app: App, conn: Connection, actor: Actor, key_id: str) -> dict[str, Any]:
    """Revoke a key: signatures made with it before stay valid, none can be recorded after."""
    require(actor, "key.revoke")
    row = conn.execute(select(signing_keys).where(signing_keys.c.key_id == key_id)).first()
    if row is None:
        raise NotFound(f"key: no signing key {key_id}", field="key")
    _may_act_for(actor, row.org_id, "revoke signing keys")
    if row.revoked_at:
        raise Conflict(f"key {key_id} was revoked already ({row.revoked_at})", field="key")
    payload = {"key_id": key_id}
    seq, _ = app.record(conn, actor, "key.revoke", payload)
    return {"key_id": key_id, "org_id": row.org_id, "ledger_seq": seq}


@applier("key.revoke")
def _apply_key_revoke(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        update(signing_keys).where(signing_keys.c.key_id == p["key_id"]).values(revoked_at=ctx.at, revoked_by=ctx.actor)
    )


def list_keys(conn: Connection, org: str | None = None) -> list[dict[str, Any]]:
    stmt = select(signing_keys).order_by(signing_keys.c.org_id, signing_keys.c.ledger_seq)
    if org:
        stmt = stmt.where(signing_keys.c.org_id == lookups.org(conn, org))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def load_private_key(path: str | Path) -> Any:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    p = Path(path)
    try:
        key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    except FileNotFoundError as e:
        raise NotFound(f"key: no key file {p}", field="key") from e
    except (ValueError, TypeError) as e:
        raise ValidationFailed(f"key: {p} is not an unencrypted PEM private key ({e})", field="key") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationFailed(f"key: {p} is not an Ed25519 key", field="key")
    return key


def public_hex(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw: bytes = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def find_key_file(conn: Connection, org: str) -> Path:
    """The key file of an office in the key directory whose key is registered and not revoked."""
    live = {
        r.key_id
        for r in conn.execute(
            select(signing_keys.c.key_id).where(signing_keys.c.org_id == org, signing_keys.c.revoked_at.is_(None))
        )
    }
    folder = Path(os.environ.get(KEY_DIR_ENV) or "truce-keys")
    found = sorted(p for p in folder.glob(f"{org}-*.pem") if p.stem[len(org) + 1 :] in live)
    if not found:
        raise NotFound(
            f"key: no key file of {org} in {folder}/ for a key it holds (give --key FILE, or create one with "
            f"truce key create --org {org})",
            field="key",
        )
    return found[-1]


# --- signing -----------------------------------------------------------------------------------------------


def sign(
    app: App,
    conn: Connection,
    actor: Actor,
    day: str,
    org: str | None = None,
    key_file: str | Path | None = None,
    seq: int | None = None,
) -> dict[str, Any]:
    """Sign the published bulletin of a day on behalf of a guarantor office and record the signature."""
    require(actor, "bulletin.sign")
    org = org or actor.org
    row = _office(conn, org)
    if actor.org != row.id:
        raise PermissionDenied(
            f"user '{actor.name}' ({actor.role} of {actor.org}) may not sign for {row.id}: only its own verifiers may"
        )
    d = parse_day(day).isoformat()
    pub = published(conn, d, seq)
    if pub is None:
        raise NotFound(
            f"date: the bulletin of {d} was not published"
            + (f" at ledger entry {seq}" if seq else "")
            + f" (truce bulletin publish --date {d})",
            field="date",
        )
    body = read_body(app, pub)
    sha = digest(body)
    if sha != pub["sha256"]:  # pragma: no cover - read_body checks the bytes already
        raise Conflict(f"the stored bulletin of {d} does not match its recorded digest")
    if conn.execute(
        select(bulletin_signatures.c.org_id).where(
            bulletin_signatures.c.day == d,
            bulletin_signatures.c.seq == pub["seq"],
            bulletin_signatures.c.org_id == row.id,
        )
    ).first():
        raise Conflict(f"{row.id} has signed the bulletin of {d} (entry {pub['seq']}) already", field="org")
    key = load_private_key(key_file) if key_file else load_private_key(find_key_file(conn, row.id))
    pk = public_hex(key)
    kid = key_id_of(pk)
    k = conn.execute(select(signing_keys).where(signing_keys.c.key_id == kid)).first()
    if k is None or k.public_key != pk:
        raise ValidationFailed(f"key: key {kid} is not registered (truce key create --org {row.id})", field="key")
    if k.org_id != row.id:
        raise PermissionDenied(f"key {kid} belongs to {k.org_id}, not to {row.id}")
    if k.revoked_at:
        raise ValidationFailed(f"key: key {kid} was revoked ({k.revoked_at})", field="key")
    signature = key.sign(signed_message(d, int(pub["seq"]), sha)).hex()
    payload = {"day": d, "seq": int(pub["seq"]), "sha256": sha, "org_id": row.id, "key_id": kid, "signature": signature}
    cosigned = _cosign_checkpoint(app, conn, row.id, key, int(pub["seq"]))
    lseq, _ = app.record(conn, actor, "bulletin.sign", payload)
    return {**payload, "ledger_seq": lseq, "checkpoint": cosigned}


def _cosign_checkpoint(app: Any, conn: Connection, org: str, key: Any, seq: int) -> dict[str, Any]:
    """An office signing a bulletin vouches for the log too: it co-signs the latest checkpoint (one that
    includes the bulletin's entry), after the consistency check a witness makes (`signing.cosign_local`)."""
    latest = signing.checkpoint(conn)
    if latest is None or latest["size"] < seq:
        latest = signing.make_checkpoint(app, conn)
    return signing.cosign_local(conn, org, key, size=latest["size"])


@applier("bulletin.sign")
def _apply_sign(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(bulletin_signatures).values(
            day=p["day"],
            seq=p["seq"],
            org_id=p["org_id"],
            key_id=p["key_id"],
            signature=p["signature"],
            signed_by=ctx.actor,
            signed_at=ctx.now,
            ledger_seq=ctx.seq,
        )
    )


def check_signature(public_key_hex: str, day: str, seq: int, sha256: str, signature_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        pub.verify(bytes.fromhex(signature_hex), signed_message(day, seq, sha256))
    except (InvalidSignature, ValueError):
        return False
    return True
