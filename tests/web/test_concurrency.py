"""Concurrent writers against a real server (`truce serve` in a subprocess) on SQLite and PostgreSQL:
no server error, every report stored once, the ledger verifies; the same UUID sent by four clients at the
same instant is created once; a server killed (SIGKILL) under four writers loses no acknowledged report."""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.serving import (
    MONITORS,
    Server,
    Tally,
    report_body,
    stored_report_entries,
    submit_until_answered,
    verify_ledger,
)


def _writers(base: str, tokens: dict[str, str], n_clients: int, per_client: int, deadline: float,
             start: int = 0) -> Tally:
    total = Tally()
    lock = threading.Lock()

    def client(k: int) -> None:
        mine = Tally()
        token = tokens[MONITORS[k % len(MONITORS)]]
        with httpx.Client(timeout=60) as c:
            for j in range(per_client):
                submit_until_answered(c, base, token, report_body(start + k * per_client + j), mine, deadline)
        with lock:
            total.merge(mine)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total


def test_concurrent_writers_each_report_once(world_any: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, data = world_any
    with Server(url, tmp_path / "serve.log") as srv:
        t = _writers(srv.base, data["tokens"], n_clients=8, per_client=12, deadline=time.monotonic() + 240)
    assert t.server_errors == 0, t.errors[:5]
    assert t.errors == []
    assert len(t.created) == 96 and t.acked == t.created
    stored = stored_report_entries(url)
    assert all(stored.get(rid) == 1 for rid in t.created)
    assert verify_ledger(url) == []


def test_same_uuid_race_one_created_rest_duplicates(world_any: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, data = world_any
    rounds = 6
    with Server(url, tmp_path / "serve.log") as srv:
        for r in range(rounds):
            body = report_body(1000 + r, str(uuid.uuid4()))
            barrier = threading.Barrier(4)
            statuses: list[int] = []
            lock = threading.Lock()

            def send(k: int, body: dict[str, Any] = body, barrier: threading.Barrier = barrier,
                     statuses: list[int] = statuses, lock: threading.Lock = lock) -> None:
                # Every client of one organisation: the same UUID with the same content.
                with httpx.Client(timeout=60) as c:
                    c.get(srv.base + "/api/v1/health")  # connect before the barrier
                    barrier.wait()
                    resp = c.post(srv.base + "/api/v1/reports", json=body,
                                  headers={"Authorization": f"Bearer {data['tokens']['rus_monitor']}"})
                with lock:
                    statuses.append(resp.status_code)

            threads = [threading.Thread(target=send, args=(k,)) for k in range(4)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert sorted(statuses) == [200, 200, 200, 201], (r, statuses)
            assert stored_report_entries(url)[body["id"]] == 1
    assert verify_ledger(url) == []


# The crash test kills the server at random moments: a seed drawn per run (or TRUCE_CRASH_SEED to replay one)
# is printed and named in every assertion. `make test` kills it 3 times, `make soak` (TRUCE_SOAK_SECONDS) 20.
KILLS = 20 if os.environ.get("TRUCE_SOAK_SECONDS") else 3


def crash_seed() -> int:
    seed = int(os.environ.get("TRUCE_CRASH_SEED") or random.SystemRandom().randrange(2**31))
    print(f"\ncrash seed {seed} (replay: TRUCE_CRASH_SEED={seed})")
    return seed


def test_server_killed_under_writers(world_any: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    """Four writers; the server is killed (SIGKILL) at random moments (seeded, printed) and started again. The
    clients resend a report (same UUID) until it is answered: every acknowledged report is stored exactly
    once, no answer is a server error, and the ledger verifies."""
    url, data = world_any
    seed = crash_seed()
    rng = random.Random(seed)
    per_client = 150 * max(1, KILLS // 3)  # enough that the writers outlast every kill (about 4 s each)
    srv = Server(url, tmp_path / "serve.log")
    srv.start()
    result: dict[str, Tally] = {}
    deadline = time.monotonic() + 300 + 30 * KILLS
    kills: list[float] = []

    def run() -> None:
        result["t"] = _writers(srv.base, data["tokens"], n_clients=4, per_client=per_client, deadline=deadline)

    th = threading.Thread(target=run)
    th.start()
    try:
        for _ in range(KILLS):
            if not th.is_alive():
                break
            pause = rng.uniform(0.05, 2.0)  # from the middle of a request to a quiet moment
            time.sleep(pause)
            kills.append(round(pause, 2))
            srv.kill()
            time.sleep(rng.uniform(0.0, 0.5))
            srv.start()
        th.join()
    finally:
        srv.stop()
    t = result["t"]
    why = f"crash seed {seed}, kills after {kills} s"
    assert len(kills) >= min(KILLS, 3), f"the writers ended before the server was killed: {why}"
    assert t.server_errors == 0, (why, t.errors[:5])
    assert len(t.acked) == 4 * per_client, f"every report was answered in the end ({why})"
    stored = stored_report_entries(url)
    assert all(stored.get(rid) == 1 for rid in t.acked), f"an acknowledged report stored twice or lost ({why})"
    assert sum(1 for rid in stored if rid in t.acked) == 4 * per_client, why
    assert verify_ledger(url) == [], why


@pytest.fixture(autouse=True)
def _quiet_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
