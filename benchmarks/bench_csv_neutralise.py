"""The cost of neutralising formula cells (CSV injection, OWASP) in the CSV export's hot loop: `_csv_page`
over synthetic pages of 20,000 rows shaped as the page statement gives them, with the check of title and
narrative and without it (switched off in the same process), best of several interleaved runs. (The fields
inside the runs are checked by the page statement in SQL: `tests/exports` and `bench_export.py` cover that.)
Figures in benchmarks/README.md.

    .venv/bin/python benchmarks/bench_csv_neutralise.py [ROWS] [REPEAT]
"""

from __future__ import annotations

import random
import sys
import time

from truce.exports import service as exports


def page(n: int, seed: int = 3) -> list[tuple[object, ...]]:
    rng = random.Random(seed)
    words = ["shelling", "near", "the", "market", "reported", "by", "residents", "two", "killed", "several", "injured", "at", "dawn"]
    rows = []
    for i in range(1, n + 1):
        a = f"{i},2017-09-{1 + i % 28:02d}T06:30:00Z,exact,shelling,SYR,Syrian Arab Army,market,{i % 5},{i % 7},"
        b = ",exact,Idlib,"
        d = ",Z1,verified,confirmed,SYR,C1,yes,3,"
        e = f",1,false,acled,SYR{i},"
        title = f"Shelling in Idlib {i}"
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 40)))
        rows.append((a, 35.0 + i * 1e-5, 36.0 + i * 1e-5, b, "SY07\x1fSY0700\x1fSY070000", d, 0.8, e, title, text))
    return rows


def once(rows: list[tuple[object, ...]]) -> float:
    floats, areas = exports._Floats(), exports._Areas({})
    t0 = time.perf_counter()
    exports._csv_page(rows, floats, areas, lambda ids: {})
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    rows = page(n)
    saved = exports.FORMULA_CHARS
    off = frozenset()  # the check switched off
    best = {"with": float("inf"), "without": float("inf")}
    for k in range(repeat):  # interleaved, each first every other time: a change of the load hits both alike
        for mode in (("with", "without") if k % 2 else ("without", "with")):
            if mode == "without":
                exports.FORMULA_CHARS = off
            try:
                best[mode] = min(best[mode], once(rows))
            finally:
                exports.FORMULA_CHARS = saved
    print(f"_csv_page, {n} rows: with the formula check {best['with'] * 1e3:.1f} ms, "
          f"without {best['without'] * 1e3:.1f} ms, ratio {best['with'] / best['without']:.3f}")


if __name__ == "__main__":
    main()
