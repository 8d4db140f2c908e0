"""What a scenario file declares beyond the agreement, for a country other than Syria (the Hodeidah
fixture): organisations and users (validated with the line, loaded idempotently, each a ledger entry), a
changed agreement (refused naming the keys, or recorded as version 2 with --new-version), the ACLED export's
country columns from the data, and administrative levels below the third in the API."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth.credentials import authenticate
from truce.auth.models import organisations, users
from truce.cli import app as cli
from truce.errors import TruceError
from truce.i18n import localize
from truce.ingest import acled
from truce.ledger.models import ledger_entries
from truce.web.app import create_app

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]
SCENARIO = YEMEN / "hodeidah-2018.yaml"
VERSION2 = YEMEN / "hodeidah-2019.yaml"


def _run(url: str, *args: str) -> tuple[int, str]:
    r = runner.invoke(cli, [*args, "--db", url])
    return r.exit_code, r.output.strip()


def _entries(url: str) -> list[tuple[str, str]]:
    app = Truce(url)
    with app.read() as conn:
        return [(r.command, r.payload) for r in conn.execute(
            select(ledger_entries.c.command, ledger_entries.c.payload).order_by(ledger_entries.c.seq))]


def _count(url: str) -> int:
    with Truce(url).read() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def _boundaries(url: str) -> None:
    assert _run(url, "geo", "import", *LAYERS)[0] == 0


def test_organisations_and_users_declared(db_url: str, tmp_path: Path) -> None:
    _boundaries(db_url)
    code, out = _run(db_url, "scenario", "load", str(SCENARIO))
    assert code == 0, out
    assert out.splitlines() == [
        "agreement: hodeidah-2018; parties added: 4; zones added: HOD; organisations added: 6; users added: 3",
        "users without a password (no web sign-in yet): un_patrol, un_verifier, rcc_analyst; set one with: "
        "truce user passwd NAME",
    ]
    app = Truce(db_url)
    with app.read() as conn:
        orgs = {r.id: (r.name, r.kind, r.party_id) for r in conn.execute(select(organisations))}
        people = {r.name: (r.org_id, r.role, r.display_name, r.password_hash) for r in conn.execute(select(users))}
    # the declared office replaces the implied one of the same id; RCC is added beside the implied ones
    assert orgs["UNMHA_OFFICE"] == ("UNMHA: monitoring and verification office", "guarantor_office", "UNMHA")
    assert orgs["RCC"] == ("Redeployment Coordination Committee secretariat", "observer", None)
    assert set(orgs) == {"ADMIN", "JOINT", "UNMHA_OFFICE", "YEM_LIAISON", "HOUTHI_LIAISON", "RCC"}
    assert people == {
        "un_patrol": ("UNMHA_OFFICE", "monitor", "UNMHA patrol team leader", None),
        "un_verifier": ("UNMHA_OFFICE", "verifier", None, None),
        "rcc_analyst": ("RCC", "analyst", None, None),
    }
    commands = [c for c, _ in _entries(db_url)]
    assert commands.count("org.add") == 6 and commands.count("user.add") == 3
    # loading again writes nothing
    before = _count(db_url)
    assert _run(db_url, "scenario", "load", str(SCENARIO)) == (
        0, "agreement: already loaded (version 1); parties added: 0; zones added: none; organisations added: 0")
    assert _count(db_url) == before
    # what exists and differs from the file is said, and left as it is
    changed = tmp_path / "changed.yaml"
    changed.write_text(SCENARIO.read_text("utf-8").replace("role: verifier", "role: analyst")
                       .replace("kind: observer", "kind: observer, party: YEM"), "utf-8")
    assert _run(db_url, "scenario", "load", str(changed)) == (0, "\n".join([
        "agreement: already loaded (version 1); parties added: 0; zones added: none; organisations added: 0",
        "  organisation RCC exists as 'Redeployment Coordination Committee secretariat' (observer), the file says "
        "'Redeployment Coordination Committee secretariat' (observer of YEM): left as it is",
        "  user un_verifier exists as verifier of UNMHA_OFFICE, the file says analyst of UNMHA_OFFICE: left as it "
        "is"]))
    assert _count(db_url) == before
    assert "ledger OK" in _run(db_url, "ledger", "verify")[1]


def test_declared_user_gets_a_password_later(sqlite_url: str, tmp_path: Path) -> None:
    """A user declared in the scenario cannot sign in until `truce user passwd` gives it a password."""
    _boundaries(sqlite_url)
    assert _run(sqlite_url, "scenario", "load", str(SCENARIO))[0] == 0
    app = Truce(sqlite_url)
    with pytest.raises(TruceError):
        authenticate(app, "un_patrol", "correct horse battery staple 2018")
    secret = tmp_path / "pw.txt"
    secret.write_text("correct horse battery staple 2018\n")
    assert _run(sqlite_url, "user", "passwd", "un_patrol", "--password-file", str(secret)) == (
        0, "password of un_patrol set")
    actor = authenticate(app, "un_patrol", "correct horse battery staple 2018")
    assert (actor.name, actor.org, actor.role) == ("un_patrol", "UNMHA_OFFICE", "monitor")


# (block replacing the fixture's, the refusal after "line N: ", the text on line N)
BAD = [
    ("users:\n  - {name: x1, org: UNMHA_OFFICE, role: monitor, pasword: hunter2}\n",
     "users[0].pasword: unknown key 'pasword'; allowed: name, org, role, display_name", "pasword"),
    ("users:\n  - {name: x1, org: UNMHA_OFFICE, role: monitor, password: hunter2}\n",
     "users[0].password: passwords are not written in a scenario file: set one with truce user passwd NAME",
     "password"),
    ("users:\n  - {name: x1, org: OSCE_SMM, role: monitor}\n",
     "users[0].org: 'OSCE_SMM' is not an organisation of the scenario; organisations: ADMIN, JOINT, UNMHA_OFFICE, "
     "YEM_LIAISON, HOUTHI_LIAISON, RCC", "OSCE_SMM"),
    ("users:\n  - {name: x1, org: RCC, role: verifier}\n",
     "users[0].role: a user of RCC (observer) may be analyst, monitor, not verifier", "verifier"),
    ("users:\n  - name: x1\n    org: RCC\n    role: [analyst]\n",
     "users[0].role: Input should be a valid string", "role:"),
    ("users:\n  - {name: system, org: RCC, role: analyst}\n",
     "users[0].name: 'system' is not a valid id or user name (letters, digits, _ . -; not 'system')", "system"),
    ("users:\n  - {name: x1, org: RCC, role: analyst}\n  - {name: x1, org: RCC, role: monitor}\n",
     "users[1].name: user 'x1' is given twice", "role: monitor"),
    ("organisations:\n  - {id: OSCE_SMM, name: OSCE, kind: guarantor_office}\n",
     "organisations[0].party: a guarantor_office belongs to a party: give its id", "OSCE_SMM"),
    ("organisations:\n  - {id: OSCE_SMM, name: OSCE, kind: guarantor_office, party: OSCE}\n",
     "organisations[0].party: 'OSCE' is not a party of the scenario; parties: UNMHA, YEM, HOUTHI, AQAP", "OSCE_SMM"),
    ("organisations:\n  - {id: OSCE SMM, name: OSCE, kind: observer}\n",
     "organisations[0].id: 'OSCE SMM' is not a valid id or user name (letters, digits, _ . -; not 'system')",
     "OSCE SMM"),
    ("organisations:\n  - {id: OSCE_SMM, name: OSCE, kind: mission}\n",
     "organisations[0].kind: 'mission' is not an organisation kind; allowed: guarantor_office, party_liaison, "
     "joint_group, admin, observer", "mission"),
    ("organisations: {id: OSCE_SMM}\n", "organisations: Input should be a valid list", "organisations:"),
]


@pytest.mark.parametrize(("block", "why", "needle"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_organisations_and_users_are_refused_with_the_line(
    sqlite_url: str, tmp_path: Path, block: str, why: str, needle: str
) -> None:
    """The fixture with its organisations/users blocks replaced by a bad one: refused with the line, exit 2,
    nothing written."""
    _boundaries(sqlite_url)
    before = _count(sqlite_url)
    text = SCENARIO.read_text("utf-8")
    base = text[: text.index("users:" if block.startswith("users:") else "organisations:")]
    bad = tmp_path / "bad.yaml"
    bad.write_text(base + block, "utf-8")
    line = next(i for i, t in enumerate((base + block).splitlines(), 1) if needle in t and i > base.count("\n"))
    code, out = _run(sqlite_url, "scenario", "load", str(bad))
    assert code == 2, out
    assert " ".join(out.split()) == " ".join(f"error: {bad}, line {line}: {why}".split())
    assert _count(sqlite_url) == before  # nothing written


def test_a_changed_agreement_has_a_route_to_version_2(db_url: str, tmp_path: Path) -> None:
    _boundaries(db_url)
    assert _run(db_url, "scenario", "load", str(SCENARIO))[0] == 0
    before = _count(db_url)
    code, out = _run(db_url, "scenario", "load", str(VERSION2))
    assert code == 2
    assert " ".join(out.split()) == (
        "error: agreement hodeidah-2018: the file differs from version 1 in effective, clauses.C4; to record it "
        "as version 2 (in force from the file's effective date) load it with --new-version, or run: truce "
        "agreement add-version FILE")
    assert _count(db_url) == before
    r = runner.invoke(cli, ["--lang", "ru", "scenario", "load", str(VERSION2), "--db", db_url])
    assert r.exit_code == 2 and "файл отличается от версии 1 в effective, clauses.C4;" in " ".join(r.output.split())
    # a setting changed too: named by its path
    changed = tmp_path / "changed.yaml"
    changed.write_text(VERSION2.read_text("utf-8").replace("own_reports_verify: true", "own_reports_verify: false"))
    code, out = _run(db_url, "scenario", "load", str(changed))
    assert code == 2 and "differs from version 1 in effective, clauses.C4, settings.own_reports_verify;" in (
        " ".join(out.split()))
    # a changed agreement whose effective date is not later is refused by the version rule
    same_day = tmp_path / "same-day.yaml"
    same_day.write_text(SCENARIO.read_text("utf-8").replace("own_reports_verify: true", "own_reports_verify: false"))
    code, out = _run(db_url, "scenario", "load", str(same_day), "--new-version")
    assert (code, out) == (2, "error: agreement.effective: version 2 must take effect after version 1 (2018-12-18)")
    assert _count(db_url) == before
    code, out = _run(db_url, "scenario", "load", str(VERSION2), "--new-version")
    assert code == 0, out
    assert out == ("agreement: hodeidah-2018 version 2 added (changed: effective, clauses.C4); parties added: 0; "
                   "zones added: none; organisations added: 0")
    assert _count(db_url) == before + 1 and _entries(db_url)[-1][0] == "agreement.add"
    code, out = _run(db_url, "agreement", "show", "hodeidah-2018", "--json")
    assert code == 0 and '"version": 2' in out and '"effective": "2019-01-16"' in out
    # either file again: already loaded, nothing written
    for f in (VERSION2, SCENARIO):
        code, out = _run(db_url, "scenario", "load", str(f), "--new-version")
        assert (code, out.split(";")[0]) == (0, f"agreement: already loaded (version {2 if f == VERSION2 else 1})")
    assert _count(db_url) == before + 1


def test_acled_export_takes_the_country_from_the_data(db_url: str) -> None:
    _boundaries(db_url)
    assert _run(db_url, "scenario", "load", str(SCENARIO))[0] == 0
    points = (["--lat", "14.83", "--lon", "42.93"], ["--lat", "16.3", "--lon", "43.2"], ["--lat", "0", "--lon", "0"])
    for args in points:
        code, out = _run(db_url, "report", "submit", "--as", "un_patrol", "--occurred-at", "2018-12-20T06:30:00Z",
                         "--type", "shelling", *args)
        assert code == 0, out
    code, out = _run(db_url, "export", "incidents", "--format", "acled")
    assert code == 0, out
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["event_id_cnty"].startswith("TRUCE")]  # not the bar
    assert tuple(rows[0]) == acled.ACLED_COLUMNS
    got = [(r["iso"], r["region"], r["country"], r["admin1"]) for r in rows]
    assert got == [("887", "Middle East", "Yemen", "Al Hodeidah"), ("887", "Middle East", "Yemen", "Hajjah"),
                   ("", "", "", "")]


def test_a_country_outside_the_table_is_named_from_its_boundaries(sqlite_url: str, tmp_path: Path) -> None:
    """A country the ACLED table lacks: its name from ADM0_EN, iso and region blank."""
    renamed = []
    for n in (1, 2, 3):
        p = tmp_path / f"xx_adm{n}.geojson"
        p.write_text((YEMEN / f"yem_adm{n}.geojson").read_text("utf-8").replace('"YE', '"XZ')
                     .replace('"Yemen"', '"Freedonia"'), "utf-8")
        renamed.append(str(p))
    assert _run(sqlite_url, "geo", "import", *renamed)[0] == 0
    scenario = tmp_path / "xz.yaml"
    scenario.write_text(SCENARIO.read_text("utf-8").replace("country: YE", "country: XZ")
                        .replace("countries: [YE]", "countries: [XZ]").replace("[YE18", "[XZ18")
                        .replace(", YE18", ", XZ18"), "utf-8")
    assert _run(sqlite_url, "scenario", "load", str(scenario))[0] == 0
    assert _run(sqlite_url, "report", "submit", "--as", "un_patrol", "--occurred-at", "2018-12-20T06:30:00Z",
                "--type", "shelling", "--lat", "14.83", "--lon", "42.93")[0] == 0
    out = _run(sqlite_url, "export", "incidents", "--format", "acled")[1]
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["event_id_cnty"].startswith("TRUCE")]
    assert [(r["iso"], r["region"], r["country"]) for r in rows] == [("", "", "Freedonia")]


def test_admin_areas_api_takes_every_level(db_url: str) -> None:
    _boundaries(db_url)
    api = TestClient(create_app(db_url))
    r = api.get("/api/v1/admin-areas", params={"level": 4})
    assert r.status_code == 404 and r.json()["message"] == (
        "level: no ADM4 areas are loaded (the deepest level is ADM3)")
    assert _run(db_url, "geo", "import", str(YEMEN / "yem_adm4.geojson"))[0] == 0
    r = api.get("/api/v1/admin-areas", params={"level": 4})
    assert r.status_code == 200
    assert [(a["pcode"], a["level"], a["name_en"]) for a in r.json()["areas"]] == [
        ("YE18130101", 4, "Al Mina North West"), ("YE18130102", 4, "Al Mina North East"),
        ("YE18130201", 4, "Al Mina South West"), ("YE18130202", 4, "Al Mina South East")]
    assert len(api.get("/api/v1/admin-areas").json()["areas"]) == 2 + 6 + 10 + 4
    code, out = _run(db_url, "adm", "list", "--level", "4", "--json")
    assert code == 0 and out.count('"level": 4') == 4
    assert _run(db_url, "adm", "list", "--level", "5") == (
        3, "error: level: no ADM5 areas are loaded (the deepest level is ADM4)")
    fc = api.get("/api/v1/admin-areas/geojson", params={"level": 4}).json()
    assert [f["id"] for f in fc["features"]] == ["YE18130101", "YE18130102", "YE18130201", "YE18130202"]
    assert fc["features"][0]["properties"]["name"] == "Al Mina North West"
    for bad in ("0", "-1", "x", "21", "99999999999999999999"):
        for path in ("/api/v1/admin-areas", "/api/v1/admin-areas/geojson"):
            assert api.get(path, params={"level": bad}).status_code == 422, (path, bad)
    r = api.get("/api/v1/admin-areas/geojson", params={"level": 5}, headers={"Accept-Language": "tr"})
    assert r.status_code == 404
    assert localize(r.json()["message"], "tr") == (
        "level: ADM5 düzeyinde yüklenmiş idari bölge yok (yüklü en derin düzey ADM4)")
