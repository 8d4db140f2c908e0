"""The web app and API. This first version serves a plain page of zones and incidents and a few
read-only JSON endpoints; the full web app (sign-in, map, queues) builds on the same services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from truce.errors import TruceError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(database_url: str | None = None) -> FastAPI:
    from truce.app import Truce

    truce = Truce(database_url)
    api = FastAPI(title="Truce", version="0.1.0", openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs")

    @api.exception_handler(TruceError)
    async def _err(_req: Request, exc: TruceError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.status)

    @api.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Any:
        resp = await call_next(request)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        resp.headers["Referrer-Policy"] = "same-origin"
        return resp

    @api.get("/", response_class=HTMLResponse)
    def home(request: Request, zone: str | None = None, page: int = Query(1, ge=1)) -> Any:
        from truce.incidents.service import IncidentFilter, list_incidents
        from truce.zones.service import list_zones

        with truce.read() as conn:
            zs = list_zones(conn)
            rows, total = list_incidents(conn, IncidentFilter(zone=zone), limit=50, offset=(page - 1) * 50)
        return TEMPLATES.TemplateResponse(
            request, "home.html", {"zones": zs, "incidents": rows, "total": total, "zone": zone, "page": page}
        )

    @api.get("/api/v1/zones")
    def zones_geojson(as_of: str | None = None) -> Any:
        from truce.zones.service import zones_geojson as fc

        with truce.read() as conn:
            return fc(conn, as_of)

    @api.get("/api/v1/incidents")
    def incidents(
        zone: str | None = None,
        adm: str | None = None,
        party: str | None = None,
        type: str | None = None,
        since: str | None = None,
        until: str | None = None,
        verdict: str | None = None,
        limit: int = Query(50, ge=0, le=1000),
        offset: int = Query(0, ge=0),
    ) -> Any:
        from truce.incidents.service import IncidentFilter, list_incidents

        flt = IncidentFilter(
            zone=zone, adm=adm, party=party, violation_type=type, since=since, until=until, verdict=verdict
        )
        with truce.read() as conn:
            rows, total = list_incidents(conn, flt, limit, offset)
        return {"total": total, "limit": limit, "offset": offset, "incidents": rows}

    @api.get("/api/v1/health")
    def health() -> Any:
        return {"ok": True}

    return api
