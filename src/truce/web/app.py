"""The web app and the HTTP API: one FastAPI application.

- `/api/v1/...`: the REST API (bearer tokens; the web session for the app's own scripts, with the
  CSRF header on state changes), OpenAPI at `/api/v1/openapi.json`, docs at `/api/v1/docs`;
- the pages (server-rendered Jinja2 + htmx, scripts vendored in `static/`), signed in with a password;
- one JSON error shape for the API, the same errors rendered as pages for the web app;
- security headers on every response (CSP without inline scripts, nosniff, frame-ancestors 'none')."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from truce.api import bulletins as bulletins_api
from truce.api import errors as api_errors
from truce.api import exports as exports_api
from truce.api.routes import api_router
from truce.app import Truce
from truce.errors import TruceError
from truce.web import bulletins as bulletin_pages
from truce.web import intake as intake_pages
from truce.web import limits, security, views
from truce.web import mirror as mirror_pages
from truce.web import worker as service_worker

STATIC_DIR = Path(__file__).parent / "static"


def create_app(database_url: str | None = None) -> FastAPI:

    truce = Truce(database_url)
    api = FastAPI(
        title="Truce",
        version="0.1.0",
        description="Ceasefire monitoring, verification and enforcement: the HTTP API. Authenticate with "
        "`Authorization: Bearer TOKEN` (`truce token create --user NAME`). Errors have one shape: "
        '`{"status", "code", "message", "details": [{"field", "message"}]}`.',
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.truce = truce

    api_errors.install(api, html_error=views.html_error)

    # Pure ASGI (not @app.middleware("http"), whose BaseHTTPMiddleware costs a task and a stream per request).
    api.add_middleware(limits.RequestLimits)  # inside SecurityHeaders: its refusals get the headers too
    api.add_middleware(security.SecurityHeaders)

    api.include_router(api_router)
    api.include_router(exports_api.router, responses=api_errors.ERROR_RESPONSES)
    api.include_router(bulletins_api.router, responses=api_errors.ERROR_RESPONSES)
    api.include_router(views.router)
    api.include_router(intake_pages.router)
    api.include_router(bulletin_pages.router)
    api.include_router(mirror_pages.router)
    api.include_router(service_worker.router)
    api.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    return api


__all__ = ["create_app", "TruceError"]
