"""Content-addressed blob store: files are kept by their sha256, written once, never changed.

Where a deployment keeps them is part of its configuration, never the current directory
(`truce.config.Settings.blob_location`):

- a directory (`DirBlobStore`): `TRUCE_BLOB_DIR` when set, else beside a SQLite file (`truce.db` → `truce.db.blobs/`);
- the database itself (`DatabaseBlobStore`, table `blob_data`, in chunks of 1 MiB): a PostgreSQL deployment
  without `TRUCE_BLOB_DIR`, so that every command and every web worker that reaches the database finds
  its files, wherever it was started.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, func, insert, select

from truce.ledger.models import blob_data

CHUNK = 1 << 20


class BlobError(Exception):
    pass


class BlobStore:
    """What every blob store offers."""

    #: says where the files are and which setting chooses that, for error messages
    where: str = ""

    def exists(self, sha256: str) -> bool:
        raise NotImplementedError

    def put_chunks(self, sha256: str, chunks: Iterable[bytes]) -> None:
        raise NotImplementedError

    def open(self, sha256: str) -> BinaryIO:
        raise NotImplementedError

    def all(self) -> Iterator[str]:
        """Every sha256 kept (for copies: backups, moves)."""
        raise NotImplementedError

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self.put_chunks(sha, [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""])
        return sha

    def put_file(self, source: Path | str) -> str:
        """Stream a file into the store (memory stays flat whatever its size)."""
        h = hashlib.sha256()
        with open(source, "rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
        sha = h.hexdigest()
        if not self.exists(sha):
            with open(source, "rb") as f:
                self.put_chunks(sha, iter(lambda: f.read(CHUNK), b""))
        return sha

    def put_verified(self, sha256: str, chunks: Iterable[bytes]) -> None:
        """Keep bytes received from elsewhere (a mirror's source, a backup) only if they hash to `sha256`."""
        data = b"".join(chunks)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobError(f"blob {sha256}: the bytes received do not hash to it")
        if not self.exists(sha256):
            self.put_chunks(sha256, [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""])

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def verify(self, sha256: str) -> bool:
        h = hashlib.sha256()
        with self.open(sha256) as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                h.update(chunk)
        return h.hexdigest() == sha256

    def missing(self, sha256: str) -> BlobError:
        return BlobError(f"blob {sha256} is missing from {self.where}")


class DirBlobStore(BlobStore):
    """Blobs as files in a directory, `ab/cd/abcd…`."""

    def __init__(self, root: Path, setting: str = "TRUCE_BLOB_DIR") -> None:
        self.root = Path(root)
        self.where = f"the blob directory {self.root} (set by {setting})"

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_chunks(self, sha256: str, chunks: Iterable[bytes]) -> None:
        dest = self.path(sha256)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def open(self, sha256: str) -> BinaryIO:
        p = self.path(sha256)
        if not p.is_file():
            raise self.missing(sha256)
        return open(p, "rb")

    def all(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for p in sorted(self.root.glob("??/??/*")):
            if p.is_file() and len(p.name) == 64 and not p.name.startswith("."):
                yield p.name


class DatabaseBlobStore(BlobStore):
    """Blobs in the database's own `blob_data` table (sha256, chunk number, bytes), each chunk its own row so
    that a byte range of a large import file is read without loading the whole file. Written in a
    transaction of its own (content-addressed: an orphan is harmless, a second writer of the same blob
    finds it there)."""

    where = "the database's blob_data table (this deployment keeps its files in the database: TRUCE_BLOB_DIR unset)"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _table(self) -> Any:
        return blob_data

    def exists(self, sha256: str) -> bool:
        t = self._table()
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.n).where(t.c.sha256 == sha256, t.c.n == 0)).first() is not None

    def put_chunks(self, sha256: str, chunks: Iterable[bytes]) -> None:
        t = self._table()
        with self.engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                # one writer per blob: a concurrent writer of the same bytes waits here, then finds them
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(s)s))", {"s": sha256})
            if conn.execute(select(t.c.n).where(t.c.sha256 == sha256, t.c.n == 0)).first() is not None:
                return
            rows = []
            for n, chunk in enumerate(chunks):
                rows.append({"sha256": sha256, "n": n, "data": chunk})
                if len(rows) >= 8:
                    conn.execute(insert(t), rows)
                    rows = []
            if rows:
                conn.execute(insert(t), rows)

    def _chunks(self, sha256: str) -> int:
        t = self._table()
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(t).where(t.c.sha256 == sha256)).scalar_one()
        return int(n)

    def _chunk(self, sha256: str, n: int) -> bytes:
        t = self._table()
        with self.engine.connect() as conn:
            data = conn.execute(select(t.c.data).where(t.c.sha256 == sha256, t.c.n == n)).scalar()
        return bytes(data or b"")

    def open(self, sha256: str) -> BinaryIO:
        count = self._chunks(sha256)
        if not count:
            raise self.missing(sha256)
        return io.BufferedReader(_ChunkReader(self, sha256, count), buffer_size=CHUNK)

    def all(self) -> Iterator[str]:
        t = self._table()
        with self.engine.connect() as conn:
            shas = [r.sha256 for r in conn.execute(select(t.c.sha256).where(t.c.n == 0).order_by(t.c.sha256))]
        yield from shas


class _ChunkReader(io.RawIOBase):
    """A seekable reader over a blob's chunks in the database, fetching each chunk when it is needed."""

    def __init__(self, store: DatabaseBlobStore, sha256: str, count: int) -> None:
        self.store, self.sha, self.count = store, sha256, count
        self.pos = 0
        self.cache: tuple[int, bytes] | None = None
        last = store._chunk(sha256, count - 1)
        self.size = (count - 1) * CHUNK + len(last)
        self.cache = (count - 1, last)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, b: Any) -> int:
        if self.pos >= self.size:
            return 0
        n, off = divmod(self.pos, CHUNK)
        if self.cache is None or self.cache[0] != n:
            self.cache = (n, self.store._chunk(self.sha, n))
        data = self.cache[1][off : off + len(b)]
        b[: len(data)] = data
        self.pos += len(data)
        return len(data)
