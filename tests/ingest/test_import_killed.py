"""An import killed halfway (SIGKILL of `truce import acled` after some batches were committed) finishes on
re-run: every event stored once, none missing, and the ledger verifies (both engines). The kill comes after a
random number of committed rows (seeded, printed; TRUCE_CRASH_SEED replays a run); `make test` kills it once,
`make soak` (TRUCE_SOAK_SECONDS) three times, each re-run going further before the next kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from tests.helpers import generate_acled

from truce.app import Truce
from truce.ledger.models import ledger_entries
from truce.ledger.service import verify
from truce.reports.models import reports

N = 6000  # an import runs thousands of rows a second: room enough that a kill always lands halfway
ROUNDS = 3 if os.environ.get("TRUCE_SOAK_SECONDS") else 1


def _counts(url: str) -> tuple[int, int, int]:
    with Truce(url).read() as conn:
        total = conn.execute(select(func.count()).select_from(reports).where(reports.c.external_source == "acled"))
        distinct = conn.execute(select(func.count(func.distinct(reports.c.external_id))).where(
            reports.c.external_source == "acled"))
        batches = conn.execute(select(func.count()).select_from(ledger_entries).where(
            ledger_entries.c.command.like("%import%")))
        return int(total.scalar_one()), int(distinct.scalar_one()), int(batches.scalar_one())


def _kill_after(argv: list[str], url: str, rows: int, rng: random.Random) -> None:
    """Run the import and SIGKILL it once at least `rows` rows are committed (a random moment after that)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
                            start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _counts(url)[0] >= rows:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.05))  # in the middle of the next batch, or between two
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def test_import_killed_halfway_finishes_on_rerun(astana_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("TRUCE_CRASH_SEED") or random.SystemRandom().randrange(2**31))
    rng = random.Random(seed)
    why = f"crash seed {seed}, replay with TRUCE_CRASH_SEED={seed}"
    print(f"\n{why}")
    src = generate_acled(tmp_path / "acled.csv", N, seed=21)
    exe = str(Path(sys.executable).parent / "truce")
    argv = [exe, "import", "acled", str(src), "--batch", "200", "--db", astana_url]
    for k in range(ROUNDS):
        rows = rng.randrange(200 + k * N // (3 * ROUNDS), (k + 1) * N // (3 * ROUNDS) + 200, 50)
        _kill_after(argv, astana_url, rows, rng)
        killed_at = _counts(astana_url)
        print(f"round {k + 1}: killed with {killed_at[0]} of {N} rows in (asked for {rows})")
        assert 0 < killed_at[0] < N, f"the import was not stopped halfway ({killed_at[0]} of {N} rows; {why})"
        assert killed_at[0] == killed_at[1], f"a row twice after a kill ({why})"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (why, done.stderr[-2000:])
    total, distinct, _ = _counts(astana_url)
    assert total == distinct, f"no row twice ({why})"
    assert distinct == N, f"none missing ({why})"
    assert verify(Truce(astana_url)).ok, why
