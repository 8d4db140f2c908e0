"""The incident list API (`GET /api/v1/incidents`), on SQLite and PostgreSQL: its total is remembered per
ledger head (incidents/service.py TOTALS) and must never be stale after a write; its query string is
validated in one go but answers like any other parameter; many first requests at once are all answered."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import uuid
from pathlib import Path

import httpx
from sqlalchemy import update
from tests.web.conftest import client_for
from tests.web.test_api import assert_error, bearer

from truce.app import Truce
from truce.incidents.models import incidents
from truce.incidents.service import TOTALS, list_incidents
from truce.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def _list(c, w=None, who=None, **params):
    r = c.get("/api/v1/incidents", params=params, headers=bearer(w, who) if who else None)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_new_report_changes_the_total_at_once(world_any):
    """The total is counted once per ledger head: after a report, the public and a monitor see it counted
    (and listed first) on their very next request, not a remembered total."""
    url, w = world_any
    c = client_for(url)
    public, monitor = _list(c), _list(c, w, "rus_monitor")
    assert _list(c)["total"] == public["total"]  # served from the remembered total, same answer
    rep = {"id": str(uuid.uuid4()), "occurred_at": "2017-12-30T05:00:00Z", "lat": 34.2, "lon": 37.9,
           "violation_type": "airstrike", "alleged_party": "SYR", "narrative": "a new public report",
           "visibility": "public"}
    made = c.post("/api/v1/reports", json=rep, headers=bearer(w, "tur_monitor"))
    assert made.status_code == 201, made.text
    new_id = made.json()["incident_id"]
    assert new_id not in [i["id"] for i in monitor["incidents"]]
    after_public, after_monitor = _list(c), _list(c, w, "rus_monitor")
    assert after_public["total"] == public["total"] + 1
    assert after_monitor["total"] == monitor["total"] + 1
    assert after_public["incidents"][0]["id"] == new_id and after_monitor["incidents"][0]["id"] == new_id
    first = after_public["incidents"][0]
    assert first["reports"] == 1 and first["simulated_reports"] == 0 and isinstance(first["zones"], list)


def test_a_verdict_that_publishes_an_incident_changes_the_public_total(world_any):
    """A write that adds no incident but changes who may see one (three guarantors confirm B: verified,
    published) changes the public's total at once, and leaves a guarantor's total as it was."""
    url, w = world_any
    c = client_for(url)
    public, monitor = _list(c), _list(c, w, "rus_monitor")
    assert w["B"] not in [i["id"] for i in public["incidents"]]
    for g in ("rus_verifier", "tur_verifier", "irn_verifier"):
        r = c.post(f"/api/v1/incidents/{w['B']}/findings", json={"finding": "confirmed", "reason": "site_visit",
                                                                  "party": "SYR"}, headers=bearer(w, g))
        assert r.status_code == 201, r.text
    after = _list(c)
    assert after["total"] == public["total"] + 1 and w["B"] in [i["id"] for i in after["incidents"]]
    assert _list(c, w, "rus_monitor")["total"] == monitor["total"]


def test_a_total_read_in_a_rolled_back_write_is_not_served_afterwards(world_any):
    """A list read inside a write transaction sees that transaction's changes (here: half a command, the
    ledger head not moved yet), not a remembered total; once it is rolled back, readers get the true total."""
    url, _ = world_any
    app = Truce(url)
    TOTALS.clear()
    with app.read() as conn:
        rows, total = list_incidents(conn, limit=1, totals=TOTALS)
    victim = rows[0]["id"]

    class Abort(Exception):
        pass

    try:
        with app.write() as conn:
            conn.execute(update(incidents).where(incidents.c.id == victim).values(status="merged"))
            assert list_incidents(conn, limit=1, totals=TOTALS)[1] == total - 1
            raise Abort
    except Abort:
        pass
    with app.read() as conn:
        assert list_incidents(conn, limit=1, totals=TOTALS)[1] == total


def test_every_page_size_gives_the_same_rows(world_any):
    """Small pages (on SQLite read on the event loop) and large ones (in the threadpool) agree."""
    url, w = world_any
    c = client_for(url)
    big = _list(c, w, "admin", limit=1000)
    small, cursor = [], None
    while True:
        page = _list(c, w, "admin", limit=3, **({"cursor": cursor} if cursor else {}))
        assert page["total"] == big["total"]
        small += page["incidents"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert small == big["incidents"]
    assert _list(c, w, "admin", limit=2, offset=1)["incidents"] == big["incidents"][1:3]


def test_invalid_parameters_answer_422_naming_the_parameter(world_any):
    url, _ = world_any
    c = client_for(url)
    for params, field in (({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"offset": "-1"}, "offset"),
                          ({"format": "xml"}, "format"), ({"simulated": "maybe"}, "simulated")):
        r = c.get("/api/v1/incidents", params=params)
        body = assert_error(r, 422, "validation_failed", field)
        assert body["message"].startswith(f"{field}: "), body
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
    # the last value of a repeated parameter counts, as for every other route
    assert c.get("/api/v1/incidents?limit=0&limit=2").json()["limit"] == 2
    assert c.get("/api/v1/incidents", params={"simulated": "false", "status": "open"}).status_code == 200


def test_the_api_reference_documents_every_parameter_of_the_list(world_any):
    url, _ = world_any
    c = client_for(url)
    op = c.get("/api/v1/openapi.json").json()["paths"]["/api/v1/incidents"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"limit", "cursor", "offset", "format", "zone", "adm", "party", "type", "since",
                           "until", "verdict", "status", "simulated"}
    assert all(p["in"] == "query" and not p["required"] for p in params.values())
    assert params["limit"]["schema"]["maximum"] == 1000 and params["limit"]["schema"]["default"] == 50
    assert params["zone"]["description"] == "Zone id, e.g. Z3"
    assert "422" in op["responses"] and "description" not in op
    assert "Zone id, e.g. Z3" in c.get("/api/v1/docs").text


def test_many_first_requests_at_once_are_all_answered(world):
    """Sixty-four public requests at once on a fresh server, each of whose total has to be counted: none
    waits for a database connection that another one holds (which would stall the event loop)."""
    url, _ = world
    TOTALS.clear()
    app = create_app(url)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=20) as client:
            return await asyncio.wait_for(
                asyncio.gather(*[client.get("/api/v1/incidents", params={"limit": 5 + i % 3}) for i in range(64)]),
                timeout=20,
            )

    answers = asyncio.run(run())
    assert [r.status_code for r in answers] == [200] * 64
    assert len({r.json()["total"] for r in answers}) == 1


def test_the_benchmark_reads_wrk_summary_line(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_api", ROOT / "benchmarks" / "bench_api.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_api", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    out = ("Running 10s test @ http://127.0.0.1:1/x\n  2 threads and 32 connections\n"
           "BENCH requests=7058 duration_us=10003000 errors=2 p50=40300 p90=63300 p99=86600 max=104600\n")
    r = bench.parse_wrk(out)
    assert (r.requests, r.errors, r.p50_ms, r.p99_ms, r.max_ms) == (7058, 2, 40.3, 86.6, 104.6)
    assert abs(r.rps - 7058 / 10.003) < 1e-6
    try:
        bench.parse_wrk("wrk: connection refused\n")
    except ValueError as e:
        assert "no BENCH line" in str(e)
    else:
        raise AssertionError("a wrk run without its summary line must not pass for a result")


def test_a_filter_naming_nothing_is_a_404_naming_the_field(world_any):
    """A filter naming a zone, P-code or party that does not exist is not found (404, the field named) on the
    list, the map points and the exports, never an empty answer; an existing zone with no rows is empty."""
    url, _w = world_any
    c = client_for(url)
    for path in ("/api/v1/incidents", "/api/v1/incidents/points", "/api/v1/exports/incidents.csv"):
        for field, value in (("zone", "NOPE"), ("party", "NOPE"), ("adm", "SY9999")):
            assert_error(c.get(path, params={field: value}), 404, "not_found", field)
    assert _list(c, zone="Z4", since="2030-01-01")["total"] == 0
    assert _list(c, party="syr", since="2030-01-01")["total"] == 0
