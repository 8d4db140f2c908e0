"""The ledger lock is taken at the start of every write transaction (Truce.write), so that ids taken as
max(id)+1 and the "is this UUID known" check are made by one writer at a time on both engines: writers in
threads, each allowed a single attempt (no retry), all succeed with distinct incident numbers."""

from __future__ import annotations

import threading
import uuid

from tests.helpers import report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.ledger.service import verify
from truce.reports.service import submit


def test_writers_without_retry_take_distinct_ids(astana_url: str) -> None:
    app = Truce(astana_url)
    n = 8
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def one(k: int) -> None:
        data = report(lat=35.0 + k * 0.05, lon=36.3, occurred_at=f"2017-11-{k + 1:02d}T10:00:00Z",
                      id=str(uuid.uuid4()))
        barrier.wait()
        try:
            res: object = app.transact(
                lambda conn: submit(app, conn, get_actor(conn, "rus_monitor"), data), attempts=1
            )
        except Exception as e:  # recorded: the assertion below names it
            res = e
        with lock:
            results.append(res)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    ids = [r.incident_id for r in results]  # type: ignore[attr-defined]
    assert len(set(ids)) == n
    assert verify(app).problems == []


def test_same_uuid_without_retry_one_created(astana_url: str) -> None:
    app = Truce(astana_url)
    data = report(id=str(uuid.uuid4()))
    n = 4
    barrier = threading.Barrier(n)
    out: list[object] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        try:
            res: object = app.transact(
                lambda conn: submit(app, conn, get_actor(conn, "rus_monitor"), dict(data)), attempts=1
            )
        except Exception as e:
            res = e
        with lock:
            out.append(res)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [type(r).__name__ for r in out] == ["SubmitResult"] * n
    assert sorted(r.duplicate for r in out) == [False, True, True, True]  # type: ignore[attr-defined]
