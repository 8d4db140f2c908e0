"""`truce geo import`: any country's COD-AB boundaries, any number of levels, GeoJSON or shapefile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapefile
from sqlalchemy import func, select
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.geo.models import admin_areas
from truce.geo.service import admin_index
from truce.ledger.models import ledger_entries

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]


def _count(url: str, table=admin_areas) -> int:  # type: ignore[no-untyped-def]
    with Truce(url).read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_import_a_second_country_beside_syria(db_url: str) -> None:
    assert runner.invoke(cli, ["init", "--db", db_url]).exit_code == 0
    r = runner.invoke(cli, ["geo", "import", *reversed(LAYERS), "--db", db_url])  # any order: coarsest first
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "loaded ADM1: 2 areas, 1 invalid polygons repaired"
    assert lines[1].startswith("  repaired YE17 Hajjah: Self-intersection")
    assert lines[2:] == ["loaded ADM2: 6 areas", "loaded ADM3: 10 areas"]
    countries = json.loads(runner.invoke(cli, ["geo", "countries", "--db", db_url, "--json"]).output)
    assert [(c["country"], c["levels"], c["areas"]) for c in countries] == [
        ("SY", "ADM1-ADM3", 348),
        ("YE", "ADM1-ADM3", 18),
    ]
    assert countries[1]["bounds"] == [42.6, 13.7, 43.8, 16.8]
    app = Truce(db_url)
    with app.read() as conn:
        row = conn.execute(select(admin_areas).where(admin_areas.c.pcode == "YE181201")).one()
        assert (row.name_en, row.name_ar, row.country, row.adm1_pcode, row.adm2_pcode, row.adm3_pcode) == (
            "Al Hawak North", "شمال الحوك", "YE", "YE18", "YE1812", "YE181201"
        )
        assert json.loads(row.names) == {"ar": "شمال الحوك", "en": "Al Hawak North"}
        idx = admin_index(conn)
        assert idx is not None
        # Hodeidah port: ADM3 of Al Mina; Abs (Hajjah has no ADM3 layer): its district is the deepest level;
        # Idlib: Syria's ADM3 as before; the sea west of both: nothing
        got = idx.assign([42.93, 43.2, 36.63, 40.0], [14.83, 16.0, 35.93, 14.0])
        assert got[0] == ("YE18", "YE1813", "YE181302")
        assert got[1] == ("YE17", "YE1701", None)
        assert got[2] is not None and got[2][0] == "SY07" and got[2][2].startswith("SY07")
        assert got[3] is None
        entries = conn.execute(
            select(ledger_entries.c.payload).where(ledger_entries.c.command == "admin.load")
            .order_by(ledger_entries.c.seq)
        ).all()
    payloads = [json.loads(p[0]) for p in entries]
    assert [(p.get("country"), p["level"]) for p in payloads] == [
        (None, 1), (None, 2), (None, 3), ("YE", 1), ("YE", 2), ("YE", 3)
    ]  # the bundled Syrian entries keep their old payload; a replay reads both kinds
    assert payloads[4]["fields"]["names"] == {"en": "ADM2_EN", "ar": "ADM2_AR"}
    v = runner.invoke(cli, ["ledger", "verify", "--db", db_url])
    assert v.exit_code == 0 and "ledger OK" in v.output, v.output


def _write(tmp_path: Path, name: str, fc: dict) -> str:  # type: ignore[type-arg]
    p = tmp_path / name
    p.write_text(json.dumps(fc, ensure_ascii=False), "utf-8")
    return str(p)


def _layer(n: int) -> dict:  # type: ignore[type-arg]
    return json.loads((YEMEN / f"yem_adm{n}.geojson").read_text("utf-8"))


@pytest.mark.parametrize(
    ("mutate", "args", "message"),
    [
        (lambda fc: fc["features"][3]["properties"].pop("ADM2_PCODE"), [],
         "yem_adm2.geojson: feature 4 has no ADM2 P-code (ADM2_PCODE is empty)"),
        (lambda fc: fc["features"][1]["properties"].update(ADM1_PCODE="YE99"), [],
         "yem_adm2.geojson: feature 2: level mismatch: its ADM1 P-code YE99 is not an ADM1 area of YE"),
        (lambda fc: fc["features"][5].update(geometry={"type": "Point", "coordinates": [43, 16]}), [],
         "yem_adm2.geojson: feature 6 (YE1701): a boundary must be a Polygon or MultiPolygon, not Point"),
        (lambda fc: None, ["--level", "3"],
         "yem_adm2.geojson: level mismatch: --level 3 given but the deepest P-code property is ADM2_PCODE (ADM2)"),
    ],
)
def test_bad_layers_are_refused_with_the_feature_and_nothing_is_written(
    sqlite_url: str, tmp_path: Path, mutate, args, message  # type: ignore[no-untyped-def]
) -> None:
    adm1 = _write(tmp_path, "yem_adm1.geojson", _layer(1))
    fc = _layer(2)
    mutate(fc)
    adm2 = _write(tmp_path, "yem_adm2.geojson", fc)
    files = [adm2] if args else [adm1, adm2]
    r = runner.invoke(cli, ["geo", "import", *files, *args, "--db", sqlite_url])
    assert r.exit_code == 2
    assert r.output.strip() == f"error: {message}"
    assert _count(sqlite_url) == 0 and _count(sqlite_url, ledger_entries) == 0


def test_not_geojson_and_reloads_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "adm1.geojson"
    bad.write_text("ADM1_EN,ADM1_PCODE\nX,YE01\n")
    r = runner.invoke(cli, ["geo", "import", str(bad), "--db", sqlite_url])
    assert r.exit_code == 2 and r.output.startswith("error: adm1.geojson: not GeoJSON (not JSON:")
    assert runner.invoke(cli, ["geo", "import", LAYERS[0], "--db", sqlite_url]).exit_code == 0
    r = runner.invoke(cli, ["geo", "import", LAYERS[0], "--db", sqlite_url])
    assert r.output.strip() == "error: yem_adm1.geojson: ADM1 of YE is already loaded (2 areas)"


def test_shapefile_with_hdx_style_names(db_url: str, tmp_path: Path) -> None:
    """A shapefile whose names are `adm1_name` / `adm1_name1` (the newer HDX style): the Arabic column is
    recognised by its script, a French one by a flag; the shapefile parts go to the blob store."""
    w = shapefile.Writer(str(tmp_path / "yem_adm1"), shapeType=shapefile.POLYGON, encoding="utf-8")
    for name in ("adm1_pcode", "adm1_name", "adm1_name1", "adm1_name2", "adm0_pcode"):
        w.field(name, "C", size=60)
    for f in _layer(1)["features"]:
        p = f["properties"]
        w.poly(f["geometry"]["coordinates"])
        w.record(p["ADM1_PCODE"], p["ADM1_EN"], p["ADM1_AR"], "Hodeïda" if p["ADM1_PCODE"] == "YE18" else "Hajja", "YE")
    w.close()
    (tmp_path / "yem_adm1.cpg").write_text("UTF-8")
    r = runner.invoke(cli, ["geo", "import", str(tmp_path / "yem_adm1.shp"), "--name-field", "adm1_name2=fr",
                            "--db", db_url])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("loaded ADM1: 2 areas, 1 invalid polygons repaired")
    with Truce(db_url).read() as conn:
        row = conn.execute(select(admin_areas).where(admin_areas.c.pcode == "YE18")).one()
    assert json.loads(row.names) == {"ar": "الحديدة", "en": "Al Hodeidah", "fr": "Hodeïda"}
    assert row.country == "YE" and row.name_ar == "الحديدة"
    v = runner.invoke(cli, ["ledger", "verify", "--db", db_url])
    assert v.exit_code == 0, v.output
