"""Files follow the database: on PostgreSQL the blobs are kept in the database, so every command finds them
wherever it is started; a directory store says which setting chose it when a file is missing."""

from __future__ import annotations

from sqlalchemy import delete
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.ledger.blobs import DatabaseBlobStore, DirBlobStore
from truce.ledger.models import blob_data

runner = CliRunner()


def test_postgresql_blobs_follow_the_database_not_the_directory(pg_url, tmp_path, monkeypatch):
    monkeypatch.delenv("TRUCE_BLOB_DIR", raising=False)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    monkeypatch.chdir(one)
    r = runner.invoke(cli, ["init", "--db", pg_url])  # records admin.load entries, each citing a blob
    assert r.exit_code == 0, r.output
    assert not any(one.iterdir()), "nothing may be written to the current directory"
    monkeypatch.chdir(two)
    r = runner.invoke(cli, ["ledger", "verify", "--db", pg_url])
    assert r.exit_code == 0, r.output
    assert "ledger OK" in r.output
    app = Truce(pg_url)
    assert isinstance(app.blobs, DatabaseBlobStore)
    shas = list(app.blobs.all())
    assert len(shas) == 3 and all(app.blobs.verify(s) for s in shas)
    # A large file is kept in chunks and read by byte range.
    big = bytes(range(256)) * 9000  # 2.3 MB: three chunks
    sha = app.blobs.put_bytes(big)
    with app.blobs.open(sha) as f:
        f.seek(1_048_570)
        assert f.read(20) == big[1_048_570:1_048_590]
    assert app.blobs.read(sha) == big
    # A missing file: a clear error naming where the deployment keeps its files.
    with app.engine.begin() as conn:
        conn.execute(delete(blob_data).where(blob_data.c.sha256 == shas[0]))
    r = runner.invoke(cli, ["ledger", "verify", "--db", pg_url])
    assert r.exit_code == 1
    assert f"blob {shas[0]} is missing from the database's blob_data table" in r.output
    assert "TRUCE_BLOB_DIR" in r.output and "Traceback" not in r.output


def test_a_missing_file_names_the_setting(sqlite_url, tmp_path):
    app = Truce(sqlite_url)
    assert isinstance(app.blobs, DirBlobStore)
    r = runner.invoke(cli, ["init", "--db", sqlite_url])
    assert r.exit_code == 0, r.output
    sha = next(iter(app.blobs.all()))
    app.blobs.path(sha).unlink()
    r = runner.invoke(cli, ["ledger", "verify", "--db", sqlite_url])
    assert r.exit_code == 1
    assert f"blob {sha} is missing from the blob directory" in r.output and "(set by TRUCE_BLOB_DIR)" in r.output


def test_sqlite_blobs_default_beside_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("TRUCE_BLOB_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    app = Truce(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(app.blobs, DirBlobStore) and app.blobs.root == tmp_path / "x.db.blobs"
