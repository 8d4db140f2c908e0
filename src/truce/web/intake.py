"""The intake review queue: /intake (pending candidates) and /intake/{id} (accept with corrections, or reject)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from truce.api.deps import read, write
from truce.auth.permissions import allowed, require
from truce.intake import queries, service
from truce.intake.models import CASUALTY_KEYS, EDITABLE
from truce.reports.models import TIME_PRECISIONS, VIOLATION_TYPES
from truce.web import security
from truce.web.views import _back, _signed_in, render

router = APIRouter(include_in_schema=False)


@router.get("/intake", response_class=HTMLResponse)
def intake_page(request: Request, status: str = "pending") -> Any:
    v = _signed_in(request)
    require(v, "intake.view")
    with read(request) as conn:
        rows = queries.list_candidates(conn, None if status == "all" else status, 100)
    return render(request, "intake.html", {"rows": rows, "status": status, "done": request.query_params.get("done")})


@router.get("/intake/{cid}", response_class=HTMLResponse)
def candidate_page(cid: int, request: Request) -> Any:
    v = _signed_in(request)
    require(v, "intake.view")
    with read(request) as conn:
        c = queries.get_candidate(conn, cid)
    p = c["proposal"]
    values = {
        k: (p.get("casualties") or {}).get(k) if k in CASUALTY_KEYS else p.get(k) for k in EDITABLE
    }
    return render(
        request,
        "intake_candidate.html",
        {
            "c": c,
            "x": c["extraction"],
            "values": values,
            "may_decide": allowed(v, "intake.decide"),
            "types": VIOLATION_TYPES,
            "precisions": TIME_PRECISIONS,
            "casualty_keys": CASUALTY_KEYS,
        },
    )


@router.post("/intake/{cid}/accept")
async def accept_candidate(cid: int, request: Request) -> Any:
    a = await security.form_actor(request)
    require(a, "intake.decide")
    form = await request.form()
    app = request.app.state.truce

    def run() -> Any:
        with write(request) as conn:
            row = queries.get_candidate(conn, cid)
            p = row["proposal"]
            edits: dict[str, Any] = {}
            for k in EDITABLE:
                if k not in form:
                    continue
                val = security.field(form, k)
                old = (p.get("casualties") or {}).get(k) if k in CASUALTY_KEYS else p.get(k)
                if (val or None) != (None if old is None else str(old)):
                    edits[k] = val
            return service.accept(app, conn, a, cid, edits)

    await run_in_threadpool(run)
    return _back("/intake", f"accepted-{cid}")


@router.post("/intake/{cid}/reject")
async def reject_candidate(cid: int, request: Request) -> Any:
    a = await security.form_actor(request)
    form = await request.form()
    app = request.app.state.truce
    reason = security.field(form, "reason") or ""

    def run() -> Any:
        with write(request) as conn:
            return service.reject(app, conn, a, cid, reason)

    await run_in_threadpool(run)
    return _back("/intake", f"rejected-{cid}")
