"""Configuration from the environment, overridable per command."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///truce.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    blob_dir: Path

    @classmethod
    def load(cls, database_url: str | None = None, blob_dir: str | None = None) -> Settings:
        url = database_url or os.environ.get("TRUCE_DATABASE_URL") or DEFAULT_DATABASE_URL
        url = normalise_url(url)
        blobs = blob_dir or os.environ.get("TRUCE_BLOB_DIR")
        return cls(database_url=url, blob_dir=Path(blobs) if blobs else default_blob_dir(url))


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and route them through psycopg 3; accept bare SQLite paths."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if "://" not in url:
        return f"sqlite:///{url}"
    return url


def default_blob_dir(url: str) -> Path:
    """Blobs live beside a SQLite file (`truce.db` → `truce.db.blobs/`), else in `./truce-blobs/`."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url[len("sqlite:///") :] + ".blobs")
    return Path("truce-blobs")
