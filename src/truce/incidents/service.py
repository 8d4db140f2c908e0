"""Incidents: created from reports, placed in admin areas and zones at write time, and queried."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select

from truce.errors import NotFound, ValidationFailed
from truce.incidents.models import incident_reports, incident_zones, incidents
from truce.ledger.chain import SYSTEM, ApplyContext
from truce.ledger.models import ledger_entries
from truce.reports.models import reports
from truce.zones.service import assign_incidents

INCIDENT_FIELDS = (
    "occurred_at",
    "occurred_precision",
    "lat",
    "lon",
    "location_precision",
    "place_name",
    "adm1_pcode",
    "adm2_pcode",
    "adm3_pcode",
    "violation_type",
    "alleged_party_id",
    "alleged_party_text",
    "simulated",
)


def next_id(conn: Connection) -> int:
    """The next incident number. Called inside the write transaction, so no one else takes it."""
    return int(conn.execute(select(func.coalesce(func.max(incidents.c.id), 0))).scalar_one()) + 1


def exists(conn: Connection, incident_id: int) -> bool:
    return conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first() is not None


def title_for(rec: dict[str, Any]) -> str:
    what = rec["violation_type"].replace("_", " ")
    where = rec.get("place_name") or (f"{rec['lat']:.4f}, {rec['lon']:.4f}" if rec.get("lat") is not None else "?")
    return f"{what.capitalize()} at {where}"


def create_from_reports(conn: Connection, pairs: list[tuple[int, dict[str, Any]]], ctx: ApplyContext) -> None:
    """Create one incident per (id, originating report) pair and place each in its zones."""
    if not pairs:
        return
    rows = []
    for iid, rec in pairs:
        row = {k: rec.get(k) for k in INCIDENT_FIELDS}
        row.update(
            id=iid,
            status="open",
            verdict="pending",
            simulated=bool(rec.get("simulated")),
            title=title_for(rec),
            created_at=ctx.at,
            ledger_seq=ctx.seq,
        )
        rows.append(row)
    conn.execute(insert(incidents), rows)
    assign_incidents(conn, rows)


def link(conn: Connection, report_id: str, incident_id: int, how: str, ctx: ApplyContext) -> None:
    conn.execute(
        insert(incident_reports).values(
            report_id=report_id, incident_id=incident_id, how=how, linked_at=ctx.at, linked_by=ctx.actor
        )
    )


def link_many(conn: Connection, links: list[tuple[str, int, str]], ctx: ApplyContext) -> None:
    if links:
        conn.execute(
            insert(incident_reports),
            [
                {"report_id": r, "incident_id": i, "how": h, "linked_at": ctx.at, "linked_by": ctx.actor}
                for r, i, h in links
            ],
        )


# --- queries ---------------------------------------------------------------------------------------


@dataclass
class IncidentFilter:
    verdict: str | None = None
    status: str | None = None
    zone: str | None = None
    adm: str | None = None
    party: str | None = None
    violation_type: str | None = None
    since: str | None = None  # inclusive, date or ISO time
    until: str | None = None  # inclusive day
    simulated: bool | None = None

    def apply(self, stmt: Any) -> Any:
        c = incidents.c
        if self.verdict:
            stmt = stmt.where(c.verdict == self.verdict)
        # An incident whose reports were all linked elsewhere is kept but not listed (incidents/linking.py).
        stmt = stmt.where(c.status == self.status) if self.status else stmt.where(c.status != "merged")
        if self.zone:
            stmt = stmt.where(
                c.id.in_(select(incident_zones.c.incident_id).where(incident_zones.c.zone_id == self.zone))
            )
        if self.adm:
            code = self.adm.upper()
            col = {4: c.adm1_pcode, 6: c.adm2_pcode, 8: c.adm3_pcode}.get(len(code))
            if col is None:
                raise ValidationFailed(
                    f"adm: '{self.adm}' is not an OCHA P-code (SYnn, SYnnnn or SYnnnnnn)", field="adm"
                )
            stmt = stmt.where(col == code)
        if self.party:
            stmt = stmt.where(c.alleged_party_id == self.party.upper())
        if self.violation_type:
            stmt = stmt.where(c.violation_type == self.violation_type)
        if self.since:
            stmt = stmt.where(c.occurred_at >= self.since[:10])
        if self.until:
            stmt = stmt.where(c.occurred_at < _day_after(self.until[:10]))
        if self.simulated is not None:
            stmt = stmt.where(c.simulated == self.simulated)
        return stmt


def _day_after(day: str) -> str:
    from datetime import date, timedelta

    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError as e:
        raise ValidationFailed(f"until: '{day}' is not a date (YYYY-MM-DD)", field="until") from e


LIST_COLUMNS = (
    incidents.c.id,
    incidents.c.occurred_at,
    incidents.c.occurred_precision,
    incidents.c.violation_type,
    incidents.c.alleged_party_id,
    incidents.c.alleged_party_text,
    incidents.c.place_name,
    incidents.c.adm1_pcode,
    incidents.c.adm2_pcode,
    incidents.c.adm3_pcode,
    incidents.c.lat,
    incidents.c.lon,
    incidents.c.location_precision,
    incidents.c.status,
    incidents.c.verdict,
    incidents.c.simulated,
    incidents.c.title,
    incidents.c.attributed_party_id,
    incidents.c.severity,
    incidents.c.breach,
    incidents.c.confidence,
)


def list_incidents(
    conn: Connection,
    flt: IncidentFilter | None = None,
    limit: int = 50,
    offset: int = 0,
    viewer: Any = SYSTEM,
    before: tuple[str, int] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of incidents, newest first, and the total matching the filter. limit 0 = all.
    `viewer` (an Actor, or None for the public) limits the rows to what that viewer may see.
    `before` = (occurred_at, id) of the last row of the previous page: keyset (cursor) pagination."""
    from truce.auth.visibility import incident_clause

    flt = flt or IncidentFilter()
    if limit < 0 or offset < 0:
        raise ValidationFailed("limit and offset must be ≥ 0", field="limit" if limit < 0 else "offset")
    seen = incident_clause(viewer)
    total = conn.execute(flt.apply(select(func.count()).select_from(incidents)).where(seen)).scalar_one()
    stmt = (
        flt.apply(select(*LIST_COLUMNS))
        .where(seen)
        .order_by(incidents.c.occurred_at.desc(), incidents.c.id.desc())
    )
    if before is not None:
        stmt = stmt.where(
            or_(
                incidents.c.occurred_at < before[0],
                and_(incidents.c.occurred_at == before[0], incidents.c.id < int(before[1])),
            )
        )
    if limit:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    if rows:
        ids = [r["id"] for r in rows]
        zmap: dict[int, list[str]] = {}
        for z in conn.execute(
            select(incident_zones.c.incident_id, incident_zones.c.zone_id)
            .where(incident_zones.c.incident_id.in_(ids))
            .order_by(incident_zones.c.zone_id)
        ):
            zmap.setdefault(z.incident_id, []).append(z.zone_id)
        counts: dict[int, int] = dict(
            conn.execute(
                select(incident_reports.c.incident_id, func.count())
                .where(incident_reports.c.incident_id.in_(ids))
                .group_by(incident_reports.c.incident_id)
            ).all()
        )
        sims: dict[int, int] = dict(
            conn.execute(
                select(incident_reports.c.incident_id, func.count())
                .join(reports, reports.c.id == incident_reports.c.report_id)
                .where(incident_reports.c.incident_id.in_(ids), reports.c.simulated.is_(True))
                .group_by(incident_reports.c.incident_id)
            ).all()
        )
        for r in rows:
            r["zones"] = zmap.get(r["id"], [])
            r["reports"] = int(counts.get(r["id"], 0))
            r["simulated_reports"] = int(sims.get(r["id"], 0))
    return rows, int(total)


