"""The application context: settings, the engine, the blob store, and the one way to issue a command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine

import truce.models  # noqa: F401  (registers every table)
from truce import db
from truce.config import Settings
from truce.ledger import chain
from truce.ledger.blobs import BlobStore
from truce.ledger.chain import Actor


class Truce:
    def __init__(self, database_url: str | None = None, blob_dir: str | None = None, migrate: bool = True):
        self.settings = Settings.load(database_url, blob_dir)
        self.engine: Engine = db.get_engine(self.settings.database_url)
        self.blobs = BlobStore(self.settings.blob_dir)
        if migrate:
            db.migrate(self.engine)

    @property
    def url(self) -> str:
        return self.settings.database_url

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with db.write_tx(self.engine) as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with db.read_tx(self.engine) as conn:
            yield conn

    def record(self, conn: Connection, actor: Actor, command: str, payload: dict[str, Any]) -> tuple[int, Any]:
        return chain.record(conn, actor, command, payload, self.blobs)


def _register_appliers() -> None:
    """Register every applier and reaction (idempotent). The ledger calls this the first time it applies a
    command (`chain.set_applier_loader`), so that a read command never loads them."""
    import truce.services  # noqa: F401  (lazy: the domain modules load only when a command is applied)


chain.set_applier_loader(_register_appliers)
