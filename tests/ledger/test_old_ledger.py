"""A ledger written by an earlier Truce replays into the same tables under today's code.

The fixture (tests/fixtures/ledger_v1, see its build.py) is the ledger of `truce demo` plus an ACLED and a
UCDP import, written by Truce at commit 1913887, with a digest of every table that ledger projected. A
guarantor holding a copy of the record from last year must be able to replay it with this year's program
and get the same rows; a change of an applier, a rule or a column that alters them fails here, naming the
table."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from tests.fixtures.ledger_v1.digest import table_digests
from tests.helpers import SHARED_DATA

from truce import db
from truce.app import Truce
from truce.geo.geometry import bundled_path
from truce.incidents import rules
from truce.incidents.models import findings
from truce.ledger import chain
from truce.ledger.service import verify

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_v1"


def _entries() -> list[SimpleNamespace]:
    with gzip.open(FIXTURE / "entries.jsonl.gz", "rt", encoding="utf-8") as f:
        return [SimpleNamespace(**json.loads(line)) for line in f]


def _put_sources(app: Truce) -> None:
    """The files the old ledger's entries name by sha256: the bundled boundaries and UCDP rows, the shared
    UCDP file and the fixture's ACLED file."""
    files = [bundled_path(f"syr_adm{i}.geojson") for i in (1, 2, 3)]
    files += [resources.files("truce.scenarios").joinpath("ucdp_aec_2017.csv")]
    files += [SHARED_DATA / "events" / "ucdp_aec_syria_train.csv", FIXTURE / "acled-300.csv"]
    for f in files:
        app.blobs.put_bytes(f.read_bytes())


def _as_judged_before_issue_12(conn: Any, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The incidents as the earlier Truce judged them: an incident outside the agreement's period that no
    guarantor has a finding on was "pending" with nothing judged; it is now "before_agreement" (or after)
    in its verdict, breach and severity (issue 12). Only those rows are put back, and each of them must be
    such an incident: every other row must replay unchanged."""
    seen = {int(r.incident_id) for r in conn.execute(select(findings.c.incident_id))}
    out, n = [], 0
    for r in rows:
        if r["verdict"] in ("before_agreement", "after_agreement") and int(r["id"]) not in seen:
            assert rules.outside_judgment(r["verdict"]) == {k: r[k] for k in rules.JUDGED_FIELDS}
            r = {**r, **rules.unjudged(None)}
            n += 1
        out.append(r)
    return out, n


def test_a_ledger_written_by_an_earlier_truce_replays_to_the_same_tables(db_url):
    app = Truce(db_url)
    _put_sources(app)
    entries = _entries()
    for start in range(0, len(entries), 100):
        with app.write() as conn:
            for row in entries[start : start + 100]:
                chain.replay_entry(conn, row, app.blobs)

    expected = json.loads((FIXTURE / "tables.json").read_text())
    tables = {t.name: t for t in db.metadata.sorted_tables}
    got = {}
    unjudged = 0
    with app.read() as conn:
        for name, spec in expected.items():
            assert name in tables, f"table {name} of the old ledger's projection no longer exists"
            t = tables[name]
            rows = [dict(r) for r in conn.execute(select(*[t.c[c] for c in spec["columns"]])).mappings()]
            assert len(rows) == spec["rows"], f"table {name}: {len(rows)} rows replayed, {spec['rows']} before"
            if name == "incidents":
                rows, unjudged = _as_judged_before_issue_12(conn, rows)
            got[name] = (rows, spec["columns"], spec["primary_key"])
    assert unjudged, "the old ledger holds incidents outside the agreement's period that nobody judged"
    digests = table_digests(got)
    changed = [n for n, spec in expected.items() if digests[n] != spec["sha256"]]
    assert not changed, f"the old ledger replays into different rows in: {', '.join(changed)}"

    res = verify(app)
    assert res.ok, res.problems
    assert res.entries == len(entries)
