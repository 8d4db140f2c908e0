"""Read-only views of incidents for the API and the web app: compact map points, cursors for keyset
pagination, and the verifiers' queue. Each takes the viewer and shows only what it may see."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import Connection, and_, func, not_, select

from truce import times
from truce.auth.permissions import require
from truce.auth.visibility import incident_clause
from truce.errors import ValidationFailed
from truce.incidents import linking
from truce.incidents.models import VERDICTS, findings, incident_reports, incidents
from truce.incidents.service import IncidentFilter
from truce.ledger.chain import Actor
from truce.reports.models import reports

MAX_POINTS = 500_000


def encode_cursor(row: dict[str, Any]) -> str:
    raw = json.dumps([row["occurred_at"], int(row["id"])], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, iid = json.loads(raw)
        return str(at), int(iid)
    except (ValueError, TypeError) as e:
        raise ValidationFailed("cursor: not a cursor this server gave out", field="cursor") from e


def incident_points(conn: Connection, flt: IncidentFilter | None, viewer: Actor | None) -> dict[str, Any]:
    """Every located incident the viewer may see, as compact rows [id, lat, lon, verdict code]
    (the code indexes `verdicts`): what a map needs to draw 100,000 markers without the rest."""
    flt = (flt or IncidentFilter()).check(conn)
    stmt = (
        flt.apply(select(incidents.c.id, incidents.c.lat, incidents.c.lon, incidents.c.verdict))
        .where(incident_clause(viewer), incidents.c.lat.is_not(None), incidents.c.lon.is_not(None))
        .order_by(incidents.c.id)
        .limit(MAX_POINTS)
    )
    code = {v: i for i, v in enumerate(VERDICTS)}
    pts = [
        [int(r[0]), round(float(r[1]), 5), round(float(r[2]), 5), code.get(r[3], 0)]
        for r in conn.execute(stmt)
    ]
    return {"fields": ["id", "lat", "lon", "verdict"], "verdicts": list(VERDICTS), "count": len(pts), "points": pts}


def _awaiting_clause(viewer: Actor) -> Any:
    """Incidents with no current finding of the viewer's guarantor (the joint group and admins: none at all)."""
    f = select(findings.c.incident_id)
    if viewer.org_kind == "guarantor_office" and viewer.party_id:
        f = f.where(findings.c.guarantor == viewer.party_id)
    return not_(incidents.c.id.in_(f))


def verifier_queue(
    conn: Connection,
    viewer: Actor,
    limit: int = 25,
    offset: int = 0,
    days: int = 30,
    include_simulated: bool = True,
    zone: str | None = None,
) -> dict[str, Any]:
    """A verifier's work, oldest first: new reports (received in the last `days` days, not imported,
    on incidents still awaiting this guarantor's finding), open suggested links, and incidents
    awaiting this guarantor's finding (pending verdict)."""
    require(viewer, "queue.view")
    if not 1 <= days <= 3660:
        raise ValidationFailed("days: between 1 and 3660", field="days")
    if not 1 <= limit <= 200 or offset < 0:
        raise ValidationFailed("limit: between 1 and 200", field="limit")

    since = times.add_days(times.now(), -days)
    awaiting = _awaiting_clause(viewer)
    flt = IncidentFilter(zone=zone, simulated=None if include_simulated else False)

    rep_cond = and_(
        reports.c.received_at >= since,
        reports.c.external_source.is_(None),
        incidents.c.verdict == "pending",
        awaiting,
    )
    if not include_simulated:
        rep_cond = and_(rep_cond, reports.c.simulated.is_(False))
    base = (
        select(
            reports.c.id,
            reports.c.org_id,
            reports.c.received_at,
            reports.c.occurred_at,
            reports.c.violation_type,
            reports.c.place_name,
            reports.c.alleged_party_id,
            reports.c.alleged_party_text,
            reports.c.simulated,
            reports.c.visibility,
            incident_reports.c.incident_id,
        )
        .join(incident_reports, incident_reports.c.report_id == reports.c.id)
        .join(incidents, incidents.c.id == incident_reports.c.incident_id)
        .where(rep_cond)
    )
    base = flt.apply(base)
    n_reports = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    new_reports = [
        dict(r)
        for r in conn.execute(
            base.order_by(reports.c.received_at, reports.c.id).limit(limit).offset(offset)
        ).mappings()
    ]

    inc_stmt = flt.apply(
        select(
            incidents.c.id,
            incidents.c.title,
            incidents.c.occurred_at,
            incidents.c.violation_type,
            incidents.c.alleged_party_id,
            incidents.c.verdict,
            incidents.c.simulated,
        )
    ).where(incidents.c.verdict == "pending", awaiting)
    n_awaiting = conn.execute(select(func.count()).select_from(inc_stmt.subquery())).scalar_one()
    waiting = [
        dict(r)
        for r in conn.execute(
            inc_stmt.order_by(incidents.c.occurred_at, incidents.c.id).limit(limit).offset(offset)
        ).mappings()
    ]
    if waiting:
        counts: dict[int, int] = dict(
            conn.execute(
                select(incident_reports.c.incident_id, func.count())
                .where(incident_reports.c.incident_id.in_([w["id"] for w in waiting]))
                .group_by(incident_reports.c.incident_id)
            ).all()
        )
        for w in waiting:
            w["reports"] = int(counts.get(w["id"], 0))

    suggestions, n_sugg, available = open_suggestions(conn, limit, offset)
    return {
        "guarantor": viewer.party_id if viewer.org_kind == "guarantor_office" else None,
        "since": since,
        "limit": limit,
        "offset": offset,
        "new_reports": {"total": int(n_reports), "items": new_reports},
        "suggestions": {"total": n_sugg, "items": suggestions, "available": available},
        "awaiting_finding": {"total": int(n_awaiting), "items": waiting},
    }


def open_suggestions(conn: Connection, limit: int = 25, offset: int = 0) -> tuple[list[dict[str, Any]], int, bool]:
    """Open suggested links, oldest first (the third value, always True, says that linking is available)."""
    rows, total = linking.list_suggestions(conn, status="open", limit=limit, offset=offset)
    return [dict(r) for r in rows], int(total), True
