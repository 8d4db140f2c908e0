"""An import killed halfway (SIGKILL of `truce import acled` after some batches were committed) finishes on
re-run: every event stored once, none missing, and the ledger verifies (both engines)."""

from __future__ import annotations

import os
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

N = 3000


def _counts(url: str) -> tuple[int, int, int]:
    with Truce(url).read() as conn:
        total = conn.execute(select(func.count()).select_from(reports).where(reports.c.external_source == "acled"))
        distinct = conn.execute(select(func.count(func.distinct(reports.c.external_id))).where(
            reports.c.external_source == "acled"))
        batches = conn.execute(select(func.count()).select_from(ledger_entries).where(
            ledger_entries.c.command.like("%import%")))
        return int(total.scalar_one()), int(distinct.scalar_one()), int(batches.scalar_one())


def test_import_killed_halfway_finishes_on_rerun(astana_url: str, tmp_path: Path) -> None:
    src = generate_acled(tmp_path / "acled.csv", N, seed=21)
    exe = str(Path(sys.executable).parent / "truce")
    argv = [exe, "import", "acled", str(src), "--batch", "200", "--db", astana_url]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ),
                            start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _counts(astana_url)[0] >= 600:  # a few batches are in: kill it in the middle of the next ones
                break
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    killed_at = _counts(astana_url)
    assert 0 < killed_at[0] < N, f"the import was not stopped halfway ({killed_at[0]} of {N} rows)"
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    total, distinct, _ = _counts(astana_url)
    assert total == distinct, "no row twice"
    assert distinct == N, "none missing"
    assert verify(Truce(astana_url)).ok
