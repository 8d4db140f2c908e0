"""The HTTP API on SQLite and PostgreSQL: tokens, idempotent report intake with evidence, incidents
with filters, cursors and GeoJSON, findings to a verdict, replies, investigations, the ledger, and
the one error shape."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from tests.web.conftest import client_for, sign_in
from tests.web.seed import IDLIB

from truce.app import Truce
from truce.auth import credentials
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify

ERROR_KEYS = {"status", "code", "message", "details"}


def bearer(w, name):
    return {"Authorization": f"Bearer {w['tokens'][name]}"}


def assert_error(resp, status, code, field=None):
    body = resp.json()
    assert resp.status_code == status, resp.text
    assert set(body) == ERROR_KEYS and body["status"] == status and body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], list) and all(set(d) == {"field", "message"} for d in body["details"])
    if field is not None:
        assert field in [d["field"] for d in body["details"]], body
    return body


def test_error_shape_is_one_everywhere(world_any):
    """Pinned: every refusal has {status, code, message, details: [{field, message}]}."""
    url, w = world_any
    c = client_for(url)
    # a service's refusal naming a field
    assert_error(c.get("/api/v1/incidents", params={"adm": "XX1"}), 422, "validation_failed", "adm")
    # FastAPI's own validation, mapped to the same shape with field names
    assert_error(c.get("/api/v1/incidents", params={"limit": "many"}), 422, "validation_failed", "limit")
    r = c.post("/api/v1/incidents/1/findings", json={"finding": "confirmed"}, headers=bearer(w, "rus_verifier"))
    assert_error(r, 422, "validation_failed", "reason")
    # a body that fails the report schema names the field
    r = c.post("/api/v1/reports", json={"occurred_at": "2017-09-21T06:30:00Z", "lat": 95, "lon": 36,
                                        "violation_type": "shelling"}, headers=bearer(w, "rus_monitor"))
    assert_error(r, 422, "validation_failed", "lat")
    assert_error(c.get("/api/v1/me"), 401, "not_authenticated")
    assert_error(c.get("/api/v1/me", headers={"Authorization": "Bearer truce_nope"}), 401, "not_authenticated",
                 "authorization")
    assert_error(c.post("/api/v1/incidents/1/findings", json={"finding": "confirmed", "reason": "observed"},
                        headers=bearer(w, "tur_monitor")), 403, "permission_denied")
    assert_error(c.get("/api/v1/incidents/999999"), 404, "not_found", "incident")
    assert_error(c.get("/api/v1/no/such/route"), 404, "not_found")
    assert_error(c.put("/api/v1/health"), 405, "method_not_allowed")
    assert_error(c.get("/api/v1/incidents", params={"cursor": "!!"}), 422, "validation_failed", "cursor")


def test_tokens_are_hashed_revocable_and_expire(world_any):
    url, w = world_any
    c = client_for(url)
    me = c.get("/api/v1/me", headers=bearer(w, "rus_monitor")).json()
    assert me == {"name": "rus_monitor", "org": "RUS_OFFICE", "org_kind": "guarantor_office", "role": "monitor",
                  "party_id": "RUS", "via": "token"}
    made = c.post("/api/v1/tokens", json={"days": 3, "label": "phone"}, headers=bearer(w, "syr_liaison"))
    assert made.status_code == 201
    tok, tid = made.json()["token"], made.json()["id"]
    assert tok.startswith("truce_")
    app = Truce(url)
    with app.read() as conn:
        from sqlalchemy import select

        from truce.auth.models import api_tokens
        from truce.ledger.models import ledger_entries

        row = conn.execute(select(api_tokens).where(api_tokens.c.id == tid)).one()
        assert row.token_hash == credentials.sha256_hex(tok)
        payloads = [e.payload for e in conn.execute(select(ledger_entries.c.payload))]
    assert not any(tok in p for p in payloads), "the ledger must never hold a token"
    listed = c.get("/api/v1/tokens", headers={"Authorization": f"Bearer {tok}"}).json()["tokens"]
    assert {t["user_name"] for t in listed} == {"syr_liaison"} and all("token_hash" not in t for t in listed)
    # someone else may not revoke it; its owner may
    assert c.delete(f"/api/v1/tokens/{tid}", headers=bearer(w, "faylaq_liaison")).status_code == 403
    assert c.delete(f"/api/v1/tokens/{tid}", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    assert_error(c.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"}), 401, "not_authenticated")
    # an expired token is refused
    with app.write() as conn:
        from sqlalchemy import update

        old = credentials.create_token(app, conn, SYSTEM, "tur_monitor", 1)
        conn.execute(update(api_tokens).where(api_tokens.c.id == old["id"]).values(expires_at="2020-01-01T00:00:00Z"))
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {old['token']}"}).status_code == 401


def test_report_intake_is_idempotent_with_evidence(world_any):
    url, w = world_any
    c = client_for(url)
    rid = str(uuid.uuid4())
    rep = {"id": rid, "occurred_at": "2017-09-27T05:00:00Z", "lat": 34.0, "lon": 37.5, "violation_type": "airstrike",
           "alleged_party": "SYR", "casualties": {"killed": 2}, "narrative": "two houses hit"}
    files = [("evidence", ("crater.jpg", b"\xff\xd8 jpeg bytes", "image/jpeg"))]
    first = c.post("/api/v1/reports", data={"report": json.dumps(rep)}, files=files, headers=bearer(w, "tur_monitor"))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["report_id"] == rid and body["duplicate"] is False and body["incident_id"]
    again = c.post("/api/v1/reports", data={"report": json.dumps(rep)}, files=files, headers=bearer(w, "tur_monitor"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["incident_id"] == body["incident_id"]
    changed = c.post("/api/v1/reports", json={**rep, "narrative": "three houses"}, headers=bearer(w, "tur_monitor"))
    assert_error(changed, 409, "conflict", "id")
    got = c.get(f"/api/v1/reports/{rid}", headers=bearer(w, "rus_verifier")).json()
    assert got["narrative"] == "two houses hit" and len(got["evidence"]) == 1
    sha = got["evidence"][0]["sha256"]
    dl = c.get(f"/api/v1/reports/{rid}/evidence/{sha}", headers=bearer(w, "rus_verifier"))
    assert dl.status_code == 200 and dl.content == b"\xff\xd8 jpeg bytes"
    assert dl.headers["content-type"] == "application/octet-stream" and "attachment" in dl.headers[
        "content-disposition"]
    # the public and another party's liaison do not see a guarantors-tier report
    assert c.get(f"/api/v1/reports/{rid}").status_code == 404
    assert c.get(f"/api/v1/reports/{rid}/evidence/{sha}", headers=bearer(w, "faylaq_liaison")).status_code == 404
    # nobody edits a report: there is no route for it
    assert c.put(f"/api/v1/reports/{rid}", json=rep, headers=bearer(w, "admin")).status_code == 405
    assert c.delete(f"/api/v1/reports/{rid}", headers=bearer(w, "admin")).status_code == 405


def test_incidents_filters_cursor_geojson_and_points(world_any):
    url, w = world_any
    c = client_for(url)
    h = bearer(w, "rus_verifier")
    everything = c.get("/api/v1/incidents", params={"limit": 1000}, headers=h).json()
    total = everything["total"]
    assert total >= 5 and everything["next_cursor"] is None
    seen, cursor = [], None
    while True:
        page = c.get("/api/v1/incidents", params={"limit": 2, "cursor": cursor}, headers=h).json()
        seen += [i["id"] for i in page["incidents"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in everything["incidents"]]
    syr = c.get("/api/v1/incidents", params={"party": "SYR", "since": "2017-09-20", "until": "2017-09-21"},
                headers=h).json()
    assert {i["id"] for i in syr["incidents"]} == {w["A"]}
    fc = c.get("/api/v1/incidents", params={"format": "geojson", "zone": "Z1"}, headers=h).json()
    assert fc["type"] == "FeatureCollection" and fc["features"]
    assert all(f["geometry"]["type"] == "Point" for f in fc["features"])
    pts = c.get("/api/v1/incidents/points", headers=h).json()
    assert pts["fields"] == ["id", "lat", "lon", "verdict"] and pts["count"] == total
    verified = pts["verdicts"].index("verified")
    assert [w["A"], round(IDLIB[0], 5), round(IDLIB[1], 5), verified] in pts["points"]
    # the public sees only published incidents, on the list, the map and the detail
    public = c.get("/api/v1/incidents").json()
    assert {i["verdict"] for i in public["incidents"]} == {"verified"}
    assert {p[0] for p in c.get("/api/v1/incidents/points").json()["points"]} == {i["id"] for i in
                                                                                   public["incidents"]}
    assert c.get(f"/api/v1/incidents/{w['B']}").status_code == 404
    detail = c.get(f"/api/v1/incidents/{w['A']}").json()
    assert detail["verdict"] == "verified" and detail["reports"] == [] and detail["hidden_reports"] == 1


def test_findings_reach_a_verdict_and_the_liaison_replies(world_any):
    url, w = world_any
    c = client_for(url)
    iid = w["B"]  # reported by Turkey's office alone: Turkey's own finding does not count
    r = c.post(f"/api/v1/incidents/{iid}/findings", json={"finding": "confirmed", "reason": "site_visit",
                                                           "party": "SYR"}, headers=bearer(w, "rus_verifier"))
    assert r.status_code == 201 and r.json()["verdict"] == "pending"
    r = c.post(f"/api/v1/incidents/{iid}/findings", json={"finding": "confirmed", "reason": "imagery",
                                                           "party": "SYR"}, headers=bearer(w, "irn_verifier"))
    assert r.json()["verdict"] == "verified" and r.json()["attributed_party_id"] == "SYR"
    f = c.get(f"/api/v1/incidents/{iid}/findings").json()
    assert {x["guarantor"] for x in f["findings"]} == {"RUS", "IRN"} and f["confidence_parts"]["weights"]
    # SYR's liaison is notified and replies; FAYLAQ's may not
    inbox = c.get("/api/v1/notifications", headers=bearer(w, "syr_liaison")).json()["notifications"]
    assert any(n["incident_id"] == iid and n["kind"] == "attribution" for n in inbox)
    assert c.post(f"/api/v1/incidents/{iid}/replies", json={"text": "no"},
                  headers=bearer(w, "faylaq_liaison")).status_code == 403
    r = c.post(f"/api/v1/incidents/{iid}/replies", data={"text": "Our unit was elsewhere", "visibility": "public"},
               files=[("evidence", ("log.txt", b"movement log", "text/plain"))], headers=bearer(w, "syr_liaison"))
    assert r.status_code == 201, r.text
    replies = c.get(f"/api/v1/incidents/{iid}/replies").json()["replies"]
    assert [x["text"] for x in replies] == ["Our unit was elsewhere"]
    assert verify(Truce(url)).ok


def test_investigations_measures_queue_and_ledger(world_any):
    url, w = world_any
    c = client_for(url)
    h = bearer(w, "rus_verifier")
    r = c.post(f"/api/v1/investigations/{w['inv_open']}/denials", json={"party": "Syrian Arab Army", "site": "Hill"},
               headers=h)
    assert r.status_code == 201, r.text
    inv = c.get(f"/api/v1/investigations/{w['inv_open']}", headers=h).json()
    assert inv["status"] == "paused" and inv["denials"][-1]["party_id"] == "SYR"
    assert c.get(f"/api/v1/investigations/{w['inv_open']}").status_code == 404  # incident B is not public
    q = c.get("/api/v1/queue", headers=h).json()
    assert q["guarantor"] == "RUS" and q["suggestions"]["total"] >= 3
    assert w["C"] in [i["id"] for i in q["awaiting_finding"]["items"]]
    occurred = [i["occurred_at"] for i in q["awaiting_finding"]["items"]]
    assert occurred == sorted(occurred), "oldest first"
    ms = c.get("/api/v1/measures", headers=h).json()["measures"]
    assert {m["party_id"] for m in ms} >= {"SYR", "AHRAR"}
    assert c.get("/api/v1/measures").json()["measures"] == []  # nothing approved yet: nothing published
    for name in ("rus_verifier", "tur_verifier", "irn_verifier"):
        r = c.post(f"/api/v1/measures/{w['measure']}/decision", json={"approve": True, "reason": "grave breach"},
                   headers=bearer(w, name))
        assert r.status_code == 200, r.text
    assert [m["party_id"] for m in c.get("/api/v1/measures").json()["measures"]] == ["SYR"]
    head = c.get("/api/v1/ledger/head").json()
    entries = c.get("/api/v1/ledger", params={"limit": 3}, headers=h).json()
    assert entries["entries"][0]["seq"] == head["seq"] and entries["entries"][0]["hash"] == head["hash"]
    nxt = c.get("/api/v1/ledger", params={"limit": 3, "before": entries["next_before"]}, headers=h).json()
    assert nxt["entries"][0]["seq"] == head["seq"] - 3
    one = c.get(f"/api/v1/ledger/{head['seq']}", headers=h).json()
    assert one["command"] == "measure.decide" or one["payload"]
    assert c.get(f"/api/v1/ledger/{head['seq']}", headers=bearer(w, "syr_liaison")).status_code == 403
    assert verify(Truce(url)).ok


def test_session_cookie_needs_csrf_header_for_api_writes(world_any):
    url, w = world_any
    c = client_for(url)
    csrf = sign_in(c, url, "tur_monitor")
    assert c.get("/api/v1/me").json()["via"] == "session"
    rep = {"id": str(uuid.uuid4()), "occurred_at": "2017-09-27T05:00:00Z", "lat": 34.0, "lon": 37.5,
           "violation_type": "airstrike"}
    assert_error(c.post("/api/v1/reports", json=rep), 403, "csrf_failed", "csrf")
    assert c.post("/api/v1/reports", json=rep, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_openapi_docs_and_security_headers(world_any):
    url, _ = world_any
    c = TestClient(client_for(url).app)
    spec = c.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/reports", "/api/v1/incidents", "/api/v1/incidents/{incident_id}/findings",
              "/api/v1/investigations", "/api/v1/incidents/{incident_id}/replies", "/api/v1/measures",
              "/api/v1/parties/{party_id}/eligibility", "/api/v1/notifications", "/api/v1/ledger",
              "/api/v1/zones", "/api/v1/admin-areas", "/api/v1/tokens"):
        assert p in paths, p
    assert "multipart/form-data" in paths["/api/v1/reports"]["post"]["requestBody"]["content"]
    docs = c.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/incidents/points" in docs.text and "<script>" not in docs.text
    for path in ("/", "/api/v1/health", "/api/v1/docs", "/static/js/map.js"):
        h = c.get(path).headers
        csp = h["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "same-origin"
