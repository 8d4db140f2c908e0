"""Every API write honours `Idempotency-Key` (both engines): the same key with the same request returns the
first answer (status and body) and writes no ledger entry; with another request it is refused (409) naming
the fields that differ. Web forms carry a request id with the same effect."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from tests.helpers import ledger_count
from tests.web.conftest import client_for, sign_in
from tests.web.test_api import assert_error, bearer

from truce.app import Truce
from truce.ledger.service import verify


def _cases(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any], str]]:
    """(user, path, body, another body, a field that differs)."""
    return [
        ("rus_verifier", f"/api/v1/investigations/{w['inv_open']}/denials",
         {"party": "SYR", "site": "Hill 4"}, {"party": "SYR", "site": "Hill 5"}, "site"),
        ("syr_liaison", f"/api/v1/incidents/{w['A']}/replies",
         {"text": "Our unit was elsewhere", "visibility": "public"}, {"text": "We deny it", "visibility": "public"},
         "text"),
        ("rus_verifier", f"/api/v1/incidents/{w['B']}/findings",
         {"finding": "confirmed", "reason": "site_visit", "party": "SYR"},
         {"finding": "disputed", "reason": "site_visit", "party": "SYR"}, "finding"),
        ("rus_monitor", "/api/v1/reports",
         {"id": str(uuid.uuid4()), "occurred_at": "2017-11-02T10:00:00Z", "lat": 35.5, "lon": 36.6,
          "violation_type": "shelling", "alleged_party": "SYR"},
         {"id": str(uuid.uuid4()), "occurred_at": "2017-11-02T10:00:00Z", "lat": 35.5, "lon": 36.6,
          "violation_type": "shelling", "alleged_party": "SYR"}, "report"),
        ("rus_monitor", "/api/v1/tokens", {"days": 5, "label": "phone"}, {"days": 6, "label": "phone"}, "days"),
        ("rus_verifier", f"/api/v1/investigations/{w['inv_paused']}/resume", {}, {"at": "2017-09-30T00:00:00Z"},
         "at"),
    ]


@pytest.mark.parametrize("case", range(6), ids=["denial", "reply", "finding", "report", "token", "resume"])
def test_a_retried_write_is_recorded_once(world_any: tuple[str, dict[str, Any]], case: int) -> None:
    url, w = world_any
    app = Truce(url)
    c = client_for(url)
    user, path, body, other, field = _cases(w)[case]
    key = str(uuid.uuid4())
    h = {**bearer(w, user), "Idempotency-Key": key}
    before = ledger_count(app)
    first = c.post(path, json=body, headers=h)
    assert first.status_code in (200, 201), first.text
    assert "Idempotent-Replayed" not in first.headers
    after_first = ledger_count(app)
    assert after_first == before + 1
    again = c.post(path, json=body, headers=h)
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ledger_count(app) == after_first, "a retry with the same key writes nothing"
    # The same key with another request: refused, naming what differs, nothing written.
    err = assert_error(c.post(path, json=other, headers=h), 409, "conflict", field)
    assert key in err["message"]
    assert ledger_count(app) == after_first
    # Another user may use the same key: keys are per user.
    # Without a key, the same request is a new command (as before).
    if case in (0, 2):
        assert c.post(path, json=body, headers=bearer(w, user)).status_code == 201
        assert ledger_count(app) == after_first + 1
    assert verify(app).ok


def test_a_key_on_another_path_is_refused(world_any: tuple[str, dict[str, Any]]) -> None:
    url, w = world_any
    c = client_for(url)
    h = {**bearer(w, "rus_verifier"), "Idempotency-Key": "k-1"}
    assert c.post(f"/api/v1/investigations/{w['inv_open']}/denials", json={"party": "SYR", "site": "Hill"},
                  headers=h).status_code == 201
    assert_error(c.post(f"/api/v1/incidents/{w['B']}/findings",
                        json={"finding": "confirmed", "reason": "site_visit", "party": "SYR"}, headers=h),
                 409, "conflict", "path")


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "é"], ids=["empty", "space", "long", "non-ascii"])
def test_a_malformed_key_is_refused(world: tuple[str, dict[str, Any]], key: str) -> None:
    url, w = world
    c = client_for(url)
    r = c.post(f"/api/v1/investigations/{w['inv_open']}/denials", json={"party": "SYR", "site": "Hill"},
               headers={**bearer(w, "rus_verifier"), "Idempotency-Key": key.encode("utf-8")})  # type: ignore[dict-item]
    assert_error(r, 422, "validation_failed", "Idempotency-Key")


def test_a_web_form_sent_twice_records_once(world: tuple[str, dict[str, Any]]) -> None:
    url, w = world
    app = Truce(url)
    c = client_for(url)
    csrf = sign_in(c, url, "rus_verifier")
    page = c.get(f"/incidents/{w['B']}").text
    rid = re.search(r'name="request_id" value="([0-9a-f]{32})"', page)
    assert rid, "the incident page's forms carry a request id"
    form = {"csrf": csrf, "request_id": rid.group(1), "finding": "confirmed", "reason": "site_visit", "party": "SYR"}
    before = ledger_count(app)
    for _ in range(3):
        r = c.post(f"/incidents/{w['B']}/findings", data=form, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert ledger_count(app) == before + 1
    # Each rendering of the page gives its forms a new id.
    assert re.findall(r'name="request_id" value="([0-9a-f]{32})"', c.get(f"/incidents/{w['B']}").text)[0] != rid[1]
