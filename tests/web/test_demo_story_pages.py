"""The demo's pages carry the dates of its story: after the demo is built (as `truce demo --no-serve` builds it),
no page a user reads about a business event (board, incidents, inbox, bulletins, register, parties) shows the
machine's year; every liaison's inbox has something; the CLI on the demo database runs as of its stored clock."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, func, select
from tests.bulletins.test_bulletin import _build_sqlite, demo_root
from typer.testing import CliRunner

from truce.api.deps import SESSION_COOKIE
from truce.app import Truce
from truce.auth.credentials import start_session
from truce.auth.models import organisations, users
from truce.auth.service import get_actor
from truce.cli import app as cli
from truce.clock import store_today
from truce.i18n import label, using
from truce.incidents.models import findings, notifications
from truce.ledger.models import ledger_entries
from truce.ledger.service import projection_tables, verify
from truce.parties.models import parties
from truce.web.app import create_app

REAL_YEAR = f"{datetime.now(UTC).year}-"


@pytest.fixture(scope="session")
def story_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build_sqlite(demo_root(tmp_path_factory))


@pytest.fixture
def demo(story_demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of the demo database, opened as a new user would: no TRUCE_TODAY in the environment."""
    src, blobs = story_demo
    shutil.copyfile(src, tmp_path / "demo.db")
    shutil.copytree(blobs, tmp_path / "blobs")
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.delenv("TRUCE_TODAY", raising=False)
    yield f"sqlite:///{tmp_path / 'demo.db'}"


def _client(url: str, app: Truce, user: str) -> TestClient:
    with app.write() as conn:
        sid, _ = start_session(conn, get_actor(conn, user))
    c = TestClient(create_app(url))
    c.cookies.set(SESSION_COOKIE, sid)
    return c


LEDGER_HISTORY = re.compile(r'<table class="list ledger">.*?</table>', re.S)


def _real_dates(text: str) -> list[str]:
    """Where a page shows the machine's year, leaving out an incident's ledger history (the real times at which
    its ledger entries were written, as `truce ledger log` shows them)."""
    text = LEDGER_HISTORY.sub("", text)
    return [text[max(0, m.start() - 60):m.end() + 20] for m in re.finditer(re.escape(REAL_YEAR), text)]


def test_no_page_of_the_demo_shows_the_machines_year(demo: str) -> None:
    app = Truce(demo)
    with app.read() as conn:
        story_incidents = sorted({r.incident_id for r in conn.execute(select(findings.c.incident_id))})
        party_ids = [r.id for r in conn.execute(select(parties.c.id))]
        liaisons = [r.name for r in conn.execute(
            select(users.c.name).join(organisations, organisations.c.id == users.c.org_id)
            .where(organisations.c.kind == "party_liaison"))]
        days = [r[0] for r in conn.execute(select(ledger_entries.c.at).limit(1))]
    assert days[0].startswith(REAL_YEAR)  # the ledger's own times are the real ones: the check below can fail
    verifier = _client(demo, app, "rus_verifier")
    paths = ["/", "/board", "/parties", "/bulletins", "/bulletins/2017-12-08", "/inbox", "/zones/Z4",
             *(f"/incidents/{i}" for i in story_incidents), *(f"/parties/{p}" for p in party_ids)]
    shown: dict[str, list[str]] = {}
    for path in paths:
        page = verifier.get(path)
        assert page.status_code == 200, path
        if _real_dates(page.text):
            shown[path] = _real_dates(page.text)
    for name in liaisons:
        page = _client(demo, app, name).get("/inbox")
        assert page.status_code == 200
        if _real_dates(page.text):
            shown[f"/inbox ({name})"] = _real_dates(page.text)
    assert shown == {}
    # Underneath: every business time the demo keeps is in 2017. Only the times of writes stay real: the ledger's
    # entries, accounts and keys, stored files (blobs), checkpoints.
    real_ok = {"ledger_entries", "organisations", "users", "signing_keys", "blobs", "ledger_log_keys"}
    found = []
    with app.read() as conn:
        for t in projection_tables():
            if t.name in real_ok:
                continue
            for col in t.columns:
                if isinstance(col.type, String):
                    n = conn.execute(select(func.count()).select_from(t).where(col.startswith(REAL_YEAR))).scalar()
                    if n:
                        found.append(f"{t.name}.{col.name}: {n}")
    assert found == []


