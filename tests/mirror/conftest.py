"""Fixtures of the mirror tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def sqlite_astana(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file holding the Astana 2017 scenario, with its own blob directory (TRUCE_BLOB_DIR)."""
    template: Path = request.getfixturevalue("sqlite_astana_template")
    blobs = tmp_path / "host-blobs"
    shutil.copytree(request.getfixturevalue("astana_blobs"), blobs)
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(blobs))
    path = tmp_path / "host.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"
