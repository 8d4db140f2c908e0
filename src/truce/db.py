"""Engines, transactions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.pool import NullPool

metadata = MetaData()

_engines: dict[str, Engine] = {}
_lock = threading.Lock()
_migrated: set[str] = set()


def is_sqlite(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
            # Let us issue BEGIN ourselves: the stdlib driver otherwise defers the write lock.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("truce_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_pre_ping=True, poolclass=NullPool if "+psycopg" not in url else None)


def get_engine(url: str) -> Engine:
    with _lock:
        eng = _engines.get(url)
        if eng is None:
            eng = _engines[url] = make_engine(url)
        return eng


def dispose_all() -> None:
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _migrated.clear()


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One write transaction: BEGIN IMMEDIATE on SQLite; the ledger head row is locked by the ledger."""
    with engine.connect().execution_options(truce_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, conn.begin():
        yield conn


def migrations_dir() -> Path:
    return Path(__file__).parent / "migrations"


def alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest migration. Returns True when anything was applied."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    key = str(engine.url)
    if key in _migrated:
        return False
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    applied = False
    if current != head:
        with engine.connect().execution_options(truce_write=True) as conn:
            cfg = alembic_config(conn)
            command.upgrade(cfg, "head")
            conn.commit()
        applied = True
    _migrated.add(key)
    return applied


def table_names(engine: Engine) -> list[str]:
    return inspect(engine).get_table_names()


def next_id(conn: Connection, table: Any, column: str = "id") -> int:
    """The next integer id of a table. Called inside the write transaction (which holds the ledger
    head lock), so no other writer can take the same number; the id then goes into the payload."""
    from sqlalchemy import func, select

    col = table.c[column]
    return int(conn.execute(select(func.coalesce(func.max(col), 0))).scalar_one()) + 1
