"""A truce outside Syria from data alone: Hodeidah (Yemen), one impartial monitor as the only guarantor,
a country-wide clause. Boundaries, places and scenario are loaded from files; reports are filed by
place name and by point; the map and the bulletin frame Yemen."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from truce.app import Truce
from truce.auth import service as auth
from truce.bulletins.render import adm1_shapes, map_extent
from truce.cli import app as cli
from truce.incidents.service import show_incident as get_incident
from truce.incidents.verification import add_finding
from truce.reports.service import submit
from truce.web.app import create_app

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]
SCENARIO = str(YEMEN / "hodeidah-2018.yaml")


def _ok(*args: str) -> str:
    r = runner.invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.output


def test_hodeidah_from_files(db_url: str) -> None:
    r = runner.invoke(cli, ["scenario", "load", SCENARIO, "--db", db_url])
    assert r.exit_code == 2 and "the scenario is for YE, whose boundaries are not loaded" in r.output
    _ok("geo", "import", *LAYERS, "--db", db_url)
    _ok("geo", "import-places", str(YEMEN / "YE.txt"), "--db", db_url)
    _ok("scenario", "load", SCENARIO, "--db", db_url)  # its users too: un_patrol, un_verifier of UNMHA_OFFICE
    app = Truce(db_url)
    with app.write() as conn:
        monitor, verifier = auth.get_actor(conn, "un_patrol"), auth.get_actor(conn, "un_verifier")
        # by point, inside the city zone
        shelled = submit(app, conn, monitor, {
            "occurred_at": "2018-12-20T06:30:00Z", "lat": 14.83, "lon": 42.93, "violation_type": "shelling",
            "alleged_party": "Houthis", "observation": "observed"}, [])
        # by place name, outside the zone: a country-wide clause
        blocked = submit(app, conn, monitor, {
            "occurred_at": "2018-12-21T09:00:00Z", "place_name": "Bajil", "alleged_party": "YEM",
            "violation_type": "obstruction_of_humanitarian_access", "observation": "observed"}, [])
    assert (shelled.location["adm3_pcode"], shelled.location["location_precision"]) == ("YE181302", "exact")
    assert (blocked.location["adm2_pcode"], blocked.location["location_precision"]) == ("YE1802", "near")
    with app.read() as conn:
        first = get_incident(conn, shelled.incident_id)
        second = get_incident(conn, blocked.incident_id)
    assert [z["zone_id"] for z in first["zones"]] == ["HOD"] and second["zones"] == []
    with app.write() as conn:
        add_finding(app, conn, verifier, shelled.incident_id, "confirmed", "site_visit", attributed_party="HOUTHI")
        add_finding(app, conn, verifier, blocked.incident_id, "confirmed", "site_visit", attributed_party="YEM")
    with app.read() as conn:
        first = get_incident(conn, shelled.incident_id)
        second = get_incident(conn, blocked.incident_id)
    # the only guarantor verifies what its own patrols observed: own_reports_verify is true
    assert (first["verdict"], first["clause_id"], first["breach"]) == ("verified", "C1", "breach")
    assert (second["verdict"], second["clause_id"], second["breach"]) == ("verified", "C2", "breach")
    assert second["breach_reason"] == "obstruction_of_humanitarian_access in YE, prohibited country-wide by C2"
    # the map page and the bulletin map frame Yemen
    html = TestClient(create_app(db_url)).get("/").text
    assert 'data-bounds="42.6000,13.7000,43.8000,16.8000"' in html
    with app.read() as conn:
        shapes = adm1_shapes(conn)
    ext = map_extent(shapes, [], [{"lat": 14.83, "lon": 42.93}])
    assert [round(x, 3) for x in ext] == [42.55, 43.85, 13.65, 16.85]
    assert "ledger OK" in _ok("ledger", "verify", "--db", db_url)


def test_partisan_guarantor_default_is_unchanged(sqlite_url: str, tmp_path: Path) -> None:
    """Without the setting, a guarantor's own reports alone never verify: the partisan-guarantor rule."""
    scenario = tmp_path / "partisan.yaml"
    scenario.write_text(Path(SCENARIO).read_text("utf-8").replace("own_reports_verify: true", "reply_window_days: 7"))
    _ok("geo", "import", *LAYERS, "--db", sqlite_url)
    _ok("scenario", "load", str(scenario), "--db", sqlite_url)
    app = Truce(sqlite_url)
    with app.write() as conn:
        res = submit(app, conn, auth.get_actor(conn, "un_patrol"), {
            "occurred_at": "2018-12-20T06:30:00Z", "lat": 14.83, "lon": 42.93, "violation_type": "shelling",
            "observation": "observed"}, [])
        add_finding(app, conn, auth.get_actor(conn, "un_verifier"), res.incident_id, "confirmed", "site_visit",
                    attributed_party="HOUTHI")
    with app.read() as conn:
        assert get_incident(conn, res.incident_id)["verdict"] == "pending"


def test_readme_commands_for_another_country(db_url: str) -> None:
    """The commands of the README section "Starting a deployment for another country", run in order on
    the fixture's files."""
    import shlex

    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    section = readme.split("## Starting a deployment for another country", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    files = {p.name: str(p) for p in YEMEN.iterdir()}
    outputs = []
    for line in block.strip().splitlines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "truce"
        if argv[1] == "init":
            continue  # the fixture's database is made already (`--db` below replaces the README's yemen.db)
        outputs.append(_ok(*[files.get(a, a) for a in argv[1:]], "--db", db_url))
    assert len(outputs) == 6
    assert outputs[0].splitlines()[-1] == "loaded ADM3: 10 areas"
    assert "users added: 3" in outputs[3]
    assert "agreement: hodeidah-2018 version 2 added (changed: effective, clauses.C4)" in outputs[4]
    assert "place YE180202 (near)" in outputs[-1]
