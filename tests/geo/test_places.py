"""The gazetteer from the data: admin areas of every loaded country (every language), GeoNames places."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.geo.gazetteer import Gazetteer, gazetteer_for

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]


def _yemen(url: str, syria: bool = False) -> None:
    if syria:
        assert runner.invoke(cli, ["init", "--db", url]).exit_code == 0
    r = runner.invoke(cli, ["geo", "import", *LAYERS, "--db", url])
    assert r.exit_code == 0, r.output


def test_only_syria_keeps_the_bundled_gazetteer(sqlite_url: str) -> None:
    assert runner.invoke(cli, ["init", "--db", sqlite_url]).exit_code == 0
    with Truce(sqlite_url).read() as conn:
        assert gazetteer_for(conn) is Gazetteer.bundled()


def test_a_report_in_yemen_by_place_name_and_by_point(db_url: str) -> None:
    _yemen(db_url, syria=True)
    r = runner.invoke(cli, ["geo", "import-places", str(YEMEN / "YE.txt"), "--db", db_url])
    assert r.exit_code == 0, r.output
    # Sanaa lies outside the fixture's boundaries; Ras Isa is a port (class S), not a populated place
    assert r.output.strip() == "loaded 6 places of YE (8 read, 1 outside its boundaries, 1 skipped)"
    with Truce(db_url).read() as conn:
        g = gazetteer_for(conn)
    gov = g.resolve("Hodeidah")  # a bare name: the governorate, by its English name without the article
    assert gov is not None and (gov.precision, gov.adm1_pcode, gov.matched) == ("adm1", "YE18", "Al Hodeidah")
    assert g.resolve("الحديدة") == gov  # the Arabic name of the area (ADM1_AR)
    city = g.resolve("Hodeida city")  # a GeoNames alternate name
    assert city is not None and (city.precision, city.matched, city.lat, city.lon) == (
        "near", "Al Hudaydah", 14.79781, 42.95452
    )
    assert (city.adm1_pcode, city.adm2_pcode, city.adm3_pcode) == ("YE18", "YE1812", "YE181201")
    yemen = g.resolve("Yemen")  # ADM0_EN of the layer; centre from the data
    assert yemen is not None and (yemen.precision, yemen.lat, yemen.lon) == ("country", 15.25, 43.2)
    assert g.resolve("اليمن") == yemen
    syria = g.resolve("Syria")
    assert syria is not None and syria.matched == "Syria" and syria.precision == "country"
    idlib = g.resolve("Idlib")
    assert idlib is not None and idlib.adm1_pcode == "SY07"  # Syria's gazetteer as before
    assert [label for label, _ in g.suggest("Durayh", limit=2)] == ["Ad Durayhimi district, Al Hodeidah",
                                                          "Ad Durayhimi, Ad Durayhimi, Al Hodeidah"]

    def submit(*args: str) -> str:
        r = runner.invoke(cli, ["report", "submit", "--occurred-at", "2018-12-20T06:30:00Z", "--type", "shelling",
                                *args, "--db", db_url])
        assert r.exit_code == 0, r.output
        return r.output

    assert "place YE180202 (near)" in submit("--place", "Bajil")
    assert "place YE181302 (exact)" in submit("--lat", "14.83", "--lon", "42.93")
    assert "place outside the boundaries of SY, YE (exact)" in submit("--lat", "14.0", "--lon", "40.0")
    v = runner.invoke(cli, ["ledger", "verify", "--db", db_url])
    assert v.exit_code == 0, v.output


def test_yemen_alone(sqlite_url: str) -> None:
    """A deployment that never loaded Syria: Syrian names resolve nowhere."""
    _yemen(sqlite_url)
    with Truce(sqlite_url).read() as conn:
        g = gazetteer_for(conn)
    assert g.resolve("Idlib") is None and g.resolve("Syria") is None
    hawak = g.resolve("Al Hawak district")
    assert hawak is not None and hawak.adm2_pcode == "YE1812"
    assert json.loads(json.dumps(list(g.countries))) == ["YE"]


def test_bad_places_file_names_the_line(sqlite_url: str, tmp_path: Path) -> None:
    _yemen(sqlite_url)
    bad = tmp_path / "places.csv"
    bad.write_text("name,latitude,longitude\nBajil,15.05,43.28\nZabid,north,43.3\n")
    r = runner.invoke(cli, ["geo", "import-places", str(bad), "--country", "YE", "--db", sqlite_url])
    assert r.exit_code == 2 and r.output.strip() == "error: places.csv: line 3: latitude/longitude are not numbers"
    r = runner.invoke(cli, ["geo", "import-places", str(YEMEN / "YE.txt"), "--country", "UA", "--db", sqlite_url])
    assert r.output.strip() == "error: YE.txt: no boundaries of UA are loaded: run `truce geo import` first"
