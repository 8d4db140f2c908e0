"""Reports: submit (idempotent on the client-made UUID, with evidence files), read, download evidence."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from truce.api.deps import read, run_write, viewer, writer
from truce.api.errors import DUPLICATE_RESPONSE
from truce.attachments import EvidenceFile
from truce.errors import NotFound, ValidationFailed
from truce.ledger.chain import Actor
from truce.reports.queries import get_report
from truce.reports.schemas import ReportIn
from truce.reports.service import submit

router = APIRouter(tags=["reports"])

MAX_EVIDENCE_BYTES = 50 * 1024 * 1024

def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` (Casualties) written in place: the OpenAPI document then has
    no `$ref` to a schema it does not define."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk({**defs[ref.rsplit("/", 1)[1]], **{k: v for k, v in node.items() if k != "$ref"}})
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


_REPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inlined(ReportIn.model_json_schema())},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["report"],
                    "properties": {
                        "report": {"type": "string", "description": "The report as JSON (the same fields)"},
                        "evidence": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "evidence_visibility": {"type": "string", "description": "Tier of the files if stricter"},
                    },
                }
            },
        },
    }
}


async def read_upload(f: UploadFile, visibility: str | None = None) -> EvidenceFile:
    """An uploaded evidence file. The multipart parser has streamed it to a temporary file (the request's
    size was bounded while it arrived: web.limits); a file over 50 MB is refused before it is read, and the
    limit is checked again while reading in chunks."""
    too_big = ValidationFailed(f"evidence: {f.filename} is larger than 50 MB", field="evidence")
    if f.size is not None and f.size > MAX_EVIDENCE_BYTES:
        raise too_big
    chunks, size = [], 0
    while chunk := await f.read(1024 * 1024):
        size += len(chunk)
        if size > MAX_EVIDENCE_BYTES:
            raise too_big
        chunks.append(chunk)
    return EvidenceFile(name=f.filename or "evidence", data=b"".join(chunks), media_type=f.content_type,
                        visibility=visibility)


async def report_input(request: Request) -> tuple[dict[str, Any], list[EvidenceFile]]:
    """The report and its evidence from a JSON body or a multipart form (`report` JSON + `evidence` files)."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        raw = form.get("report")
        if not isinstance(raw, str):
            raise ValidationFailed("report: a JSON text field named 'report' is required", field="report")
        try:
            data = json.loads(raw)
        except ValueError as e:
            raise ValidationFailed("report: not valid JSON", field="report") from e
        vis = form.get("evidence_visibility")
        files = [
            await read_upload(f, vis if isinstance(vis, str) and vis else None)
            for f in form.getlist("evidence")
            if isinstance(f, UploadFile) and f.filename
        ]
    else:
        try:
            data = await request.json()
        except ValueError as e:
            raise ValidationFailed("body: not valid JSON", field="body") from e
        files = []
    if not isinstance(data, dict):
        raise ValidationFailed("body: a JSON object is expected", field="body")
    return data, files


@router.post(
    "/reports",
    status_code=201,
    summary="Submit a report: 201 when new, 200 when this UUID was received with the same content, 409 when "
    "with different content",
    openapi_extra=_REPORT_BODY,
    responses=DUPLICATE_RESPONSE,
)
async def submit_report(request: Request, a: Actor = Depends(writer)) -> Any:
    data, files = await report_input(request)
    app = request.app.state.truce

    fields = {"report": data, "evidence": sorted(hashlib.sha256(f.data).hexdigest() for f in files)}
    return await run_in_threadpool(
        run_write, request, a, fields, lambda conn: submit(app, conn, a, data, files).to_dict(),
        lambda res: 200 if res["duplicate"] else 201,
    )


@router.get("/reports/{report_id}", summary="A report as received (if its visibility tier allows)")
def report(report_id: str, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        return get_report(conn, report_id, v)


@router.get("/reports/{report_id}/evidence/{sha256}", summary="Download an evidence file of a report")
def evidence(report_id: str, sha256: str, request: Request, v: Actor | None = Depends(viewer)) -> Any:
    with read(request) as conn:
        d = get_report(conn, report_id, v)
    item = next((e for e in d["evidence"] if e["sha256"] == sha256), None)
    if item is None:
        raise NotFound(f"no evidence {sha256} on report {report_id}", field="sha256")
    data = request.app.state.truce.blobs.read(sha256)
    safe = "".join(c for c in item["name"] if c.isalnum() or c in "._-") or "evidence"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{safe}"', "X-Evidence-Type": item["media_type"]},
    )
