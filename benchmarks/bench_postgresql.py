"""Truce on PostgreSQL at scale, for information (the targets are set on SQLite, Truce's default): an ACLED
file of N generated rows (default 200,000; benchmarks/gen_acled.py, seed 7) imported into a throwaway
PostgreSQL server (the tests' own helper, `tests/conftest.py`'s LocalPgServer: PostgreSQL's server binaries
are needed) and, in the same run, into SQLite; then, on PostgreSQL, each hot read in the form Truce runs
against the form it had before it was mended, measured in the same run on the same database:

- the public's first page of the incident list (median of 21): the visibility EXISTS fenced with
  ``OFFSET 0`` against the same statement without the fence (PostgreSQL then hashes every public report);
- one page of 20,000 incidents of the CSV export: the page's incidents chosen first, sessions without
  JIT, against the generic statement (every remaining incident joined, then the page cut) with PostgreSQL's
  default JIT;
- the whole CSV export, as Truce runs it.

    .venv/bin/python benchmarks/bench_postgresql.py [N]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from gen_acled import generate, machine  # noqa: E402


def _median_ms(run: Any, times: int = 21) -> float:
    run()
    out = []
    for _ in range(times):
        t = time.perf_counter()
        run()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    from tests.conftest import LocalPgServer  # the tests' throwaway server

    with tempfile.TemporaryDirectory(prefix="truce-bench-pg-") as tmp:
        d = Path(tmp)
        os.environ["TRUCE_BLOB_DIR"] = str(d / "blobs")
        src = generate(d / "acled.csv", n, seed=7)
        from truce import scenario
        from truce.app import Truce
        from truce.db import Prepared
        from truce.exports.service import PAGE, _page_stmt, _Sources, export_incidents
        from truce.incidents.service import IncidentFilter, IncidentList
        from truce.ingest.bulk import import_file
        from truce.ledger.chain import SYSTEM

        server = LocalPgServer()
        server.start()
        try:
            pg = Truce(server.create_db("truce_bench_pg"))
            scenario.load(pg, SYSTEM)
            t = time.perf_counter()
            s = import_file(pg, SYSTEM, src, "acled", source_kind="ngo")
            pg_import = time.perf_counter() - t
            lite = Truce(f"sqlite:///{d / 'truce.db'}")
            scenario.load(lite, SYSTEM)
            t = time.perf_counter()
            import_file(lite, SYSTEM, src, "acled", source_kind="ngo")
            lite_import = time.perf_counter() - t
            print(f"machine: {machine()}")
            print(f"import of {n:,} ACLED rows: PostgreSQL {pg_import:.1f} s ({s.imported:,} imported), SQLite "
                  f"{lite_import:.1f} s, ratio {pg_import / lite_import:.2f}")

            with pg.read() as conn:
                dbapi = conn.connection.dbapi_connection
                q = IncidentList(pg.engine, None, 50, 0, viewer=None)
                fenced = q.page_sql.sql
                unfenced = fenced.replace(" OFFSET 0", "")
                assert unfenced != fenced, "the page's EXISTS is not fenced"
                params = {**q.page_sql.defaults, **q.page_values}

                def page(sql: str) -> Any:
                    return lambda: dbapi.execute(sql, params).fetchall()

                a, b = _median_ms(page(fenced)), _median_ms(page(unfenced))
                print(f"the public's first list page (50 rows): {a:.1f} ms; without the fence {b:.1f} ms "
                      f"(x{b / a:.0f})")

                sources = _Sources("postgresql", SYSTEM, ";")
                cols = sources.csv("postgresql")

                def export_page(dialect: str) -> float:
                    stmt = Prepared(_page_stmt(cols, sources.source, IncidentFilter(), SYSTEM, PAGE, dialect),
                                    conn.dialect)
                    state = stmt.compiled.construct_expanded_state({**stmt.defaults, "after": 0})
                    t = time.perf_counter()
                    rows = dbapi.execute(state.statement, state.parameters).fetchall()
                    assert len(rows) == min(PAGE, n)
                    return time.perf_counter() - t

                ours = min(export_page("postgresql") for _ in range(3))
                dbapi.execute("SET jit = default")
                generic = min(export_page("sqlite") for _ in range(3))
                dbapi.execute("SET jit = off")
                print(f"one export page of {PAGE:,} incidents (the first): {ours:.2f} s; the generic statement with "
                      f"JIT {generic:.2f} s (x{generic / ours:.1f}; each later page of the generic statement joins "
                      "every incident after it, so the whole export grows with the square of their number)")
            t = time.perf_counter()
            size = sum(len(b) for b in export_incidents(pg, "csv"))
            print(f"CSV export of {n:,} incidents on PostgreSQL: {time.perf_counter() - t:.1f} s ({size / 1e6:.0f} MB)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
