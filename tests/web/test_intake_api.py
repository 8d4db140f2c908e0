"""The intake API: articles and gateway messages in, the review queue, decisions (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.web.conftest import client_for
from tests.web.test_api import assert_error, bearer

from truce.app import Truce
from truce.ledger.service import verify


def test_a_gateway_posts_field_messages_with_its_token_and_a_reviewer_decides(world_any):
    url, w = world_any
    c = client_for(url)
    msg = {"text": "Shelling on Kafr Zita in Hama this morning killed 2 civilians", "sender": "+963-9xx",
           "sent_at": "2017-10-02T08:15:00Z", "message_id": "sms-77"}
    assert_error(c.post("/api/v1/intake/messages", json=msg), 401, "not_authenticated")
    r = c.post("/api/v1/intake/messages", json=msg, headers=bearer(w, "rus_monitor"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    again = c.post("/api/v1/intake/messages", json=msg, headers=bearer(w, "rus_monitor"))
    assert again.status_code == 200 and again.json()["duplicates"] == [cid]
    assert_error(c.post("/api/v1/intake/messages", json={**msg, "message_id": "sms-78", "text": " "},
                        headers=bearer(w, "rus_monitor")), 422, "validation_failed", "body")
    assert_error(c.post("/api/v1/intake/messages", json={**msg, "message_id": "sms-79", "sent_at": "soon"},
                        headers=bearer(w, "rus_monitor")), 422, "validation_failed", "published")
    got = c.get(f"/api/v1/intake/{cid}", headers=bearer(w, "rus_monitor")).json()
    assert got["channel"] == "gateway" and got["extraction"]["place"]["value"]["adm1_pcode"] == "SY05"
    assert got["extraction"]["casualties"]["killed_civilian"]["value"] == 2
    assert_error(c.get("/api/v1/intake", headers=bearer(w, "syr_liaison")), 403, "permission_denied")
    queue = c.get("/api/v1/intake", headers=bearer(w, "rus_verifier")).json()
    assert [q["id"] for q in queue] == [cid]
    assert_error(c.post(f"/api/v1/intake/{cid}/accept", json={}, headers=bearer(w, "rus_verifier")), 403,
                 "permission_denied")
    r = c.post(f"/api/v1/intake/{cid}/accept", json={"edits": {"killed": 3}}, headers=bearer(w, "tur_monitor"))
    assert r.status_code == 200 and r.json()["edits"] == {"killed": [2, 3]}, r.text
    rep = c.get(f"/api/v1/reports/{r.json()['report_id']}", headers=bearer(w, "tur_monitor")).json()
    assert rep["source_kind"] == "media" and rep["killed"] == 3
    r = c.post("/api/v1/intake", json={"title": "Talks resume", "body": "Delegations met in Astana."},
               headers=bearer(w, "rus_monitor"))
    assert r.status_code == 201
    assert_error(c.post(f"/api/v1/intake/{r.json()['id']}/reject", json={}, headers=bearer(w, "rus_monitor")),
                 422, "validation_failed", "reason")
    assert c.post(f"/api/v1/intake/{r.json()['id']}/reject", json={"reason": "no event"},
                  headers=bearer(w, "rus_monitor")).status_code == 200
    assert verify(Truce(url)).ok


def test_a_retried_accept_or_reject_answers_the_first_result(world_any):
    url, w = world_any
    c = client_for(url)
    h = bearer(w, "rus_monitor")
    ids = []
    for mid, text in (("sms-90", "Shelling on Kafr Zita in Hama this morning killed 2 civilians"),
                      ("sms-91", "Delegations met in Astana today.")):
        r = c.post("/api/v1/intake/messages", json={"text": text, "sent_at": "2017-10-02T08:15:00Z",
                                                    "message_id": mid}, headers=h)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    acc, rej = ids
    first = c.post(f"/api/v1/intake/{acc}/accept", json={"edits": {"killed": 3}}, headers=h)
    assert first.status_code == 200, first.text
    again = c.post(f"/api/v1/intake/{acc}/accept", json={"edits": {"killed": 3}}, headers=h)
    assert again.status_code == 200 and again.json()["repeated"], again.text
    assert {k: again.json()[k] for k in ("report_id", "incident_id", "ledger_seq", "edits")} == {
        k: first.json()[k] for k in ("report_id", "incident_id", "ledger_seq", "edits")}
    r = assert_error(c.post(f"/api/v1/intake/{acc}/accept", json={"edits": {"killed": 9}}, headers=h),
                     409, "conflict")
    assert "already accepted by rus_monitor" in r["message"]
    r = assert_error(c.post(f"/api/v1/intake/{acc}/reject", json={"reason": "x"}, headers=bearer(w, "tur_monitor")),
                     409, "conflict")
    assert "already accepted by rus_monitor" in r["message"]
    key = {**h, "Idempotency-Key": "rej-1"}
    r1 = c.post(f"/api/v1/intake/{rej}/reject", json={"reason": "no event"}, headers=key)
    r2 = c.post(f"/api/v1/intake/{rej}/reject", json={"reason": "no event"}, headers=key)
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json(), r2.text
    assert r2.headers.get("Idempotent-Replayed") == "true"
    r3 = c.post(f"/api/v1/intake/{rej}/reject", json={"reason": "no event"}, headers=h)  # no key, same decision
    assert r3.status_code == 200 and r3.json()["repeated"] and r3.json()["ledger_seq"] == r1.json()["ledger_seq"]
    r = assert_error(c.post(f"/api/v1/intake/{rej}/reject", json={"reason": "other"}, headers=h), 409, "conflict")
    assert "already rejected by rus_monitor" in r["message"]
    assert verify(Truce(url)).ok
