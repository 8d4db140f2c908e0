"""The verifiers' queue and suggested links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from truce.api.deps import actor, read, write, writer
from truce.auth.permissions import require
from truce.auth.visibility import sees_all_incidents
from truce.errors import PermissionDenied
from truce.incidents import linking
from truce.incidents.browse import open_suggestions, verifier_queue
from truce.ledger.chain import Actor

router = APIRouter(tags=["verification"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=2000)


@router.get("/queue", summary="Your queue, oldest first: new reports, suggested links, incidents awaiting your finding")
def queue(
    request: Request,
    days: int = Query(30, ge=1, le=3660),
    limit: int = Query(25, ge=1, le=200),
    offset: int = Query(0, ge=0),
    simulated: bool = Query(True, description="Include simulated (demo) data"),
    zone: str | None = None,
    a: Actor = Depends(actor),
) -> Any:
    with read(request) as conn:
        return verifier_queue(conn, a, limit=limit, offset=offset, days=days, include_simulated=simulated, zone=zone)


@router.get("/suggestions", summary="Open suggested links between reports and incidents, oldest first")
def suggestions(
    request: Request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0), a: Actor = Depends(actor)
) -> Any:
    if not sees_all_incidents(a):
        raise PermissionDenied(
            f"user '{a.name}' ({a.role} of {a.org}) may not see suggested links: only the guarantors' offices, "
            "the joint group and admins may"
        )
    with read(request) as conn:
        rows, total, available = open_suggestions(conn, limit, offset)
    return {"total": total, "suggestions": rows, "available": available}


@router.post("/suggestions/{suggestion_id}/accept", summary="Accept a suggested link")
def accept(suggestion_id: int, body: DecisionIn, request: Request, a: Actor = Depends(writer)) -> Any:
    require(a, "suggestion.decide")
    fn = linking.accept_suggestion
    with write(request) as conn:
        return fn(request.app.state.truce, conn, a, suggestion_id, body.reason)


@router.post("/suggestions/{suggestion_id}/reject", summary="Reject a suggested link (a reason is required)")
def reject(suggestion_id: int, body: DecisionIn, request: Request, a: Actor = Depends(writer)) -> Any:
    require(a, "suggestion.decide")
    fn = linking.reject_suggestion
    with write(request) as conn:
        return fn(request.app.state.truce, conn, a, suggestion_id, body.reason or "")
