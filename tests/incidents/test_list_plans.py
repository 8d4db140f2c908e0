"""The incident list's page on PostgreSQL: who may see an incident is checked for the rows the newest-first
scan reads, not by hashing every report of the database first. A user would see the first page of the
public list take a third of a second at 200,000 incidents (and grow with the database) if the planner
hashed them."""

from __future__ import annotations

import pytest
from tests.helpers import generate_acled

from truce.app import Truce
from truce.auth.service import get_actor
from truce.incidents.service import IncidentList, list_incidents
from truce.ingest.bulk import import_file
from truce.ledger.chain import SYSTEM


@pytest.mark.parametrize("astana_url", ["postgresql"], indirect=True)
def test_the_page_checks_visibility_per_row_on_postgresql(astana_url, tmp_path):
    app = Truce(astana_url)
    import_file(app, SYSTEM, generate_acled(tmp_path / "acled.csv", 1500, seed=5), "acled", source_kind="ngo")
    with app.read() as conn:
        liaison = get_actor(conn, "syr_liaison")
        conn.exec_driver_sql("ANALYZE")
        dbapi = conn.connection.dbapi_connection
        for viewer in (None, liaison):
            q = IncidentList(app.engine, None, 50, 0, viewer=viewer)
            with dbapi.cursor() as cur:
                cur.execute("EXPLAIN " + q.page_sql.sql, {**q.page_sql.defaults, **q.page_values})
                plan = "\n".join(r[0] for r in cur.fetchall())
            assert "hashed SubPlan" not in plan, plan
            rows, total = list_incidents(conn, limit=50, viewer=viewer)
            assert len(rows) == 50 and total >= 50
