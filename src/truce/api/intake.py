"""Intake: articles and field messages as candidate reports, the review queue, and the messaging gateway."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from truce.api.deps import actor, read, run_write, who, write, writer
from truce.api.errors import DUPLICATE_RESPONSE
from truce.auth.credentials import NotAuthenticated
from truce.auth.permissions import require
from truce.errors import ValidationFailed
from truce.intake import queries, service
from truce.ledger.chain import Actor

router = APIRouter(tags=["intake"])

_TEXT = {"type": "string", "minLength": 1, "maxLength": service.MAX_BODY, "pattern": "\\S"}


def _json_body(properties: dict[str, Any], required: list[str], closed: bool = False) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its JSON object itself (`_json_object`)."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if closed:
        schema["additionalProperties"] = False
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_ARTICLE = _json_body({
    "body": _TEXT, "title": {"type": "string"}, "source": {"type": "string"},
    "published": {"type": "string", "format": "date-time"}, "language": {"enum": ["en", "ar"]},
    "id": {"type": "string"},
}, ["body"])
_MESSAGE = _json_body({
    "text": _TEXT, "sender": {"type": "string"}, "sent_at": {"type": "string", "format": "date-time"},
    "message_id": {"type": "string"}, "language": {"enum": ["en", "ar"]},
}, ["text"], closed=True)
_ACCEPT = _json_body({"edits": {"type": "object", "description": "Corrections {field: value}"}}, [])
_REJECT = _json_body({"reason": {"type": "string", "minLength": 1, "pattern": "\\S"}}, ["reason"])


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise ValidationFailed("body: not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise ValidationFailed("body: a JSON object is expected", field="body")
    return data


async def _add(request: Request, a: Actor, data: dict[str, Any], channel: str) -> Any:
    art = service.article_from(data, "body")
    app = request.app.state.truce

    def run() -> service.AddResult:
        item = service.prepare(art)
        with write(request) as conn:
            return service.add(app, conn, a, [item], channel=channel)

    res = await run_in_threadpool(run)
    body = res.to_dict()
    body["id"] = (res.added or res.duplicates)[0]
    return JSONResponse(body, status_code=201 if res.added else 200)


@router.post(
    "/intake",
    status_code=201,
    summary="Add an article as a candidate report (title, body, source, published, language, id): 201 when new, "
    "200 when this article was received already, 409 when its id came with other content",
    openapi_extra=_ARTICLE,
    responses=DUPLICATE_RESPONSE,
)
async def add_article(request: Request, a: Actor = Depends(writer)) -> Any:
    return await _add(request, a, await _json_object(request), "api")


@router.post(
    "/intake/messages",
    status_code=201,
    summary="A messaging gateway (SMS, chat bot) posts each field message here, with its own bearer token: "
    "{text, sender, sent_at, message_id}",
    openapi_extra=_MESSAGE,
    responses=DUPLICATE_RESPONSE,
)
async def gateway_message(request: Request) -> Any:
    w = who(request)
    if w.actor is None or w.via != "token":
        raise NotAuthenticated("authorization: a gateway posts with its bearer token (truce token create)")
    data = await _json_object(request)
    unknown = sorted(set(data) - {"text", "sender", "sent_at", "message_id", "language"})
    if unknown:
        raise ValidationFailed(
            f"{unknown[0]}: not a field of a message (text, sender, sent_at, message_id, language)", field=unknown[0]
        )
    art = {
        "body": data.get("text"),
        "source": data.get("sender"),
        "published": data.get("sent_at"),
        "id": data.get("message_id"),
        "language": data.get("language"),
    }
    return await _add(request, w.actor, {k: v for k, v in art.items() if v is not None}, "gateway")


@router.get("/intake", summary="The review queue: candidates by status (pending, accepted, rejected, all)")
def list_candidates(
    request: Request, status: str = "pending", limit: int = 50, offset: int = 0, a: Actor = Depends(actor)
) -> Any:
    require(a, "intake.view")
    with read(request) as conn:
        return queries.list_candidates(conn, None if status == "all" else status, limit, offset)


@router.get("/intake/{cid}", summary="A candidate: each field with its evidence words and confidence, the proposal")
def get_candidate(cid: int, request: Request, a: Actor = Depends(actor)) -> Any:
    require(a, "intake.view")
    with read(request) as conn:
        return queries.get_candidate(conn, cid)


@router.post(
    "/intake/{cid}/accept",
    summary="Accept a candidate, with corrections {edits: {field: value}}: the same decision again (or the same "
    "Idempotency-Key) answers the first result, 200; another decision on a decided candidate 409",
    openapi_extra=_ACCEPT,
)
async def accept(cid: int, request: Request, a: Actor = Depends(writer)) -> Any:
    data = await _json_object(request)
    edits = data.get("edits") or {}
    if not isinstance(edits, dict):
        raise ValidationFailed("edits: an object {field: value}", field="edits")
    app = request.app.state.truce

    def run() -> Any:
        return run_write(
            request, a, {"id": cid, "edits": edits}, lambda conn: service.accept(app, conn, a, cid, edits).to_dict()
        )

    return await run_in_threadpool(run)


@router.post(
    "/intake/{cid}/reject",
    summary="Reject a candidate with a reason {reason}: the same rejection again (or the same Idempotency-Key) "
    "answers the first result, 200; another decision on a decided candidate 409",
    openapi_extra=_REJECT,
)
async def reject(cid: int, request: Request, a: Actor = Depends(writer)) -> Any:
    data = await _json_object(request)
    reason = str(data.get("reason") or "")
    app = request.app.state.truce

    def run() -> Any:
        return run_write(
            request, a, {"id": cid, "reason": reason}, lambda conn: service.reject(app, conn, a, cid, reason).to_dict()
        )

    return await run_in_threadpool(run)
