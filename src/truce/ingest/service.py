"""Batch imports: rows from other systems become reports, one ledger entry per batch.

Each batch entry names the source file's sha256 (the file itself is kept in the blob store) and
carries the normalised rows, so a replay rebuilds exactly what was imported."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from truce.auth.permissions import require
from truce.db import next_id
from truce.incidents import linking, matching
from truce.incidents import service as incidents
from truce.incidents.models import incident_reports, link_suggestions
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.parties.service import external_hint, resolve_party
from truce.reports.models import reports
from truce.reports.service import content_hash, insert_reports

NAMESPACE = uuid.UUID("6f1c1c7e-5d2a-4c4e-9a57-7d2f6b0c1a11")
BATCH_SIZE = 1000

@dataclass
class ImportSummary:
    source: str
    file: str
    sha256: str
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    corrections: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    precision: Counter[str] = field(default_factory=Counter)
    unresolved_places: Counter[str] = field(default_factory=Counter)
    unknown_sides: Counter[str] = field(default_factory=Counter)
    batches: list[int] = field(default_factory=list)
    auto_linked: int = 0  # new rows linked to an incident that was already there (or began earlier in the file)
    suggested: int = 0  # suggested links queued for a verifier

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "sha256": self.sha256,
            "rows": self.rows,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "corrections": self.corrections,
            "rejected": [{"line": ln, "reason": r} for ln, r in self.rejected],
            "precision": dict(self.precision),
            "unresolved_places": dict(self.unresolved_places.most_common(20)),
            "unknown_sides": dict(self.unknown_sides.most_common(20)),
            "ledger_entries": self.batches,
            "auto_linked": self.auto_linked,
            "suggested_links": self.suggested,
        }


_HINT = "\0hint"  # the scenario's UCDP names, kept in the side cache of one import


def resolve_side(conn: Connection, name: str, cache: dict[str, Any]) -> str | None:
    """The first party named in a UCDP side ("A, B, C" lists several)."""
    if name in cache:
        return cache[name]
    found = None
    hint = cache.get(_HINT)
    if hint is None:
        hint = cache[_HINT] = external_hint(conn, "ucdp")
    for part in [name, *[p.strip() for p in name.split(",")]]:
        pid = hint(part)
        pid = pid if pid and resolve_party(conn, pid) == pid else resolve_party(conn, part)
        if pid:
            found = pid
            break
    cache[name] = found
    return found


def ucdp_record_to_report(
    conn: Connection,
    r: Any,
    org: str,
    actor: str,
    received_at: str,
    side_cache: dict[str, Any],
    summary: ImportSummary,
) -> dict[str, Any]:
    res = r.resolution
    party = resolve_side(conn, r.side_a, side_cache)
    if not party:
        summary.unknown_sides[r.side_a] += 1
    rec: dict[str, Any] = {
        "id": str(uuid.uuid5(NAMESPACE, f"ucdp:{r.external_id}")),
        "source_kind": "media",
        "org_id": org,
        "submitted_by": actor,
        "received_at": received_at,
        "occurred_at": r.occurred_at,
        "occurred_precision": r.occurred_precision,
        "lat": res.lat if res else None,
        "lon": res.lon if res else None,
        "location_precision": res.precision if res else "country",
        "place_name": r.place_name,
        "adm1_pcode": res.adm1_pcode if res else None,
        "adm2_pcode": res.adm2_pcode if res else None,
        "adm3_pcode": res.adm3_pcode if res else None,
        "violation_type": "attack_on_civilians" if r.side_b.strip().lower() == "civilians" else "armed_clash",
        "alleged_party_id": party,
        "alleged_party_text": None if party else r.side_a,
        "target": r.side_b,
        "weapons": [],
        "killed": r.killed,
        "killed_low": r.killed_low,
        "killed_high": r.killed_high,
        "killed_civilian": r.killed_civilian,
        "killed_combatant": r.killed_combatant,
        "injured": None,
        "injured_low": None,
        "injured_high": None,
        "injured_civilian": None,
        "injured_combatant": None,
        "narrative": r.narrative,
        "language": "en",
        "observation": "second_hand",
        "visibility": "public",
        "simulated": False,
        "external_source": "ucdp",
        "external_id": r.external_id,
        "supersedes": None,
        "evidence": [],
    }
    rec["content_hash"] = content_hash(rec)
    return rec


def import_ucdp(
    app: Any, actor: Actor, path: str | Path, org: str | None = None, progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Import a UCDP-AEC CSV, or UCDP GED's own CSV (told apart by the header), as media reports,
    idempotent on the UCDP id."""
    from truce.geo.gazetteer import gazetteer_for
    from truce.ingest.ucdp import RowError, read_ucdp_aec

    with app.read() as conn:
        require(actor, "import.batch")
        gaz = gazetteer_for(conn)
    path = Path(path)
    if _is_ged(path):
        return _bulk.import_file(app, actor, path, "ucdp_ged", org=org, source_kind="media", progress=progress)
    sha = app.blobs.put_file(path)
    summary = ImportSummary(source="ucdp_aec", file=path.name, sha256=sha)
    records: list[Any] = []
    for item in read_ucdp_aec(path, gaz):
        summary.rows += 1
        if isinstance(item, RowError):
            summary.rejected.append((getattr(item, "line", 0), str(item)))
        else:
            records.append(item)
        if progress and summary.rows % 200 == 0:
            progress(200)
    if progress:
        progress(summary.rows % 200)
    org_id = org or actor.org
    for start in range(0, len(records), BATCH_SIZE):
        chunk = records[start : start + BATCH_SIZE]
        with app.write() as conn:
            _import_chunk(app, conn, actor, org_id, chunk, summary, start // BATCH_SIZE + 1)
    return summary


def _import_chunk(
    app: Any, conn: Connection, actor: Actor, org_id: str, chunk: list[Any], summary: ImportSummary, batch_no: int
) -> None:
    from truce.ledger.chain import now_iso

    received = now_iso()
    side_cache: dict[str, Any] = {}
    recs = [ucdp_record_to_report(conn, r, org_id, actor.name, received, side_cache, summary) for r in chunk]
    ext_ids = [r["external_id"] for r in recs]
    existing: dict[str, list[Any]] = {}
    for row in conn.execute(
        select(reports.c.id, reports.c.external_id, reports.c.content_hash, reports.c.received_at).where(
            reports.c.external_source == "ucdp", reports.c.external_id.in_(ext_ids)
        )
    ):
        existing.setdefault(row.external_id, []).append(row)
    new_recs: list[dict[str, Any]] = []
    links: list[list[Any]] = []
    fresh: list[dict[str, Any]] = []
    for rec in recs:
        prior = existing.get(rec["external_id"])
        if prior:
            if any(p.content_hash == rec["content_hash"] for p in prior):
                summary.duplicates += 1
                continue
            latest = max(prior, key=lambda p: (p.received_at, p.id))
            inc = conn.execute(
                select(incident_reports.c.incident_id).where(incident_reports.c.report_id == latest.id)
            ).scalar()
            rec["id"] = str(uuid.uuid5(NAMESPACE, f"ucdp:{rec['external_id']}:{rec['content_hash']}"))
            rec["supersedes"] = latest.id
            rec["content_hash"] = content_hash(rec)
            new_recs.append(rec)
            links.append([rec["id"], inc, "correction"])
            summary.corrections += 1
        else:
            new_recs.append(rec)
            fresh.append(rec)
            summary.imported += 1
        summary.precision[rec["location_precision"]] += 1
        if rec["location_precision"] in ("adm1", "country") and rec["place_name"]:
            summary.unresolved_places[rec["place_name"]] += 1
    if not new_recs:
        return
    new_incidents, fresh_links, suggestions = match_into_incidents(conn, fresh, summary)
    payload = {
        "source": summary.source,
        "file": summary.file,
        "blob": summary.sha256,
        "batch": batch_no,
        "reports": new_recs,
        "incidents": new_incidents,
        "links": links + fresh_links,
        "suggestions": suggestions,
    }
    seq, _ = app.record(conn, actor, "import.batch", payload)
    summary.batches.append(seq)


def match_into_incidents(
    conn: Connection, fresh: list[dict[str, Any]], summary: ImportSummary | None = None
) -> tuple[list[list[Any]], list[list[Any]], list[dict[str, Any]]]:
    """Decide the incident of each new row (matched in order against the database and earlier rows, see
    incidents/matching.py): the new incidents [[id, report]], the links [[report, incident, how]] and the
    suggested links (payload items) of a batch."""
    source = fresh[0].get("external_source") if fresh else None
    if any(r.get("external_source") != source for r in fresh):
        source = None
    res = matching.match_batch(conn, fresh, source=source)
    next_iid = incidents.next_id(conn)
    next_sid = next_id(conn, link_suggestions)
    new_incidents: list[list[Any]] = []
    links: list[list[Any]] = []
    suggestions: list[dict[str, Any]] = []
    row_incident: list[int] = []

    def resolve(iid: int) -> int:
        return iid if iid >= 0 else row_incident[-1 - iid]

    for rec, m in zip(fresh, res.matches, strict=True):
        if m.how == "auto" and m.incident is not None:
            iid = resolve(m.incident)
            links.append([rec["id"], iid, "auto"])
            if summary is not None:
                summary.auto_linked += 1
        else:
            iid = next_iid
            next_iid += 1
            new_incidents.append([iid, rec["id"]])
            links.append([rec["id"], iid, "origin"])
            for sg in m.suggestions:
                item = {"id": next_sid, "report": rec["id"], **sg.to_payload()}
                item["incident"] = resolve(sg.incident)
                suggestions.append(item)
                next_sid += 1
        row_incident.append(iid)
    if summary is not None:
        summary.suggested += len(suggestions)
    return new_incidents, links, suggestions


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
        linking.recompute(conn, grown, ctx)


def _is_ged(path: Path) -> bool:
    """True when the file's header is UCDP GED's (coordinates, precision codes) rather than UCDP-AEC's."""
    import csv

    from truce.ingest.ged import is_ged

    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError):
        return False
    return is_ged(header)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def chunks(it: Iterable[Any], n: int) -> Iterable[list[Any]]:
    buf: list[Any] = []
    for x in it:
        buf.append(x)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


from truce.ingest import bulk as _bulk  # noqa: E402,F401  (registers the import.file applier)
