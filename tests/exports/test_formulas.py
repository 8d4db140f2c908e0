"""CSV injection: a text cell that a spreadsheet would run as a formula (beginning with =, +, -, @, tab or
carriage return) is written with a single quote before it in the CSV, HXL and ACLED exports (OWASP), on both
engines, in the fast path and the plain path alike; numbers (negative ones too) are left alone; GeoJSON
keeps the text as it is."""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.helpers import report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.exports import service as exports
from truce.reports.service import submit

HOSTILE = {
    "narrative": '=HYPERLINK("http://x","click")',
    "target": "+cmd|' /C calc'!A0",
    "alleged_party": "@SUM(1+1)*cmd",
    "place_name": "-2+3+cmd",
}


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("fmt", ["csv", "hxl", "acled"])
def test_formula_cells_are_neutralised(astana_url: str, fmt: str) -> None:
    app = Truce(astana_url)
    with app.write() as conn:
        mon = get_actor(conn, "rus_monitor")
        submit(app, conn, mon, report(lat=35.9, lon=36.6, narrative=HOSTILE["narrative"], target=HOSTILE["target"],
                                      alleged_party=HOSTILE["alleged_party"]))
        # A cell that starts with a tab, and one whose row needs no quoting at all (the fast path).
        submit(app, conn, mon, report(lat=35.7, lon=36.5, occurred_at="2017-09-25T06:00:00Z",
                                      narrative="\tSUM(A1)", target="-x"))
        submit(app, conn, mon, report(lat=35.5, lon=36.4, occurred_at="2017-09-26T06:00:00Z",
                                      narrative="@x", target="quiet"))
    for page in (2, 20_000):
        with app.read() as conn:
            text = b"".join(exports.stream(conn, fmt, page=page)).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        cells = [c for r in rows[1:] for c in r]
        bad = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(c)]
        assert bad == [], (page, bad[:5])
        assert f"'{HOSTILE['target']}" in cells
        assert any(c.startswith("'=HYPERLINK") for c in cells)
        assert "'\tSUM(A1)" in cells and "'-x" in cells
        if fmt != "acled":
            assert f"'{HOSTILE['alleged_party']}" in cells
            assert "'@x" in cells


def test_geojson_keeps_the_text(astana_url: str) -> None:
    app = Truce(astana_url)
    with app.write() as conn:
        submit(app, conn, get_actor(conn, "rus_monitor"), report(narrative=HOSTILE["narrative"]))
    with app.read() as conn:
        doc = json.loads(b"".join(exports.stream(conn, "geojson")))
    assert HOSTILE["narrative"] in [f["properties"]["narrative"] for f in doc["features"]]


def test_neutralise_rule() -> None:
    assert exports.neutralise("=1+1") == "'=1+1"
    assert exports.neutralise("-35.25") == "-35.25"
    assert exports.neutralise("+7") == "+7"
    assert exports.neutralise("") == ""
    assert exports.neutralise(None) is None
    assert exports.neutralise(-3) == -3
    assert exports.neutralise("a=b") == "a=b"
