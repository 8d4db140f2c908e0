"""Files kept with the record: a report's evidence, a reply's or an investigation's documents, the source
files of imports and boundaries, the bulletins' documents.

The bytes go to the deployment's blob store (`truce.ledger.blobs`), once, by their sha256; the `blobs` table
has one row per file, written by the ledger entry that first brought it."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from truce.errors import ValidationFailed
from truce.ledger.chain import ApplyContext
from truce.ledger.context import App
from truce.ledger.models import blobs as blobs_table


@dataclass
class EvidenceFile:
    name: str
    data: bytes
    media_type: str | None = None
    visibility: str | None = None  # stricter than the report's tier, e.g. a witness statement

    @classmethod
    def from_path(cls, path: str | Path) -> EvidenceFile:
        p = Path(path)
        if not p.is_file():
            raise ValidationFailed(f"evidence: no file at {p}", field="evidence")
        return cls(name=p.name, data=p.read_bytes())


def store_evidence(app: App, files: list[EvidenceFile]) -> list[dict[str, Any]]:
    out = []
    for f in files:
        sha = app.blobs.put_bytes(f.data)
        mt = f.media_type or mimetypes.guess_type(f.name)[0] or "application/octet-stream"
        out.append({"sha256": sha, "name": f.name, "media_type": mt, "size": len(f.data), "visibility": f.visibility})
    return sorted(out, key=lambda e: e["sha256"])


def ensure_blob_row(conn: Connection, sha: str, size: int, media_type: str, name: str, ctx: ApplyContext) -> None:
    if conn.execute(select(blobs_table.c.sha256).where(blobs_table.c.sha256 == sha)).first() is None:
        conn.execute(
            insert(blobs_table).values(
                sha256=sha, size=size, media_type=media_type, name=name, created_at=ctx.at, ledger_seq=ctx.seq
            )
        )
