"""What each exported row says, against a plain-Python statement of the rules: the primary report of
incidents with several reports (corrections, corrections the viewer may not see, named links), the number
of reports, zones in order, party and area names, per viewer; and the CSV bytes are exactly what the csv
module writes for those values, whatever the page size, with fields that need quoting anywhere."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from tests.helpers import generate_acled, report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.auth.visibility import incident_clause, may_see_report
from truce.exports import service as exports
from truce.geo.models import admin_areas
from truce.incidents.models import incident_reports, incident_zones, incidents
from truce.ingest.acled import ACLED_COLUMNS
from truce.ingest.bulk import import_file
from truce.ledger.chain import SYSTEM
from truce.parties.models import parties
from truce.reports.models import reports
from truce.reports.service import submit

VIEWERS = ["system", "public", "analyst", "syr_liaison", "rus_monitor"]


def _acled_rows(tmp_path: Path, n: int) -> list[dict[str, str]]:
    path = generate_acled(tmp_path / "gen.csv", n, seed=11)
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ACLED_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.fixture
def world(astana_url, tmp_path) -> tuple[Truce, dict[str, str]]:
    """ACLED events with corrections (one corrected twice, one whose correction only guarantors may see),
    reports with every character that needs quoting in CSV, a second report named to an incident, and an
    incident in two zones listed out of order. Also gives the ACLED ids of the corrected events."""
    app = Truce(astana_url)
    rows = _acled_rows(tmp_path, 12)
    import_file(app, SYSTEM, _write(tmp_path / "a.csv", rows), "acled", source_kind="ngo")
    rows[0] = {**rows[0], "fatalities": "7", "notes": "Corrected: seven killed."}
    rows[1] = {**rows[1], "fatalities": "2"}
    import_file(app, SYSTEM, _write(tmp_path / "b.csv", rows[:2]), "acled", source_kind="ngo")
    rows[1] = {**rows[1], "fatalities": "3", "notes": 'Second correction, "three" killed'}
    import_file(app, SYSTEM, _write(tmp_path / "c.csv", rows[1:2]), "acled", source_kind="ngo")
    rows[2] = {**rows[2], "fatalities": "9"}
    import_file(app, SYSTEM, _write(tmp_path / "d.csv", rows[2:3]), "acled", source_kind="ngo",
                visibility="guarantors")
    with app.write() as conn:
        mon = get_actor(conn, "rus_monitor")
        odd = submit(app, conn, mon, report(
            place_name='Kafr Nabl, "old" town', target="market, school", alleged_party='Men in "black", armed',
            narrative='He said "run",\nthen\r\nsilence', visibility="public", casualties={"killed": 1}))
        submit(app, conn, mon, report(incident_id=odd.incident_id, narrative="a second account",
                                      visibility="public", casualties={"killed": 4}))
        submit(app, conn, mon, report(lat=35.2, lon=36.7, place_name=None, alleged_party="FAYLAQ",
                                      narrative="no place name: the title holds the coordinates"))
        submit(app, conn, mon, report(lat=35.61, lon=36.1, narrative=None, target="only, the target"))
        iid = conn.execute(select(incidents.c.id).order_by(incidents.c.id).limit(1)).scalar_one()
        have = set(conn.execute(select(incident_zones.c.zone_id).where(incident_zones.c.incident_id == iid)).scalars())
        for z in ("Z4", "Z2"):
            if z not in have:
                conn.execute(insert(incident_zones).values(incident_id=iid, zone_id=z, zone_version=1))
    return app, {"once": rows[0]["event_id_cnty"], "twice": rows[1]["event_id_cnty"],
                 "hidden": rows[2]["event_id_cnty"]}


def _viewer(conn: Any, name: str) -> Any:
    if name == "public":
        return None
    return SYSTEM if name == "system" else get_actor(conn, name)


def _expected(app: Truce, viewer_name: str) -> list[list[Any]]:
    """The CSV rows, by the rules in plain Python."""
    with app.read() as conn:
        viewer = _viewer(conn, viewer_name)
        seen = conn.execute(
            select(incidents).where(incident_clause(viewer), incidents.c.status != "merged").order_by(incidents.c.id)
        ).mappings().all()
        links: dict[int, list[Any]] = {}
        for r in conn.execute(
            select(incident_reports.c.incident_id, incident_reports.c.how, reports)
            .join(reports, reports.c.id == incident_reports.c.report_id)
        ).mappings():
            links.setdefault(r["incident_id"], []).append(r)
        zones: dict[int, list[str]] = {}
        for iid, z in conn.execute(select(incident_zones.c.incident_id, incident_zones.c.zone_id)):
            zones.setdefault(iid, []).append(z)
        adm = dict(conn.execute(select(admin_areas.c.pcode, admin_areas.c.name_en)).all())
        names = dict(conn.execute(select(parties.c.id, parties.c.name)).all())
    out = []
    for i in seen:
        mine = links.get(i["id"], [])
        versions = [r for r in mine if r["how"] in ("origin", "correction")]
        superseded = {r["supersedes"] for r in versions if r["supersedes"]}
        candidates = [r for r in versions if r["id"] not in superseded and may_see_report(viewer, dict(r))]
        p = max(candidates, key=lambda r: (r["ledger_seq"], r["id"]), default={})
        party = i["alleged_party_id"]
        out.append([
            i["id"], i["occurred_at"], i["occurred_precision"], i["violation_type"], party,
            names.get(party, party) if party else i["alleged_party_text"], p.get("target"), p.get("killed"),
            p.get("injured"), i["lat"], i["lon"], i["location_precision"], i["place_name"],
            i["adm1_pcode"], adm.get(i["adm1_pcode"]), i["adm2_pcode"], adm.get(i["adm2_pcode"]),
            i["adm3_pcode"], adm.get(i["adm3_pcode"]), ";".join(sorted(zones.get(i["id"], []))), i["status"],
            i["verdict"], i["attributed_party_id"], i["clause_id"], i["breach"], i["severity"], i["confidence"],
            len(mine), "true" if i["simulated"] else "false", p.get("external_source"), p.get("external_id"),
            i["title"], p.get("narrative"),
        ])
    return out


def _csv_bytes(rows: list[list[Any]], head: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(head + rows)
    return buf.getvalue().encode("utf-8")


def _export(app: Truce, fmt: str, viewer_name: str, page: int = exports.PAGE) -> bytes:
    with app.read() as conn:
        return b"".join(exports.stream(conn, fmt, viewer=_viewer(conn, viewer_name), page=page))


@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_csv_rows_follow_the_rules_byte_for_byte(world, viewer_name):
    app, _ = world
    rows = _expected(app, viewer_name)
    assert rows, viewer_name
    want = _csv_bytes(rows, [exports.HEADER])
    assert _export(app, "csv", viewer_name) == want
    # Pages of 3 rows (page boundaries everywhere) give the same bytes; HXL is the same plus its tag row.
    assert _export(app, "csv", viewer_name, page=3) == want
    assert _export(app, "hxl", viewer_name, page=5) == _csv_bytes(rows, [exports.HEADER, exports.HXL_TAGS])


def test_primary_report_zones_and_counts_of_multi_report_incidents(world):
    app, ext = world

    def rows(viewer_name: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(_export(app, "csv", viewer_name).decode())))

    every = rows("system")
    by_ext = {r["external_id"]: r for r in every if r["source"] == "acled"}
    # The newest version is the one shown: corrected once (7 killed), twice (3 killed, its notes).
    once = by_ext[ext["once"]]
    assert once["killed"] == "7" and once["narrative"].startswith("Corrected: seven killed.")
    assert once["reports"] == "2"
    twice = by_ext[ext["twice"]]
    assert twice["killed"] == "3" and twice["narrative"].startswith('Second correction, "three" killed')
    assert twice["reports"] == "3"
    # A correction only guarantors may see: shown to a guarantor's monitor; the public is not shown the
    # version it replaced as if it were current.
    hidden = by_ext[ext["hidden"]]
    monitor = {r["id"]: r for r in rows("rus_monitor")}
    assert monitor[hidden["id"]]["killed"] == "9"
    public = {r["id"]: r for r in rows("public")}[hidden["id"]]
    assert (public["killed"], public["narrative"], public["reports"]) == ("", "", "2")
    # A second report named to an incident does not replace the report it began with.
    odd = next(r for r in every if r["target"] == "market, school")
    assert (odd["killed"], odd["reports"], odd["alleged_party"]) == ("1", "2", 'Men in "black", armed')
    assert odd["place_name"] == 'Kafr Nabl, "old" town' and odd["narrative"] == 'He said "run",\nthen\r\nsilence'
    # Zones in order, whatever order they were stored in.
    first = min(every, key=lambda r: int(r["id"]))
    zones = first["zones"].split(";")
    assert zones == sorted(zones) and {"Z2", "Z4"} <= set(zones)


def test_geojson_and_acled_carry_the_same_primary_report(world):
    app, _ = world
    rows = {r[0]: r for r in _expected(app, "system")}
    fc = json.loads(_export(app, "geojson", "system", page=4))
    assert [f["id"] for f in fc["features"]] == list(rows)
    for f in fc["features"]:
        r = dict(zip(exports.HEADER, rows[f["id"]], strict=True))
        props = f["properties"]
        assert props["zones"] == (r["zones"].split(";") if r["zones"] else [])
        assert props["simulated"] is (r["simulated"] == "true")
        for k in ("killed", "injured", "target", "narrative", "reports", "external_id", "alleged_party", "adm3_name"):
            assert props[k] == r[k], (f["id"], k)
    ac = list(csv.reader(io.StringIO(_export(app, "acled", "system", page=4).decode())))
    assert len(ac) == len(rows) + 1
    by_fatalities = {row[0]: row[28] for row in ac[1:]}
    for iid, r in rows.items():
        key = r[30] if r[29] == "acled" and r[30] else f"TRUCE{iid}"
        assert by_fatalities[key] == str(r[7] or 0)


@pytest.mark.parametrize("x", [0.1 + 0.2, -0.0, 0.0, 1e-05, 1e16, 123456789012345678.0, 36.0, -32.8407,
                               float("inf"), 5e-324, 0.30000000000000004, 1 / 3])
def test_floats_print_as_the_csv_module_prints_them(x):
    floats = exports._Floats()
    assert floats[x] == floats[x] == str(x)
    assert floats[None] == ""
    assert floats[math.nan] == "nan"


def test_nul_characters_typed_into_a_report_survive_the_csv_export(sqlite_astana_template, tmp_path, monkeypatch):
    """SQLite keeps a NUL character in text (PostgreSQL refuses it); the CSV export writes it as it is."""
    import shutil

    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    db = tmp_path / "nul.db"
    shutil.copyfile(sqlite_astana_template, db)
    app = Truce(f"sqlite:///{db}")
    with app.write() as conn:
        mon = get_actor(conn, "rus_monitor")
        submit(app, conn, mon, report(target="before\x00after", alleged_party="Men\x00in black",
                                      place_name="Kafr\x00Nabl", narrative="text\x00more"))
        submit(app, conn, mon, report(lat=35.3, lon=36.3, narrative="a plain one"))
    rows = _expected(app, "system")
    assert any("before\x00after" in (r[6] or "") for r in rows)
    assert _export(app, "csv", "system") == _csv_bytes(rows, [exports.HEADER])
