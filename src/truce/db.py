"""Engines, transactions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import re
import threading
import weakref
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


SQLITE_CONNECT_ARGS = {"timeout": 30, "check_same_thread": False}


def _sqlite_setup(dbapi_conn: Any) -> None:
    # Let us issue BEGIN ourselves: the stdlib driver otherwise defers the write lock.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args=SQLITE_CONNECT_ARGS)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
            _sqlite_setup(dbapi_conn)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("truce_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    engine = create_engine(url, pool_pre_ping=True, poolclass=NullPool if "+psycopg" not in url else None)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _no_jit(dbapi_conn: Any, _rec: Any) -> None:
            _postgresql_setup(dbapi_conn)

    return engine


def _postgresql_setup(dbapi_conn: Any) -> None:
    """PostgreSQL's JIT compiler off for Truce's sessions. It starts on a statement whose estimated cost
    is high, which an export page's is (PostgreSQL counts its correlated subqueries as run for every
    incident): it then spent 0.87 s compiling a page that runs in 0.29 s. Truce's statements are
    index-driven reads of a page or a day, for which compiling never pays."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute("SET jit = off")
    except Exception:  # a server without JIT (before PostgreSQL 11): nothing to turn off
        dbapi_conn.rollback()
    else:
        dbapi_conn.commit()
    finally:
        cur.close()


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


_own = threading.local()  # SQLite connections of sqlite_read_tx: per thread, per engine


def has_own_reader(engine: Engine) -> bool:
    """Whether `sqlite_read_tx` serves this engine: a SQLite file (an in-memory database is per connection)."""
    return is_sqlite(engine) and engine.url.database not in (None, "", ":memory:")


@contextmanager
def sqlite_read_tx(engine: Engine) -> Iterator[Any]:
    """A read transaction on a SQLite connection of the calling thread's own (the event loop's, for the
    hottest API reads): no pool checkout, which could wait for connections the threadpool holds and so
    stall the loop, and no SQLAlchemy Connection, whose bookkeeping costs more than a small read; the
    driver keeps its statements prepared. Yields the DB-API connection. Nothing may be awaited inside."""
    if not has_own_reader(engine):
        raise ValueError("sqlite_read_tx: a SQLite database file only")
    conns = getattr(_own, "conns", None)
    if conns is None:
        conns = _own.conns = weakref.WeakKeyDictionary()
    dbapi = conns.get(engine)
    if dbapi is None:
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        dbapi = engine.dialect.loaded_dbapi.connect(*cargs, **{**cparams, **SQLITE_CONNECT_ARGS})
        _sqlite_setup(dbapi)
        conns[engine] = dbapi
    try:
        dbapi.execute("BEGIN DEFERRED")
        try:
            yield dbapi
        finally:
            dbapi.execute("ROLLBACK")  # nothing was written
    except BaseException:
        if dbapi.in_transaction:  # a broken connection: the next read opens a new one
            conns.pop(engine, None)
            with contextlib.suppress(Exception):
                dbapi.close()
        raise


class Prepared:
    """A SQLAlchemy statement compiled once for a dialect and run on the driver's own cursor, for the hot
    reads (the incident list, exports): no SQLAlchemy Connection or result objects, the driver keeps the
    statement prepared, and rows come back as the driver's tuples (no type processing: booleans are 0/1 on
    SQLite). Values bound when the statement was built (constants) are used unless given again; a statement
    with expanding parameters (``IN`` over a list) is expanded at each run."""

    def __init__(self, stmt: Any, dialect: Any) -> None:
        compiled = self.compiled = stmt.compile(dialect=dialect)
        self.expanding = bool(compiled.post_compile_params)
        self.sql = compiled.string
        self.order = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.defaults = dict(compiled.params)

    def execute(self, cursor: Any, values: dict[str, Any] | None = None) -> None:
        if self.expanding:
            state = self.compiled.construct_expanded_state(values or {})
            cursor.execute(state.statement, state.positional_parameters if self.order is not None else state.parameters)
            return
        merged = {**self.defaults, **values} if values else self.defaults
        cursor.execute(self.sql, merged if self.order is None else tuple(merged[n] for n in self.order))

    def fetchall(self, dbapi: Any, values: dict[str, Any] | None = None) -> list[Any]:
        """Run on a DB-API connection, in its transaction; every row."""
        cur = dbapi.cursor()
        try:
            self.execute(cur, values)
            return list(cur.fetchall())
        finally:
            cur.close()


def migrations_dir() -> Path:
    return Path(__file__).parent / "migrations"


def alembic_config(conn: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*=\s*(?:["']([^"']*)["']|None)""", re.M)


def head_revision() -> str | None:
    """The newest migration's id, read from the migration files' `revision`/`down_revision` lines without
    loading Alembic (0.1 s of a command's start). A test checks it equals Alembic's own answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for f in (migrations_dir() / "versions").glob("*.py"):
        for key, value in _REVISION_LINE.findall(f.read_text(encoding="utf-8")):
            (revisions if key == "revision" else parents).add(value)
    heads = revisions - parents - {""}
    return next(iter(heads)) if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The database's schema version: one query (None for a database Alembic never touched)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest migration. Returns True when anything was applied."""
    key = str(engine.url)
    if key in _migrated:
        return False
    head = head_revision()
    applied = False
    if head is None or current_revision(engine) != head:
        from alembic import command  # only when there is something to apply: loading Alembic takes 0.1 s

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
