"""Intake extraction on the FA-KES articles: time per article on one core, and the cross-validated figures.

Time: `truce.intake.extract.extract` on every article (after one warm-up pass that builds the gazetteer's
name index), and the FA-KES prediction with the shipped model on top (`fakes.iter_predictions`), against a
baseline measured in the same run: splitting the same articles into words with one regular expression (the
least any reader of the text does). Prints ms per article and the ratio. Target: at most 50 ms per article.

Figures: k-fold cross-validation (default 5): on k-1 folds the rules' parameters are tuned and the model
trained again, both applied to the held-out fold; per-field accuracy per fold, the mean of the folds and
the held-out predictions of all folds together, next to the majority-class baseline. Never a score on rows
the parameters were tuned or the model trained on.

Usage: python benchmarks/bench_intake.py FA_KES.csv [--folds 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from truce.intake import fakes
from truce.intake.extract import extract, place_index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rows = fakes.read_rows(args.csv)
    arts = [fakes.article_of(r) for r in rows]
    t0 = time.perf_counter()
    place_index()
    print(f"name index built once per process: {time.perf_counter() - t0:.2f} s")
    for a in arts:  # warm-up
        extract(a)
    word = re.compile(r"\w+")
    list(fakes.iter_predictions(rows))  # warm-up: loads the model
    best_x, best_m, best_b = float("inf"), float("inf"), float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        for a in arts:
            extract(a)
        best_x = min(best_x, time.perf_counter() - t)
        t = time.perf_counter()
        list(fakes.iter_predictions(rows))
        best_m = min(best_m, time.perf_counter() - t)
        t = time.perf_counter()
        for a in arts:
            word.findall(a.body)
        best_b = min(best_b, time.perf_counter() - t)
    n = len(arts)
    print(f"{n} articles, mean {sum(len(a.body) for a in arts) / n:.0f} characters")
    print(
        f"extract: {best_x / n * 1000:.2f} ms per article; word split: {best_b / n * 1000:.3f} ms "
        f"per article; ratio {best_x / best_b:.0f}x"
    )
    print(f"extract + model (FA-KES labels): {best_m / n * 1000:.2f} ms per article; ratio {best_m / best_b:.0f}x")
    prep = fakes.prepare(rows)
    base = fakes.majority(prep.golds)
    for learn in (False, True):
        held, params, per_fold = fakes.cross_validate(prep, args.folds, learn=learn)
        what = "rules tuned and model trained" if learn else "rules only, tuned"
        print(f"\n{args.folds}-fold cross-validation, {what} on {args.folds - 1} folds, scored on the held-out one")
        folds_head = " ".join(f"{'fold ' + str(i + 1):>7}" for i in range(args.folds))
        print(f"{'field':<16} {folds_head} {'mean':>7} {'pooled':>7} {'majority':>9}")
        for k in fakes.FIELDS:
            each = " ".join(f"{f[k]:>7.3f}" for f in per_fold)
            mean = sum(f[k] for f in per_fold) / len(per_fold)
            print(f"{k:<16} {each} {mean:>7.3f} {held[k]:>7.3f} {base[k]:>9.3f}")
        for i, p in enumerate(params):
            print(f"fold {i + 1} parameters: {p}")


if __name__ == "__main__":
    main()