def test_the_cli_on_the_demo_database_runs_as_of_its_clock(demo: str) -> None:
    """No TRUCE_TODAY, nothing exported: the CLI takes the clock the demo database keeps (2017-12-31)."""
    runner = CliRunner()
    app = Truce(demo)
    with app.read() as conn:
        listed = {r.id for r in conn.execute(select(findings.c.incident_id.label("id")))}
    r = runner.invoke(cli, ["incident", "list", "--limit", "0", "--json", "--db", demo])
    assert r.exit_code == 0, r.output
    fresh = next(i["id"] for i in json.loads(r.stdout)["incidents"] if i["id"] not in listed)
    r = runner.invoke(cli, ["finding", "add", str(fresh), "--as", "rus_verifier", "--finding", "confirmed",
                            "--reason", "site_visit", "--party", "SYR", "--note", "craters", "--json", "--db", demo])
    assert r.exit_code == 0, r.output
    with app.read() as conn:
        row = conn.execute(select(findings.c.found_on, findings.c.recorded_at)
                           .where(findings.c.incident_id == fresh)).one()
    assert row.found_on == "2017-12-31" and row.recorded_at.startswith("2017-12-31")
    # The register as of the clock's day; kept at another day (as a deployment's clock), the register of that day.
    r = runner.invoke(cli, ["party", "list", "--json", "--db", demo])
    statuses = {p["id"]: p["truce_status"] for p in json.loads(r.stdout)}
    assert statuses["THUWAR"] == "suspended" and statuses["AHRAR"] == "signatory"
    with app.write() as conn:
        store_today(conn, "2017-08-01")
    r = runner.invoke(cli, ["party", "list", "--json", "--db", demo])
    statuses = {p["id"]: p["truce_status"] for p in json.loads(r.stdout)}
    assert statuses["THUWAR"] == "signatory" and statuses["AHRAR"] != "signatory"
    assert statuses["MUJAHIDEEN"] == "excluded"


def test_every_liaison_of_the_demo_is_told_of_decisions_about_its_party(demo: str) -> None:
    """Status changes, accession decisions and measures against a party notify its liaison office: every
    liaison of the demo has something in its inbox, and the ledger replays to the same notifications."""
    app = Truce(demo)
    with app.read() as conn:
        orgs = {r.id: r.party_id for r in conn.execute(
            select(organisations.c.id, organisations.c.party_id).where(organisations.c.kind == "party_liaison"))}
        kinds: dict[str, set[str]] = {o: set() for o in orgs}
        for n in conn.execute(select(notifications.c.org_id, notifications.c.kind, notifications.c.message)):
            if n.org_id in kinds:
                kinds[n.org_id].add(n.kind)
    assert orgs and all(kinds.values()), {o: k for o, k in kinds.items() if not k}
    by_party = {orgs[o]: k for o, k in kinds.items()}
    assert "status_change" in by_party["THUWAR"] and "accession_decision" in by_party["AHRAR"]
    assert "measure" in by_party["SYR"] and "accession_decision" not in by_party["SYR"]
    # The new kinds read as words in every language of the inbox.
    for lang in ("ar", "ru", "tr", "fa"):
        with using(lang):
            assert label("status_change") != "status change" and label("accession_decision") != "accession decision"
    assert verify(app).ok


def test_the_cli_says_once_on_a_terminal_as_of_which_day_it_runs(demo: str) -> None:
    """Run as a person runs it (stderr on a terminal: a pseudo-terminal here), the CLI says once as of which day
    it runs; its output on stdout stays the same."""
    main, term = os.openpty()
    env = {k: v for k, v in os.environ.items() if k != "TRUCE_TODAY"}
    try:
        r = subprocess.run([sys.executable, "-m", "truce.cli", "party", "list", "--json", "--db", demo],
                           stdout=subprocess.PIPE, stderr=term, env=env, timeout=120)
        os.close(term)
        said = os.read(main, 4000).decode()
    finally:
        os.close(main)
    assert r.returncode == 0 and json.loads(r.stdout)
    assert said.count("as of 2017-12-31 (the deployment's clock)") == 1
