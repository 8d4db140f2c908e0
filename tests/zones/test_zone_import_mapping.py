"""`truce zone import FILE.geojson` maps feature properties to zone fields."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.zones.queries import show_zone


def test_properties_map_to_zone_fields(astana_url, tmp_path):
    ring = [[36.5, 35.8], [36.7, 35.8], [36.7, 36.0], [36.5, 36.0], [36.5, 35.8]]
    square = {"type": "Polygon", "coordinates": [ring]}
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": square,
         "properties": {"code": "Z9", "title": "Saraqib belt", "start": "2018-02-01", "type": "security_belt",
                        "remark": "east of the M5"}},
        {"type": "Feature", "geometry": square, "properties": {"title": "no code"}},
    ]}
    f = tmp_path / "zones.geojson"
    f.write_text(json.dumps(fc))
    r = CliRunner().invoke(cli, ["zone", "import", str(f), "--db", astana_url, "--id-property", "code",
                                 "--name-property", "title", "--property", "valid_from=start",
                                 "--property", "kind=type", "--property", "note=remark"])
    assert r.exit_code == 0, r.output
    assert "zone Z9 added" in r.output and "feature 1: no 'code' property" in r.output
    with Truce(astana_url).read() as conn:
        z = show_zone(conn, "Z9")
    assert (z["name"], z["kind"], z["note"]) == ("Saraqib belt", "security_belt", "east of the M5")
    assert z["versions"][0]["valid_from"] == "2018-02-01"
    r = CliRunner().invoke(cli, ["zone", "import", str(f), "--db", astana_url, "--property", "colour=red"])
    assert r.exit_code == 2 and "colour" in r.output
