"""The business clock: TRUCE_TODAY makes a deployment run "as of" a day (defaults of decisions, pages' as-of);
unset, the real clock. Ledger entries keep the real time of the write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.helpers import report
from typer.testing import CliRunner

from truce import times
from truce.app import Truce
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.clock import store_today, stored_today, use_stored_clock
from truce.errors import ValidationFailed
from truce.incidents.models import findings
from truce.incidents.verification import add_finding
from truce.ledger.models import ledger_entries
from truce.measures.service import apply_accession
from truce.reports.service import submit
from truce.web.app import create_app

runner = CliRunner()


def _incident(app: Truce) -> int:
    with app.write() as conn:
        res = submit(app, conn, get_actor(conn, "rus_monitor"), report(occurred_at="2017-09-20T06:30:00Z"))
    assert res.incident_id is not None
    return res.incident_id


def _find(app: Truce, iid: int, user: str = "rus_verifier", on: str | None = None) -> dict:
    with app.write() as conn:
        return add_finding(app, conn, get_actor(conn, user), iid, "confirmed", "site_visit", "craters", "SYR", on=on)


def test_a_finding_without_a_date_carries_the_clock_day(astana_url, monkeypatch):
    app = Truce(astana_url)
    iid = _incident(app)
    monkeypatch.setenv("TRUCE_TODAY", "2017-09-21")
    found = _find(app, iid)
    assert found["on"] == "2017-09-21"
    with app.read() as conn:
        cols = select(findings.c.found_on, findings.c.recorded_at)
        row = conn.execute(cols.where(findings.c.id == found["id"])).one()
        entry_at = conn.execute(select(ledger_entries.c.at).order_by(ledger_entries.c.seq.desc())).scalars().first()
    assert row.found_on == "2017-09-21"
    # The finding is recorded at the business time (kept in the entry's payload); when the write happened stays
    # the real time of the ledger entry.
    real_day = datetime.now(UTC).date().isoformat()
    assert entry_at[:10] == real_day and row.recorded_at[:10] == "2017-09-21"
    # A day after the clock's is in the future for this deployment.
    with pytest.raises(ValidationFailed) as e:
        _find(app, iid, "tur_verifier", on="2017-09-22")
    assert e.value.field == "date"
    # An explicit day before it is kept.
    assert _find(app, iid, "irn_verifier", on="2017-09-20")["on"] == "2017-09-20"


def test_without_the_setting_a_finding_carries_the_real_day(astana_url, monkeypatch):
    monkeypatch.delenv("TRUCE_TODAY", raising=False)
    app = Truce(astana_url)
    iid = _incident(app)
    assert _find(app, iid)["on"] == datetime.now(UTC).date().isoformat()


def test_the_clock_sets_every_default_decision_date(astana_url, monkeypatch):
    monkeypatch.setenv("TRUCE_TODAY", "2017-09-21")
    app = Truce(astana_url)
    with app.write() as conn:
        applied = apply_accession(app, conn, get_actor(conn, "ahrar_liaison"), "AHRAR")
    assert applied["on"] == "2017-09-21" and applied["eligibility"]["as_of"] == "2017-09-21"
    out = runner.invoke(cli, ["eligibility", "FAYLAQ", "--json", "--db", astana_url])
    assert out.exit_code == 0 and '"as_of": "2017-09-21"' in out.output
    assert times.today() == "2017-09-21" and times.now().startswith("2017-09-21T")


def test_a_bad_clock_is_refused_naming_the_setting(monkeypatch):
    monkeypatch.setenv("TRUCE_TODAY", "21/09/2017")
    with pytest.raises(ValidationFailed) as e:
        times.today()
    assert e.value.field == "TRUCE_TODAY"


def test_pages_default_to_the_clock_day_and_serve_takes_the_stored_clock(astana_url, monkeypatch):
    monkeypatch.setenv("TRUCE_TODAY", "")  # unset (empty), and restored after the test whatever serve puts there
    app = Truce(astana_url)
    client = TestClient(create_app(astana_url))
    assert 'name="as_of" value=""' in client.get("/parties").text
    with app.write() as conn:
        store_today(conn, "2017-09-21")
    with app.read() as conn:
        assert stored_today(conn) == "2017-09-21"
    # What `truce serve` does first: a database that keeps a clock runs as of that day when the setting is unset.
    assert use_stored_clock(app) == "2017-09-21"
    assert times.today() == "2017-09-21"
    page = client.get("/parties").text
    assert 'name="as_of" value="2017-09-21"' in page
    assert 'value="2017-09-21"' in client.get("/zones").text
    monkeypatch.setenv("TRUCE_TODAY", "2017-06-01")  # the setting wins over the stored clock
    assert use_stored_clock(app) == "2017-06-01"
