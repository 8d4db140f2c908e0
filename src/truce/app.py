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
    """Import every service module so its appliers are registered (idempotent). The ledger calls this the
    first time it applies a command (`chain.set_applier_loader`), so that a read command never loads them."""
    from truce.agreements import service as _a  # noqa: F401
    from truce.auth import credentials as _cred  # noqa: F401
    from truce.auth import service as _u  # noqa: F401
    from truce.bulletins import service as _bul  # noqa: F401
    from truce.eligibility import service as _el  # noqa: F401
    from truce.geo import places as _gp  # noqa: F401
    from truce.geo import service as _g  # noqa: F401
    from truce.incidents import service as _i  # noqa: F401
    from truce.incidents import verification as _ver  # noqa: F401
    from truce.ingest import service as _ing  # noqa: F401
    from truce.investigations import service as _inv  # noqa: F401
    from truce.measures import service as _m  # noqa: F401
    from truce.parties import service as _p  # noqa: F401
    from truce.replies import service as _rep  # noqa: F401
    from truce.reports import service as _r  # noqa: F401
    from truce.zones import service as _z  # noqa: F401


chain.set_applier_loader(_register_appliers)
