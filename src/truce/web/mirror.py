"""The mirror's page (`/mirror`, public): what this node follows, the last checkpoint it verified, and its
alarms with the two conflicting signed checkpoints; each alarm's proof of misbehaviour is downloadable
(`/mirror/alarms/{id}/proof.json`, checked by `truce ledger check-proof FILE`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from truce.errors import NotFound
from truce.mirror import service
from truce.mirror.models import mirror_alarms
from truce.web.views import render

router = APIRouter()


@router.get("/mirror", include_in_schema=False)
def mirror_page(request: Request) -> Any:
    with request.app.state.truce.read() as conn:
        st = service.status(conn)
    return render(request, "mirror.html", {"st": st})


@router.get("/mirror/alarms/{alarm_id}/proof.json", include_in_schema=False)
def alarm_proof(alarm_id: int, request: Request) -> Any:
    with request.app.state.truce.read() as conn:
        proof = conn.execute(select(mirror_alarms.c.proof).where(mirror_alarms.c.id == alarm_id)).scalar()
    if not proof:
        raise NotFound(f"no proof of misbehaviour for alarm {alarm_id}", field="alarm")
    return Response(
        proof,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="misbehaviour-{alarm_id}.json"'},
    )
