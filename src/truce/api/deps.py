"""Who is asking: a bearer token (API clients) or the web session cookie (the web app's own
scripts), and the CSRF check that a cookie-authenticated state change must pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from truce import idempotency
from truce.auth.credentials import NotAuthenticated, actor_for_token, same_secret, session_actor
from truce.db import has_own_reader
from truce.errors import PermissionDenied
from truce.ledger.chain import Actor

SESSION_COOKIE = "truce_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


@dataclass
class Who:
    actor: Actor | None
    via: str  # token | session | none
    csrf: str | None = None


def truce(request: Request) -> Any:
    return request.app.state.truce


@contextmanager
def read(request: Request) -> Iterator[Connection]:
    with truce(request).read() as conn:
        yield conn


@contextmanager
def write(request: Request) -> Iterator[Connection]:
    with truce(request).write() as conn:
        yield conn


IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def run_write(
    request: Request,
    a: Actor,
    fields: dict[str, Any],
    fn: Callable[[Connection], Any],
    status: int | Callable[[Any], int] = 200,
) -> JSONResponse:
    """Run a command in a write transaction (retried when it loses a race with another writer), once per
    `Idempotency-Key` of the caller: a retry with the same key and request gets the first answer (and the
    header Idempotent-Replayed: true), with another request 409 naming the fields that differ.
    `fields` are the request's own (path parameters and body fields); method and path are added."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    desc = jsonable_encoder({"method": request.method, "path": request.url.path, **fields})
    out = truce(request).transact(
        lambda conn: idempotency.run(conn, a.name, key, desc, fn, status, jsonable_encoder)
    )
    resp = JSONResponse(out.body, status_code=out.status)
    if out.replayed:
        resp.headers[REPLAYED_HEADER] = "true"
    return resp


def who(request: Request) -> Who:
    """The caller, resolved once per request. A bad or expired bearer token is refused (401) rather
    than treated as the public."""
    cached = getattr(request.state, "who", None)
    if cached is not None:
        return cached
    auth = request.headers.get("authorization")
    result = Who(None, "none")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("authorization: use 'Bearer TOKEN'", field="authorization")
        with read(request) as conn:
            actor = actor_for_token(conn, token.strip())
        if actor is None:
            raise NotAuthenticated("authorization: the token is unknown, revoked or expired", field="authorization")
        result = Who(actor, "token")
    else:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            with read(request) as conn:
                found = session_actor(conn, sid)
            if found is not None:
                result = Who(found[0], "session", found[1])
    request.state.who = result
    return result


def quick_reads(request: Request) -> bool:
    """Whether a short read may run on the event loop, on the loop's own SQLite connection
    (db.sqlite_read_tx): on a SQLite file (WAL: a reader never waits for the writer, and a few indexed rows
    take less than the hop to the threadpool and back); never on PostgreSQL, where every statement is a
    round trip to the server."""
    return has_own_reader(truce(request).engine)


async def viewer(request: Request) -> Actor | None:
    """The signed-in actor, or None for the public. Async, so that the public (no token, no session
    cookie: nothing to look up) costs no threadpool hop; a token or session is looked up in the threadpool."""
    cached = getattr(request.state, "who", None)
    if cached is not None:
        return cached.actor
    if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return who(request).actor
    return (await run_in_threadpool(who, request)).actor


def actor(request: Request) -> Actor:
    """A signed-in actor (401 otherwise)."""
    w = who(request)
    if w.actor is None:
        raise NotAuthenticated("sign in or send a bearer token (truce token create --user NAME)")
    return w.actor


def writer(request: Request) -> Actor:
    """A signed-in actor allowed to change state: a token, or a session with its CSRF token in the
    X-CSRF-Token header."""
    w = who(request)
    a = actor(request)
    if (
        w.via == "session"
        and request.method not in SAFE_METHODS
        and not same_secret(request.headers.get(CSRF_HEADER), w.csrf)
    ):
        raise CsrfFailed("csrf: missing or wrong X-CSRF-Token header", field="csrf")
    return a
