"""Small helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from truce.app import Truce
from truce.ledger.models import ledger_entries

# The real data written by others lies beside the repository (../shared/data), as in CI;
# TRUCE_SHARED_DATA may point elsewhere.
SHARED_DATA = Path(os.environ.get("TRUCE_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
UCDP_AEC = SHARED_DATA / "events" / "ucdp_aec_syria_train.csv"
OCHA_ADM3 = SHARED_DATA / "boundaries" / "syr_adm3_ocha.geojson"

IDLIB_CITY = (35.9306, 36.6339)
DUMA = (33.5722, 36.4025)
CENTRAL_DAMASCUS = (33.5138, 36.2765)


def fold_wal(path: Any) -> None:
    """Fold a SQLite file's write-ahead log back into it, so that copying the file copies everything."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()


def ledger_count(app: Truce) -> int:
    with app.read() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def table_count(app: Truce, table: Any) -> int:
    with app.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def report(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "occurred_at": "2017-09-21T06:30:00Z",
        "lat": IDLIB_CITY[0],
        "lon": IDLIB_CITY[1],
        "violation_type": "shelling",
        "alleged_party": "SYR",
    }
    base.update(kw)
    return base


def generate_acled(path: Path, n: int, seed: int) -> Path:
    """A seeded ACLED-format file of ``n`` rows at ``path``, written by benchmarks/gen_acled.py (the generator
    the import benchmark uses; benchmarks/ is not a package, so it is loaded from its file)."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "gen_acled.py"
    spec = importlib.util.spec_from_file_location("gen_acled", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return Path(mod.generate(path, n, seed=seed))
