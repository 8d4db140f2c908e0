"""Gazetteer build benchmark: building Truce's gazetteer from the bundled entries (what a CLI import or a
worker start pays once per process), against a baseline measured in the same run: reading the same bundled
files into their entries (the part no index can avoid). Moved here from the test suite, where a wall-time
assertion (`took < 4.0`) failed under load. Target: the build adds at most 3x the time of reading.

    .venv/bin/python benchmarks/bench_gazetteer.py [RUNS]
"""

from __future__ import annotations

import statistics
import sys
import time


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    from truce.geo.gazetteer import Gazetteer, _bundled_entries

    _bundled_entries()  # warm the file caches and imports
    reads, builds = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        entries = _bundled_entries()
        t1 = time.perf_counter()
        g = Gazetteer(entries)
        t2 = time.perf_counter()
        reads.append(t1 - t0)
        builds.append(t2 - t1)
    read, build = statistics.median(reads), statistics.median(builds)
    print(f"entries: {len(g)}; median of {runs} runs")
    print(f"read the bundled entries (baseline): {read:.3f} s")
    print(f"build the gazetteer's indexes:       {build:.3f} s  ({build / read:.2f}x the baseline)")
    print(f"total, once per process:             {read + build:.3f} s")


if __name__ == "__main__":
    main()
