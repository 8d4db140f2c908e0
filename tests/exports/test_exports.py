"""Exports: every format, filters, the HXL hashtag row, valid GeoJSON, the ACLED round trip through
`truce import acled`, and the streaming API endpoints."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.helpers import UCDP_AEC, generate_acled, report
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.exports import service as exports
from truce.incidents.models import incident_reports, incident_zones, incidents
from truce.incidents.service import IncidentFilter, list_incidents
from truce.ingest import acled
from truce.ingest.bulk import import_file
from truce.ingest.service import import_ucdp
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.reports.models import reports
from truce.reports.service import submit

N = 800
runner = CliRunner()


@pytest.fixture(scope="module")
def acled_file(tmp_path_factory) -> Path:
    return generate_acled(tmp_path_factory.mktemp("acled") / "acled.csv", N, seed=5)


UCDP_ROWS = 300


@pytest.fixture
def loaded(astana_url, acled_file, tmp_path) -> Truce:
    """Generated ACLED events, the first rows of the shared UCDP-AEC file, and reports filed in Truce (one a
    drone strike, a type ACLED lacks)."""
    app = Truce(astana_url)
    import_file(app, SYSTEM, acled_file, "acled", source_kind="ngo", batch_rows=500)
    ucdp = tmp_path / "ucdp.csv"
    with open(UCDP_AEC, encoding="utf-8") as f:
        ucdp.write_text("".join(line for line, _ in zip(f, range(UCDP_ROWS + 1), strict=False)), encoding="utf-8")
    assert import_ucdp(app, SYSTEM, ucdp).imported == UCDP_ROWS
    with app.write() as conn:
        from truce.auth.service import get_actor

        mon = get_actor(conn, "rus_monitor")
        submit(app, conn, mon, report(violation_type="drone_strike", narrative="Drone over Idlib",
                                      casualties={"killed": 1, "injured": 2}))
        submit(app, conn, mon, report(occurred_at="2017-10-02T09:00:00Z", violation_type="sniper_fire",
                                      lat=33.5722, lon=36.4025, alleged_party="JAISH_ISLAM"))
    return app


def _plain_tags(extras: dict[str, str]) -> str:
    return "|".join(t for t in extras.get("tags", "").split("|") if t and not t.startswith("truce:"))


def _export(db: str, fmt: str, tmp_path: Path, *flags: str) -> bytes:
    out = tmp_path / f"out.{fmt}"
    r = runner.invoke(cli, ["export", "incidents", "--format", fmt, "-o", str(out), "--db", db, *flags])
    assert r.exit_code == 0, r.output
    return out.read_bytes()


def _total(app: Truce, flt: IncidentFilter) -> int:
    with app.read() as conn:
        return list_incidents(conn, flt, limit=1)[1]


def test_every_format_with_filters(loaded, astana_url, tmp_path):
    app = loaded
    total = _total(app, IncidentFilter())
    assert total == N + UCDP_ROWS + 2
    # CSV: header, one row per incident, P-code names, zones.
    rows = list(csv.reader(io.StringIO(_export(astana_url, "csv", tmp_path).decode())))
    assert rows[0] == exports.HEADER and len(rows) == total + 1
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["id"] == "1" and first["source"] == "acled" and first["external_id"].startswith("SYR")
    by = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    drone = by[str(N + UCDP_ROWS + 1)]
    assert (drone["violation_type"], drone["alleged_party_id"], drone["killed"], drone["injured"]) == (
        "drone_strike", "SYR", "1", "2")
    assert drone["adm1_name"] == "Idleb" and drone["zones"] == "Z1"
    # HXL: the hashtag row under the header.
    hxl = list(csv.reader(io.StringIO(_export(astana_url, "hxl", tmp_path).decode())))
    assert hxl[0] == exports.HEADER and len(hxl) == total + 2
    tags = dict(zip(hxl[0], hxl[1], strict=True))
    for col, tag in [("id", "#event+id"), ("occurred_at", "#date+occurred"), ("adm1_name", "#adm1+name"),
                     ("adm1_pcode", "#adm1+code"), ("lat", "#geo+lat"), ("lon", "#geo+lon"),
                     ("violation_type", "#event+type"), ("alleged_party", "#group+name+first"),
                     ("killed", "#affected+killed")]:
        assert tags[col] == tag
    assert all(t.startswith("#") for t in hxl[1])
    # GeoJSON: an RFC 7946 FeatureCollection of points [lon, lat].
    fc = json.loads(_export(astana_url, "geojson", tmp_path))
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == total
    f = fc["features"][0]
    assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
    lon, lat = f["geometry"]["coordinates"]
    assert (lat, lon) == (float(first["lat"]), float(first["lon"]))
    assert isinstance(f["properties"]["zones"], list) and "lat" not in f["properties"]
    # ACLED: the 31 columns.
    ac = list(csv.reader(io.StringIO(_export(astana_url, "acled", tmp_path).decode())))
    assert tuple(ac[0]) == acled.ACLED_COLUMNS and len(ac) == total + 1 and all(len(r) == 31 for r in ac)
    assert ac[-2][0] == f"TRUCE{N + UCDP_ROWS + 1}" and "truce:type=drone_strike" in ac[-2][29]
    assert "truce:time=exact" in ac[-2][29] and "truce:at=06:30:00" in ac[-2][29]
    assert any(row[0].startswith("TRUCE") and "truce:geo=adm1" in row[29] for row in ac[1:])  # UCDP rows
    # Filters: the same as `truce incident list`.
    for flags, flt in [
        (["--zone", "Z1"], IncidentFilter(zone="Z1")),
        (["--type", "shelling", "--since", "2018-01-01", "--until", "2018-06-30"],
         IncidentFilter(violation_type="shelling", since="2018-01-01", until="2018-06-30")),
        (["--adm", "SY07"], IncidentFilter(adm="SY07")),
        (["--party", "SYR", "--verdict", "pending"], IncidentFilter(party="SYR", verdict="pending")),
    ]:
        got = list(csv.reader(io.StringIO(_export(astana_url, "csv", tmp_path, *flags).decode())))
        assert len(got) - 1 == _total(app, flt) > 0, flags
    r = runner.invoke(cli, ["export", "incidents", "--format", "xml", "--db", astana_url])
    assert r.exit_code == 2 and "format" in r.output


def test_acled_export_round_trips_through_import(loaded, astana_url, sqlite_astana_template, tmp_path):
    """Import a generated ACLED file, export it as ACLED, import that into a fresh database: the fields both
    share are the same, and exporting again gives the same bytes."""
    first = _export(astana_url, "acled", tmp_path)
    f = tmp_path / "export.csv"
    f.write_bytes(first)
    db2 = tmp_path / "second.db"
    shutil.copyfile(sqlite_astana_template, db2)
    url2 = f"sqlite:///{db2}"
    r = runner.invoke(cli, ["import", "acled", str(f), "--db", url2, "--json"])
    assert r.exit_code == 0, r.output
    assert f'"imported": {N + UCDP_ROWS + 2}' in r.output and '"rejected": []' in r.output

    def shared(url: str) -> dict[str, tuple]:
        app = Truce(url)
        with app.read() as conn:
            zones: dict[int, list[str]] = {}
            for iid, z in conn.execute(select(incident_zones.c.incident_id, incident_zones.c.zone_id)):
                zones.setdefault(iid, []).append(z)
            out = {}
            for r in conn.execute(
                select(incidents, reports.c.external_id, reports.c.external_source, reports.c.killed,
                       reports.c.target, reports.c.narrative)
                .join(incident_reports, incident_reports.c.incident_id == incidents.c.id)
                .join(reports, reports.c.id == incident_reports.c.report_id)
            ).mappings():
                key = r["external_id"] if r["external_source"] == "acled" else f"TRUCE{r['id']}"
                notes, extras = acled.split_narrative(r["narrative"])
                out[key] = (r["occurred_at"], r["occurred_precision"], r["location_precision"],
                            r["violation_type"], r["alleged_party_id"], r["alleged_party_text"], r["lat"], r["lon"],
                            r["adm1_pcode"], r["adm2_pcode"], r["adm3_pcode"], r["place_name"], r["killed"] or 0,
                            r["target"],
                            notes or None, _plain_tags(extras),
                            sorted(zones.get(r["id"], [])), r["simulated"])
        return out

    a, b = shared(astana_url), shared(url2)
    assert len(a) == len(b) == N + UCDP_ROWS + 2
    diff = [k for k in a if a[k] != b.get(k)]
    assert not diff, (len(diff), [(list(a[k]), list(b[k])) for k in diff[:1]])
    assert _export(url2, "acled", tmp_path) == first
    assert verify(Truce(url2)).ok


def test_api_streams_every_format_with_filters(loaded, astana_url):
    from truce.web.app import create_app

    client = TestClient(create_app(astana_url))
    total = _total(loaded, IncidentFilter(zone="Z1"))
    r = client.get("/api/v1/exports/incidents.csv", params={"zone": "Z1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    # The public sees the published: here every ACLED incident (public reports), not the office's own.
    assert rows[0] == exports.HEADER and 0 < len(rows) - 1 <= total
    assert all(row[rows[0].index("source")] == "acled" for row in rows[1:])
    r = client.get("/api/v1/exports/incidents.hxl", params={"type": "shelling"})
    assert r.status_code == 200 and r.text.splitlines()[1].startswith("#event+id,#date+occurred")
    r = client.get("/api/v1/exports/incidents.geojson", params={"since": "2019-01-01"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and all(f["properties"]["occurred_at"] >= "2019" for f in fc["features"])
    r = client.get("/api/v1/exports/incidents.acled.csv", params={"adm": "SY07"})
    assert r.status_code == 200 and r.text.startswith(",".join(acled.ACLED_COLUMNS))
    r = client.get("/api/v1/exports/incidents.csv", params={"adm": "XYZ"})
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"
