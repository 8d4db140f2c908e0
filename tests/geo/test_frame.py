"""Maps and bulletins frame what the data covers; UCDP-AEC rows of any loaded country are accepted."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from truce.app import Truce
from truce.bulletins.render import adm1_shapes, map_extent, map_png
from truce.cli import app as cli
from truce.geo.gazetteer import gazetteer_for
from truce.geo.queries import data_extent
from truce.ingest.ucdp import RowError, parse_row
from truce.web.app import create_app

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]


def _bounds(url: str, page: str) -> str:
    html = TestClient(create_app(url)).get(page).text
    return html.split('data-bounds="', 1)[1].split('"', 1)[0]


def test_map_and_bulletin_frame_the_loaded_country(db_url: str) -> None:
    assert runner.invoke(cli, ["geo", "import", *LAYERS, "--db", db_url]).exit_code == 0
    assert _bounds(db_url, "/") == "42.6000,13.7000,43.8000,16.8000"
    assert runner.invoke(cli, ["init", "--db", db_url]).exit_code == 0  # Syria too, no data yet: both
    with Truce(db_url).read() as conn:
        both = data_extent(conn)
        shapes = adm1_shapes(conn)
    assert both is not None and round(both[0], 2) == 35.61 and both[1:3] == (13.7, 43.8)
    # once there is an incident in Yemen, the maps frame Yemen
    r = runner.invoke(cli, ["report", "submit", "--occurred-at", "2018-12-20T06:30:00Z", "--type", "shelling",
                            "--lat", "14.83", "--lon", "42.93", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert _bounds(db_url, "/") == "42.6000,13.7000,43.8000,16.8000"
    assert sorted({s[3] for s in shapes}) == ["SY", "YE"] and len(shapes) == 16
    ext = map_extent(shapes, [], [{"lat": 14.83, "lon": 42.93, "verdict": "pending"}])
    assert [round(x, 3) for x in ext] == [42.55, 43.85, 13.65, 16.85]
    syria = map_extent(shapes, [], [{"lat": 35.93, "lon": 36.63, "verdict": "pending"}])
    assert 35.4 < syria[0] < 35.6 and 42.4 < syria[1] < 42.6 and 32.2 < syria[2] < 32.32 and 37.3 < syria[3] < 37.5
    doc = {"date": "2018-12-20", "numbers": {"incidents": {"map": [{"lat": 14.83, "lon": 42.93,
                                                                      "verdict": "pending"}]}}}
    assert map_png(doc, [], 40, shapes)[:8] == b"\x89PNG\r\n\x1a\n"


def test_ucdp_rows_of_any_loaded_country(sqlite_url: str) -> None:
    assert runner.invoke(cli, ["geo", "import", *LAYERS, "--db", sqlite_url]).exit_code == 0
    with Truce(sqlite_url).read() as conn:
        gaz = gazetteer_for(conn)
    row = {
        "id": "9", "source_article": "x", "source_date": "2018-12-21 10:00:00", "start_date": "2018-12-20",
        "end_date": "2018-12-20", "side_a_name": "Government of Yemen", "side_b_name": "Ansarallah",
        "location_root_name": "Yemen", "location_adm1_name": "Al Hudaydah governorate",
        "location_adm2_name": "Al Hawak district", "location_where_name": "", "deaths_side_a": "1",
        "deaths_side_b": "0", "deaths_civilian": "0", "deaths_unknown": "0", "deaths_low": "1", "deaths_high": "1",
    }
    rec = parse_row(row, 2, gaz)
    assert rec.resolution is not None and rec.resolution.adm2_pcode == "YE1812"
    try:
        parse_row({**row, "location_root_name": "Syria"}, 3, gaz)
    except RowError as e:
        assert "'Syria' is not Yemen" in str(e)
    else:  # pragma: no cover
        raise AssertionError("a Syrian row was accepted in a Yemen deployment")
