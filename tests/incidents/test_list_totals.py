"""The incident list's total (truce.incidents.service.TotalCache): counted once per ledger head and filter,
and, when many requests want a total not yet known at the same time (right after a write), counted once
for all of them, not once each."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from tests.helpers import generate_acled

from truce.app import Truce
from truce.incidents.models import incidents
from truce.incidents.service import TotalCache, list_incidents
from truce.ingest.bulk import import_file
from truce.ledger.chain import SYSTEM


def _at_once(n: int, work) -> list:
    start = threading.Barrier(n)

    def one(i: int):
        start.wait()
        return work(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_a_total_wanted_by_many_at_once_is_counted_once():
    cache, calls = TotalCache(), []

    def slow_count() -> int:
        calls.append(1)
        time.sleep(0.3)
        return 42

    got = _at_once(16, lambda i: cache.count_once(("db", "public", ()), (7, "h7"), slow_count))
    assert got == [42] * 16 and len(calls) == 1
    assert cache.get(("db", "public", ()), (7, "h7")) == 42
    # Under another head (after a write) it is counted again; other filters are counted separately.
    assert cache.count_once(("db", "public", ()), (8, "h8"), lambda: 43) == 43
    got = _at_once(4, lambda i: cache.count_once(("db", "public", (("zone", f"Z{i % 2}"),)), (8, "h8"),
                                                  lambda: i % 2))
    assert sorted(got) == [0, 0, 1, 1]


def test_when_the_counting_request_fails_the_others_count_for_themselves():
    cache, calls = TotalCache(), []
    lock = threading.Lock()

    def count() -> int:
        with lock:
            calls.append(1)
            first = len(calls) == 1
        time.sleep(0.2)
        if first:
            raise RuntimeError("connection lost")
        return 5

    def one(_i: int):
        try:
            return cache.count_once(("k",), (1, "h"), count)
        except RuntimeError as e:
            return str(e)

    got = _at_once(6, one)
    assert sorted(got, key=str) == [5, 5, 5, 5, 5, "connection lost"]
    assert 2 <= len(calls) <= 6  # the waiters were not left without an answer


def test_a_waiter_does_not_wait_forever_for_a_stuck_count():
    cache = TotalCache(wait=0.2)
    release = threading.Event()

    def stuck() -> int:
        release.wait(5)
        return 1

    t = threading.Thread(target=cache.count_once, args=(("k",), (1, "h"), stuck))
    t.start()
    time.sleep(0.05)
    assert cache.count_once(("k",), (1, "h"), lambda: 2) == 2  # counted itself after its 0.2 s wait
    assert t.is_alive()  # ... while the stuck count still hangs: the waiter did not wait for it
    release.set()
    t.join()


def test_list_requests_right_after_a_write_count_the_total_once(astana_url, tmp_path):
    """Sixteen list requests at once with no total known (as right after a write), each in its own read
    transaction: all get the true total, and the database counted it once."""
    app = Truce(astana_url)
    import_file(app, SYSTEM, generate_acled(tmp_path / "acled.csv", 300, seed=3), "acled")
    with app.read() as conn:
        true_total = conn.execute(select(func.count()).select_from(incidents)).scalar_one()
    assert true_total > 0
    counted = []

    class Spy(TotalCache):
        def count_once(self, key, head, count):
            def slow() -> int:
                counted.append(head)
                time.sleep(0.3)  # long enough for every request to want it meanwhile
                return count()

            return super().count_once(key, head, slow)

    spy = Spy()

    def request(_i: int) -> int:
        with app.read() as conn:
            rows, total = list_incidents(conn, limit=5, totals=spy)
            assert len(rows) == min(5, true_total)
            return total

    assert _at_once(16, request) == [true_total] * 16
    assert len(counted) == 1
