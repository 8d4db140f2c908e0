"""The application context: settings, the engine, the blob store, and the one way to issue a command."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

import truce.models  # noqa: F401  (registers every table)
from truce import db, times
from truce.clock import stored_today
from truce.config import Settings
from truce.errors import PermissionDenied
from truce.ledger import chain
from truce.ledger.blobs import BlobStore, DatabaseBlobStore, DirBlobStore
from truce.ledger.chain import Actor
from truce.mirror.models import mirror_state

T = TypeVar("T")

# SQLSTATEs of a transaction that lost a race and may simply be run again: serialization failure,
# deadlock, unique violation (a key another writer took first), lock not available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505", "55P03"})
WRITE_ATTEMPTS = 5


def is_retryable(exc: BaseException) -> bool:
    """Whether a database error is a lost race (run the transaction again) rather than a bad command."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state is not None:
        return str(state) in RETRYABLE_SQLSTATES
    text = str(orig).lower()
    return "database is locked" in text or "unique constraint failed" in text or "database is busy" in text


class Truce:
    def __init__(self, database_url: str | None = None, blob_dir: str | None = None, migrate: bool = True):
        self.settings = Settings.load(database_url, blob_dir)
        self.engine: Engine = db.get_engine(self.settings.database_url)
        self.blobs: BlobStore = (
            DirBlobStore(self.settings.blob_dir, self.settings.blob_setting)
            if self.settings.blob_dir is not None
            else DatabaseBlobStore(self.engine)
        )
        if migrate:
            db.migrate(self.engine)
        self.mirror_of = _mirror_source(self.engine)
        self.stored_today = _stored_clock(self.engine)
        times.use_stored_day(self.stored_today)  # the database's clock (a demo's), unless TRUCE_TODAY is set

    @property
    def read_only(self) -> bool:
        """A mirror's database (or TRUCE_READ_ONLY=1) refuses every change made through the application."""
        return self.settings.read_only or self.mirror_of is not None

    @property
    def url(self) -> str:
        return self.settings.database_url

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction, holding the ledger lock from its first statement (see chain.lock)."""
        if self.read_only:
            raise ReadOnly(
                f"this node is a read-only mirror of {self.mirror_of}: changes are made on the node it follows"
                if self.mirror_of
                else "this node is read-only (TRUCE_READ_ONLY is set): it refuses every change"
            )
        with db.write_tx(self.engine) as conn:
            chain.lock(conn)
            yield conn

    def transact(self, fn: Callable[[Connection], T], attempts: int = WRITE_ATTEMPTS) -> T:
        """Run `fn` in a write transaction; run it again (a few times, after a short random pause) when the
        transaction lost a race with another writer (serialization failure, deadlock, a unique key taken
        first). `fn` must do nothing outside the database that a second run would repeat wrongly."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as conn:
                    return fn(conn)
            except DBAPIError as e:
                if attempt == attempts or not is_retryable(e):
                    raise
                time.sleep(random.uniform(0.005, 0.02) * attempt)
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with db.read_tx(self.engine) as conn:
            yield conn

    def record(self, conn: Connection, actor: Actor, command: str, payload: dict[str, Any]) -> tuple[int, Any]:
        return chain.record(conn, actor, command, payload, self.blobs)


class ReadOnly(PermissionDenied):
    code = "read_only"


def _stored_clock(engine: Engine) -> str | None:
    """The day a database runs as of (truce.clock: `truce demo` keeps its story's last day), or None."""
    try:
        with engine.connect() as conn:
            return stored_today(conn)
    except Exception:  # a database not migrated yet (migrate=False)
        return None


def _mirror_source(engine: Engine) -> str | None:
    """The URL a mirror's database follows (its `mirror_state` row), or None for any other database."""
    from sqlalchemy import select

    try:
        with engine.connect() as conn:
            return conn.execute(select(mirror_state.c.source_url).where(mirror_state.c.id == 1)).scalar()
    except Exception:  # a database not migrated yet (migrate=False)
        return None


def _register_appliers() -> None:
    """Register every applier and reaction (idempotent). The ledger calls this the first time it applies a
    command (`chain.set_applier_loader`), so that a read command never loads them."""
    import truce.services  # noqa: F401  (lazy: the domain modules load only when a command is applied)


chain.set_applier_loader(_register_appliers)
