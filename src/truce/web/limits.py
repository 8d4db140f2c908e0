"""Limits on what a request may send, enforced before anything is parsed (pure ASGI middleware):

- a body larger than its limit is refused with 413: at once when its Content-Length says so, else as soon
  as the bytes received pass the limit (the rest is never read, so memory stays flat);
  `TRUCE_MAX_BODY_BYTES` (default 1 MiB) for JSON and form bodies, `TRUCE_MAX_UPLOAD_BYTES` (default
  105 MiB: two evidence files of 50 MiB) for multipart uploads;
- a JSON body nested deeper than `MAX_JSON_DEPTH` (64) is refused with 400 before it is parsed;
- an integer in the path or the query beyond 64 bits is refused with 422 naming it (the databases'
  integers are 64-bit: Python would raise OverflowError, PostgreSQL an out-of-range error).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_DEPTH = 64
INT64_MAX = 2**63 - 1
MIB = 1024 * 1024

_DIGITS = re.compile(r"^[+-]?\d{19,}$")  # 19 digits or more: may not fit 64 bits
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


def max_body_bytes() -> int:
    return int(os.environ.get("TRUCE_MAX_BODY_BYTES") or MIB)


def max_upload_bytes() -> int:
    return int(os.environ.get("TRUCE_MAX_UPLOAD_BYTES") or 105 * MIB)


def json_depth_exceeds(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit` (strings skipped), without parsing."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for m in _JSON_TOKENS.finditer(body):
        c = m.group()[0]
        if c in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif c in _CLOSE:
            depth -= 1
    return False


def out_of_range(value: str) -> bool:
    return bool(_DIGITS.match(value)) and abs(int(value)) > INT64_MAX


class TooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit: FastAPI and Starlette pass an HTTPException
    on (a parsing error of another kind would become a 400), and the error handlers answer 413."""


def _error(status: int, code: str, message: str, field: str | None = None) -> tuple[int, bytes]:
    details = [{"field": field, "message": message}] if field else []
    body = {"status": status, "code": code, "message": message, "details": details}
    return status, json.dumps(body).encode()


class RequestLimits:
    """Pure ASGI middleware applying the limits above to every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self._check_numbers(scope)
        if refused is not None:
            await self._send(send, *refused)
            return
        headers = Headers(scope=scope)
        ctype = headers.get("content-type", "")
        upload = ctype.startswith("multipart/form-data")
        limit = max_upload_bytes() if upload else max_body_bytes()
        what = "an upload" if upload else "a request body"
        too_large = _error(413, "too_large", f"body: {what} may be at most {limit} bytes", "body")
        length = headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                await self._send(send, *_error(400, "bad_request", "Content-Length: not a number", "Content-Length"))
                return
            if int(length) > limit:
                await self._send(send, *too_large)
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and length is None:
            await self.app(scope, receive, send)
            return
        if ctype.startswith("application/json") or ctype.endswith("+json"):
            # A JSON body is small (max_body_bytes): read it whole, check its depth, then hand it on.
            chunks: list[bytes] = []
            size = 0
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size > limit:
                    await self._send(send, *too_large)
                    return
                chunks.append(chunk)
                if not msg.get("more_body", False):
                    break
            body = b"".join(chunks)
            if json_depth_exceeds(body):
                await self._send(send, *_error(
                    400, "bad_request", f"body: JSON nested deeper than {MAX_JSON_DEPTH} levels", "body"))
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
            return
        started = False
        received = 0

        async def counting() -> Message:
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    raise TooLarge(413, f"body: {what} may be at most {limit} bytes")
            return msg

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking_send)
        except TooLarge:
            if not started:
                await self._send(send, *too_large)

    @staticmethod
    def _check_numbers(scope: Scope) -> tuple[int, bytes] | None:
        for seg in scope["path"].split("/"):
            if seg and out_of_range(seg):
                return _error(422, "validation_failed", f"path: {seg[:30]}… is beyond the 64-bit integer range",
                              "path")
        qs = scope.get("query_string", b"")
        if qs and any(c in qs for c in b"0123456789"):
            for k, v in parse_qsl(qs.decode("latin-1"), keep_blank_values=True):
                if out_of_range(v.strip()):
                    return _error(422, "validation_failed", f"{k}: beyond the 64-bit integer range", k)
        return None

    @staticmethod
    async def _send(send: Send, status: int, body: bytes, headers: Any = None) -> None:
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
