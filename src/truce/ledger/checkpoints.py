"""Checkpoints as C2SP signed notes: c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature.

A checkpoint body is three lines, each ending in a newline: the log's origin, the tree size in decimal,
the base64 tree head (RFC 9162 MTH). Truce's checkpoints carry no extension lines and `Checkpoint.parse`
refuses them. A signed note is the body, a blank line, then signature lines
``— <key name> base64(key ID || signature)``:

- the log signs with Ed25519 (signature type 0x01): the signature covers the body;
- a witness co-signs with a timestamped Ed25519 cosignature/v1 (signature type 0x04): the signature is
  ``u64 big-endian timestamp || Ed25519 signature`` over ``cosignature/v1\\ntime <T>\\n`` + the body.

key ID = SHA-256(key name || 0x0A || signature type || 32-byte public key)[:4].

`verify_cosignature` returns a bool like `verify_note`; the cosignature's timestamp is read from the
signature itself: `NoteSignature.timestamp` (None when the signature is not 8 + 64 bytes long).
Everything here is pure (no database); the stored checkpoints are in `truce.ledger.signing`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 100
MAX_TIMESTAMP = 2**63 - 1
_SIZE_RE = re.compile(r"0|[1-9][0-9]*")
_CONTROL_RE = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _b64decode(s: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise ValueError(f"{what} is not standard base64 ({e})") from e
    if base64.b64encode(raw).decode("ascii") != s:
        raise ValueError(f"{what} is not canonical base64")
    return raw


def check_name(name: str, what: str = "key name") -> str:
    """Key names (and origins): non-empty, no Unicode spaces, no plus, no control characters."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"{what} must not be empty")
    if any(ch.isspace() for ch in name) or "+" in name or _CONTROL_RE.search(name):
        raise ValueError(f"{what} {name!r} must contain no spaces, plus signs or control characters")
    return name


@dataclass(frozen=True)
class Checkpoint:
    """A tree head of the log `origin`: the first `size` leaves have the Merkle root `root` (32 bytes)."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        check_name(self.origin, "origin")
        if self.size < 0 or len(self.root) != 32:
            raise ValueError("a checkpoint needs a size of 0 or more and a 32-byte root")
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse a checkpoint body (the note text without signatures). Strict: ValueError naming the line."""
        if not isinstance(body, str) or not body.endswith("\n"):
            raise ValueError("checkpoint: the body must end with a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise ValueError(f"checkpoint: expected 3 lines (origin, size, root), found {len(lines)}")
        if len(lines) > 3:
            raise ValueError("checkpoint: line 4: Truce's checkpoints have no extension lines")
        origin, size_s, root_s = lines
        check_name(origin, "checkpoint: line 1: origin")
        if not _SIZE_RE.fullmatch(size_s):
            raise ValueError(f"checkpoint: line 2: tree size {size_s!r} is not a decimal number without leading zeros")
        root = _b64decode(root_s, "checkpoint: line 3: root hash")
        if len(root) != 32:
            raise ValueError(f"checkpoint: line 3: root hash has {len(root)} bytes, not 32")
        return cls(origin=origin, size=int(size_s), root=root)


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, public_key: bytes, sig_type: int) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def vkey(name: str, public_key: bytes, sig_type: int = SIG_ED25519) -> str:
    """A verifier key as the signed-note ecosystem writes it: name+hex(key ID)+base64(type || key)."""
    kid = key_id(name, public_key, sig_type).hex()
    return f"{name}+{kid}+{base64.b64encode(bytes([sig_type]) + public_key).decode('ascii')}"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes after the key ID."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{EM_DASH} {self.name} {blob}\n"

    @property
    def timestamp(self) -> int | None:
        """For a cosignature/v1 (8-byte timestamp + 64-byte signature): the POSIX time it claims."""
        if len(self.signature) != 8 + 64:
            return None
        return int(struct.unpack(">Q", self.signature[:8])[0])

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        """Parse one signature line (with or without its final newline). ValueError when malformed."""
        text = line[:-1] if line.endswith("\n") else line
        if "\n" in text:
            raise ValueError("signature line: one line expected")
        prefix = EM_DASH + " "
        if not text.startswith(prefix):
            raise ValueError("signature line: must start with an em dash (U+2014) and a space")
        parts = text[len(prefix) :].split(" ")
        if len(parts) != 2:
            raise ValueError("signature line: expected '— <key name> <base64 signature>'")
        name, blob = parts
        check_name(name, "signature line: key name")
        raw = _b64decode(blob, "signature line: signature")
        if len(raw) < 5:
            raise ValueError("signature line: the signature is shorter than a key ID and one byte")
        return cls(name=name, key_id=raw[:4], signature=raw[4:])


