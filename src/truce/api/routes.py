"""All the API routers under /api/v1, and the API's own pages (health, docs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from truce.api import (
    auth,
    geo,
    incidents,
    intake,
    investigations,
    ledger,
    measures,
    mirror,
    notifications,
    parties,
    queue,
    reports,
)
from truce.api.errors import ERROR_RESPONSES
from truce.web.views import render

api_router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


@api_router.get("/health", tags=["meta"], summary="Is the server up")
def health() -> Any:
    return {"ok": True}


@api_router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> Any:
    """The API reference, rendered on the server from the OpenAPI document (no scripts, works offline)."""

    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description") or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "tags": op.get("tags", []),
                    "params": params,
                    "body": sorted(body),
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return render(request, "api_docs.html", {"spec": spec, "ops": ops})


# Incidents first: FastAPI tries the routes in order, so the most requested paths (the incident list, the
# map) are matched after the fewest others (the order of the OpenAPI document follows).
# mirror before ledger: /ledger/entries before /ledger/{seq}
for r in (
    incidents,
    auth,
    parties,
    geo,
    reports,
    investigations,
    queue,
    measures,
    notifications,
    mirror,
    ledger,
    intake,
):
    api_router.include_router(r.router)
