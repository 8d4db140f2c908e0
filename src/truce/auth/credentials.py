"""Credentials: web sign-in passwords (argon2id), API bearer tokens, web sessions and the rate limit
on failed sign-ins.

Setting a password and creating or revoking a token are ledger commands whose payloads carry only
hashes (the argon2 hash of the password, the sha256 of the token), never the secret. Sessions and
sign-in attempts are operational records written outside the ledger (they are not projections:
see `truce.ledger.service.OPERATIONAL_TABLES`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, delete, func, insert, select, update

from truce import times
from truce.auth import totp
from truce.auth.models import api_tokens, login_attempts, users, web_sessions
from truce.auth.service import get_actor
from truce.db import next_id
from truce.errors import NotFound, PermissionDenied, TruceError, ValidationFailed
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_PREFIX = "truce_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
SESSION_HOURS = 12
# Failed sign-ins slow down the pair (user name, client address) that fails, and nobody else: after
# FREE_FAILURES failures of a pair (within THROTTLE_HOURS, since its last success) its next attempt must wait
# 15, 30, 60 ... seconds after its last failure, at most MAX_DELAY_SECONDS. The right password from another
# address is not slowed by them, and an address failing for many names slows only those pairs.
FREE_FAILURES = 3
MAX_FAILURES = FREE_FAILURES + 1  # failures after which the pair waits before its next attempt
FIRST_DELAY_SECONDS = 15
MAX_DELAY_SECONDS = 900
THROTTLE_HOURS = 24

_hasher = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) defaults
# A hash to verify against when the user does not exist, so that timing does not tell.
_DUMMY_HASH = _hasher.hash("no such user: timing equaliser")


class TooManyAttempts(TruceError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, message: str, *, field: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class NotAuthenticated(TruceError):
    code = "not_authenticated"
    status = 401


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _user_row(conn: Connection, name: str) -> Any:
    row = conn.execute(select(users).where(users.c.name == name)).first()
    if row is None:
        raise NotFound(f"no user named '{name}'", field="user")
    return row


def self_or_admin(actor: Actor, name: str, what: str) -> None:
    if actor.role == "admin" or actor.name == name:
        return
    raise PermissionDenied(
        f"user '{actor.name}' ({actor.role} of {actor.org}) may not {what} of user '{name}': "
        "only that user or an admin may"
    )


# --- passwords -------------------------------------------------------------------------------------


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password: at least {MIN_PASSWORD} characters", field="password")
    if len(password) > MAX_PASSWORD:
        raise ValidationFailed(f"password: at most {MAX_PASSWORD} characters", field="password")
    if len(set(password)) < 5:
        raise ValidationFailed("password: too few different characters", field="password")


def set_password(app: App, conn: Connection, actor: Actor, name: str, password: str) -> dict[str, Any]:
    """Set (or change) a user's web sign-in password. The ledger keeps only its argon2id hash.
    Every open session of the user ends."""
    _user_row(conn, name)
    self_or_admin(actor, name, "set the password")
    check_password_strength(password)
    payload = {"name": name, "password_hash": _hasher.hash(password)}
    seq, _ = app.record(conn, actor, "user.password", payload)
    conn.execute(delete(web_sessions).where(web_sessions.c.user_name == name))
    return {"name": name, "ledger_seq": seq}


def has_password(conn: Connection, name: str) -> bool:
    row = conn.execute(select(users.c.password_hash).where(users.c.name == name)).first()
    return bool(row and row.password_hash)


@applier("user.password")
def _apply_password(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        update(users).where(users.c.name == p["name"]).values(password_hash=p["password_hash"], password_set_at=ctx.at)
    )


def throttle_delay(failures: int) -> int:
    """Seconds a pair must wait after its last failure, given its number of failures."""
    if failures < MAX_FAILURES:
        return 0
    return int(min(FIRST_DELAY_SECONDS * 2 ** (failures - MAX_FAILURES), MAX_DELAY_SECONDS))


def retry_after(conn: Connection, name: str, client: str, now: datetime) -> int:
    """Seconds before the pair (name, client) may try again (0: now)."""
    a = login_attempts.c
    horizon = times.fmt(now - timedelta(hours=THROTTLE_HOURS))
    pair = (a.user_name == name, a.client == client, a.at >= horizon)
    last_ok = conn.execute(select(func.max(a.at)).where(*pair, a.ok.is_(True))).scalar()
    fails = conn.execute(
        select(func.count(), func.max(a.at)).where(*pair, a.ok.is_(False), *([a.at > last_ok] if last_ok else []))
    ).one()
    delay = throttle_delay(int(fails[0]))
    if not delay:
        return 0
    wait = (times.parse(fails[1]) + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(wait + 0.999))


def authenticate(app: App, name: str, password: str, client: str = "unknown", code: str | None = None) -> Actor:
    """Check a sign-in and record the attempt (in its own transaction, so that failures count).
    Refused with 429 (and the seconds to wait) while the pair (name, client address) must wait after its
    failures (`throttle_delay`), with 401 when the name or password is wrong. The password is checked outside
    the write transaction (argon2 takes tens of milliseconds: no writer waits for it)."""

    name = (name or "").strip()[:100]
    client = (client or "unknown")[:64]
    now = datetime.now(UTC)
    with app.read() as conn:
        wait = retry_after(conn, name, client, now)
        if wait:
            raise TooManyAttempts(
                f"too many failed sign-ins for {name or 'this name'} from this address: try again in {wait} s",
                field="password", retry_after=wait,
            )
        row = conn.execute(select(users.c.password_hash, users.c.active).where(users.c.name == name)).first()
        second = totp.secret_of(conn, name)
    stored = row.password_hash if row is not None and row.active else None
    ok = False
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password or "") and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if ok and second is not None:  # the second factor: the code of the user's authenticator app (the answer
        ok = totp.verify(second, code)  # does not tell which of password and code was wrong)
    actor: Actor | None = None
    with app.write() as conn:
        conn.execute(insert(login_attempts).values(user_name=name, client=client, at=times.fmt(now), ok=ok))
        # Attempts older than the throttle's horizon are of no further use.
        horizon = times.fmt(now - timedelta(hours=THROTTLE_HOURS))
        conn.execute(delete(login_attempts).where(login_attempts.c.at < horizon))
        if ok:
            actor = get_actor(conn, name)
    if actor is None:
        raise NotAuthenticated("wrong user name, password or code", field="password")
    return actor


# --- API tokens ------------------------------------------------------------------------------------


def create_token(
    app: App,
    conn: Connection,
    actor: Actor,
    user_name: str,
    days: int = DEFAULT_TOKEN_DAYS,
    label: str | None = None,
) -> dict[str, Any]:
    """Create a bearer token for a user. Returns the token itself once; only its sha256 is kept."""
    row = _user_row(conn, user_name)
    self_or_admin(actor, user_name, "create API tokens")
    if not row.active:
        raise ValidationFailed(f"user: '{user_name}' is deactivated", field="user")
    if not 1 <= int(days) <= MAX_TOKEN_DAYS:
        raise ValidationFailed(f"days: between 1 and {MAX_TOKEN_DAYS}", field="days")
    if label is not None and len(label) > 200:
        raise ValidationFailed("label: at most 200 characters", field="label")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    payload = {
        "id": next_id(conn, api_tokens),
        "user_name": user_name,
        "token_hash": sha256_hex(token),
        "label": label,
        "expires_at": times.add_days(times.real_now(), int(days)),
    }
    seq, _ = app.record(conn, actor, "token.create", payload)
    out = {k: v for k, v in payload.items() if k != "token_hash"}
    return {**out, "token": token, "ledger_seq": seq}


def revoke_token(app: App, conn: Connection, actor: Actor, token_id: int) -> dict[str, Any]:
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise NotFound(f"no token {token_id}", field="token")
    self_or_admin(actor, row.user_name, "revoke the tokens")
    if row.revoked_at:
        return {"id": token_id, "revoked_at": row.revoked_at, "already": True}
    seq, _ = app.record(conn, actor, "token.revoke", {"id": token_id})
    return {"id": token_id, "ledger_seq": seq, "already": False}


def list_tokens(conn: Connection, viewer: Actor, user_name: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their hashes): an admin sees everyone's, others only their own."""
    stmt = select(
        api_tokens.c.id,
        api_tokens.c.user_name,
        api_tokens.c.label,
        api_tokens.c.created_at,
        api_tokens.c.created_by,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
    )
    if viewer.role != "admin":
        stmt = stmt.where(api_tokens.c.user_name == viewer.name)
    if user_name:
        if conn.execute(select(users.c.name).where(users.c.name == user_name)).first() is None:
            raise NotFound(f"user: no user named '{user_name}'", field="user")
        stmt = stmt.where(api_tokens.c.user_name == user_name)
    now = times.real_now()
    out = []
    for r in conn.execute(stmt.order_by(api_tokens.c.id)).mappings():
        d = dict(r)
        d["state"] = "revoked" if d["revoked_at"] else ("expired" if d["expires_at"] <= now else "active")
        out.append(d)
    return out


