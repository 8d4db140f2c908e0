"""The pages of the web app. Each route reads the viewer, calls the services (which check permission
and visibility) and renders a template; forms carry the session's CSRF token."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from truce import idempotency, times
from truce.api.deps import SESSION_COOKIE, CsrfFailed, read, viewer, who, write
from truce.api.reports import read_upload
from truce.auth import credentials
from truce.auth.permissions import allowed
from truce.auth.visibility import may_see_board, may_see_measure, sees_all_incidents
from truce.eligibility import service as eligibility
from truce.errors import NotFound, PermissionDenied, TruceError, ValidationFailed
from truce.geo.gazetteer import gazetteer_for
from truce.geo.queries import admin_names, data_extent
from truce.incidents import linking
from truce.incidents.browse import decode_cursor, encode_cursor, open_suggestions, verifier_queue
from truce.incidents.models import FINDINGS, VERDICTS
from truce.incidents.service import IncidentFilter, list_incidents
from truce.incidents.verification import REASON_CODES, add_finding
from truce.incidents.views import incident_detail
from truce.investigations.service import open_investigation
from truce.ledger.chain import Actor
from truce.measures import service as measures
from truce.notifications.service import list_notifications
from truce.parties.service import get_party_row, list_parties, local_names, show_party
from truce.replies.service import file_reply
from truce.reports.fields import INPUT_FIELD, INPUT_FIELDS, WEB_FORM
from truce.reports.models import CASUALTY_FIELDS, VIOLATION_TYPES, VISIBILITY_TIERS
from truce.reports.service import submit
from truce.web import i18n, security
from truce.web.i18n import _
from truce.zones.queries import display_names as zone_display_names
from truce.zones.queries import in_language, list_zones, show_zone
from truce.zones.queries import local_names as zone_local_names

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
TEMPLATES = Jinja2Templates(env=_env)
TEMPLATES.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=lambda s: i18n.catalogue(i18n.current()).gettext(s),
    ngettext=lambda s, p, n: i18n.catalogue(i18n.current()).ngettext(s, p, n),
    newstyle=True,
)
TEMPLATES.env.policies["ext.i18n.trimmed"] = True
TEMPLATES.env.filters["localize"] = lambda s: i18n.localize(str(s))
TEMPLATES.env.filters["label"] = i18n.label
TEMPLATES.env.filters["localize_parts"] = lambda s: i18n.localize_parts(str(s))

router = APIRouter(include_in_schema=False)
PAGE = 50


# --- rendering -------------------------------------------------------------------------------------


def _lang(request: Request) -> str:
    return i18n.pick(
        request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )


def _nav(v: Actor | None) -> dict[str, bool]:
    return {
        "report": v is not None and allowed(v, "report.submit"),
        "queue": v is not None and allowed(v, "queue.view"),
        "intake": v is not None and allowed(v, "intake.view"),
        "board": may_see_board(v),
        "inbox": v is not None,
    }


def render(request: Request, template: str, ctx: dict[str, Any], status: int = 200) -> Response:
    lang = _lang(request)
    token = i18n.set_language(lang)
    try:
        w = who(request)
        pre, new_pre = security.pre_token(request)
        base = {
            "viewer": w.actor,
            "csrf": w.csrf if w.via == "session" else pre,
            "lang": lang,
            "dir": i18n.direction(lang),
            "languages": i18n.LANGUAGES,
            "nav": _nav(w.actor),
            "path": request.url.path,
            "query": request.url.query,
            "tile_url": security.tile_url(),
            "lang_url": lambda code: _with_query(request, lang=code),
            # A fresh id per form: the command is recorded once however often the form is sent (form_write).
            "request_id": lambda: uuid.uuid4().hex,
        }
        resp = TEMPLATES.TemplateResponse(request, template, {**base, **ctx}, status_code=status)
    finally:
        i18n.reset_language(token)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        security.set_cookie(request, resp, i18n.LANG_COOKIE, lang, max_age=365 * 86400)
    if new_pre and w.actor is None:
        security.set_cookie(request, resp, security.PRE_COOKIE, pre, samesite="strict")
    return resp


def _with_query(request: Request, **params: Any) -> str:
    q = dict(request.query_params)
    q.update({k: v for k, v in params.items() if v is not None})
    for k in [k for k, v in params.items() if v is None]:
        q.pop(k, None)
    return f"{request.url.path}?{urlencode(q)}"


def html_error(request: Request, body: dict[str, Any]) -> Response:
    """An error as a page (the web app's side of the one error shape)."""
    if body["status"] == 401 and request.method == "GET":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    try:
        return render(request, "error.html", {"error": body}, status=body["status"])
    except Exception:  # pragma: no cover - never fail while reporting a failure
        return HTMLResponse(f"<h1>{body['status']}</h1>", status_code=body["status"])


def _signed_in(request: Request) -> Actor:
    v = who(request).actor
    if v is None:
        raise credentials.NotAuthenticated(_("Sign in to see this page."))
    return v


def _back(url: str, done: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}done={quote(done)}", status_code=303)


# --- map, incidents ----------------------------------------------------------------------------------


def _filter(request: Request) -> tuple[IncidentFilter, dict[str, str]]:
    q = request.query_params
    keep = {k: q[k] for k in ("zone", "party", "type", "since", "until", "verdict", "adm") if q.get(k)}
    flt = IncidentFilter(
        zone=keep.get("zone"),
        party=keep.get("party"),
        violation_type=keep.get("type"),
        since=keep.get("since"),
        until=keep.get("until"),
        verdict=keep.get("verdict"),
        adm=keep.get("adm"),
    )
    return flt, keep


def _filter_choices(conn: Any, lang: str = i18n.DEFAULT) -> dict[str, Any]:

    return {
        "zones": _zones_in(conn, list_zones(conn), lang),
        "parties": list_parties(conn),
        "types": VIOLATION_TYPES,
        "verdicts": VERDICTS,
    }


def _bounds(conn: Any) -> str:
    """'min lon,min lat,max lon,max lat' of what the data covers, for the maps' initial view ('' if nothing)."""
    box = data_extent(conn)
    return ",".join(f"{x:.4f}" for x in box) if box else ""


@router.get("/", response_class=HTMLResponse)
def map_page(request: Request, v: Actor | None = Depends(viewer)) -> Any:
    flt, keep = _filter(request)
    as_of = request.query_params.get("as_of") or keep.get("until") or times.clock_day() or ""
    with read(request) as conn:
        choices = _filter_choices(conn, _lang(request))
        rows, total = list_incidents(conn, flt, 10, 0, viewer=v)
        bounds = _bounds(conn)
    return render(
        request,
        "map.html",
        {**choices, "bounds": bounds, "filters": keep, "as_of": as_of, "recent": rows, "total": total,
         "points_query": urlencode(keep)},
    )


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(request: Request, cursor: str | None = None, v: Actor | None = Depends(viewer)) -> Any:
    flt, keep = _filter(request)
    with read(request) as conn:
        choices = _filter_choices(conn, _lang(request))
        rows, total = list_incidents(conn, flt, PAGE, 0, viewer=v, before=decode_cursor(cursor))
    nxt = encode_cursor(rows[-1]) if len(rows) == PAGE else None
    return render(
        request,
        "incidents.html",
        {**choices, "filters": keep, "incidents": rows, "total": total,
         "next_url": _with_query(request, cursor=nxt) if nxt else None,
         "first_url": _with_query(request, cursor=None) if cursor else None},
    )


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(incident_id: int, request: Request, v: Actor | None = Depends(viewer)) -> Any:

    with read(request) as conn:
        d = incident_detail(conn, incident_id, v)
        parties = list_parties(conn)
        names = local_names_of(conn, d, _lang(request))
    open_inv = next((i for i in d["investigations"] if i["status"] != "closed"), None)
    can = {
        "finding": v is not None and allowed(v, "finding.add") and v.org_kind == "guarantor_office",
        "reply": v is not None and allowed(v, "reply.file") and d.get("attributed_party_id") == v.party_id,
        "investigate": v is not None and allowed(v, "investigation.open") and open_inv is None,
    }
    mine = None
    if v is not None and v.party_id:
        mine = next((f for f in d["findings"] if f["guarantor"] == v.party_id), None)
    return render(
        request,
        "incident.html",
        {"i": d, "can": can, "mine": mine, "findings_kinds": FINDINGS, "reason_codes": REASON_CODES,
         "parties": parties, "tiers": VISIBILITY_TIERS, "done": request.query_params.get("done"), "names": names},
    )


def local_names_of(conn: Connection, d: dict[str, Any], lang: str) -> dict[str, dict[str, str]]:
    """The incident's admin areas, parties and zones by their names in the reader's language (English where
    the data has none): {"adm": {pcode: name}, "parties": {id: name}, "zones": {id: name}}."""
    adm = admin_names(conn, [d.get("adm1_pcode"), d.get("adm2_pcode"), d.get("adm3_pcode")], lang)
    ids = [d.get("alleged_party_id"), d.get("attributed_party_id"),
           *(f.get("attributed_party_id") for f in d.get("findings", []))]
    return {"adm": adm, "parties": local_names(conn, lang, ids) if lang != i18n.DEFAULT else {},
            "zones": zone_display_names(conn, lang, [z.get("zone_id") for z in d.get("zones", [])])}


def _zones_in(conn: Connection, rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Zone rows with `name` in the reader's language where the scenario gave one (English else)."""
    return in_language(rows, zone_local_names(conn, lang)) if lang != i18n.DEFAULT else rows


def form_write(request: Request, a: Any, form: Any, fn: Any, files: list[Any] | None = None) -> Any:
    """Run a form's command in a write transaction (retried when it loses a race with another writer), once
    per `request_id`: the pages' forms carry a request id made when the page was rendered, so a form sent
    twice (a double click, a retry after a lost answer) records its command once."""
    key = security.field(form, "request_id")
    fields: dict[str, Any] = {"method": request.method, "path": request.url.path}
    for k, v in form.multi_items():
        if isinstance(v, str) and k not in ("csrf", "request_id"):
            fields[k] = v
    if files:
        fields["evidence"] = sorted(hashlib.sha256(f.data).hexdigest() for f in files)
    app = request.app.state.truce
    return app.transact(lambda conn: idempotency.run(conn, a.name, key, fields, fn, 200, jsonable_encoder)).body


@router.post("/incidents/{incident_id}/findings")
async def post_finding(incident_id: int, request: Request) -> Any:
    a = await security.form_actor(request)
    form = await request.form()
    app = request.app.state.truce

    def run(conn: Connection) -> Any:
        return add_finding(app, conn, a, incident_id, security.field(form, "finding") or "",
                           security.field(form, "reason") or "", security.field(form, "note"),
                           security.field(form, "party"))

    await run_in_threadpool(form_write, request, a, form, run)
    return _back(f"/incidents/{incident_id}", "finding")


@router.post("/incidents/{incident_id}/replies")
async def post_reply(incident_id: int, request: Request) -> Any:

    a = await security.form_actor(request)
    form = await request.form()
    files = [await read_upload(f) for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    app = request.app.state.truce

    def run(conn: Connection) -> Any:
        return file_reply(app, conn, a, incident_id, security.field(form, "text") or "", files,
                          security.field(form, "visibility"))

    await run_in_threadpool(form_write, request, a, form, run, files)
    return _back(f"/incidents/{incident_id}", "reply")


@router.post("/incidents/{incident_id}/investigations")
async def post_investigation(incident_id: int, request: Request) -> Any:

    a = await security.form_actor(request)
    form = await request.form()
    app = request.app.state.truce

    def run(conn: Connection) -> Any:
        return open_investigation(app, conn, a, incident_id)

    await run_in_threadpool(form_write, request, a, form, run)
    return _back(f"/incidents/{incident_id}", "investigation")


# --- the report form ---------------------------------------------------------------------------------


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Any:
    v = _signed_in(request)
    if not allowed(v, "report.submit"):
        raise PermissionDenied(_("Your role may not submit reports: monitors, liaisons and admins may."))
    with read(request) as conn:
        parties = list_parties(conn)
        bounds = _bounds(conn)
    return render(
        request,
        "report.html",
        {"bounds": bounds, "client_id": str(uuid.uuid4()), "report_form": WEB_FORM, "report_fields": INPUT_FIELD,
         "parties": parties, "now": times.now()[:16]},
    )


def _int(form: Any, name: str) -> int | None:
    raw = security.field(form, name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as e:
        raise ValidationFailed(f"{name}: not a whole number", field=name) from e


def _float(form: Any, name: str) -> float | None:
    raw = security.field(form, name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError as e:
        raise ValidationFailed(f"{name}: not a number", field=name) from e


_PARSE = {str: security.field, int: _int, float: _float}


def report_from_form(form: Any) -> dict[str, Any]:
    """The report a form describes, in the shape the report service validates: each input of the form
    (`reports.fields.INPUT_FIELDS`) read as its field's type, the casualty counts gathered."""
    data: dict[str, Any] = {f.name: _PARSE[f.type](form, f.name) for f in INPUT_FIELDS if f.web}
    when = data["occurred_at"] or ""
    if len(when) == 16:  # datetime-local: YYYY-MM-DDTHH:MM, entered in UTC
        when += ":00Z"
    data["occurred_at"] = when
    data["occurred_precision"] = data["occurred_precision"] or "exact"
    data["violation_type"] = data["violation_type"] or ""
    casualties = {k: data.pop(k) for k in CASUALTY_FIELDS if k in data}
    data["casualties"] = {k: v for k, v in casualties.items() if v is not None}
    data["id"] = security.field(form, "client_id")
    data["language"] = i18n.current() if data["narrative"] else None
    if data["lat"] is None or data["lon"] is None:
        data["location_precision"] = None
    return {k: v for k, v in data.items() if v is not None}


@router.post("/report")
async def post_report(request: Request) -> Any:

    wants_json = "application/json" in request.headers.get("accept", "")
    app = request.app.state.truce
    try:
        # The outbox (report.js) asks for JSON: every refusal, a stale session's included, comes as JSON.
        a = await security.form_actor(request)
        form = await request.form()
        files = [await read_upload(f) for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
        token = i18n.set_language(_lang(request))
        try:
            data = report_from_form(form)
        finally:
            i18n.reset_language(token)

        def run() -> Any:
            return app.transact(lambda conn: submit(app, conn, a, data, files))

        res = await run_in_threadpool(run)
    except TruceError as e:
        if wants_json:
            return JSONResponse(e.to_dict(), status_code=e.status)
        raise
    body = res.to_dict()
    if wants_json:
        return JSONResponse(body, status_code=200 if res.duplicate else 201)
    return render(request, "report_sent.html", {"r": body}, status=200 if res.duplicate else 201)


@router.get("/places", response_class=HTMLResponse)
def places(request: Request, place_name: str = Query("", max_length=100), q: str = Query("", max_length=100)) -> Any:
    """Gazetteer suggestions as <option>s of a datalist (htmx)."""

    text = q or place_name
    hits: list[Any] = []
    if len(text.strip()) >= 2:
        with request.app.state.truce.read() as conn:
            hits = gazetteer_for(conn).suggest(text, limit=8)
    items = [{"label": label, "lat": r.lat, "lon": r.lon, "precision": r.precision} for label, r in hits]
    return render(request, "_places.html", {"places": items})


# --- the verifier's queue, the joint group's board ----------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    days: int = Query(30, ge=1, le=3660),
    offset: int = Query(0, ge=0),
    simulated: str = Query("1"),
    zone: str | None = None,
) -> Any:
    v = _signed_in(request)
    include_sim = simulated != "0"
    with read(request) as conn:
        q = verifier_queue(conn, v, limit=25, offset=offset, days=days, include_simulated=include_sim,
                           zone=zone or None)
        choices = _filter_choices(conn, _lang(request))
    return render(
        request,
        "queue.html",
        {"q": q, "days": days, "simulated": include_sim, "zone": zone or "", **choices,
         "more_url": _with_query(request, offset=offset + 25), "done": request.query_params.get("done")},
    )


@router.post("/suggestions/{suggestion_id}/{decision}")
async def decide_suggestion(suggestion_id: int, decision: str, request: Request) -> Any:
    a = await security.form_actor(request)
    if decision not in ("accept", "reject"):
        raise NotFound(f"no such decision: {decision}", field="decision")
    form = await request.form()
    app = request.app.state.truce
    reason = security.field(form, "reason")

    def run(conn: Connection) -> Any:
        if decision == "accept":
            return linking.accept_suggestion(app, conn, a, suggestion_id, reason)
        return linking.reject_suggestion(app, conn, a, suggestion_id, reason or "")

    await run_in_threadpool(form_write, request, a, form, run)
    return _back("/queue", f"suggestion-{decision}")


@router.get("/board", response_class=HTMLResponse)
def board(request: Request, status: str | None = None) -> Any:
    v = _signed_in(request)
    if not may_see_board(v):
        raise PermissionDenied(_("The board of measures is for the guarantors' offices and the joint group."))
    with read(request) as conn:
        rows = [m for m in measures.list_measures(conn, status=status or None) if may_see_measure(v, m)]
    rows.sort(key=lambda m: (m["status"] != "proposed", m["id"]))
    can_vote = v.role == "verifier" and v.org_kind == "guarantor_office"
    return render(
        request,
        "board.html",
        {"measures": rows, "status": status or "", "can_vote": can_vote,
         "done": request.query_params.get("done")},
    )


@router.post("/board/{measure_id}/decision")
async def board_decision(measure_id: int, request: Request) -> Any:
    a = await security.form_actor(request)
    form = await request.form()
    approve = security.field(form, "approve") == "yes"
    app = request.app.state.truce

    def run(conn: Connection) -> Any:
        return measures.decide_measure(app, conn, a, measure_id, approve, security.field(form, "reason") or "")

    await run_in_threadpool(form_write, request, a, form, run)
    return _back("/board", "decision")


# --- parties, zones, inbox -----------------------------------------------------------------------------


@router.get("/parties", response_class=HTMLResponse)
def parties_page(request: Request, as_of: str | None = None) -> Any:
    as_of = as_of or times.clock_day()  # the deployment's clock (TRUCE_TODAY), else now
    with read(request) as conn:
        rows = list_parties(conn, as_of=as_of or None)
        for r in rows:
            if r["kind"] in ("armed_group", "designated"):
                r["eligibility"] = eligibility.evaluate(conn, r["id"], as_of or None)["result"]
        local = _party_names(conn, request)
    return render(request, "parties.html", {"parties": rows, "as_of": as_of or "", "local": local})


def _party_names(conn: Connection, request: Request) -> dict[str, str]:
    """Party id -> its name in the reader's language (the scenario's `names`); none in English."""
    lang = _lang(request)
    return local_names(conn, lang) if lang != i18n.DEFAULT else {}


@router.get("/parties/{party_id}", response_class=HTMLResponse)
def party_page(party_id: str, request: Request, as_of: str | None = None) -> Any:
    as_of = as_of or times.clock_day()  # the deployment's clock (TRUCE_TODAY), else now
    elig = None
    with read(request) as conn:
        row = get_party_row(conn, party_id)
        p = show_party(conn, row.id)
        if p["kind"] in ("armed_group", "designated", "government", "foreign_force"):
            elig = eligibility.evaluate(conn, row.id, as_of or None)
        local = _party_names(conn, request)
    return render(request, "party.html", {"p": p, "elig": elig, "as_of": as_of or "", "local": local})


@router.get("/zones", response_class=HTMLResponse)
def zones_page(request: Request, as_of: str | None = None) -> Any:
    as_of = as_of or times.clock_day()  # the deployment's clock (TRUCE_TODAY), else now
    with read(request) as conn:
        rows = _zones_in(conn, list_zones(conn, as_of or None), _lang(request))
    return render(request, "zones.html", {"zones": rows, "as_of": as_of or ""})


@router.get("/zones/{zone_id}", response_class=HTMLResponse)
def zone_page(zone_id: str, request: Request) -> Any:

    with read(request) as conn:
        z = show_zone(conn, zone_id)
    z["name"] = z.get("names", {}).get(_lang(request), z["name"])
    return render(request, "zone.html", {"z": z})


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request) -> Any:

    v = _signed_in(request)
    with read(request) as conn:
        rows = list_notifications(conn, v, limit=200)
    return render(request, "inbox.html", {"notifications": rows})


# --- signing in and out --------------------------------------------------------------------------------


def _safe_next(nxt: str | None) -> str:
    if nxt and nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Any:
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "name": ""})


@router.post("/login")
async def login(request: Request) -> Any:
    form = await request.form()
    name = security.field(form, "name") or ""
    password = form.get("password")
    nxt = _safe_next(security.field(form, "next"))
    pre = request.cookies.get(security.PRE_COOKIE)
    token = form.get(security.CSRF_FIELD)
    w = await run_in_threadpool(who, request)
    ok_csrf = credentials.same_secret(token if isinstance(token, str) else None, pre) or (
        w.via == "session" and credentials.same_secret(token if isinstance(token, str) else None, w.csrf)
    )
    if not ok_csrf:

        raise CsrfFailed(_("The sign-in form expired: reload the page and try again."), field="csrf")
    client = security.client_address(request)

    def run() -> tuple[str, str]:
        actor = credentials.authenticate(
            request.app.state.truce, name, password if isinstance(password, str) else "", client,
            security.field(form, "code"),
        )
        with write(request) as conn:
            old = request.cookies.get(SESSION_COOKIE)
            credentials.end_session(conn, old)
            return credentials.start_session(conn, actor)

    try:
        sid, _csrf = await run_in_threadpool(run)
    except TruceError as e:
        if e.status not in (401, 429):
            raise
        msg = _("Too many failed sign-ins from this address: wait a moment and try again.") if e.status == 429 \
            else _("Wrong user name, password or code.")
        page = render(request, "login.html", {"next": nxt, "error": msg, "name": name}, status=e.status)
        if e.status == 429:
            page.headers["Retry-After"] = str(getattr(e, "retry_after", 1))
        return page
    resp = RedirectResponse(nxt, status_code=303)
    security.set_cookie(request, resp, SESSION_COOKIE, sid, max_age=credentials.SESSION_HOURS * 3600)
    resp.delete_cookie(security.PRE_COOKIE, path="/")
    return resp


@router.post("/logout")
async def logout(request: Request) -> Any:
    await security.form_actor(request)
    sid = request.cookies.get(SESSION_COOKIE)

    def run() -> None:
        with write(request) as conn:
            credentials.end_session(conn, sid)

    await run_in_threadpool(run)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


__all__ = ["router", "render", "html_error", "sees_all_incidents", "open_suggestions"]
