"""The published bulletins as JSON: `GET /api/v1/bulletins` (the documents themselves are served by the
pages' routes, `/bulletins/DAY.json|.html|.pdf|.md`, in `truce.web.bulletins`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from truce.bulletins import service

router = APIRouter()


@router.get("/api/v1/bulletins", tags=["bulletins"], summary="The published bulletins, newest day first")
def api_bulletins(request: Request, since: str | None = None, until: str | None = None) -> Any:
    with request.app.state.truce.read() as conn:
        rows = service.list_published(conn, since, until)
    for r in rows:
        base = f"/bulletins/{r['day']}"
        r["links"] = {"page": base, "html": base + ".html", "json": base + ".json", "pdf": base + ".pdf"}
    return JSONResponse({"bulletins": rows})
