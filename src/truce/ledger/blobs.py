"""Content-addressed blob store: files are kept by their sha256, written once, never changed."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO


class BlobError(Exception):
    pass


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write(sha, [data])
        return sha

    def put_file(self, source: Path | str) -> str:
        """Stream a file into the store (memory stays flat whatever its size)."""
        h = hashlib.sha256()
        with open(source, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        sha = h.hexdigest()
        if not self.exists(sha):
            with open(source, "rb") as f:
                self._write(sha, iter(lambda: f.read(1 << 20), b""))
        return sha

    def _write(self, sha: str, chunks: object) -> None:
        dest = self.path(sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:  # type: ignore[attr-defined]
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
            raise BlobError(f"blob {sha256} is missing from the blob store at {self.root}")
        return open(p, "rb")

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as f:
            return f.read()

    def verify(self, sha256: str) -> bool:
        h = hashlib.sha256()
        with self.open(sha256) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest() == sha256