def actor_for_token(conn: Connection, token: str) -> Actor | None:
    """The actor a bearer token stands for; None when unknown, revoked, expired or the user is inactive."""

    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = conn.execute(
        select(api_tokens.c.user_name, api_tokens.c.expires_at, api_tokens.c.revoked_at).where(
            api_tokens.c.token_hash == sha256_hex(token)
        )
    ).first()
    if row is None or row.revoked_at or row.expires_at <= times.real_now():
        return None
    try:
        return get_actor(conn, row.user_name)
    except TruceError:
        return None


@applier("token.create")
def _apply_token_create(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(api_tokens).values(
            id=p["id"],
            user_name=p["user_name"],
            token_hash=p["token_hash"],
            label=p.get("label"),
            created_at=ctx.at,
            created_by=ctx.actor,
            expires_at=p["expires_at"],
            revoked_at=None,
            revoked_by=None,
            ledger_seq=ctx.seq,
        )
    )


@applier("token.revoke")
def _apply_token_revoke(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == p["id"]).values(revoked_at=ctx.at, revoked_by=ctx.actor))


# --- web sessions (operational) ----------------------------------------------------------------------


def start_session(conn: Connection, actor: Actor, hours: int = SESSION_HOURS) -> tuple[str, str]:
    """A new session for a signed-in user: returns (cookie value, CSRF token)."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    conn.execute(
        insert(web_sessions).values(
            id_hash=sha256_hex(sid),
            user_name=actor.name,
            csrf_token=csrf,
            created_at=times.fmt(now),
            expires_at=times.fmt(now + timedelta(hours=hours)),
            last_seen=times.fmt(now),
        )
    )
    conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < times.fmt(now)))
    return sid, csrf


def session_actor(conn: Connection, sid: str | None) -> tuple[Actor, str] | None:
    """(actor, CSRF token) of a live session; None when unknown or expired."""

    if not sid or len(sid) > 200:
        return None
    row = conn.execute(select(web_sessions).where(web_sessions.c.id_hash == sha256_hex(sid))).first()
    if row is None or row.expires_at <= times.real_now():
        return None
    try:
        return get_actor(conn, row.user_name), row.csrf_token
    except TruceError:
        return None


def end_session(conn: Connection, sid: str | None) -> None:
    if sid:
        conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == sha256_hex(sid)))


def same_secret(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
