"""Streaming exports over HTTP: ``GET /api/v1/exports/incidents.{csv,hxl.csv,geojson,acled.csv}`` with the
filters of ``GET /api/v1/incidents``; the caller sees what their visibility tier allows (the public: what
is published)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from truce.api.deps import truce, viewer
from truce.api.incidents import incident_filter
from truce.exports import service as exports
from truce.incidents.service import IncidentFilter
from truce.ledger.chain import Actor

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])


def _streamed(media_type: str, what: str) -> dict[str, Any]:
    """The route's OpenAPI declaration: a 200 of `media_type` (not application/json), sent as a download."""
    schema = {"type": "object"} if media_type.endswith("json") else {"type": "string"}
    return {
        "response_class": StreamingResponse,
        "responses": {200: {"description": what, "content": {media_type: {"schema": schema}}}},
    }


def _response(request: Request, fmt: str, flt: IncidentFilter, v: Actor | None) -> StreamingResponse:
    app = truce(request)
    with app.read() as conn:  # refuse a bad filter (e.g. an unknown P-code form) before streaming starts
        total = exports.count(conn, flt, v)

    def body() -> Iterator[bytes]:
        yield from exports.export_incidents(app, fmt, flt, v)

    name = f"incidents.{exports.EXTENSIONS[fmt]}"
    return StreamingResponse(
        body(),
        media_type=exports.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Total-Count": str(total)},
    )


@router.get(
    "/incidents.csv",
    summary="Incidents as CSV, streamed",
    **_streamed("text/csv", "CSV, one row per incident"),
)
def incidents_csv(request: Request, flt: IncidentFilter = Depends(incident_filter),
                  v: Actor | None = Depends(viewer)) -> Any:
    return _response(request, "csv", flt, v)


@router.get(
    "/incidents.hxl",
    summary="Incidents as HXL-tagged CSV (hashtag row under the header), streamed",
    **_streamed("text/csv", "HXL-tagged CSV"),
)
def incidents_hxl(request: Request, flt: IncidentFilter = Depends(incident_filter),
                  v: Actor | None = Depends(viewer)) -> Any:
    return _response(request, "hxl", flt, v)


@router.get(
    "/incidents.geojson",
    summary="Incidents as an RFC 7946 FeatureCollection, streamed",
    **_streamed("application/geo+json", "A GeoJSON FeatureCollection"),
)
def incidents_geojson(request: Request, flt: IncidentFilter = Depends(incident_filter),
                      v: Actor | None = Depends(viewer)) -> Any:
    return _response(request, "geojson", flt, v)


@router.get(
    "/incidents.acled.csv",
    summary="Incidents in ACLED's 31-column format, streamed",
    **_streamed("text/csv", "CSV in ACLED's columns"),
)
def incidents_acled(request: Request, flt: IncidentFilter = Depends(incident_filter),
                    v: Actor | None = Depends(viewer)) -> Any:
    return _response(request, "acled", flt, v)
