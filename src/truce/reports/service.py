"""Report intake: validate, locate, decide the incident, and record it — idempotently on the client UUID."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select

from truce.attachments import EvidenceFile, ensure_blob_row, store_evidence
from truce.auth.permissions import require
from truce.auth.visibility import sees_all_incidents
from truce.errors import Conflict, NotFound, ValidationFailed, from_pydantic
from truce.geo.service import admin_index
from truce.incidents import linking, matching
from truce.incidents import service as incidents
from truce.incidents.models import incident_reports
from truce.ledger.chain import Actor, ApplyContext, applier, business_now, canonical
from truce.ledger.context import App
from truce.parties.service import resolve_party
from truce.reports.models import VISIBILITY_TIERS, report_evidence, reports
from truce.reports.schemas import ReportIn, flat_casualties, iso

# The source kind a report gets by default from the kind of organisation that files it.
SOURCE_BY_ORG_KIND = {
    "guarantor_office": "guarantor_office",
    "party_liaison": "party_complaint",
    "joint_group": "monitor",
    "observer": "monitor",
    "admin": "media",
}
ALLOWED_SOURCES_BY_ORG_KIND = {
    "guarantor_office": {"guarantor_office", "monitor", "sensor", "media"},  # media: an accepted intake candidate
    "party_liaison": {"party_complaint"},
    "joint_group": {"monitor", "sensor"},
    "observer": {"monitor", "ngo", "media"},
}
DEFAULT_VISIBILITY = {"media": "public", "ngo": "public", "party_complaint": "parties"}

CONTENT_FIELDS = (
    "source_kind",
    "org_id",
    "occurred_at",
    "occurred_precision",
    "lat",
    "lon",
    "location_precision",
    "place_name",
    "violation_type",
    "alleged_party_id",
    "alleged_party_text",
    "target",
    "weapons",
    "narrative",
    "language",
    "observation",
    "visibility",
    "simulated",
    "external_source",
    "external_id",
)


@dataclass
class SubmitResult:
    report_id: str
    incident_id: int | None
    duplicate: bool
    new_incident: bool = False
    ledger_seq: int | None = None
    location: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    how: str | None = None  # origin | named | auto: how the report came to its incident
    suggestions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "incident_id": self.incident_id,
            "duplicate": self.duplicate,
            "new_incident": self.new_incident,
            "how": self.how,
            "ledger_seq": self.ledger_seq,
            "location": self.location,
            "suggestions": self.suggestions,
            "notes": self.notes,
        }


def content_hash(rec: dict[str, Any]) -> str:
    content = {k: rec.get(k) for k in CONTENT_FIELDS}
    content.update({k: rec.get(k) for k in flat_casualties({})})
    content["evidence"] = sorted(e["sha256"] for e in rec.get("evidence", []))
    return hashlib.sha256(canonical(content)).hexdigest()


def locate(
    conn: Connection, lat: float | None, lon: float | None, precision: str | None, place_name: str | None
) -> dict[str, Any]:
    """Point and P-codes for a report: from its coordinates, else from its place name via the gazetteer."""
    if lat is not None and lon is not None:
        idx = admin_index(conn)
        pc = idx.assign([lon], [lat])[0] if idx else None
        return {
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "location_precision": precision or "exact",
            "adm1_pcode": pc[0] if pc else None,
            "adm2_pcode": pc[1] if pc else None,
            "adm3_pcode": pc[2] if pc else None,
        }
    from truce.geo.gazetteer import gazetteer_for  # lazy: loads the place-name tables, only for named places

    name = (place_name or "").strip()
    res = gazetteer_for(conn).resolve(name)
    if res is None:
        raise ValidationFailed(
            f"place_name: '{name}' resolves to no known place; give lat and lon instead", field="place_name"
        )
    return {
        "lat": res.lat,
        "lon": res.lon,
        "location_precision": res.precision,
        "adm1_pcode": res.adm1_pcode,
        "adm2_pcode": res.adm2_pcode,
        "adm3_pcode": res.adm3_pcode,
        "matched": res.matched,
    }


def normalise(
    conn: Connection, actor: Actor, data: dict[str, Any], evidence: list[dict[str, Any]], received_at: str
) -> tuple[dict[str, Any], int | None, list[str]]:
    """Validate a submission and turn it into the stored record (without deciding its incident)."""
    try:
        r = ReportIn.model_validate(data)
    except ValidationError as e:
        raise from_pydantic(e) from e
    notes: list[str] = []
    kind = actor.org_kind
    source = r.source_kind or SOURCE_BY_ORG_KIND.get(kind, "monitor")
    if kind in ALLOWED_SOURCES_BY_ORG_KIND and source not in ALLOWED_SOURCES_BY_ORG_KIND[kind]:
        ok = ", ".join(sorted(ALLOWED_SOURCES_BY_ORG_KIND[kind]))
        raise ValidationFailed(f"source_kind: a {kind} files reports as {ok}, not {source}", field="source_kind")
    where = locate(conn, r.lat, r.lon, r.location_precision, r.place_name)
    party_id = resolve_party(conn, r.alleged_party)
    if r.alleged_party and not party_id:
        notes.append(f"alleged party '{r.alleged_party}' is not in the register: kept as text")
    rec: dict[str, Any] = {
        "id": str(r.id or uuid.uuid4()),
        "source_kind": source,
        "org_id": actor.org,
        "submitted_by": actor.name,
        "received_at": received_at,
        "occurred_at": iso(r.occurred_at),
        "occurred_precision": r.occurred_precision,
        "place_name": r.place_name,
        "violation_type": r.violation_type,
        "alleged_party_id": party_id,
        "alleged_party_text": r.alleged_party if r.alleged_party and not party_id else None,
        "target": r.target,
        "weapons": sorted(set(w.strip() for w in r.weapons if w.strip())),
        "narrative": r.narrative,
        "language": r.language,
        "observation": r.observation,
        "visibility": r.visibility or DEFAULT_VISIBILITY.get(source, "guarantors"),
        "simulated": r.simulated,
        "external_source": None,
        "external_id": None,
        "evidence": evidence,
        **{k: v for k, v in where.items() if k != "matched"},
        **flat_casualties(r.casualties),
    }
    tiers = list(VISIBILITY_TIERS)
    for item in evidence:
        own = item.get("visibility") or rec["visibility"]
        if own not in tiers:
            raise ValidationFailed(
                f"evidence.visibility: '{own}' is not a visibility tier", field="evidence.visibility"
            )
        item["visibility"] = max(own, rec["visibility"], key=tiers.index)
    if "matched" in where:
        notes.append(f"place '{r.place_name}' resolved to {where['matched']} ({where['location_precision']})")
    rec["content_hash"] = content_hash(rec)
    return rec, r.incident_id, notes


def submit(
    app: App, conn: Connection, actor: Actor, data: dict[str, Any], evidence: list[EvidenceFile] | None = None
) -> SubmitResult:
    """Submit one report. The same UUID with the same content is a duplicate (nothing is written);
    with different content it is refused."""
    require(actor, "report.submit")
    ev = store_evidence(app, evidence or [])
    rec, incident_id, notes = normalise(conn, actor, data, ev, business_now())
    existing = conn.execute(select(reports).where(reports.c.id == rec["id"])).mappings().first()
    if existing is not None:
        return _duplicate_or_conflict(conn, existing, rec)
    if incident_id is not None and not incidents.exists(conn, incident_id):
        raise NotFound(f"incident_id: no incident {incident_id}", field="incident_id")
    inc: dict[str, Any] = {"id": incident_id, "new": False, "how": "named"}
    suggestions: list[dict[str, Any]] = []
    if incident_id is None:
        # Corroboration: a clear match links the report; otherwise it starts an incident and the doubtful
        # candidates are queued as suggested links (incidents/matching.py has the rule).
        m = matching.match_report(conn, rec)
        if m.how == "auto":
            inc = {"id": m.incident, "new": False, "how": "auto", "score": round(m.score or 0.0, 3)}
            notes.append(f"linked automatically to incident {m.incident} (match score {m.score:.2f})")
        else:
            inc = {"id": incidents.next_id(conn), "new": True, "how": "origin"}
            suggestions = linking.suggestion_payloads(conn, rec["id"], m.suggestions)
            if sees_all_incidents(actor):
                for sg in suggestions:
                    notes.append(f"suggested link {sg['id']} to incident {sg['incident']}: {sg['reason']}")
            elif suggestions:  # a liaison is not told about incidents it may not see
                notes.append(f"{len(suggestions)} possible link(s) to other incidents queued for a verifier")
    payload: dict[str, Any] = {"report": rec, "incident": inc}
    if suggestions:
        payload["suggestions"] = suggestions
    seq, _ = app.record(conn, actor, "report.submit", payload)
    return SubmitResult(
        report_id=rec["id"],
        incident_id=inc["id"],
        duplicate=False,
        new_incident=inc["new"],
        ledger_seq=seq,
        notes=notes,
        location={k: rec[k] for k in ("lat", "lon", "location_precision", "adm1_pcode", "adm2_pcode", "adm3_pcode")},
        how=inc["how"],
        suggestions=[{k: sg[k] for k in ("id", "incident", "score", "reason")} for sg in suggestions]
        if sees_all_incidents(actor)
        else [],
    )


def _duplicate_or_conflict(conn: Connection, existing: Any, rec: dict[str, Any]) -> SubmitResult:
    if existing["content_hash"] == rec["content_hash"]:
        link = conn.execute(
            select(incident_reports.c.incident_id).where(incident_reports.c.report_id == rec["id"])
        ).first()
        return SubmitResult(
            report_id=rec["id"],
            incident_id=link.incident_id if link else None,
            duplicate=True,
            ledger_seq=existing["ledger_seq"],
            notes=["already received: nothing written"],
        )
    old = dict(existing)
    old["weapons"] = json.loads(old["weapons"])
    differ = [k for k in (*CONTENT_FIELDS, *flat_casualties({})) if old.get(k) != rec.get(k)]
    what = ", ".join(differ) if differ else "evidence"
    raise Conflict(
        f"id: report {rec['id']} was already submitted with different content ({what} differ); "
        "a correction is a new report",
        field="id",
    )


def report_row(rec: dict[str, Any], seq: int) -> dict[str, Any]:
    row = {c.name: rec.get(c.name) for c in reports.columns}
    row["weapons"] = json.dumps(rec.get("weapons") or [])
    row["simulated"] = bool(rec.get("simulated"))
    row["ledger_seq"] = seq
    return row


def insert_reports(conn: Connection, recs: list[dict[str, Any]], ctx: ApplyContext) -> None:
    conn.execute(insert(reports), [report_row(r, ctx.seq) for r in recs])
    ev_rows = []
    for r in recs:
        for e in r.get("evidence", []):
            ensure_blob_row(conn, e["sha256"], e["size"], e["media_type"], e["name"], ctx)
            ev_rows.append({"report_id": r["id"], **e})
    if ev_rows:
        conn.execute(insert(report_evidence), ev_rows)


@applier("report.submit")
def _apply_submit(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    rec, inc = p["report"], p["incident"]
    insert_reports(conn, [rec], ctx)
    if inc["new"]:
        incidents.create_from_reports(conn, [(inc["id"], rec)], ctx)
    incidents.link(conn, rec["id"], inc["id"], inc["how"], ctx)
    linking.insert_suggestions(conn, p.get("suggestions", []), ctx)
    if not inc["new"]:  # an existing incident has one more report
        linking.refresh(conn, [inc["id"]], ctx)
        ctx.mark("incidents", [inc["id"]])  # its judgment follows (a declared reaction)
