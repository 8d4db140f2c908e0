"""Incidents (filters as in the CLI, cursor pagination, GeoJSON), map points, findings and replies."""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from truce.api.deps import quick_reads, read, run_write, truce, viewer, writer
from truce.api.reports import read_upload
from truce.db import sqlite_read_tx
from truce.errors import ValidationFailed
from truce.incidents.browse import decode_cursor, encode_cursor, incident_points
from truce.incidents.service import TOTALS, IncidentFilter, IncidentList, incidents_geojson, list_incidents
from truce.incidents.verification import add_finding
from truce.incidents.views import incident_detail
from truce.ledger.chain import Actor
from truce.replies.service import file_reply
from truce.reports.models import VISIBILITY_TIERS

router = APIRouter(tags=["incidents"])


# The incident filters of the list, the map points and the exports: query parameter → description.
FILTER_PARAMS = {
    "zone": "Zone id, e.g. Z3",
    "adm": "OCHA P-code of ADM1, ADM2 or ADM3",
    "party": "Alleged party id",
    "type": "Violation type",
    "since": "From this day (inclusive)",
    "until": "To this day (inclusive)",
    "verdict": "pending, verified, not_verified, disputed, before_agreement, after_agreement",
    "status": "open, under_investigation, closed",
    "simulated": "Only simulated (true) or only real (false) incidents",
}


async def incident_filter(
    zone: str | None = Query(None, description=FILTER_PARAMS["zone"]),
    adm: str | None = Query(None, description=FILTER_PARAMS["adm"]),
    party: str | None = Query(None, description=FILTER_PARAMS["party"]),
    type: str | None = Query(None, description=FILTER_PARAMS["type"]),
    since: str | None = Query(None, description=FILTER_PARAMS["since"]),
    until: str | None = Query(None, description=FILTER_PARAMS["until"]),
    verdict: str | None = Query(None, description=FILTER_PARAMS["verdict"]),
    status: str | None = Query(None, description=FILTER_PARAMS["status"]),
    simulated: bool | None = Query(None, description=FILTER_PARAMS["simulated"]),
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


class IncidentListQuery(BaseModel):
    """The query string of `GET /incidents`, validated in one go: the same rules and messages as FastAPI's
    own parameters, which it validates one by one (13 of them: a sixth of the cost of a whole request)."""

    limit: int = Field(50, ge=1, le=1000)
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    offset: int = Field(0, ge=0, description="Rows to skip (prefer cursor)")
    format: Literal["json", "geojson"] = "json"
    zone: str | None = Field(None, description=FILTER_PARAMS["zone"])
    adm: str | None = Field(None, description=FILTER_PARAMS["adm"])
    party: str | None = Field(None, description=FILTER_PARAMS["party"])
    type: str | None = Field(None, description=FILTER_PARAMS["type"])
    since: str | None = Field(None, description=FILTER_PARAMS["since"])
    until: str | None = Field(None, description=FILTER_PARAMS["until"])
    verdict: str | None = Field(None, description=FILTER_PARAMS["verdict"])
    status: str | None = Field(None, description=FILTER_PARAMS["status"])
    simulated: bool | None = Field(None, description=FILTER_PARAMS["simulated"])

    @classmethod
    def parse(cls, request: Request) -> IncidentListQuery:
        """From the request's query string (the last value of a repeated parameter, as FastAPI takes it);
        an invalid one answers 422 like any other parameter."""
        try:
            return cls.model_validate(dict(request.query_params))
        except ValidationError as e:
            raise RequestValidationError(
                [{**err, "loc": ("query", *err["loc"])} for err in e.errors(include_url=False)]
            ) from None

    def filter(self) -> IncidentFilter:
        values = self.model_dump(include=set(FILTER_PARAMS))
        values["violation_type"] = values.pop("type")
        return IncidentFilter(**values)

    @classmethod
    def openapi_parameters(cls) -> list[dict[str, Any]]:
        props = cls.model_json_schema()["properties"]
        return [
            {"name": name, "in": "query", "required": False, "schema": schema,
             **({"description": schema["description"]} if "description" in schema else {})}
            for name, schema in props.items()
        ]


# A page of at most this many rows is a quick read: on SQLite, run on the event loop (`incidents`).
QUICK_LIMIT = 100


@router.get(
    "/incidents",
    summary="Incidents, newest first, with cursor pagination; format=geojson for GeoJSON",
    openapi_extra={"parameters": IncidentListQuery.openapi_parameters()},
)
async def incidents(request: Request) -> Any:
    # The hottest read of the API, so kept lean (no docstring: it would become the operation's description).
    # The query string is validated in one go (IncidentListQuery); the public's viewer costs no lookup. On
    # SQLite, a page of up to QUICK_LIMIT rows whose total is known under the current ledger head (TOTALS)
    # is one statement, run on the event loop on the loop's own connection (db.sqlite_read_tx). Anything
    # else (PostgreSQL, a larger page, the first request after a write, which counts the total) runs in the
    # threadpool, on a pooled connection.
    p = IncidentListQuery.parse(request)
    v = await viewer(request)
    flt, limit, offset = p.filter(), p.limit, p.offset
    before = decode_cursor(p.cursor)
    app = truce(request)
    found: tuple[list[dict[str, Any]], int] | None = None
    if limit <= QUICK_LIMIT and quick_reads(request):
        q = IncidentList(app.engine, flt, limit, offset, viewer=v, before=before)
        with sqlite_read_tx(app.engine) as dbapi:
            total = q.cached_total(dbapi, TOTALS)
            if total is not None:
                found = q.rows(dbapi), total
    if found is None:

        def page() -> tuple[list[dict[str, Any]], int]:
            with app.read() as conn:
                return list_incidents(conn, flt, limit, offset, viewer=v, before=before, totals=TOTALS)

        found = await run_in_threadpool(page)
    rows, total = found
    nxt = encode_cursor(rows[-1]) if len(rows) == limit else None
    if p.format == "geojson":
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
    app = request.app.state.truce

    def run(conn: Connection) -> Any:
        res = add_finding(app, conn, a, incident_id, body.finding, body.reason, body.note, body.party)
        d = incident_detail(conn, incident_id, a)
        return {**res, "verdict": d["verdict"], "attributed_party_id": d.get("attributed_party_id")}

    return run_write(request, a, {"incident_id": incident_id, **body.model_dump()}, run, 201)


@router.get("/incidents/{incident_id}/replies", summary="Replies of the parties to the attribution")
def replies(incident_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        return {"incident": incident_id, "replies": incident_detail(conn, incident_id, v)["replies"]}


_REPLY_FIELDS: dict[str, Any] = {
    "text": {"type": "string", "minLength": 1, "pattern": "\\S"},
    "visibility": {"enum": list(VISIBILITY_TIERS)},
}
_REPLY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "properties": _REPLY_FIELDS, "required": ["text"]}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["text"], "properties": {
                **_REPLY_FIELDS, "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        },
    }
}


@router.post(
    "/incidents/{incident_id}/replies",
    status_code=201,
    openapi_extra=_REPLY_BODY,
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

    visibility = vis if isinstance(vis, str) and vis else None
    fields = {"incident_id": incident_id, "text": text, "visibility": visibility,
              "evidence": sorted(hashlib.sha256(f.data).hexdigest() for f in files)}
    return await run_in_threadpool(
        run_write, request, a, fields, lambda conn: file_reply(app, conn, a, incident_id, text, files, visibility), 201
    )
