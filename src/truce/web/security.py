"""Security of the web app: response headers (CSP without inline scripts, nosniff, no framing),
cookies (HttpOnly, SameSite, Secure behind TLS) and CSRF tokens on every form."""

from __future__ import annotations

import functools
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truce.api.deps import CsrfFailed, who
from truce.auth.credentials import same_secret
from truce.ledger.chain import Actor

PRE_COOKIE = "truce_pre"  # the CSRF token of a visitor not yet signed in (for the sign-in form)
CSRF_FIELD = "csrf"


def tile_url() -> str | None:
    """TRUCE_TILE_URL: an optional tile server, e.g. https://tiles.example.org/{z}/{x}/{y}.png."""
    return os.environ.get("TRUCE_TILE_URL") or None


def trust_proxy() -> bool:
    """TRUCE_TRUST_PROXY=1: the app runs behind a TLS-terminating proxy whose X-Forwarded-* headers it trusts."""
    return os.environ.get("TRUCE_TRUST_PROXY", "").lower() in ("1", "true", "yes")


def is_https(request: Request) -> bool:
    return scope_is_https(request.scope)


def scope_is_https(scope: Scope) -> bool:
    if scope.get("scheme", "http") == "https":
        return True
    return trust_proxy() and Headers(scope=scope).get("x-forwarded-proto", "").split(",")[0].strip() == "https"


def client_address(request: Request) -> str:
    if trust_proxy():
        fwd = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if fwd:
            return fwd[:64]
    return (request.client.host if request.client else "unknown")[:64]


def content_security_policy() -> str:
    return _csp(tile_url())


@functools.lru_cache(maxsize=8)
def _csp(t: str | None) -> str:
    """The policy for a tile server setting (TRUCE_TILE_URL is read per request, each policy built once)."""
    img = ["'self'", "data:"]
    if t:
        parts = urlsplit(t.replace("{s}", "a"))
        host = parts.netloc.replace("a.", "*.", 1) if "{s}" in t else parts.netloc
        img.append(f"{parts.scheme}://{host}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(img)}",
            "connect-src 'self'",
            "font-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def set_security_headers(scope: Scope, headers: MutableHeaders) -> None:
    """The security headers of every response (set on a response's headers, replacing any of the same name;
    Cache-Control only when the response has none)."""
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
    if scope_is_https(scope):
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not scope["path"].startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response, set on its start message (no
    extra task or stream per request, unlike Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_security_headers(scope, MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def set_cookie(request: Request, resp: Response, name: str, value: str, max_age: int | None = None,
               samesite: str = "lax") -> None:
    resp.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite=samesite,  # type: ignore[arg-type]
        secure=is_https(request),
    )


def pre_token(request: Request) -> tuple[str, bool]:
    """The visitor's pre-sign-in CSRF token, and whether it is new (to be set as a cookie)."""
    t = request.cookies.get(PRE_COOKIE)
    if t and 20 <= len(t) <= 100:
        return t, False
    return secrets.token_urlsafe(24), True


async def form_actor(request: Request) -> Actor:
    """The signed-in actor of a form POST whose CSRF field matches the session's token."""
    form = await request.form()
    w = await run_in_threadpool(who, request)
    token = form.get(CSRF_FIELD)
    if w.actor is None:
        raise CsrfFailed("csrf: this form needs a signed-in session: sign in first", field="csrf")
    if w.via == "session" and not same_secret(token if isinstance(token, str) else None, w.csrf):
        raise CsrfFailed("csrf: the form's token does not match your session: reload the page", field="csrf")
    return w.actor


def csrf_for(request: Request) -> str | None:
    w = who(request)
    return w.csrf


def field(form: Any, name: str) -> str | None:
    v = form.get(name)
    if isinstance(v, str):
        v = v.strip()
        return v or None
    return None
