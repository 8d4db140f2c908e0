"""Hostile input: bodies over their limit refused early (413) with memory flat, JSON nested too deep, integers
beyond 64 bits, lists too long: each a clear error naming what, never a 500, nothing written."""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import ledger_count
from tests.serving import Server, report_body
from tests.web.conftest import client_for
from tests.web.test_api import assert_error, bearer

from truce.app import Truce
from truce.web.limits import json_depth_exceeds


def test_json_depth_scanner() -> None:
    assert not json_depth_exceeds(b"[" * 64 + b"]" * 64)
    assert json_depth_exceeds(b"[" * 65 + b"]" * 65)
    assert not json_depth_exceeds(json.dumps({"a": "[" * 500}).encode())  # brackets inside strings do not count
    assert not json_depth_exceeds(json.dumps({"a": '\\"[[' * 100}).encode())
    assert json_depth_exceeds(b'{"a":' * 70 + b"1" + b"}" * 70)


def test_hostile_bodies_are_refused_early(world: tuple[str, dict[str, Any]]) -> None:
    url, w = world
    app = Truce(url)
    c = client_for(url)
    h = bearer(w, "rus_monitor")
    n = ledger_count(app)
    # A JSON body over 1 MiB: 413 (its Content-Length says so before a byte is read).
    big = report_body(1, weapons=["rifle"] * 200_000)
    assert_error(c.post("/api/v1/reports", json=big, headers=h), 413, "too_large", "body")
    # Nested 1,000 deep: 400 before parsing.
    deep = b'{"narrative": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    assert_error(c.post("/api/v1/reports", content=deep, headers={**h, "Content-Type": "application/json"}),
                 400, "bad_request", "body")
    # Lists and numbers within the body are bounded by the schema.
    assert_error(c.post("/api/v1/reports", json=report_body(2, weapons=[f"w{i}" for i in range(51)]), headers=h),
                 422, "validation_failed", "weapons")
    assert_error(c.post("/api/v1/reports", json=report_body(3, casualties={"killed": 2**70}), headers=h),
                 422, "validation_failed", "casualties.killed")
    assert ledger_count(app) == n


@pytest.mark.parametrize("path", [
    "/api/v1/incidents/72648391669999999999999999999",
    "/api/v1/incidents?offset=99999999999999999999999",
    "/api/v1/ledger?before=184467440737095516160",
    "/api/v1/ledger/99999999999999999999999",
    "/api/v1/incidents?limit=-99999999999999999999999",
    "/incidents/99999999999999999999",
])
def test_integers_beyond_64_bits_are_refused(world: tuple[str, dict[str, Any]], path: str) -> None:
    url, w = world
    c = client_for(url)
    r = c.get(path, headers=bearer(w, "rus_verifier"))
    assert r.status_code == 422, r.text
    if path.startswith("/api/"):
        assert_error(r, 422, "validation_failed")


def _rss_peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_200_mb_upload_is_refused_while_streaming(world: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    """A chunked multipart upload with no Content-Length: the server answers 413 once it has received its
    limit (105 MiB), the client cannot send the rest, and the server's peak memory does not grow by the
    upload's size."""
    url, w = world
    with Server(url, tmp_path / "serve.log") as srv:
        assert srv.proc is not None
        peak_before = _rss_peak_kb(srv.proc.pid)
        boundary = uuid.uuid4().hex
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"report\"\r\n\r\n"
            f"{json.dumps(report_body(7))}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; "
            f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(
            (f"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {w['tokens']['rus_monitor']}"
             f"\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n"
             ).encode())

        def chunk(data: bytes) -> bytes:
            return f"{len(data):x}\r\n".encode() + data + b"\r\n"

        s.sendall(chunk(head))
        block = b"\0" * (1024 * 1024)
        sent = 0
        answer = b""
        deadline = time.monotonic() + 120
        while sent < 200 * 1024 * 1024 and time.monotonic() < deadline:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            try:
                s.sendall(chunk(block))
            except OSError:  # the server closed the connection after answering
                break
            sent += len(block)
        s.settimeout(30)
        try:
            while b"\r\n\r\n" not in answer:
                part = s.recv(65536)
                if not part:
                    break
                answer += part
        finally:
            s.close()
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert sent < 150 * 1024 * 1024, f"the client could send {sent} bytes"
        growth_mb = (_rss_peak_kb(srv.proc.pid) - peak_before) / 1024
        assert growth_mb < 60, f"server peak memory grew by {growth_mb:.0f} MB"
        # The server still works.
        import httpx

        assert httpx.get(srv.base + "/api/v1/health").status_code == 200


def test_every_ref_of_the_openapi_document_resolves(world: tuple[str, dict[str, Any]]) -> None:
    import re

    url, _ = world
    spec = client_for(url).get("/api/v1/openapi.json").json()
    refs = set(re.findall(r'"\$ref": ?"([^"]+)"', json.dumps(spec)))
    schemas = spec["components"]["schemas"]
    assert refs and [r for r in refs if r.split("/")[-1] not in schemas or not r.startswith("#/components/")] == []
