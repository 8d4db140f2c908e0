"""Investigations: open, record denials of access, resume, close; their clocks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from truce.api.deps import read, run_write, viewer, writer
from truce.auth.visibility import visible_incident_ids
from truce.errors import NotFound
from truce.investigations import service as inv
from truce.ledger.chain import Actor

router = APIRouter(tags=["investigations"])


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str | None = Field(None, description="When it was opened (default now), ISO 8601")


class DenyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    party: str
    site: str = Field(..., max_length=300)
    at: str | None = None
    note: str | None = Field(None, max_length=20000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding: str
    summary: str = Field(..., max_length=20000)
    at: str | None = None


@router.get("/investigations", summary="Investigations of the incidents you may see, newest first")
def investigations(
    request: Request,
    incident: int | None = Query(None, ge=1),
    status: str | None = None,
    v: Actor | None = Depends(viewer),
) -> Any:
    with read(request) as conn:
        rows = inv.list_investigations(conn, incident_id=incident, status=status)
        seen = visible_incident_ids(conn, v, [r["incident_id"] for r in rows])
    return {"investigations": [r for r in rows if r["incident_id"] in seen]}


@router.get("/investigations/{investigation_id}", summary="An investigation with its denials and clock")
def investigation(investigation_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        d = inv.get_investigation(conn, investigation_id, viewer=v)
        if d["incident_id"] not in visible_incident_ids(conn, v, [d["incident_id"]]):
            raise NotFound(f"no investigation {investigation_id}", field="investigation")
    return d


@router.post("/incidents/{incident_id}/investigations", status_code=201, summary="Open an investigation")
def open_(incident_id: int, body: OpenIn, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(request, a, {"incident_id": incident_id, **body.model_dump()},
                     lambda conn: inv.open_investigation(app, conn, a, incident_id, body.at), 201)


@router.post("/investigations/{investigation_id}/denials", status_code=201, summary="Record a denial of access")
def deny(investigation_id: int, body: DenyIn, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(
        request, a, {"investigation_id": investigation_id, **body.model_dump()},
        lambda conn: inv.deny_access(app, conn, a, investigation_id, body.party, body.site, body.at, body.note), 201,
    )


@router.post("/investigations/{investigation_id}/resume", summary="Access restored: the clock runs again")
def resume(investigation_id: int, body: OpenIn, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(request, a, {"investigation_id": investigation_id, **body.model_dump()},
                     lambda conn: inv.resume_investigation(app, conn, a, investigation_id, body.at))


@router.post("/investigations/{investigation_id}/close", summary="Close with a finding and a summary")
def close(investigation_id: int, body: CloseIn, request: Request, a: Actor = Depends(writer)) -> Any:
    app = request.app.state.truce
    return run_write(
        request, a, {"investigation_id": investigation_id, **body.model_dump()},
        lambda conn: inv.close_investigation(app, conn, a, investigation_id, body.finding, body.summary, None,
                                             body.at),
    )
