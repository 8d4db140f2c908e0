"""Train the FA-KES adapter model of `truce intake` and write it into the package (truce/data/intake/).

The rules' parameters are tuned by coordinate ascent on all the rows given, then one logistic regression
per field (governorate, actor, cause, "no non-civilian deaths") is trained on the same rows on top of them
(`truce.intake.fakes.train_model`). No randomness: the same CSV gives the same two files, byte for byte.
The figures to report are those of cross-validation (`benchmarks/bench_intake.py`), never a score on the
rows trained on.

Usage: .venv/bin/python scripts/train_intake.py ../shared/data/news/fa_kes_syria_news.csv [--check]
  --check: train into a temporary directory and compare with the shipped files (exit 1 when they differ).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from truce.intake import fakes

SHIPPED = Path(__file__).resolve().parent.parent / "src" / "truce" / fakes.MODEL_DIR


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", type=Path, help="the FA-KES CSV (fa_kes_syria_news.csv of the shared data)")
    ap.add_argument("--check", action="store_true", help="compare with the shipped files instead of writing")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = fakes.read_rows(args.csv)
    prep = fakes.prepare(rows)
    idx = list(range(len(rows)))
    params = fakes.tune(prep, idx)
    fm = fakes.train_model(prep, idx, params)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) if args.check else SHIPPED
        paths = fakes.save_model(fm, out)
        for p in paths:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            print(f"{p.name}: {p.stat().st_size:,} bytes, sha256 {digest}")
        if args.check:
            differ = [p.name for p in paths if p.read_bytes() != (SHIPPED / p.name).read_bytes()]
            if differ:
                print(f"differs from the shipped model: {', '.join(differ)}")
                return 1
            print("same as the shipped model, byte for byte")
    print(f"{len(rows)} rows, parameters {params}, {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
