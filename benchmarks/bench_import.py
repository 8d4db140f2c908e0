"""Import benchmark: `truce import acled` of a 1,000,000-row ACLED-format file (benchmarks/gen_acled.py,
seed 7) into a fresh SQLite database holding the Astana scenario (P-codes and zones assigned, one ledger
entry per batch), against DuckDB's `read_csv` of the same file into a table of a DuckDB database file,
measured in the same run. Target: Truce within 3x of DuckDB.

Two more references from the same run say where the time goes: the csv module with plain
``sqlite3.executemany`` of the file's 31 columns into one table (the issue's own second reference), and the
"SQLite floor": plain ``executemany`` of exactly the rows Truce wrote (reports, incidents, links, zones)
into the same tables without secondary indexes, with nothing else (no parsing, placing or ledger), then
Truce's secondary indexes built once over those rows: what keeping Truce's rows and indexes costs SQLite
alone, before any work of Truce's.

    .venv/bin/python benchmarks/bench_import.py [N]      # N rows (default 1,000,000; TRUCE_BENCH_ROWS too)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_acled import generate, machine  # noqa: E402


def duckdb_load(csv_path: Path, db_path: Path) -> float:
    import duckdb

    if db_path.exists():
        db_path.unlink()
    con = duckdb.connect(str(db_path))
    t = time.perf_counter()
    con.execute("CREATE TABLE acled AS SELECT * FROM read_csv(?, header = true)", [str(csv_path)])
    con.execute("CHECKPOINT")
    dt = time.perf_counter() - t
    con.close()
    return dt


def plain_sqlite_load(csv_path: Path, db_path: Path, batch: int = 50_000) -> float:
    """The issue's second reference: the csv module and plain ``sqlite3.executemany`` of the file's 31 columns
    into one untyped table without indexes (batches of ``batch`` rows, a durable commit each, WAL)."""
    import csv
    import itertools
    import sqlite3

    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    t = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        con.execute(f"CREATE TABLE acled ({', '.join(header)})")
        sql = f"INSERT INTO acled VALUES ({', '.join('?' * len(header))})"
        while rows := list(itertools.islice(reader, batch)):
            con.execute("BEGIN IMMEDIATE")
            con.executemany(sql, rows)
            con.execute("COMMIT")
    dt = time.perf_counter() - t
    con.close()
    return dt


FLOOR_TABLES = ("reports", "incidents", "incident_reports", "incident_zones")


def sqlite_floor(truce_db: Path, floor_db: Path, batch: int = 50_000) -> tuple[float, float, int]:
    """The time plain ``sqlite3.executemany`` takes to write exactly the rows Truce's import wrote (the same
    four tables and columns, batches of ``batch`` rows, one durable commit each, WAL and synchronous=FULL as
    Truce runs) into tables without any secondary index: what SQLite alone costs for this data, with no
    parsing, no placing, no ledger and no index upkeep. Reading the rows back is not timed.

    Then Truce's secondary indexes on those tables are built once over the loaded rows (``CREATE INDEX``,
    one durable commit): the cheapest way to have them, cheaper than keeping them up to date row by row.
    Returns (seconds to write the rows, seconds to build the indexes, number of indexes)."""
    import sqlite3

    src = sqlite3.connect(f"file:{truce_db}?mode=ro", uri=True)
    dst = sqlite3.connect(floor_db, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=FULL")
    for (sql,) in src.execute(
        f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN ({', '.join('?' * len(FLOOR_TABLES))})",
        FLOOR_TABLES,
    ):
        dst.execute(sql)
    spent = 0.0
    for table in FLOOR_TABLES:
        cur = src.execute(f"SELECT * FROM {table} ORDER BY rowid")
        width = len(cur.description)
        sql = f"INSERT INTO {table} VALUES ({', '.join('?' * width)})"
        while rows := cur.fetchmany(batch):
            t = time.perf_counter()
            dst.execute("BEGIN IMMEDIATE")
            dst.executemany(sql, rows)
            dst.execute("COMMIT")
            spent += time.perf_counter() - t
    indexes = [
        sql
        for (sql,) in src.execute(
            f"SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' * len(FLOOR_TABLES))})",
            FLOOR_TABLES,
        )
    ]
    dst.execute(f"PRAGMA cache_size={-262144}")  # the page cache Truce's import uses
    t = time.perf_counter()
    dst.execute("BEGIN IMMEDIATE")
    for sql in indexes:
        dst.execute(sql)
    dst.execute("COMMIT")
    built = time.perf_counter() - t
    src.close()
    dst.close()
    return spent, built, len(indexes)


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("TRUCE_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="truce-bench-import-") as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        src = generate(d / "acled.csv", n, seed=7)
        print(f"generated {n:,} rows, {src.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - t:.1f} s")
        os.environ["TRUCE_BLOB_DIR"] = str(d / "blobs")
        from truce import scenario
        from truce.app import Truce
        from truce.ingest.bulk import import_file
        from truce.ledger.chain import SYSTEM

        duck = [duckdb_load(src, d / "duck1.duckdb")]
        app = Truce(f"sqlite:///{d / 'truce.db'}")
        scenario.load(app, SYSTEM)
        rss = [rss_mb()]
        t = time.perf_counter()
        s = import_file(app, SYSTEM, src, "acled", source_kind="ngo", progress=lambda _n: rss.append(rss_mb()))
        truce_s = time.perf_counter() - t
        duck.append(duckdb_load(src, d / "duck2.duckdb"))
        assert s.imported == n and not s.rejected, s.to_dict()
        duck_s = min(duck)
        print(f"machine: {machine()}")
        print(
            f"DuckDB read_csv into a table: {duck_s:.2f} s (best of {len(duck)}: {', '.join(f'{x:.2f}' for x in duck)})"
        )
        print(
            f"Truce import acled: {truce_s:.2f} s ({n / truce_s:,.0f} rows/s; {len(s.batches)} ledger entries; "
            f"precision {dict(s.precision)})"
        )
        print(f"resident memory during the import: {rss[0]:.0f} MB before, at most {max(rss):.0f} MB after a batch "
              f"(sampled after each of {len(rss) - 1} batches: {', '.join(f'{x:.0f}' for x in rss[1::5])}, ...)")
        plain_s = plain_sqlite_load(src, d / "plain.db")
        print(f"csv module + plain sqlite3.executemany of the 31 columns into one table: {plain_s:.2f} s "
              f"= {plain_s / duck_s:.1f}x DuckDB")
        floor_s, index_s, n_idx = sqlite_floor(d / "truce.db", d / "floor.db")
        print(f"SQLite floor (executemany of the rows Truce wrote, same tables, no secondary index, no parsing): "
              f"{floor_s:.2f} s = {floor_s / duck_s:.1f}x DuckDB")
        print(f"  then building Truce's {n_idx} secondary indexes on them once (CREATE INDEX): {index_s:.2f} s; "
              f"together {floor_s + index_s:.2f} s = {(floor_s + index_s) / duck_s:.1f}x DuckDB")
        print(f"ratio Truce / DuckDB: {truce_s / duck_s:.1f}x (target: <= 3x); Truce / SQLite floor: "
              f"{truce_s / floor_s:.1f}x")


if __name__ == "__main__":
    main()
