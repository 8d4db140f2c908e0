"""The test infrastructure itself: PostgreSQL server, per-test databases, migrations."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.pool import NullPool

import truce.db
import truce.models  # noqa: F401  (registers every table)
from truce.db import metadata


def test_postgres_server_answers(pg_url: str) -> None:
    engine = truce.db.get_engine(pg_url)
    with engine.connect() as conn:
        version = conn.execute(text("select version()")).scalar_one()
    assert version.startswith("PostgreSQL")


def test_pg_url_is_postgresql(pg_url: str) -> None:
    assert truce.db.get_engine(pg_url).dialect.name == "postgresql"


def test_sqlite_url_is_sqlite(sqlite_url: str) -> None:
    assert truce.db.is_sqlite(truce.db.get_engine(sqlite_url))


def test_db_url_is_migrated_and_empty(db_url: str) -> None:
    engine = truce.db.get_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert "ledger_entries" in tables
    assert set(metadata.tables) <= tables
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name
    # Already at head: migrating again applies nothing.
    assert truce.db.migrate(engine) is False


@pytest.mark.parametrize("attempt", [1, 2])
def test_databases_are_isolated(db_url: str, attempt: int) -> None:
    """Each run writes a row; if databases were shared, the second run would see the first one's row."""
    orgs = metadata.tables["organisations"]
    engine = truce.db.get_engine(db_url)
    with truce.db.write_tx(engine) as conn:
        assert conn.execute(select(func.count()).select_from(orgs)).scalar_one() == 0
        conn.execute(orgs.insert().values(id="org-1", name="Org", kind="monitor", created_at="2024-01-01"))
    with truce.db.read_tx(engine) as conn:
        assert conn.execute(select(func.count()).select_from(orgs)).scalar_one() == 1


def test_blob_dir_is_per_test(db_url: str, tmp_path: Path) -> None:
    blobs = Path(os.environ["TRUCE_BLOB_DIR"])
    assert blobs.is_dir()
    assert tmp_path in blobs.parents


def test_migrations_on_empty_database(empty_db_url: str) -> None:
    # A separate engine to look at the empty database before migrating.
    probe = create_engine(empty_db_url, poolclass=NullPool)
    try:
        assert inspect(probe).get_table_names() == []
    finally:
        probe.dispose()
    engine = truce.db.get_engine(empty_db_url)
    assert truce.db.migrate(engine) is True
    tables = set(truce.db.table_names(engine))
    missing = set(metadata.tables) - tables
    assert not missing, f"migrations did not create: {sorted(missing)}"
    assert "alembic_version" in tables


def test_migrations_build_exactly_the_models_schema(db_url: str) -> None:
    """A column, index or table added to a model without a migration would exist in a test database made
    from the models but not in a user's database upgraded with `truce` — the upgrade would then fail at
    the first query. Alembic's comparison of the migrated database with the models must find nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diffs == [], f"the models and the migrations differ (write a new migration): {diffs}"


def test_the_quick_schema_check_knows_the_newest_migration() -> None:
    """Commands check the schema version without loading Alembic; if its reading of the migration files
    differed from Alembic's, a database would be taken as up to date when it is not (or migrated each time)."""
    from alembic.script import ScriptDirectory

    assert truce.db.head_revision() == ScriptDirectory.from_config(truce.db.alembic_config()).get_current_head()
