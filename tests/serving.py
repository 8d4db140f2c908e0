"""A real Truce server for the tests: `truce serve` in a subprocess on a free port, which a test may kill
(SIGKILL) and start again; and clients that submit reports and count what the server answered."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from truce.app import Truce
from truce.ledger.models import ledger_entries

MONITORS = ("rus_monitor", "tur_monitor", "irn_monitor", "obs_monitor")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`truce serve --db URL` on 127.0.0.1:port. `kill()` sends SIGKILL (no shutdown, no flush)."""

    def __init__(self, url: str, log: Path, port: int | None = None, workers: int = 1) -> None:
        self.url, self.log, self.workers = url, log, workers
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        exe = Path(sys.executable).parent / "truce"
        argv = [str(exe), "serve", "--db", self.url, "--port", str(self.port), "--workers", str(self.workers)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ),
                                         start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"truce serve exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"truce serve did not answer within {timeout} s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # the server and any worker processes
            self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        self.kill()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def report_body(i: int, rid: str | None = None, **kw: Any) -> dict[str, Any]:
    """A report far from the others (its own incident): 0.001 degree steps over north-west Syria."""
    body: dict[str, Any] = {
        "id": rid or str(uuid.uuid4()),
        "occurred_at": f"2017-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "lat": 35.0 + (i % 400) * 0.003,
        "lon": 36.2 + (i // 400 % 400) * 0.003,
        "violation_type": "shelling",
        "alleged_party": "SYR",
        "narrative": f"test report {i}",
    }
    body.update(kw)
    return body


@dataclass
class Tally:
    """What one client saw: statuses, the report ids the server acknowledged (201 or 200)."""

    statuses: dict[int, int] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def merge(self, other: Tally) -> None:
        for k, v in other.statuses.items():
            self.statuses[k] = self.statuses.get(k, 0) + v
        self.acked |= other.acked
        self.created |= other.created
        self.errors += other.errors

    @property
    def server_errors(self) -> int:
        return sum(v for k, v in self.statuses.items() if k >= 500)


def submit_until_answered(client: httpx.Client, base: str, token: str, body: dict[str, Any], tally: Tally,
                          deadline: float, headers: dict[str, str] | None = None) -> httpx.Response | None:
    """POST a report, resending it (same UUID) after a lost connection or a 409 write conflict, until the
    server answers or the deadline passes."""
    h = {"Authorization": f"Bearer {token}", **(headers or {})}
    while time.monotonic() < deadline:
        try:
            r = client.post(base + "/api/v1/reports", json=body, headers=h)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        tally.count(r.status_code)
        if r.status_code in (200, 201):
            tally.acked.add(body["id"])
            if r.status_code == 201:
                tally.created.add(body["id"])
            return r
        if r.status_code >= 500:
            tally.errors.append(f"{r.status_code}: {r.text[:300]}")
            return r
        if r.status_code == 409 and r.json().get("code") == "conflict":
            time.sleep(0.02)
            continue
        tally.errors.append(f"{r.status_code}: {r.text[:300]}")
        return r
    return None


def stored_report_entries(url: str) -> dict[str, int]:
    """Report id -> number of `report.submit` ledger entries that carry it."""
    import json

    out: dict[str, int] = {}
    app = Truce(url)
    with app.read() as conn:
        for row in conn.execute(select(ledger_entries.c.payload).where(ledger_entries.c.command == "report.submit")):
            rid = json.loads(row.payload)["report"]["id"]
            out[rid] = out.get(rid, 0) + 1
    return out


def verify_ledger(url: str) -> list[str]:
    from truce.ledger.service import verify

    return verify(Truce(url)).problems
