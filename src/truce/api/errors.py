"""One JSON error shape everywhere: {"status", "code", "message", "details": [{"field", "message"}]}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from truce.app import is_retryable
from truce.errors import TruceError

log = logging.getLogger("truce.web")

HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_attempts",
    500: "internal_error",
    501: "not_available",
}


class ErrorDetail(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    """Every error the API answers: the HTTP status, a stable code, a message naming where and why."""

    status: int
    code: str
    message: str
    details: list[ErrorDetail]


_ERROR_STATUSES = {
    400: "Malformed request (e.g. a body nested too deeply)",
    401: "Not signed in, or the token is unknown, expired or revoked",
    403: "Signed in, but the role or organisation may not do this",
    404: "No such resource, or not visible at the caller's tier",
    409: "Conflict: the same request id with other content, a state that forbids it, or a write race (retry)",
    413: "Body or a list in it is over the size limit",
    422: "Invalid input: the message and details name the field and why",
    429: "Too many attempts: wait Retry-After seconds",
}
# Declared on every API route (the routers are included with `responses=ERROR_RESPONSES`): the statuses a
# route can answer besides its success, all with the one error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    # The content is named as well: a route answering text/plain (ledger checkpoints) still errs in JSON.
    status: {"model": Error, "description": text,
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for status, text in _ERROR_STATUSES.items()
}


# A write keyed by the client (a report's UUID, an article's id): 201 when new, 200 when it was received before.
DUPLICATE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Received before with the same content: the first answer, nothing written again",
          "content": {"application/json": {"schema": {"type": "object"}}}},
}


def error_body(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message, "details": details or []}


def validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
        out.append({"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid")).removeprefix(
            "Value error, ")})
    return out


def install(app: FastAPI, html_error: Any = None) -> None:
    """Register the handlers. Paths under /api/ answer JSON; web pages call `html_error` (when given)
    to render the same error as a page."""

    def respond(request: Request, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
        if html_error is not None and not request.url.path.startswith("/api/"):
            resp: Response = html_error(request, body)
        else:
            resp = JSONResponse(body, status_code=body["status"])
        for k, v in (headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(TruceError)
    async def _truce(request: Request, exc: TruceError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429:
            headers = {"Retry-After": str(getattr(exc, "retry_after", 1))}
        return respond(request, exc.to_dict(), headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(exc)
        first = details[0] if details else {"field": "input", "message": "invalid"}
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        return respond(
            request, error_body(422, "validation_failed", f"{first['field']}: {first['message']}{more}", details)
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "error")
        msg = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"no such resource: {request.url.path}"
        return respond(request, error_body(exc.status_code, code, msg), dict(exc.headers or {}))

    @app.exception_handler(DBAPIError)
    async def _db(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, IntegrityError) or is_retryable(exc):
            # A write that lost its race with other writers after every retry (Truce.transact), or a key
            # another request took first: nothing was written; the client may send it again.
            log.warning("write conflict on %s %s: %s", request.method, request.url.path, exc.orig)
            return respond(
                request,
                error_body(409, "conflict", "conflict: another write changed the same records at the same time; "
                           "nothing was written, send the request again"),
                {"Retry-After": "1"},
            )
        state = str(getattr(exc.orig, "sqlstate", "") or "")
        if state.startswith("22"):  # a data exception: a number out of range, a malformed value
            return respond(request, error_body(422, "validation_failed", "input: a value is out of range or malformed"))
        log.exception("database error on %s %s", request.method, request.url.path)
        return respond(request, error_body(500, "internal_error", "internal error: the server log has the details"))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # Caught before this by web.limits for integers in the path and query; this is the net behind it.
        return respond(request, error_body(422, "validation_failed", "input: a number is out of range"))

    @app.exception_handler(RecursionError)
    async def _deep(request: Request, exc: RecursionError) -> Response:
        return respond(request, error_body(400, "bad_request", "body: nested too deeply"))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, error_body(500, "internal_error", "internal error: the server log has the details"))
