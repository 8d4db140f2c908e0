"""Export benchmark: `truce export incidents --format csv` of 1,000,000 incidents (imported from a generated
ACLED file, seed 7) against DuckDB's `COPY (SELECT …) TO` of the same rows and columns, DuckDB reading the
same SQLite file through its sqlite extension (the `duckdb-ext-sqlite` wheel, loaded from disk), in the
same run. Target: Truce within 3x of DuckDB.

    .venv/bin/python benchmarks/bench_export.py [N] [--db PATH]

With ``--db PATH`` the imported database is kept at PATH and reused by later runs (built there when the file
does not exist yet), so the export alone can be measured again without the minutes of import.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_acled import generate, machine  # noqa: E402

# The columns of Truce's CSV export, in SQL: incidents, their primary report (the newest origin or
# correction), the number of reports, zones, admin-area and party names.
DUCK_SQL = """
COPY (
  WITH prim AS (
    SELECT ir.incident_id, r.killed, r.injured, r.target, r.narrative, r.external_source, r.external_id,
           row_number() OVER (PARTITION BY ir.incident_id ORDER BY r.ledger_seq DESC, r.id DESC) AS rn
    FROM s.incident_reports ir JOIN s.reports r ON r.id = ir.report_id
    WHERE ir.how IN ('origin', 'correction')),
  cnt AS (SELECT incident_id, count(*) AS n FROM s.incident_reports GROUP BY incident_id),
  z AS (SELECT incident_id, string_agg(zone_id, ';' ORDER BY zone_id) AS zones FROM s.incident_zones
        GROUP BY incident_id)
  SELECT i.id, i.occurred_at, i.occurred_precision, i.violation_type, i.alleged_party_id,
         coalesce(p.name, i.alleged_party_text) AS alleged_party, prim.target, prim.killed, prim.injured, i.lat,
         i.lon, i.location_precision, i.place_name, i.adm1_pcode, a1.name_en AS adm1_name, i.adm2_pcode,
         a2.name_en AS adm2_name, i.adm3_pcode, a3.name_en AS adm3_name, coalesce(z.zones, '') AS zones, i.status,
         i.verdict, i.attributed_party_id, i.clause_id, i.breach, i.severity, i.confidence, cnt.n AS reports,
         i.simulated, prim.external_source AS source, prim.external_id, i.title, prim.narrative
  FROM s.incidents i
  LEFT JOIN prim ON prim.incident_id = i.id AND prim.rn = 1
  LEFT JOIN cnt ON cnt.incident_id = i.id
  LEFT JOIN z ON z.incident_id = i.id
  LEFT JOIN s.parties p ON p.id = i.alleged_party_id
  LEFT JOIN s.admin_areas a1 ON a1.pcode = i.adm1_pcode
  LEFT JOIN s.admin_areas a2 ON a2.pcode = i.adm2_pcode
  LEFT JOIN s.admin_areas a3 ON a3.pcode = i.adm3_pcode
  ORDER BY i.id
) TO '{out}' (HEADER, DELIMITER ',')
"""


def sqlite_extension() -> str:
    files = importlib.metadata.files("duckdb-ext-sqlite") or []
    for f in files:
        if str(f).endswith("sqlite_scanner.duckdb_extension"):
            return str(f.locate())
    raise SystemExit("the duckdb-ext-sqlite wheel is not installed: pip install -e '.[bench]'")


def duckdb_export(db: Path, out: Path) -> float:
    import duckdb

    con = duckdb.connect()
    con.execute(f"LOAD '{sqlite_extension()}'")
    con.execute(f"ATTACH '{db}' AS s (TYPE sqlite, READ_ONLY)")
    t = time.perf_counter()
    con.execute(DUCK_SQL.format(out=out))
    dt = time.perf_counter() - t
    con.close()
    return dt


def _lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=int(os.environ.get("TRUCE_BENCH_ROWS", "1000000")))
    ap.add_argument("--db", type=Path, help="keep the imported SQLite database here and reuse it if it exists")
    args = ap.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory(prefix="truce-bench-export-") as tmp:
        d = Path(tmp)
        from truce import scenario
        from truce.app import Truce
        from truce.exports.service import export_incidents
        from truce.ingest.bulk import import_file
        from truce.ledger.chain import SYSTEM

        db = args.db.resolve() if args.db else d / "truce.db"
        os.environ["TRUCE_BLOB_DIR"] = str((db.parent / f"{db.name}.blobs") if args.db else d / "blobs")
        if args.db and db.exists():
            app = Truce(f"sqlite:///{db}")
            with app.read() as conn:
                have = conn.exec_driver_sql("SELECT count(*) FROM incidents").scalar_one()
            print(f"set-up: reusing {db} ({have:,} incidents)")
            n = int(have)
        else:
            src = generate(d / "acled.csv", n, seed=7)
            # Built under another name and renamed once complete: an interrupted build is never reused.
            build = db.with_name(db.name + ".building") if args.db else db
            build.unlink(missing_ok=True)
            app = Truce(f"sqlite:///{build}")
            scenario.load(app, SYSTEM)
            t = time.perf_counter()
            s = import_file(app, SYSTEM, src, "acled", source_kind="ngo")
            print(f"set-up: {s.imported:,} incidents imported in {time.perf_counter() - t:.0f} s")
            app.engine.dispose()
            if build != db:
                build.rename(db)
                app = Truce(f"sqlite:///{db}")
                print(f"set-up: database kept at {db}")
        app.engine.dispose()
        duck = [duckdb_export(db, d / "duck1.csv")]
        t = time.perf_counter()
        with open(d / "truce.csv", "wb") as f:
            for chunk in export_incidents(app, "csv"):
                f.write(chunk)
        truce_s = time.perf_counter() - t
        duck.append(duckdb_export(db, d / "duck2.csv"))
        lines = _lines(d / "truce.csv")
        duck_lines = _lines(d / "duck2.csv")
        duck_s = min(duck)
        print(f"machine: {machine()}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"DuckDB COPY (SELECT ...) TO csv via its sqlite extension: {duck_s:.2f} s "
            f"(best of {len(duck)}: {', '.join(f'{x:.2f}' for x in duck)}; {duck_lines:,} lines)"
        )
        print(f"Truce export incidents --format csv: {truce_s:.2f} s ({n / truce_s:,.0f} incidents/s; {lines:,} lines)")
        print(f"ratio Truce / DuckDB: {truce_s / duck_s:.1f}x (target: <= 3x)")


if __name__ == "__main__":
    main()