def show_incident(conn: Connection, incident_id: int) -> dict[str, Any]:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).mappings().first()
    if row is None:
        raise NotFound(f"no incident {incident_id}", field="incident")
    d = dict(row)
    d["zones"] = [
        dict(z)
        for z in conn.execute(
            select(incident_zones.c.zone_id, incident_zones.c.zone_version)
            .where(incident_zones.c.incident_id == incident_id)
            .order_by(incident_zones.c.zone_id)
        ).mappings()
    ]
    reps = conn.execute(
        select(
            reports.c.id,
            reports.c.source_kind,
            reports.c.org_id,
            reports.c.submitted_by,
            reports.c.received_at,
            reports.c.occurred_at,
            reports.c.violation_type,
            reports.c.place_name,
            reports.c.lat,
            reports.c.lon,
            reports.c.alleged_party_id,
            reports.c.alleged_party_text,
            reports.c.killed,
            reports.c.injured,
            reports.c.visibility,
            reports.c.simulated,
            reports.c.external_source,
            reports.c.external_id,
            reports.c.ledger_seq,
            incident_reports.c.how,
            incident_reports.c.linked_at,
        )
        .join(incident_reports, incident_reports.c.report_id == reports.c.id)
        .where(incident_reports.c.incident_id == incident_id)
        .order_by(reports.c.received_at, reports.c.id)
    ).mappings()
    d["reports"] = [dict(r) for r in reps]
    seqs = sorted({d["ledger_seq"], *[r["ledger_seq"] for r in d["reports"]]})
    d["ledger"] = [
        {"seq": e.seq, "at": e.at, "actor": e.actor, "org": e.org, "command": e.command, "hash": e.hash}
        for e in conn.execute(
            select(
                ledger_entries.c.seq,
                ledger_entries.c.at,
                ledger_entries.c.actor,
                ledger_entries.c.org,
                ledger_entries.c.command,
                ledger_entries.c.hash,
            )
            .where(ledger_entries.c.seq.in_(seqs))
            .order_by(ledger_entries.c.seq)
        )
    ]
    return d


def incidents_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    feats = []
    for r in rows:
        if r.get("lat") is None:
            continue
        props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        feats.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": json.loads(json.dumps(props, default=str)),
            }
        )
    return {"type": "FeatureCollection", "features": feats}
