"""The daily bulletin on the Astana 2017 demo: every format, recomputation by `bulletin verify` (which must
catch a report changed behind the ledger's back and a number changed in the file), keys and signatures,
permissions, the web pages; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from tests.helpers import fold_wal
from typer.testing import CliRunner

import truce.db
from truce.app import Truce
from truce.cli import app as cli

DAY = "2017-09-21"
ENGINES = ["sqlite", "postgresql"]
runner = CliRunner()


# --- the demo, built once per engine and copied for each test ------------------------------------------


def _build_sqlite(root: Path) -> tuple[Path, Path]:
    """Build the SQLite demo once for all xdist workers (they share the parent of their temp dirs)."""
    from truce.demo import build_demo

    path, blobs, done = root / "demo.db", root / "blobs", root / "done"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            from truce.ledger.models import ledger_entries  # noqa: F401  (tables registered)

            engine = truce.db.make_engine(f"sqlite:///{path}")
            truce.db.migrate(engine)
            engine.dispose()
            truce.db._migrated.discard(f"sqlite:///{path}")
            try:
                build_demo(Truce(f"sqlite:///{path}", blob_dir=str(blobs)), seed=2017, key_dir=root / "demo-keys")
            finally:
                truce.db.dispose_all()
            fold_wal(path)
            done.write_text("ok")
    return path, blobs


def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this run builds the SQLite demo: shared by the xdist workers of the run (the parent of their temp
    dirs), else this run's own temp dir (never a directory that other runs share: it would hold a stale demo)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "truce-bulletin-demo"


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _build_sqlite(demo_root(tmp_path_factory))


@pytest.fixture(scope="session")
def pg_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    from truce.demo import build_demo

    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    blobs = tmp_path_factory.mktemp("bulletin-demo-pg") / "blobs"
    name = f"bulletin_demo_{uuid.uuid4().hex[:8]}"
    url = server.create_db(name, template=template)
    try:
        build_demo(Truce(url, blob_dir=str(blobs)), seed=2017, key_dir=blobs.parent / "demo-keys")
    finally:
        truce.db.dispose_all()
    try:
        yield name, blobs
    finally:
        with contextlib.suppress(Exception):
            server.drop_db(name)


def _fresh(request: pytest.FixtureRequest, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    src, blobs = request.getfixturevalue("sqlite_demo" if kind == "sqlite" else "pg_demo")
    shutil.copytree(blobs, tmp_path / "blobs")
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    monkeypatch.setenv("TRUCE_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.chdir(tmp_path)
    if kind == "sqlite":
        shutil.copyfile(src, tmp_path / "truce.db")
        try:
            yield f"sqlite:///{tmp_path / 'truce.db'}"
        finally:
            truce.db.dispose_all()
    else:
        server = request.getfixturevalue("pg_server")
        name = f"t_{uuid.uuid4().hex}"
        url = server.create_db(name, template=src)
        try:
            yield url
        finally:
            truce.db.dispose_all()
            server.drop_db(name)


@pytest.fixture(params=ENGINES, ids=ENGINES)
def demo_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh copy of the demo database (both engines); keys and blobs under tmp_path, which is the cwd."""
    yield from _fresh(request, request.param, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_demo_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from _fresh(request, "sqlite", tmp_path, monkeypatch)


def run(*args: str) -> Any:
    return runner.invoke(cli, list(args))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def check_consistent(doc: dict[str, Any]) -> None:
    """Totals equal the sums of their parts, in every breakdown."""
    n = doc["numbers"]
    offices = sorted(doc["offices"])
    total = n["office_reports"]["total"]
    by_office = n["office_reports"]["by_office"]
    for key in ("reports", "confirmed_by_others", "disputed_by_others"):
        assert total[key] == sum(by_office[o][key] for o in offices), key
    for key in ("killed", "injured"):  # each incident once in the total: never more than the offices' sum
        assert total[key] <= sum(by_office[o][key] for o in offices), key
    for dim in ("by_governorate", "by_party", "by_type"):
        for o in offices:
            assert sum(row[o]["reports"] for row in n[dim].values()) == by_office[o]["reports"], (dim, o)
        for row in n[dim].values():
            assert row["all"]["reports"] == sum(row[o]["reports"] for o in offices)
    # an incident in two zones counts in both: the zone rows hold at least every report
    assert sum(row["all"]["reports"] for row in n["by_zone"].values()) >= total["reports"]
    for o in offices:
        others = by_office[o]["findings_by_others"]
        for g, counts in others.items():
            assert g != doc["offices"][o]["guarantor"]
            assert sum(counts.values()) == by_office[o]["reports"]
    inc = n["incidents"]
    assert sum(inc["by_verdict"].values()) == inc["total"]
    assert len(inc["verified"]) == inc["by_verdict"]["verified"]
    assert sum(v["verified"] for v in inc["verified_by_party"].values()) == inc["by_verdict"]["verified"]
    assert len(n["trend"]["days"]) == 30 and n["trend"]["days"][-1] == doc["date"]
    for z, t in n["trend"]["zones"].items():
        assert len(t["incidents"]) == 30 and len(t["office_reports"]) == 30
        if z in inc["by_zone"]:
            assert t["incidents"][-1] == inc["by_zone"][z]["incidents"]
            assert t["office_reports"][-1] == n["by_zone"][z]["all"]["reports"]


def test_bulletin_formats_verify_sign_and_tamper(demo_url: str, tmp_path: Path) -> None:
    db = ["--db", demo_url]
    # --- every format -------------------------------------------------------------------------------------
    r = run("bulletin", "--date", DAY, "--format", "json", "-o", "b.json", *db)
    assert r.exit_code == 0, r.output
    doc = load(tmp_path / "b.json")
    assert doc["date"] == DAY and doc["agreement"]["id"] == "astana-2017"
    assert doc["ledger"]["seq"] > 0 and len(doc["ledger"]["head_hash"]) == 64
    assert set(doc["offices"]) == {"RUS_OFFICE", "TUR_OFFICE", "IRN_OFFICE"}
    assert doc["numbers"]["office_reports"]["total"]["reports"] >= 2
    assert set(doc["numbers"]["by_zone"]) >= {"Z1", "Z2", "Z3", "Z4"}
    assert doc["labels"]["governorates"] and all(k.startswith("SY") for k in doc["labels"]["governorates"])
    check_consistent(doc)
    again = run("bulletin", "--date", DAY, *db)  # to stdout; deterministic apart from generated_at
    assert again.exit_code == 0
    doc2 = json.loads(again.stdout)
    assert {k: v for k, v in doc2.items() if k != "generated_at"} == {
        k: v for k, v in doc.items() if k != "generated_at"
    }
    for fmt in ("md", "html", "pdf"):
        r = run("bulletin", "--date", DAY, "--format", fmt, "-o", f"b.{fmt}", *db)
        assert r.exit_code == 0, r.output
    md = (tmp_path / "b.md").read_text()
    assert "| Office |" in md and "RUS office" in md and f"{doc['ledger']['head_hash']}" in md
    html = (tmp_path / "b.html").read_text()
    assert html.count("data:image/png;base64,") == 2 and "<script" not in html
    assert "http://" not in html and "https://" not in html
    pdf = (tmp_path / "b.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Subtype /Image") >= 2
    assert len(re.findall(rb"/Type /Page[^s]", pdf)) >= 2

    # --- publish, keys, signatures --------------------------------------------------------------------------
    assert run("bulletin", "publish", "--date", DAY, "--as", "rus_monitor", *db).exit_code == 2
    r = run("bulletin", "publish", "--date", DAY, "--as", "joint_verifier", *db)
    assert r.exit_code == 0, r.output
    assert run("bulletin", "publish", "--date", DAY, "--as", "joint_verifier", *db).exit_code == 2  # published already
    assert run("key", "create", "--org", "RUS_OFFICE", "--as", "tur_verifier", *db).exit_code == 2
    assert run("key", "create", "--org", "SYR_LIAISON", *db).exit_code == 2
    for org, user in (("RUS_OFFICE", "rus_verifier"), ("TUR_OFFICE", "tur_verifier")):
        r = run("key", "create", "--org", org, "--as", user, *db)
        assert r.exit_code == 0, r.output
    keys = list((tmp_path / "keys").glob("*.pem"))
    assert len(keys) == 2 and all(k.stat().st_mode & 0o777 == 0o600 for k in keys)
    assert run("bulletin", "sign", "--date", DAY, "--org", "TUR_OFFICE", "--as", "rus_verifier", *db).exit_code == 2
    for user in ("rus_verifier", "tur_verifier"):
        r = run("bulletin", "sign", "--date", DAY, "--as", user, *db)
        assert r.exit_code == 0, r.output
    r = run("bulletin", "--date", DAY, "-o", "signed.json", *db)
    signed = load(tmp_path / "signed.json")
    assert {s["org"] for s in signed["signatures"]} == {"RUS_OFFICE", "TUR_OFFICE"}
    assert signed["numbers"] == doc["numbers"] and signed["ledger"] == doc["ledger"]
    # The demo's checkpoint, which the three offices co-signed, includes the bulletin's entry: it is cited.
    assert signed["checkpoint"].count("\u2014 truce-witness/") == 3 and "agreed" in signed["checkpoint_status"]
    r = run("bulletin", "verify", "signed.json", *db)  # recomputed from the ledger and the database, signatures
    assert r.exit_code == 0, r.output
    assert r.stdout.count("is valid") == 2 and "bulletin of 2017-09-21 verified" in r.stdout
    listed = {b["day"]: b for b in json.loads(run("bulletin", "list", "--json", *db).stdout)}
    assert len(listed[DAY]["signatures"]) == 2 and all(s["valid"] for s in listed[DAY]["signatures"])

    # --- a file with a changed number, a forged signature and a signature by an unknown key -----------------
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from truce.bulletins.service import digest, signed_message

    bad = json.loads(json.dumps(signed))
    bad["numbers"]["by_zone"]["Z2"]["TUR_OFFICE"]["reports"] += 5
    stranger = Ed25519PrivateKey.generate()
    sig = stranger.sign(signed_message(DAY, bad["ledger"]["seq"], digest(bad))).hex()
    bad["signatures"].append({"org": "IRN_OFFICE", "key_id": "0123456789abcdef", "signature": sig})
    forged = bad["signatures"][0]["signature"]
    bad["signatures"][0]["signature"] = ("0" if forged[0] != "0" else "1") + forged[1:]
    (tmp_path / "bad.json").write_text(json.dumps(bad))

    # --- ... and a report of the day changed behind the ledger's back: one verify names all of it -----------
    app = Truce(demo_url)
    with app.write() as conn:
        rid = conn.execute(
            text(
                "SELECT id FROM reports WHERE org_id = 'RUS_OFFICE' AND occurred_at >= :d AND occurred_at < :e "
                "ORDER BY id LIMIT 1"
            ),
            {"d": DAY, "e": "2017-09-22"},
        ).scalar_one()
        conn.execute(text("UPDATE reports SET violation_type = 'airstrike', killed = 99 WHERE id = :i"), {"i": rid})
    truce.db.dispose_all()
    r = run("bulletin", "verify", "bad.json", *db)
    assert r.exit_code == 1, r.output
    assert "numbers.by_zone.Z2.TUR_OFFICE.reports: file 6, ledger 1, database 1" in r.output
    assert "does not match" in r.output and "0123456789abcdef, which is not in the ledger" in r.output
    assert "numbers.by_type.airstrike: file absent, ledger absent, database" in r.output
    assert "numbers.office_reports.by_office.RUS_OFFICE.killed: file" in r.output and "database 99" in r.output


def test_later_entries_are_notes_and_verdicts_match(sqlite_demo_url: str, tmp_path: Path) -> None:
    """A bulletin stays verifiable after the ledger moves on: what later entries changed is a note, not a
    difference; and the verdicts derived as of a sequence equal the stored ones at the head."""
    demo_url = sqlite_demo_url
    from truce.auth.service import get_actor
    from truce.bulletins.compute import compute
    from truce.incidents.linking import link_report
    from truce.incidents.models import findings, incidents
    from truce.ledger.service import verify as ledger_verify

    db = ["--db", demo_url]
    assert run("bulletin", "publish", "--date", DAY, *db).exit_code == 0
    assert run("key", "create", "--org", "IRN_OFFICE", "--as", "irn_verifier", *db).exit_code == 0
    assert run("bulletin", "sign", "--date", DAY, "--as", "irn_verifier", *db).exit_code == 0
    assert run("bulletin", "-o", "b.json", "--date", DAY, *db).exit_code == 0
    app = Truce(demo_url)
    # Move one of the day's office reports to an incident in another zone (a later, legitimate entry).
    with app.write() as conn:
        rid, iid = conn.execute(
            text(
                "SELECT r.id, ir.incident_id FROM reports r JOIN incident_reports ir ON ir.report_id = r.id "
                "WHERE r.org_id = 'TUR_OFFICE' AND r.occurred_at >= :d AND r.occurred_at < :e"
            ),
            {"d": DAY, "e": "2017-09-22"},
        ).first()
        other = conn.execute(
            text(
                "SELECT i.id FROM incidents i JOIN incident_zones z ON z.incident_id = i.id WHERE z.zone_id = 'Z1' "
                "AND i.id <> :i ORDER BY i.id LIMIT 1"
            ),
            {"i": iid},
        ).scalar_one()
        link_report(app, conn, get_actor(conn, "tur_verifier"), rid, other, "same event")
    r = run("bulletin", "verify", "b.json", *db)
    assert r.exit_code == 0, r.output
    assert "changed by ledger entries after" in r.stdout and "signature of IRN_OFFICE" in r.stdout
    # At the head, the verdicts the bulletin derives are those the verification service stored.
    with app.read() as conn:
        days = [
            d
            for (d,) in conn.execute(
                select(func.substr(incidents.c.occurred_at, 1, 10))
                .where(incidents.c.id.in_(select(findings.c.incident_id)))
                .distinct()
                .order_by(func.substr(incidents.c.occurred_at, 1, 10))
                .limit(25)
            )
        ]
        assert len(days) >= 10
        for d in days:
            b = compute(conn, d)
            stored = dict(
                conn.execute(
                    select(incidents.c.verdict, func.count())
                    .where(
                        incidents.c.occurred_at >= d,
                        incidents.c.occurred_at < d + "T99",
                        incidents.c.status != "merged",
                    )
                    .group_by(incidents.c.verdict)
                ).all()
            )
            assert {k: v for k, v in b["numbers"]["incidents"]["by_verdict"].items() if v} == stored, d
            for v in b["numbers"]["incidents"]["verified"]:
                row = conn.execute(select(incidents).where(incidents.c.id == v["incident"])).mappings().one()
                assert (v["attributed_party"], v["clause"], v["breach"], v["severity"]) == (
                    row["attributed_party_id"],
                    row["clause_id"],
                    row["breach"],
                    row["severity"],
                )
    assert ledger_verify(app).ok


def test_bulletin_pages(sqlite_demo_url: str, tmp_path: Path) -> None:
    """The bulletin pages (public): the list by date, each day as a page, HTML, JSON and PDF."""
    demo_url = sqlite_demo_url
    from fastapi.testclient import TestClient

    from truce.web.app import create_app

    client = TestClient(create_app(demo_url))
    before = client.get("/bulletins").text  # the demo's story published one week of December (not DAY)
    assert 'href="/bulletins/2017-12-08.pdf"' in before and f'href="/bulletins/{DAY}.pdf"' not in before
    assert client.get(f"/bulletins/{DAY}.json").status_code == 404
    assert run("bulletin", "publish", "--date", DAY, "--db", demo_url).exit_code == 0
    page = client.get("/bulletins")
    assert page.status_code == 200 and f'href="/bulletins/{DAY}.pdf"' in page.text
    day = client.get(f"/bulletins/{DAY}")
    assert day.status_code == 200 and "data:image/png;base64," in day.text and "RUS office" in day.text
    assert "'unsafe-inline'" not in day.headers["content-security-policy"]
    js = client.get(f"/bulletins/{DAY}.json").json()
    assert js["date"] == DAY and js["signatures"] == []
    pdf = client.get(f"/bulletins/{DAY}.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    standalone = client.get(f"/bulletins/{DAY}.html")
    assert "attachment" in standalone.headers["content-disposition"] and "<style>" in standalone.text
    api = {b["day"]: b for b in client.get("/api/v1/bulletins").json()["bulletins"]}
    assert api[DAY]["links"]["pdf"] == f"/bulletins/{DAY}.pdf"
    assert client.get("/bulletins/2017-09-22").status_code == 404
