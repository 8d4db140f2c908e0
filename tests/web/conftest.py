"""Fixtures of the web and API tests: a seeded world (see seed.py) on SQLite (built once per
session, copied per test) or on both engines; a TestClient signed in as any user."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.helpers import fold_wal
from tests.web.seed import seed

import truce.db
from truce.app import Truce


@pytest.fixture(scope="session")
def world_template(sqlite_astana_template: Path, astana_blobs: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[Path, Path, dict[str, Any]]:
    d = tmp_path_factory.mktemp("web-world")
    path, blobs = d / "world.db", d / "blobs"
    shutil.copyfile(sqlite_astana_template, path)
    shutil.copytree(astana_blobs, blobs)
    try:
        data = seed(Truce(f"sqlite:///{path}", blob_dir=str(blobs)))
    finally:
        truce.db.dispose_all()
    fold_wal(path)
    return path, blobs, data


@pytest.fixture
def world(world_template: tuple[Path, Path, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[tuple[str, dict[str, Any]]]:
    """(SQLite URL, seeded ids and tokens): a fresh copy of the seeded world."""
    path, blobs, data = world_template
    shutil.copyfile(path, tmp_path / "world.db")
    shutil.copytree(blobs, tmp_path / "blobs")
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    try:
        yield f"sqlite:///{tmp_path / 'world.db'}", data
    finally:
        truce.db.dispose_all()


@pytest.fixture
def world_any(astana_url: str) -> tuple[str, dict[str, Any]]:
    """The seeded world on SQLite and on PostgreSQL."""
    return astana_url, seed(Truce(astana_url))


def client_for(url: str) -> TestClient:
    from truce.web.app import create_app

    return TestClient(create_app(url))


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def sign_in(client: TestClient, url: str, name: str) -> str:
    """Open a web session for a user (as the sign-in form does) and return its CSRF token."""
    from truce.api.deps import SESSION_COOKIE
    from truce.auth.credentials import start_session
    from truce.auth.service import get_actor

    app = Truce(url)
    with app.write() as conn:
        sid, csrf = start_session(conn, get_actor(conn, name))
    client.cookies.set(SESSION_COOKIE, sid)
    return csrf


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, once per test process (shared by every browser test module:
    a second sync Playwright in the same process would fail)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: apt-get install -y chromium (.ci/run does it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
