"""Configuration from the environment, overridable per command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///truce.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    #: the blob directory, or None: the files are kept in the database (PostgreSQL without TRUCE_BLOB_DIR)
    blob_dir: Path | None
    #: which setting chose the blob directory (named when a file is missing)
    blob_setting: str = "TRUCE_BLOB_DIR"
    #: TRUCE_READ_ONLY=1: the deployment refuses every change (a mirror's web app and API)
    read_only: bool = False

    @classmethod
    def load(cls, database_url: str | None = None, blob_dir: str | None = None) -> Settings:
        url = database_url or os.environ.get("TRUCE_DATABASE_URL") or DEFAULT_DATABASE_URL
        url = normalise_url(url)
        blobs = blob_dir or os.environ.get("TRUCE_BLOB_DIR")
        read_only = os.environ.get("TRUCE_READ_ONLY", "").strip().lower() in ("1", "true", "yes", "on")
        if blobs:
            return cls(url, Path(blobs), "TRUCE_BLOB_DIR", read_only)
        return cls(url, default_blob_dir(url), "the database URL: the directory beside the SQLite file", read_only)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them through psycopg 3; accept bare SQLite paths."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def default_blob_dir(url: str) -> Path | None:
    """Blobs live beside a SQLite file (`truce.db` → `truce.db.blobs/`); on any other database (PostgreSQL)
    in the database itself (None): never in the current directory."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///") :] + ".blobs")
    return None
