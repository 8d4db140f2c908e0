"""How fast a read command answers: `truce party list` on the demo database.

usage: .venv/bin/python benchmarks/bench_cli.py [--db sqlite:///demo.db] [--runs 9]

Without --db a demo database is built in a scratch directory (`truce demo --no-serve`, not timed).
Each command runs as a fresh process, as a user types it, and the median of the runs is printed
against a baseline run in the same session: a bare Python process that opens the same SQLite file
with the standard library and prints the same table's rows (the floor of any Python CLI on this
machine: interpreter start, `sqlite3`, one query). Target: `truce party list` and `truce incident show 1`
< 0.5 s (issue 11).

The commands run with Python's bytecode cache, as after `pip install` (which compiles it): the variable
PYTHONDONTWRITEBYTECODE is removed from their environment, so the warm-up run writes the cache of any module
changed since; with it set, every edited module would be compiled from source on every run (~0.1 s here).

Wall and CPU times swing by ±30 % from one minute to the next on a shared virtual machine, even idle. With
`--instructions` each command also runs once under valgrind's callgrind and the number of instructions it
executes is printed: the same on every run, so a change's effect shows even when the clock is noisy
(needs `valgrind`; each run then takes about 20 s).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TRUCE = [sys.executable, str(BIN / "truce")]  # the console script, run by this venv's interpreter
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_of(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (the CPU time is what a busy machine does not inflate)."""
    run(argv)  # warm the file cache and the bytecode cache
    times = [run(argv) for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def instructions(argv: list[str]) -> int:
    """Instructions executed by one run of a command, counted by valgrind (callgrind), in user space."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], check=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV).stderr
    found = re.search(r"Collected : (\d+)", out)
    if not found:
        raise SystemExit(f"valgrind printed no instruction count for {argv}:\n{out[-2000:]}")
    return int(found.group(1))


# the read commands issue 11 names; its "done when" sets the target for `truce party list`, and the same
# target is kept for `truce incident show`
TARGETED = ("truce party list", "truce incident show 1")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="SQLite URL of a demo database (default: build one)")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--instructions", action="store_true", help="also count instructions with valgrind")
    args = ap.parse_args()
    if args.instructions and not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (apt install valgrind)")
    with tempfile.TemporaryDirectory(prefix="truce-bench-cli-") as tmp:
        url = args.db
        if not url:
            url = f"sqlite:///{tmp}/demo.db"
            print(f"building the demo database in {tmp} (not timed) ...", flush=True)
            subprocess.run([str(BIN / "truce"), "demo", "--no-serve", "--db", url], check=True,
                           stdout=subprocess.DEVNULL, cwd=tmp)
        path = url.split("///", 1)[1]
        baseline = [sys.executable, "-c",
                    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                    "[print(*r) for r in c.execute('SELECT id, kind, name FROM parties ORDER BY id')]", path]
        commands = {
            "truce party list": [*TRUCE, "party", "list", "--db", url],
            "truce party list --json": [*TRUCE, "party", "list", "--json", "--db", url],
            "truce incident show 1": [*TRUCE, "incident", "show", "1", "--db", url],
            "truce --help": [*TRUCE, "--help"],
        }
        base, base_cpu = median_of(baseline, args.runs)
        print(f"medians of {args.runs} runs; wall time (CPU time)")
        print(f"{'baseline: python + sqlite3':<28} {base * 1000:6.0f} ms ({base_cpu * 1000:4.0f} ms)")
        for name, argv in commands.items():
            t, cpu = median_of(argv, args.runs)
            verdict = "" if name not in TARGETED else "  target < 500 ms: " + ("met" if t < 0.5 else "MISSED")
            print(f"{name:<28} {t * 1000:6.0f} ms ({cpu * 1000:4.0f} ms) = {t / base:4.1f}x baseline{verdict}")
        if args.instructions:
            print("instructions executed (valgrind callgrind, one run each)")
            floor = instructions(baseline)
            print(f"{'baseline: python + sqlite3':<28} {floor / 1e9:6.3f} G")
            for name, argv in commands.items():
                n = instructions(argv)
                print(f"{name:<28} {n / 1e9:6.3f} G = {n / floor:4.1f}x baseline")


if __name__ == "__main__":
    main()
