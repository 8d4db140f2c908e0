"""Zones: built from P-codes, imported from GeoJSON (invalid polygons repaired and said so), bad input reported."""

from __future__ import annotations

import json

from tests.helpers import OCHA_ADM3, ledger_count
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.ledger.service import verify
from truce.zones.queries import show_zone, zones_geojson

runner = CliRunner()


def test_astana_zones_are_unions_of_their_sub_districts(astana_url):
    app = Truce(astana_url)
    with app.read() as conn:
        z3 = show_zone(conn, "Z3")
        fc = zones_geojson(conn, as_of="2017-09-21")
    assert z3["approximate"] and z3["versions"][0]["adm_pcodes"][0] == "SY030200"
    assert 400 < z3["versions"][0]["area_sqkm"] < 800
    assert len(fc["features"]) == 4
    with app.read() as conn:
        assert zones_geojson(conn, as_of="2017-01-01")["features"] == []  # before the memorandum took effect


def test_real_invalid_ocha_polygons_import_repaired_and_reported(db_url, tmp_path):
    """The OCHA file has 15 invalid sub-districts: importing them as zones repairs each and says so."""
    fc = json.loads(OCHA_ADM3.read_text("utf-8"))
    invalid = [f for f in fc["features"] if f["properties"]["adm3_pcode"] in
               ("SY070305", "SY030202", "SY120006")]
    for f in invalid:
        f["properties"]["zone"] = "S_" + f["properties"]["adm3_pcode"]
    src = tmp_path / "zones.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": invalid}))
    r = runner.invoke(cli, ["zone", "import", str(src), "--db", db_url, "--valid-from", "2017-05-06",
                            "--id-property", "zone", "--name-property", "adm3_name", "--kind", "reconciled_settlement"])
    assert r.exit_code == 0, r.output
    assert r.output.count("repaired with make_valid") == 3
    app = Truce(db_url)
    with app.read() as conn:
        z = show_zone(conn, "S_SY070305", with_geometry=True)
    assert "Self-intersection" in z["versions"][0]["repair"]
    assert z["versions"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert verify(app).ok


def test_bad_features_are_reported_and_good_ones_imported(db_url, tmp_path):
    good = {"type": "Feature", "properties": {"id": "ZG", "name": "Good"},
            "geometry": {"type": "Polygon", "coordinates": [[[36, 35], [36.1, 35], [36.1, 35.1], [36, 35]]]}}
    bad_geom = {"type": "Feature", "properties": {"id": "ZB", "name": "Bad"},
                "geometry": {"type": "Polygon", "coordinates": [[[36, 35], [36.1]]]}}
    no_id = {"type": "Feature", "properties": {"name": "Anonymous"}, "geometry": good["geometry"]}
    point = {"type": "Feature", "properties": {"id": "ZP"}, "geometry": {"type": "Point", "coordinates": [36, 35]}}
    src = tmp_path / "z.geojson"
    src.write_text(json.dumps({"type": "FeatureCollection", "features": [good, bad_geom, no_id, point]}))
    app = Truce(db_url)
    r = runner.invoke(cli, ["zone", "import", str(src), "--db", db_url, "--valid-from", "2017-05-06"])
    assert r.exit_code == 0, r.output
    assert "zone ZG added" in r.output
    assert "feature 1:" in r.output and "malformed Polygon" in r.output
    assert "feature 2: no 'id' property" in r.output
    assert "feature 3:" in r.output and "not Point" in r.output
    n = ledger_count(app)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    r = runner.invoke(cli, ["zone", "import", str(broken), "--db", db_url, "--valid-from", "2017-05-06"])
    assert r.exit_code != 0 and "not valid JSON" in r.output
    assert ledger_count(app) == n
