"""Assignment benchmark: P-codes (ADM1-3) and zones for 1,000,000 points inside Syria's sub-districts, by
Truce's bulk path (truce.geo.bulk.BulkLocator, as `import acled` uses it, the Astana zones loaded), against
a bare vectorised shapely STRtree query of the same points against the same 272 ADM3 polygons, in the
same run. Target: Truce's throughput at least 80% of the bare query's.

    .venv/bin/python benchmarks/bench_assign.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_acled import _adm3, _point_pools, machine  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(3)
    _props, geoms = _adm3()
    pools = _point_pools(geoms, rng, 512)
    poly = rng.integers(0, len(geoms), n)
    pick = rng.integers(0, 512, n)
    pts = np.stack(pools)[poly, pick]
    lats, lons = pts[:, 0].copy(), pts[:, 1].copy()
    days = np.datetime_as_string(np.datetime64("2017-01-01") + rng.integers(0, 1461, n)).tolist()
    precisions = ["exact"] * n
    with tempfile.TemporaryDirectory(prefix="truce-bench-assign-") as tmp:
        os.environ["TRUCE_BLOB_DIR"] = str(Path(tmp) / "blobs")
        from truce import scenario
        from truce.app import Truce
        from truce.geo.bulk import BulkLocator
        from truce.geo.service import admin_index
        from truce.ledger.chain import SYSTEM

        app = Truce(f"sqlite:///{Path(tmp) / 'truce.db'}")
        scenario.load(app, SYSTEM)
        with app.read() as conn:
            loc = BulkLocator(conn)  # builds (once per process) the prepared polygons and the zone/cell table
            idx = admin_index(conn)
        assert idx is not None
        tree = shapely.STRtree(idx.geoms)  # the same ADM3 polygons, unprepared, as a plain STRtree

        def bare() -> int:
            inp, _ = tree.query(shapely.points(lons, lats), predicate="intersects")
            return len(inp)

        def truce() -> int:
            cells = loc.cells(lons, lats)
            loc.pcodes(cells)
            return len(loc.zones(cells, lons, lats, days, precisions))

        loc.cells(lons[:1000], lats[:1000])  # warm up both
        bare_t, truce_t = [], []
        for _ in range(3):
            t = time.perf_counter()
            hits = bare()
            bare_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            zoned = truce()
            truce_t.append(time.perf_counter() - t)
        b, tr = min(bare_t), min(truce_t)
        print(f"machine: {machine()}")
        print(
            f"{n:,} points, {len(idx.geoms)} ADM3 polygons; bare STRtree query: {b:.2f} s ({n / b:,.0f} points/s, "
            f"{hits:,} hits)"
        )
        print(f"Truce P-codes + zones: {tr:.2f} s ({n / tr:,.0f} points/s, {zoned:,} zone memberships)")
        print(f"throughput Truce / bare: {b / tr:.0%} (target: >= 80%)")


if __name__ == "__main__":
    main()
