"""Measures against violators (the joint group's board) and their decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from truce.api.deps import read, viewer, write, writer
from truce.auth.visibility import may_see_measure
from truce.errors import NotFound
from truce.ledger.chain import Actor
from truce.measures import service as measures_service

router = APIRouter(tags=["measures"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(..., min_length=1, max_length=2000)


@router.get("/measures", summary="Measures you may see (the public: approved ones)")
def measures(request: Request, status: str | None = None, party: str | None = None,
             v: Actor | None = Depends(viewer)) -> Any:
    svc = measures_service
    with read(request) as conn:
        rows = svc.list_measures(conn, status=status, party=party)
    return {"measures": [m for m in rows if may_see_measure(v, m)]}


@router.get("/measures/{measure_id}", summary="A measure with its evidence and votes")
def measure(measure_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    svc = measures_service
    with read(request) as conn:
        m = svc.get_measure(conn, measure_id)
    if not may_see_measure(v, m):
        raise NotFound(f"no measure {measure_id}", field="measure")
    return m


@router.post("/measures/{measure_id}/decision", summary="Your guarantor's vote on a proposed measure")
def decide(measure_id: int, body: DecisionIn, request: Request, a: Actor = Depends(writer)) -> Any:
    svc = measures_service
    with write(request) as conn:
        return svc.decide_measure(request.app.state.truce, conn, a, measure_id, body.approve, body.reason)
