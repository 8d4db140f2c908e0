"""Incidents (filters as in the CLI, cursor pagination, GeoJSON), map points, findings and replies."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from truce.api.deps import read, viewer, write, writer
from truce.api.reports import read_upload
from truce.errors import ValidationFailed
from truce.incidents.browse import decode_cursor, encode_cursor, incident_points
from truce.incidents.service import IncidentFilter, incidents_geojson, list_incidents
from truce.incidents.verification import add_finding
from truce.incidents.views import incident_detail
from truce.ledger.chain import Actor
from truce.replies.service import file_reply

router = APIRouter(tags=["incidents"])


def incident_filter(
    zone: str | None = Query(None, description="Zone id, e.g. Z3"),
    adm: str | None = Query(None, description="OCHA P-code of ADM1, ADM2 or ADM3"),
    party: str | None = Query(None, description="Alleged party id"),
    type: str | None = Query(None, description="Violation type"),
    since: str | None = Query(None, description="From this day (inclusive)"),
    until: str | None = Query(None, description="To this day (inclusive)"),
    verdict: str | None = Query(None, description="pending, verified, not_verified, disputed"),
    status: str | None = Query(None, description="open, under_investigation, closed"),
    simulated: bool | None = Query(None, description="Only simulated (true) or only real (false) incidents"),
) -> IncidentFilter:
    return IncidentFilter(
        zone=zone,
        adm=adm,
        party=party,
        violation_type=type,
        since=since,
        until=until,
        verdict=verdict,
        status=status,
        simulated=simulated,
    )


@router.get("/incidents", summary="Incidents, newest first, with cursor pagination; format=geojson for GeoJSON")
def incidents(
    request: Request,
    flt: IncidentFilter = Depends(incident_filter),
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    offset: int = Query(0, ge=0, description="Rows to skip (prefer cursor)"),
    format: Literal["json", "geojson"] = "json",
    v: Actor | None = Depends(viewer),
) -> Any:
    before = decode_cursor(cursor)
    with read(request) as conn:
        rows, total = list_incidents(conn, flt, limit, offset, viewer=v, before=before)
    nxt = encode_cursor(rows[-1]) if len(rows) == limit else None
    if format == "geojson":
        fc = incidents_geojson(rows)
        body: dict[str, Any] = {**fc, "total": total, "next_cursor": nxt}
    else:
        body = {"total": total, "limit": limit, "offset": offset, "next_cursor": nxt, "incidents": rows}
    # The rows are plain JSON values: orjson straight to bytes (FastAPI's generic encoder is the hot path).
    return Response(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), media_type="application/json")


@router.get("/incidents/points", summary="Every visible located incident as [id, lat, lon, verdict code] (maps)")
def points(request: Request, flt: IncidentFilter = Depends(incident_filter), v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        return incident_points(conn, flt, v)


@router.get("/incidents/{incident_id}", summary="The whole story of an incident, as you may see it")
def incident(incident_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        return incident_detail(conn, incident_id, v)


@router.get("/incidents/{incident_id}/findings", summary="Each guarantor's current finding, their history, the verdict")
def findings(incident_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        d = incident_detail(conn, incident_id, v)
    keys = ("verdict", "verdict_at", "attributed_party_id", "attribution", "clause_id", "breach", "breach_reason",
            "severity", "severity_reason", "confidence", "confidence_parts")
    return {"incident": incident_id, "findings": d["findings"], "history": d["finding_history"],
            **{k: d.get(k) for k in keys}}


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding: str = Field(..., description="confirmed, disputed or unverifiable")
    reason: str = Field(..., description="Coded reason, e.g. site_visit, no_access")
    note: str | None = Field(None, max_length=20000)
    party: str | None = Field(None, description="The party a confirming finding attributes the incident to")


@router.post("/incidents/{incident_id}/findings", status_code=201, summary="Record your guarantor's finding")
def post_finding(incident_id: int, body: FindingIn, request: Request, a: Actor = Depends(writer)) -> Any:
    with write(request) as conn:
        res = add_finding(request.app.state.truce, conn, a, incident_id, body.finding, body.reason, body.note,
                          body.party)
        d = incident_detail(conn, incident_id, a)
    return {**res, "verdict": d["verdict"], "attributed_party_id": d.get("attributed_party_id")}


@router.get("/incidents/{incident_id}/replies", summary="Replies of the parties to the attribution")
def replies(incident_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        return {"incident": incident_id, "replies": incident_detail(conn, incident_id, v)["replies"]}


@router.post(
    "/incidents/{incident_id}/replies",
    status_code=201,
    summary="File your party's reply (JSON {text, visibility}, or a multipart form with evidence files)",
)
async def post_reply(incident_id: int, request: Request, a: Actor = Depends(writer)) -> Any:
    ctype = request.headers.get("content-type", "")
    files = []
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        text, vis = form.get("text"), form.get("visibility")
        files = [await read_upload(f) for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    else:
        try:
            body = await request.json()
        except ValueError as e:
            raise ValidationFailed("body: not valid JSON", field="body") from e
        if not isinstance(body, dict):
            raise ValidationFailed("body: a JSON object is expected", field="body")
        text, vis = body.get("text"), body.get("visibility")
    if not isinstance(text, str):
        raise ValidationFailed("text: the reply is empty", field="text")
    app = request.app.state.truce

    def run() -> Any:
        with write(request) as conn:
            return file_reply(app, conn, a, incident_id, text, files, vis if isinstance(vis, str) and vis else None)

    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(run)
