"""The notification inbox of the caller's organisation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from truce.api.deps import actor, read
from truce.ledger.chain import Actor
from truce.notifications.service import list_notifications

router = APIRouter(tags=["notifications"])


@router.get("/notifications", summary="Your organisation's notifications, newest first")
def notifications(
    request: Request,
    incident: int | None = Query(None, ge=1),
    limit: int = Query(100, ge=0, le=1000),
    a: Actor = Depends(actor),
) -> Any:
    with read(request) as conn:
        return {"notifications": list_notifications(conn, a, incident_id=incident, limit=limit)}
