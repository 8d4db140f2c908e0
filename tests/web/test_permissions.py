"""The permission matrix: every role of every kind of organisation (and the public) against every
route and page of the app, each answer checked. A route added without an entry in CASES fails
`test_every_route_is_in_the_matrix`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from tests.web.conftest import client_for, sign_in
from tests.web.seed import IDLIB

# Every kind of organisation with every role it may hold (auth.service.ROLES_BY_ORG_KIND), and the public.
ROLES = {
    "admin": "admin of the secretariat",
    "analyst": "analyst of the secretariat",
    "joint_verifier": "verifier of the joint group",
    "joint_analyst": "analyst of the joint group",
    "joint_admin": "admin of the joint group",
    "rus_monitor": "monitor of Russia's office",
    "rus_verifier": "verifier of Russia's office",
    "rus_analyst": "analyst of Russia's office",
    "tur_monitor": "monitor of Turkey's office",
    "tur_verifier": "verifier of Turkey's office",
    "irn_monitor": "monitor of Iran's office",
    "irn_verifier": "verifier of Iran's office",
    "syr_liaison": "liaison of the government (SYR)",
    "syr_analyst": "analyst of the government's liaison",
    "faylaq_liaison": "liaison of Faylaq al-Sham",
    "obs_monitor": "monitor of an observer organisation",
    "obs_analyst": "analyst of an observer organisation",
    "public": "nobody signed in",
}
ALL = frozenset(ROLES)
SIGNED = ALL - {"public"}
OFFICES = frozenset(r for r in ROLES if r.split("_")[0] in ("rus", "tur", "irn"))
# who sees every incident: the guarantors' offices, the joint group, admins
SEES_ALL = OFFICES | {"admin", "joint_verifier", "joint_analyst", "joint_admin"}
# who sees a report of the 'guarantors' tier filed by Russia's office
GUARANTOR_TIER = (OFFICES | {"admin", "joint_admin", "joint_verifier"}) - set()
# incident B: pending, alleging SYR: all who see everything, and SYR's liaison office
SEES_B = SEES_ALL | {"syr_liaison", "syr_analyst"}
REPORTERS = frozenset({"admin", "joint_admin", "rus_monitor", "tur_monitor", "irn_monitor", "syr_liaison",
                       "faylaq_liaison", "obs_monitor"})
GUARANTOR_VERIFIERS = frozenset({"rus_verifier", "tur_verifier", "irn_verifier"})
VERIFIERS_AND_ADMINS = GUARANTOR_VERIFIERS | {"admin", "joint_admin", "joint_verifier"}
# who may act on an investigation run by Russia's office
RUNS_RUS_INVESTIGATION = frozenset({"admin", "joint_admin", "joint_verifier", "rus_verifier"})
EVERY_TIER = VERIFIERS_AND_ADMINS
CRATER = hashlib.sha256(b"\xff\xd8 crater photo").hexdigest()  # the evidence file of incident A (tests.web.seed)


def answer(ok: int, allowed: frozenset[str], refused: int = 403, public: int | None = 401) -> dict[str, int]:
    """`ok` for the allowed roles, `refused` for other signed-in roles, `public` for nobody signed in."""
    out = {r: (ok if r in allowed else refused) for r in SIGNED}
    out["public"] = ok if "public" in allowed else (refused if public is None else public)
    return out


def everyone(ok: int = 200) -> dict[str, int]:
    return {r: ok for r in ALL}


def seen_by(allowed: frozenset[str]) -> dict[str, int]:
    """What one may not see is not found (404)."""
    return {r: (200 if r in allowed else 404) for r in ALL}


@dataclass
class Case:
    path: str  # with {placeholders} filled from the seeded world
    expect: dict[str, int]
    json: Any = None
    form: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    web: bool = False  # a page: the session cookie (and the form's CSRF token) instead of a bearer token
    extra: dict[str, Any] = field(default_factory=dict)


def new_report() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "occurred_at": "2017-09-25T08:00:00Z", "lat": IDLIB[0] + 0.3,
            "lon": IDLIB[1] + 0.2, "violation_type": "sniper_fire", "alleged_party": "NUSRA"}


def report_form() -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "occurred_at": "2017-09-25T08:00", "lat": "35.2", "lon": "36.9",
            "violation_type": "troop_movement", "alleged_party": "SYR"}


WEB_AUTH_REDIRECT = 303  # a page that needs a session sends the public to the sign-in page
# intake: monitors (and admins) add, monitors, verifiers and admins see the queue, monitors decide
MONITORS = frozenset({"rus_monitor", "tur_monitor", "irn_monitor", "obs_monitor"})
INTAKE_ADD = MONITORS | {"admin", "joint_admin"}
INTAKE_VIEW = INTAKE_ADD | GUARANTOR_VERIFIERS | {"joint_verifier"}


def new_article() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "title": "Shelling on Saraqib", "body": "Shelling hit Saraqib, killing 2."}

CASES: dict[str, Callable[[dict[str, Any]], Case]] = {
    # --- the API ----------------------------------------------------------------------------------
    "GET /api/v1/openapi.json": lambda w: Case("/api/v1/openapi.json", everyone()),
    "GET /api/v1/docs": lambda w: Case("/api/v1/docs", everyone()),
    "GET /api/v1/health": lambda w: Case("/api/v1/health", everyone()),
    "GET /api/v1/me": lambda w: Case("/api/v1/me", answer(200, SIGNED)),
    "GET /api/v1/tokens": lambda w: Case("/api/v1/tokens", answer(200, SIGNED)),
    "POST /api/v1/tokens": lambda w: Case("/api/v1/tokens", answer(201, SIGNED), json={"days": 7}),
    "DELETE /api/v1/tokens/{token_id}": lambda w: Case(
        f"/api/v1/tokens/{w['rus_monitor_token_id']}", answer(200, frozenset({"admin", "joint_admin", "rus_monitor"}))
    ),
    "GET /api/v1/parties": lambda w: Case("/api/v1/parties", everyone()),
    "GET /api/v1/parties/{party_id}": lambda w: Case("/api/v1/parties/SYR", everyone()),
    "GET /api/v1/parties/{party_id}/eligibility": lambda w: Case("/api/v1/parties/FAYLAQ/eligibility", everyone()),
    "GET /api/v1/zones": lambda w: Case("/api/v1/zones?as_of=2017-09-21", everyone()),
    "GET /api/v1/zones/{zone_id}": lambda w: Case("/api/v1/zones/Z1", everyone()),
    "GET /api/v1/admin-areas": lambda w: Case("/api/v1/admin-areas?level=1", everyone()),
    "GET /api/v1/admin-areas/geojson": lambda w: Case("/api/v1/admin-areas/geojson?level=1", everyone()),
    "GET /api/v1/places": lambda w: Case("/api/v1/places?q=Sar", everyone()),
    "POST /api/v1/reports": lambda w: Case("/api/v1/reports", answer(201, REPORTERS), json=new_report()),
    "GET /api/v1/reports/{report_id}": lambda w: Case(f"/api/v1/reports/{w['r1']}", seen_by(GUARANTOR_TIER)),
    "GET /api/v1/reports/{report_id}/evidence/{sha256}": lambda w: Case(
        f"/api/v1/reports/{w['r1']}/evidence/{w['evidence_sha']}", seen_by(GUARANTOR_TIER)
    ),
    "GET /api/v1/incidents": lambda w: Case("/api/v1/incidents?limit=5", everyone()),
    "GET /api/v1/incidents/points": lambda w: Case("/api/v1/incidents/points", everyone()),
    "GET /api/v1/incidents/{incident_id}": lambda w: Case(f"/api/v1/incidents/{w['B']}", seen_by(SEES_B)),
    "GET /api/v1/incidents/{incident_id}/findings": lambda w: Case(
        f"/api/v1/incidents/{w['B']}/findings", seen_by(SEES_B)
    ),
    # a Turkish monitor cannot record a (or any) finding; only each office's verifier records its own
    "POST /api/v1/incidents/{incident_id}/findings": lambda w: Case(
        f"/api/v1/incidents/{w['A']}/findings", answer(201, GUARANTOR_VERIFIERS),
        json={"finding": "confirmed", "reason": "imagery", "party": "SYR"},
    ),
    "GET /api/v1/incidents/{incident_id}/replies": lambda w: Case(
        f"/api/v1/incidents/{w['B']}/replies", seen_by(SEES_B)
    ),
    "POST /api/v1/incidents/{incident_id}/replies": lambda w: Case(
        f"/api/v1/incidents/{w['A']}/replies", answer(201, frozenset({"syr_liaison"})), json={"text": "Not our unit"}
    ),
    "GET /api/v1/investigations": lambda w: Case("/api/v1/investigations", everyone()),
    "GET /api/v1/investigations/{investigation_id}": lambda w: Case(
        f"/api/v1/investigations/{w['inv_open']}", seen_by(SEES_B)
    ),
    "POST /api/v1/incidents/{incident_id}/investigations": lambda w: Case(
        f"/api/v1/incidents/{w['C']}/investigations", answer(201, VERIFIERS_AND_ADMINS), json={}
    ),
    "POST /api/v1/investigations/{investigation_id}/denials": lambda w: Case(
        f"/api/v1/investigations/{w['inv_open']}/denials", answer(201, RUNS_RUS_INVESTIGATION),
        json={"party": "SYR", "site": "Checkpoint 9"},
    ),
    "POST /api/v1/investigations/{investigation_id}/resume": lambda w: Case(
        f"/api/v1/investigations/{w['inv_paused']}/resume", answer(200, RUNS_RUS_INVESTIGATION), json={}
    ),
    "POST /api/v1/investigations/{investigation_id}/close": lambda w: Case(
        f"/api/v1/investigations/{w['inv_open']}/close", answer(200, RUNS_RUS_INVESTIGATION),
        json={"finding": "confirmed", "summary": "Site visited"},
    ),
    "GET /api/v1/queue": lambda w: Case("/api/v1/queue", answer(200, VERIFIERS_AND_ADMINS)),
    "GET /api/v1/suggestions": lambda w: Case("/api/v1/suggestions", answer(200, SEES_ALL)),
    "POST /api/v1/suggestions/{suggestion_id}/accept": lambda w: Case(
        f"/api/v1/suggestions/{w['suggestions'][0]}/accept", answer(200, VERIFIERS_AND_ADMINS), json={}
    ),
    "POST /api/v1/suggestions/{suggestion_id}/reject": lambda w: Case(
        f"/api/v1/suggestions/{w['suggestions'][1]}/reject", answer(200, VERIFIERS_AND_ADMINS),
        json={"reason": "different party"},
    ),
    "GET /api/v1/measures": lambda w: Case("/api/v1/measures", everyone()),
    # a proposed measure against SYR: the guarantors' side and SYR's liaison office see it
    "GET /api/v1/measures/{measure_id}": lambda w: Case(f"/api/v1/measures/{w['measure']}", seen_by(SEES_B)),
    "POST /api/v1/measures/{measure_id}/decision": lambda w: Case(
        f"/api/v1/measures/{w['measure']}/decision", answer(200, GUARANTOR_VERIFIERS),
        json={"approve": True, "reason": "three grave breaches"},
    ),
    "GET /api/v1/notifications": lambda w: Case("/api/v1/notifications", answer(200, SIGNED)),
    "GET /api/v1/ledger/head": lambda w: Case("/api/v1/ledger/head", everyone()),
    "GET /api/v1/ledger": lambda w: Case("/api/v1/ledger?limit=5", answer(200, SIGNED)),
    "GET /api/v1/ledger/{seq}": lambda w: Case("/api/v1/ledger/60", answer(200, EVERY_TIER)),
    # the Merkle tree's checkpoints and proofs: anyone may audit the log, anyone may bring a co-signature
    # (only a guarantor office's valid one is kept: this one is refused, whoever brings it)
    # the raw feed and the files, for mirrors: who sees every tier; a mirror's own state and what it has seen: all
    "GET /api/v1/ledger/entries": lambda w: Case("/api/v1/ledger/entries?limit=5", answer(200, EVERY_TIER)),
    "GET /api/v1/blobs/{sha256}": lambda w: Case(f"/api/v1/blobs/{CRATER}", answer(200, EVERY_TIER)),
    "GET /api/v1/mirror/seen": lambda w: Case("/api/v1/mirror/seen", everyone()),
    "GET /api/v1/mirror/status": lambda w: Case("/api/v1/mirror/status", everyone()),
    "GET /mirror": lambda w: Case("/mirror", everyone(), web=True),
    "GET /mirror/alarms/{alarm_id}/proof.json": lambda w: Case("/mirror/alarms/1/proof.json", everyone(404), web=True),
    "GET /api/v1/ledger/log-key": lambda w: Case("/api/v1/ledger/log-key", everyone()),
    "GET /api/v1/ledger/checkpoint": lambda w: Case("/api/v1/ledger/checkpoint", everyone()),
    "GET /api/v1/ledger/checkpoints": lambda w: Case("/api/v1/ledger/checkpoints", everyone()),
    "GET /api/v1/ledger/checkpoints/{size}": lambda w: Case(
        f"/api/v1/ledger/checkpoints/{w['checkpoint']}", everyone()
    ),
    "POST /api/v1/ledger/checkpoints/{size}/cosignatures": lambda w: Case(
        f"/api/v1/ledger/checkpoints/{w['checkpoint']}/cosignatures", everyone(422), json="not a cosignature"
    ),
    "GET /api/v1/ledger/proof/inclusion": lambda w: Case("/api/v1/ledger/proof/inclusion?seq=5", everyone()),
    "GET /api/v1/ledger/proof/consistency": lambda w: Case("/api/v1/ledger/proof/consistency?from=5&to=9", everyone()),
    # exports: filtered to what the caller may see, like the incident list
    "GET /api/v1/exports/incidents.csv": lambda w: Case("/api/v1/exports/incidents.csv", everyone()),
    "GET /api/v1/exports/incidents.hxl": lambda w: Case("/api/v1/exports/incidents.hxl", everyone()),
    "GET /api/v1/exports/incidents.geojson": lambda w: Case("/api/v1/exports/incidents.geojson", everyone()),
    "GET /api/v1/exports/incidents.acled.csv": lambda w: Case("/api/v1/exports/incidents.acled.csv", everyone()),
    # bulletins are published for everyone
    "GET /api/v1/bulletins": lambda w: Case("/api/v1/bulletins", everyone()),
    # intake: no candidate 999 exists, so those allowed get 404 and the others 403 (checked before the look-up)
    "POST /api/v1/intake": lambda w: Case("/api/v1/intake", answer(201, INTAKE_ADD), json=new_article()),
    "POST /api/v1/intake/messages": lambda w: Case(
        "/api/v1/intake/messages", answer(201, INTAKE_ADD),
        json={"text": "Shelling hit Saraqib, killing 2.", "message_id": str(uuid.uuid4())},
    ),
    "GET /api/v1/intake": lambda w: Case("/api/v1/intake", answer(200, INTAKE_VIEW)),
    "GET /api/v1/intake/{cid}": lambda w: Case("/api/v1/intake/999", answer(404, INTAKE_VIEW)),
    "POST /api/v1/intake/{cid}/accept": lambda w: Case("/api/v1/intake/999/accept", answer(404, MONITORS), json={}),
    "POST /api/v1/intake/{cid}/reject": lambda w: Case(
        "/api/v1/intake/999/reject", answer(404, MONITORS), json={"reason": "no"}
    ),
    # --- the pages --------------------------------------------------------------------------------
    "GET /": lambda w: Case("/", everyone(), web=True),
    "GET /incidents": lambda w: Case("/incidents", everyone(), web=True),
    "GET /incidents/{incident_id}": lambda w: Case(f"/incidents/{w['B']}", seen_by(SEES_B), web=True),
    "POST /incidents/{incident_id}/findings": lambda w: Case(
        f"/incidents/{w['A']}/findings", answer(303, GUARANTOR_VERIFIERS, public=403), web=True,
        form={"finding": "confirmed", "reason": "observed", "party": "SYR"},
    ),
    "POST /incidents/{incident_id}/replies": lambda w: Case(
        f"/incidents/{w['A']}/replies", answer(303, frozenset({"syr_liaison"}), public=403), web=True,
        form={"text": "We deny it"}, files={"evidence": ("order.pdf", b"%PDF-1.4 order", "application/pdf")},
    ),
    "POST /incidents/{incident_id}/investigations": lambda w: Case(
        f"/incidents/{w['D']}/investigations", answer(303, VERIFIERS_AND_ADMINS, public=403), web=True, form={}
    ),
    "GET /report": lambda w: Case("/report", answer(200, REPORTERS, public=WEB_AUTH_REDIRECT), web=True),
    "POST /report": lambda w: Case("/report", answer(201, REPORTERS, public=403), web=True, form=report_form()),
    "GET /places": lambda w: Case("/places?place_name=Idl", everyone(), web=True),
    "GET /queue": lambda w: Case("/queue", answer(200, VERIFIERS_AND_ADMINS, public=WEB_AUTH_REDIRECT), web=True),
    "POST /suggestions/{suggestion_id}/{decision}": lambda w: Case(
        f"/suggestions/{w['suggestions'][2]}/reject", answer(303, VERIFIERS_AND_ADMINS, public=403), web=True,
        form={"reason": "not the same event"},
    ),
    "GET /board": lambda w: Case("/board", answer(200, SEES_ALL, public=WEB_AUTH_REDIRECT), web=True),
    "POST /board/{measure_id}/decision": lambda w: Case(
        f"/board/{w['measure2']}/decision", answer(303, GUARANTOR_VERIFIERS, public=403), web=True,
        form={"approve": "no", "reason": "not yet"},
    ),
    "GET /bulletins": lambda w: Case("/bulletins", everyone(), web=True),
    "GET /intake": lambda w: Case("/intake", answer(200, INTAKE_VIEW, public=WEB_AUTH_REDIRECT), web=True),
    "GET /intake/{cid}": lambda w: Case("/intake/999", answer(404, INTAKE_VIEW, public=WEB_AUTH_REDIRECT), web=True),
    "POST /intake/{cid}/accept": lambda w: Case(
        "/intake/999/accept", answer(404, MONITORS, public=403), web=True, form={}
    ),
    "POST /intake/{cid}/reject": lambda w: Case(
        "/intake/999/reject", answer(404, MONITORS, public=403), web=True, form={"reason": "no"}
    ),
    "GET /bulletins/{name}": lambda w: Case(f"/bulletins/{w['bulletin']}.json", everyone(), web=True),
    "GET /parties": lambda w: Case("/parties", everyone(), web=True),
    "GET /parties/{party_id}": lambda w: Case("/parties/FAYLAQ", everyone(), web=True),
    "GET /zones": lambda w: Case("/zones", everyone(), web=True),
    "GET /zones/{zone_id}": lambda w: Case("/zones/Z3", everyone(), web=True),
    "GET /inbox": lambda w: Case("/inbox", answer(200, SIGNED, public=WEB_AUTH_REDIRECT), web=True),
    "GET /login": lambda w: Case("/login", everyone(), web=True),
    # a wrong password is refused whoever sends it
    "POST /login": lambda w: Case("/login", everyone(401), web=True, form={"name": "rus_monitor", "password": "x"}),
    "POST /logout": lambda w: Case("/logout", answer(303, SIGNED, public=403), web=True, form={}),
    "MOUNT /static": lambda w: Case("/static/js/map.js", everyone(), web=True),
    "GET /sw.js": lambda w: Case("/sw.js", everyone(), web=True),
}


def _walk(routes: Any, prefix: str = "") -> Any:
    """(prefix, route) for every route, looking inside included routers (FastAPI keeps them nested)."""
    for r in routes:
        if hasattr(r, "original_router") and hasattr(r, "include_context"):
            yield from _walk(r.original_router.routes, prefix + r.include_context.prefix)
        else:
            yield prefix, r


def route_keys(app: Any) -> set[str]:
    keys = set()
    for prefix, r in _walk(app.routes):
        if isinstance(r, Mount):
            keys.add(f"MOUNT {prefix}{r.path}")
        elif isinstance(r, APIRoute | Route):
            for m in sorted((r.methods or set()) - {"HEAD"}):
                keys.add(f"{m} {prefix}{r.path}")
    return keys


def test_every_route_is_in_the_matrix(world):
    url, _ = world
    keys = route_keys(client_for(url).app)
    missing = sorted(keys - set(CASES))
    assert not missing, f"routes without an entry in the permission matrix (add them to CASES): {missing}"
    stale = sorted(set(CASES) - keys)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    assert len(CASES) * len(ROLES) >= 60 * 18


@pytest.mark.parametrize("role", sorted(ROLES))
def test_permission_matrix(world, role):
    url, w = world
    assert w["measure"] and w["measure2"] and len(w["suggestions"]) >= 3, "the seeded world lacks measures or links"
    client = client_for(url)
    api_client = TestClient(client.app)  # no cookies: the API answers bearer tokens
    from sqlalchemy import select

    from truce.app import Truce
    from truce.reports.models import report_evidence

    with Truce(url).read() as conn:
        w = {**w, "evidence_sha": conn.execute(
            select(report_evidence.c.sha256).where(report_evidence.c.report_id == w["r1"])).scalar_one()}
    csrf = None
    if role != "public":
        csrf = sign_in(client, url, role)
    else:
        client.cookies.set("truce_pre", "pre-sign-in-token-0123456789")
    bearer = {"Authorization": f"Bearer {w['tokens'][role]}"} if role != "public" else {}
    wrong = []
    for key, make in CASES.items():
        case = make(w)
        method = key.split(" ", 1)[0]
        method = "GET" if method == "MOUNT" else method
        expected = case.expect[role]
        kwargs: dict[str, Any] = {"follow_redirects": False}
        if case.web:
            if method == "POST":
                form = dict(case.form or {})
                form["csrf"] = csrf or "pre-sign-in-token-0123456789"
                kwargs["data"] = form
                if case.files:
                    kwargs["files"] = case.files
                if key == "POST /report":
                    kwargs["headers"] = {"Accept": "application/json"}
        else:
            kwargs["headers"] = bearer
            if case.json is not None:
                kwargs["json"] = case.json
        resp = (client if case.web else api_client).request(method, case.path, **kwargs)
        if resp.status_code != expected:
            wrong.append(f"{key} as {role}: {resp.status_code} (expected {expected}) {resp.text[:160]}")
        elif resp.status_code >= 400 and not case.web:
            body = resp.json()
            assert set(body) == {"status", "code", "message", "details"} and body["status"] == resp.status_code
    assert not wrong, "\n".join(wrong)
