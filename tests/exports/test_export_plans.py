"""Exports on PostgreSQL: a page of incidents is chosen before its reports, zones and names are joined, and
Truce's sessions run without PostgreSQL's JIT compiler. A user would see an export over 200,000
incidents take 13 s instead of 3.7 s, growing with the square of the database, if each page joined
every remaining incident first, or spent most of its time compiling."""

from __future__ import annotations

import json

import pytest
from tests.helpers import generate_acled

from truce.app import Truce
from truce.db import Prepared
from truce.exports.service import PAGE, _page_stmt, _Sources
from truce.incidents.service import IncidentFilter
from truce.ingest.bulk import import_file
from truce.ledger.chain import SYSTEM


def _nodes(plan: dict) -> list[dict]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


@pytest.mark.parametrize("astana_url", ["postgresql"], indirect=True)
def test_an_export_page_joins_only_its_own_incidents_on_postgresql(astana_url, tmp_path):
    app = Truce(astana_url)
    import_file(app, SYSTEM, generate_acled(tmp_path / "acled.csv", 1200, seed=9), "acled", source_kind="ngo")
    with app.read() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        conn.exec_driver_sql("ANALYZE")
        for viewer in (SYSTEM, None):
            src = _Sources("postgresql", viewer, ";")
            for columns, source in ((src.csv("postgresql"), src.source), (src.plain(), src.with_areas)):
                q = Prepared(_page_stmt(columns, source, IncidentFilter(), viewer, 100, "postgresql"), conn.dialect)
                st = q.compiled.construct_expanded_state({**q.defaults, "after": 0})
                with conn.connection.dbapi_connection.cursor() as cur:
                    cur.execute("EXPLAIN (FORMAT JSON) " + st.statement, st.parameters)
                    plan = json.loads(json.dumps(cur.fetchone()[0]))[0]["Plan"]
                # The page (a Limit of at most 100 incidents) is cut below the joins, not above them.
                assert plan["Node Type"] != "Limit", plan["Node Type"]
                pages = [n for n in _nodes(plan) if n["Node Type"] == "Limit" and n["Plan Rows"] == 100]
                assert len(pages) == 1 and pages[0].get("Parent Relationship") != "SubPlan"
    assert PAGE > 100