def _check_body(body: str, signing: bool = False) -> bytes:
    if not isinstance(body, str) or not body or not body.endswith("\n"):
        raise ValueError("note: the text must be non-empty and end with a newline")
    if signing and "\n\n" in body:  # allowed by the format, but Truce signs no text with blank lines
        raise ValueError("note: Truce signs no text that contains a blank line")
    if _CONTROL_RE.search(body):
        raise ValueError("note: the text contains an ASCII control character other than newline")
    return body.encode("utf-8")


def sign_note(body: str, name: str, key: Ed25519PrivateKey) -> str:
    """The Ed25519 (type 0x01) signature line of `name` over `body`."""
    check_name(name)
    msg = _check_body(body, signing=True)
    kid = key_id(name, raw_public_key(key), SIG_ED25519)
    return NoteSignature(name, kid, key.sign(msg)).line()


def cosignature_message(body: str, timestamp: int) -> bytes:
    if not isinstance(timestamp, int) or not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"cosignature: timestamp {timestamp!r} is not between 0 and 2^63 - 1")
    return f"cosignature/v1\ntime {timestamp}\n".encode("ascii") + _check_body(body)


def cosign(body: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """A cosignature/v1 (type 0x04) signature line of witness `name` over checkpoint `body` at `timestamp`."""
    check_name(name)
    Checkpoint.parse(body)
    sig = key.sign(cosignature_message(body, timestamp))
    kid = key_id(name, raw_public_key(key), SIG_COSIGNATURE_V1)
    return NoteSignature(name, kid, struct.pack(">Q", timestamp) + sig).line()


def open_note(text: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and its signature lines, checking the syntax only (no signature
    is verified). The text is separated from the signatures by the note's last blank line."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError("note: not valid UTF-8") from e
    if not isinstance(text, str) or not text.endswith("\n"):
        raise ValueError("note: must end with a newline")
    if _CONTROL_RE.search(text):
        raise ValueError("note: contains an ASCII control character other than newline")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise ValueError("note: no blank line separates the text from the signatures")
    body, block = text[: cut + 1], text[cut + 2 :]
    if not block:
        raise ValueError("note: no signature lines after the blank line")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError(f"note: more than {MAX_SIGNATURES} signatures")
    sigs = []
    for i, line in enumerate(lines, 1):
        try:
            sigs.append(NoteSignature.parse(line))
        except ValueError as e:
            raise ValueError(f"note: signature {i}: {e}") from e
    return body, sigs


def make_note(body: str, signature_lines: list[str]) -> str:
    """Assemble a signed note: text, blank line, signature lines."""
    _check_body(body)
    return body + "\n" + "".join(s if s.endswith("\n") else s + "\n" for s in signature_lines)


def _verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(public_key)).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def verify_note(body: str, sig: NoteSignature, name: str, public_key: bytes) -> bool:
    """Whether `sig` is `name`'s Ed25519 signature (type 0x01) over `body` with `public_key`."""
    try:
        if sig.name != name or sig.key_id != key_id(name, public_key, SIG_ED25519) or len(sig.signature) != 64:
            return False
        return _verify(public_key, sig.signature, _check_body(body))
    except (ValueError, TypeError):
        return False


def verify_cosignature(body: str, sig: NoteSignature, name: str, public_key: bytes) -> bool:
    """Whether `sig` is witness `name`'s cosignature/v1 (type 0x04) over checkpoint `body` with
    `public_key`. Its timestamp is `sig.timestamp`."""
    try:
        ts = sig.timestamp
        if sig.name != name or ts is None or sig.key_id != key_id(name, public_key, SIG_COSIGNATURE_V1):
            return False
        return _verify(public_key, sig.signature[8:], cosignature_message(body, ts))
    except (ValueError, TypeError):
        return False
