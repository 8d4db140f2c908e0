"""GET /sw.js: the service worker of the field outbox (static/js/sw.js), served from the site root so that its
scope covers /report and /static/. Its cache name carries a version made from the package version and a hash
of every static file, so a deploy that changes any of them installs a new worker and drops the old caches."""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

STATIC_DIR = Path(__file__).parent / "static"
WORKER = STATIC_DIR / "js" / "sw.js"

router = APIRouter(include_in_schema=False)


def _package_version() -> str:
    try:
        return metadata.version("truce")
    except metadata.PackageNotFoundError:
        return "0"


@functools.cache
def cache_version() -> str:
    """The package version and the first 12 hex digits of a SHA-256 over the static files (names and bytes)."""
    h = hashlib.sha256()
    for p in sorted(q for q in STATIC_DIR.rglob("*") if q.is_file()):
        h.update(p.relative_to(STATIC_DIR).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
    return f"{_package_version()}-{h.hexdigest()[:12]}"


@functools.cache
def worker_source() -> bytes:
    return WORKER.read_text(encoding="utf-8").replace("__VERSION__", cache_version()).encode()


@router.get("/sw.js")
def service_worker() -> Response:
    return Response(
        worker_source(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


__all__ = ["router", "cache_version", "worker_source"]
