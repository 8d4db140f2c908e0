"""Lost answers: a TCP proxy between the clients and a real server drops 30% of the responses after the
server has answered (the write is committed, the client never hears of it). The clients retry with the same
Idempotency-Key (access denials, findings) or the same report UUID until they get an answer: each client
write is recorded exactly once in the ledger, on both engines."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.serving import Server, report_body, verify_ledger

from truce.app import Truce
from truce.ledger.models import ledger_entries

# Every socket operation of the proxy and of the clients has a timeout, and every retry loop is bounded: a
# stalled connection (the server slow under load, a peer that never closes) costs at most IO_TIMEOUT and a
# retry, never the run. (The proxy once had none: one upstream connection that never closed, or a listening
# socket closed under a blocked accept(), could hold a client for minutes.)
IO_TIMEOUT = 15.0
MAX_ATTEMPTS = 40


class DroppingProxy:
    """Forwards each connection to the server; reads the server's whole response (the requests say
    Connection: close) and then, with probability `drop`, closes the client's connection without it."""

    def __init__(self, target_port: int, drop: float, seed: int = 13) -> None:
        self.target = ("127.0.0.1", target_port)
        self.drop = drop
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.dropped = self.forwarded = self.failed = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)  # accept() wakes up to see `stopped` (closing a socket wakes no accept())
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(IO_TIMEOUT)
        try:
            upstream = socket.create_connection(self.target, timeout=IO_TIMEOUT)
        except OSError:
            client.close()
            return

        def pump() -> None:
            try:
                while data := client.recv(65536):
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=pump, daemon=True).start()
        answer, complete = b"", False
        try:
            while data := upstream.recv(65536):
                answer += data
            complete = True
        except OSError:  # including a timeout: the answer is lost like a dropped one, the client retries
            pass
        finally:
            with contextlib.suppress(OSError):
                upstream.shutdown(socket.SHUT_RDWR)
            upstream.close()
        with self.lock:
            lose = self.rng.random() < self.drop
            if not complete:
                self.failed += 1
            elif lose:
                self.dropped += 1
            else:
                self.forwarded += 1
        try:
            if complete and not lose:
                client.sendall(answer)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)  # wakes the pump's recv (close alone does not)
            client.close()

    def close(self) -> None:
        self.stopped = True
        self.acceptor.join(timeout=5)
        self.sock.close()


def _ledger_size(url: str) -> int:
    with Truce(url).read() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def test_lost_answers_each_write_recorded_once(world_any: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    url, w = world_any
    before = _ledger_size(url)
    writes: list[tuple[str, str, dict[str, Any], str]] = []  # (user, path, body, key)
    for k in range(15):
        writes.append(("rus_verifier", f"/api/v1/investigations/{w['inv_open']}/denials",
                       {"party": "SYR", "site": f"Checkpoint {k}"}, str(uuid.uuid4())))
        writes.append(("rus_monitor", "/api/v1/reports", report_body(500 + k), str(uuid.uuid4())))
    for g, k in (("tur_verifier", 0), ("irn_verifier", 1)):
        writes.append((g, f"/api/v1/incidents/{w['C']}/findings",
                       {"finding": "confirmed", "reason": "site_visit", "party": "FAYLAQ", "note": f"n{k}"},
                       str(uuid.uuid4())))
    answers: dict[int, int] = {}
    attempts = {"n": 0}
    lock = threading.Lock()
    with Server(url, tmp_path / "serve.log") as srv:
        proxy = DroppingProxy(srv.port, drop=0.3)
        try:
            def client(part: list[int]) -> None:
                with httpx.Client(timeout=IO_TIMEOUT, base_url=f"http://127.0.0.1:{proxy.port}") as c:
                    for i in part:
                        user, path, body, key = writes[i]
                        h = {"Authorization": f"Bearer {w['tokens'][user]}", "Idempotency-Key": key,
                             "Connection": "close"}
                        deadline = time.monotonic() + 120
                        for _ in range(MAX_ATTEMPTS):
                            if time.monotonic() > deadline:
                                break
                            with lock:
                                attempts["n"] += 1
                            try:
                                r = c.post(path, json=body, headers=h)
                            except httpx.HTTPError:
                                continue  # the answer was lost: send the same request again
                            if r.status_code == 409 and r.json().get("code") == "conflict":
                                time.sleep(0.05)  # a write race lost after the server's own retries: again
                                continue
                            with lock:
                                answers[i] = r.status_code
                            break

            parts = [list(range(k, len(writes), 4)) for k in range(4)]
            threads = [threading.Thread(target=client, args=(p,)) for p in parts]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            assert not any(t.is_alive() for t in threads), "a client is still waiting: a stall"
        finally:
            proxy.close()
    print(f"lost answers: {proxy.dropped} dropped, {proxy.forwarded} forwarded, {proxy.failed} cut by a timeout, "
          f"{attempts['n']} attempts for {len(writes)} writes")
    assert proxy.dropped > 0, "the proxy dropped no answer: nothing was tested"
    assert sorted(answers) == list(range(len(writes)))
    assert all(s in (200, 201) for s in answers.values()), answers
    assert _ledger_size(url) - before == len(writes), "one ledger entry per client write"
    assert verify_ledger(url) == []
