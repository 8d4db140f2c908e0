"""Imports: the entry points of the one import pipeline (`ingest/bulk.py`: a registry of formats, one
`import.file` ledger entry per batch), and the applier of the `import.batch` entries that UCDP-AEC imports
wrote before they joined the pipeline (kept so that an old ledger replays to identical tables)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from truce.incidents import linking
from truce.incidents import service as incidents
from truce.ingest.bulk import ImportSummary, import_file, match_into_incidents
from truce.ingest.ged import is_ged
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.reports.service import insert_reports

__all__ = ["ImportSummary", "import_ucdp", "match_into_incidents"]


def import_ucdp(
    app: App, actor: Actor, path: str | Path, org: str | None = None, progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Import a UCDP-AEC CSV, or UCDP GED's own CSV (told apart by the header), as media reports,
    idempotent on the UCDP id."""
    path = Path(path)
    source = "ucdp_ged" if _is_ged(path) else "ucdp_aec"
    return import_file(app, actor, path, source, org=org, source_kind="media", progress=progress)


@applier("import.batch")
def _apply_batch(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    recs = p["reports"]
    insert_reports(conn, recs, ctx)
    by_id = {r["id"]: r for r in recs}
    incidents.create_from_reports(conn, [(iid, by_id[rid]) for iid, rid in p["incidents"]], ctx)
    incidents.link_many(conn, [(r, i, h) for r, i, h in p["links"]], ctx)
    linking.insert_suggestions(conn, p.get("suggestions", []), ctx)
    grown = sorted({i for _, i, h in p["links"] if h in ("auto", "correction")})
    if grown:  # incidents with one more report
        linking.refresh(conn, grown, ctx)
        ctx.mark("incidents", grown)  # their judgment follows (a declared reaction)


def _is_ged(path: Path) -> bool:
    """True when the file's header is UCDP GED's (coordinates, precision codes) rather than UCDP-AEC's."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return is_ged(header)
