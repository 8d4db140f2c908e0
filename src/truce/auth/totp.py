"""Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226), with the standard library's hmac: the
optional second factor of the sign-in for verifiers and admins (`truce user totp NAME`).

The secret is kept in the operational table `totp_secrets` (never in the ledger, whose entries are
replicated to every guarantor's node)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote

from sqlalchemy import Column, Connection, String, Table, delete, insert, select

from truce.db import metadata
from truce.errors import ValidationFailed

STEP = 30
DIGITS = 6
ROLES = ("verifier", "admin")  # who may turn the second factor on

totp_secrets = Table(
    "totp_secrets",
    metadata,
    Column("user_name", String(100), primary_key=True),
    Column("secret", String(64), nullable=False),  # base32, as authenticator apps take it
    Column("enabled_at", String(32), nullable=False),
)


def hotp(key: bytes, counter: int, digits: int = DIGITS, algorithm: str = "sha1") -> str:
    """RFC 4226: HMAC of the 8-byte counter, dynamically truncated to `digits` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, algorithm)).digest()
    offset = mac[-1] & 0x0F
    code = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(code % 10**digits).zfill(digits)


def totp(key: bytes, at: float, digits: int = DIGITS, algorithm: str = "sha1", step: int = STEP) -> str:
    """RFC 6238: HOTP of the number of `step`-second periods since the Unix epoch."""
    return hotp(key, int(at // step), digits, algorithm)


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def key_of(secret: str) -> bytes:
    s = secret.strip().replace(" ", "").upper()
    return base64.b32decode(s + "=" * (-len(s) % 8))


def verify(secret: str, code: str | None, at: float | None = None, window: int = 1) -> bool:
    """Whether `code` is the one of this period or of `window` periods either side (clock drift)."""
    if not code or not code.strip().isdigit() or len(code.strip()) != DIGITS:
        return False
    now = time.time() if at is None else at
    key = key_of(secret)
    return any(hmac.compare_digest(totp(key, now + k * STEP), code.strip()) for k in range(-window, window + 1))


def uri(secret: str, user: str, issuer: str = "Truce") -> str:
    """The otpauth:// URI that authenticator apps read (from a QR code or typed in)."""
    return (f"otpauth://totp/{quote(issuer)}:{quote(user)}?secret={secret}&issuer={quote(issuer)}"
            f"&algorithm=SHA1&digits={DIGITS}&period={STEP}")


def secret_of(conn: Connection, user: str) -> str | None:
    return conn.execute(select(totp_secrets.c.secret).where(totp_secrets.c.user_name == user)).scalar()


def enable(conn: Connection, user: str, role: str, now: str) -> str:
    """Turn the second factor on for a verifier or an admin (a new secret each time). Returns the secret."""
    if role not in ROLES:
        raise ValidationFailed(f"user: the second factor is for verifiers and admins, not a {role}", field="user")
    secret = new_secret()
    conn.execute(delete(totp_secrets).where(totp_secrets.c.user_name == user))
    conn.execute(insert(totp_secrets).values(user_name=user, secret=secret, enabled_at=now))
    return secret


def disable(conn: Connection, user: str) -> Any:
    return conn.execute(delete(totp_secrets).where(totp_secrets.c.user_name == user)).rowcount
