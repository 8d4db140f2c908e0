"""Which reports an incident has: verifiers link, unlink and split; suggested links wait for a verifier.

Reports are never merged or deleted: a report is always linked to exactly one incident, and these
commands only move that link. An incident's when/where/what are those of its origin report (the link
with how = "origin", else its earliest report): when that report leaves, the incident takes them from
its earliest remaining report and is placed in its zones again. An incident left with no report is
marked "merged" (kept, not listed); linking a report to it reopens it. Every change of an incident's
reports marks the incidents it changed (`ctx.mark("incidents", ...)`); their verdict and confidence are then
recomputed by a declared reaction (`incidents.verification.judge_after_report_change`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from truce import lookups
from truce.auth.permissions import require
from truce.db import next_id
from truce.errors import Conflict, NotFound, ValidationFailed
from truce.incidents import service as incidents
from truce.incidents.models import incident_reports, incident_zones, link_suggestions
from truce.incidents.models import incidents as incidents_t
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.reports.models import reports

MAX_REASON = 2000


# --- suggestions written by the report and import appliers -------------------------------------------


def suggestion_payloads(conn: Connection, report_id: str, sugg: list[Any], first_id: int | None = None) -> list[dict]:
    """Ledger payload items for matcher suggestions (objects with to_payload()), with their new ids."""
    sid = first_id if first_id is not None else next_id(conn, link_suggestions)
    out = []
    for s in sugg:
        out.append({"id": sid, "report": report_id, **s.to_payload()})
        sid += 1
    return out


def insert_suggestions(conn: Connection, items: list[dict[str, Any]], ctx: ApplyContext) -> None:
    if not items:
        return
    conn.execute(
        insert(link_suggestions),
        [
            {
                "id": s["id"],
                "report_id": s["report"],
                "incident_id": s["incident"],
                "score": s["score"],
                "distance_km": s["distance_km"],
                "hours_apart": s["hours_apart"],
                "reason": s["reason"],
                "status": "open",
                "created_at": ctx.now,
                "decided_by": None,
                "decided_at": None,
                "decision_reason": None,
                "ledger_seq": ctx.seq,
            }
            for s in items
        ],
    )


# --- helpers -------------------------------------------------------------------------------------


def _reason(reason: str | None, required: bool = False) -> str | None:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed("reason: required (say why)", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"reason: at most {MAX_REASON} characters", field="reason")
    return text or None


def current_incident(conn: Connection, report_id: str) -> int:
    if conn.execute(select(reports.c.id).where(reports.c.id == report_id)).first() is None:
        raise NotFound(f"report: no report {report_id}", field="report")
    iid = conn.execute(select(incident_reports.c.incident_id).where(incident_reports.c.report_id == report_id)).scalar()
    if iid is None:  # pragma: no cover - every report is linked when it is recorded
        raise Conflict(f"report: report {report_id} is linked to no incident", field="report")
    return int(iid)


def _require_incident(conn: Connection, incident_id: int, field: str = "incident") -> None:
    if not incidents.exists(conn, incident_id):
        raise NotFound(f"{field}: no incident {incident_id}", field=field)


def _members(conn: Connection, incident_id: int) -> list[str]:
    """The reports of an incident, earliest received first."""
    return [
        r.id
        for r in conn.execute(
            select(reports.c.id)
            .join(incident_reports, incident_reports.c.report_id == reports.c.id)
            .where(incident_reports.c.incident_id == incident_id)
            .order_by(reports.c.received_at, reports.c.id)
        )
    ]


def _open_suggestions(conn: Connection, report_ids: list[str]) -> list[Any]:
    return list(
        conn.execute(
            select(link_suggestions.c.id, link_suggestions.c.report_id, link_suggestions.c.incident_id)
            .where(link_suggestions.c.report_id.in_(report_ids), link_suggestions.c.status == "open")
            .order_by(link_suggestions.c.id)
        ).all()
    )


def _settle(conn: Connection, sids: list[int], status: str, why: str | None, ctx: ApplyContext) -> None:
    if sids:
        conn.execute(
            update(link_suggestions)
            .where(link_suggestions.c.id.in_(sids))
            .values(status=status, decided_by=ctx.actor, decided_at=ctx.now, decision_reason=why)
        )


def _move(conn: Connection, report_ids: list[str], to: int, how: str, ctx: ApplyContext) -> None:
    conn.execute(
        update(incident_reports)
        .where(incident_reports.c.report_id.in_(report_ids))
        .values(incident_id=to, how=how, linked_at=ctx.now, linked_by=ctx.actor)
    )


def _report_row(conn: Connection, report_id: str) -> dict[str, Any]:
    row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().one()
    return dict(row)


def _new_incident(conn: Connection, iid: int, basis: str, others: list[str], ctx: ApplyContext) -> None:
    incidents.create_from_reports(conn, [(iid, _report_row(conn, basis))], ctx)
    _move(conn, [basis], iid, "origin", ctx)
    if others:
        _move(conn, others, iid, "manual", ctx)


PLACE_FIELDS = ("occurred_at", "lat", "lon", "location_precision")


def refresh(conn: Connection, incident_ids: list[int], ctx: ApplyContext) -> None:
    """After reports moved: mark emptied incidents merged, reopen refilled ones, and take each incident's
    when/where/what from its origin report (else its earliest), placing it in its zones again if needed."""
    for iid in sorted(set(incident_ids)):
        inc = conn.execute(select(incidents_t).where(incidents_t.c.id == iid)).mappings().first()
        if inc is None:
            continue
        links = (
            conn.execute(
                select(reports, incident_reports.c.how)
                .join(incident_reports, incident_reports.c.report_id == reports.c.id)
                .where(incident_reports.c.incident_id == iid)
                .order_by(reports.c.received_at, reports.c.id)
            )
            .mappings()
            .all()
        )
        if not links:
            if inc["status"] != "merged":
                conn.execute(update(incidents_t).where(incidents_t.c.id == iid).values(status="merged"))
            continue
        values: dict[str, Any] = {}
        if inc["status"] == "merged":
            values["status"] = "open"
        basis = next((r for r in links if r["how"] == "origin"), links[0])
        want = {k: basis[k] for k in incidents.INCIDENT_FIELDS}
        want["simulated"] = bool(want["simulated"])
        want["title"] = incidents.title_for(dict(basis))
        values.update({k: v for k, v in want.items() if inc[k] != v})
        if values:
            conn.execute(update(incidents_t).where(incidents_t.c.id == iid).values(**values))
        if any(k in values for k in PLACE_FIELDS):
            conn.execute(delete(incident_zones).where(incident_zones.c.incident_id == iid))
            incidents.place(conn, [{"id": iid, **{k: want[k] for k in PLACE_FIELDS}}])


# --- commands ------------------------------------------------------------------------------------


def link_report(
    app: App, conn: Connection, actor: Actor, report_id: str, incident_id: int, reason: str | None = None
) -> dict[str, Any]:
    """Move a report's link to another incident (a verifier's decision)."""
    require(actor, "incident.link")
    why = _reason(reason)
    cur = current_incident(conn, report_id)
    _require_incident(conn, incident_id)
    if cur == incident_id:
        raise Conflict(f"report {report_id} is already linked to incident {incident_id}", field="incident")
    sugg = _open_suggestions(conn, [report_id])
    payload = {
        "report": report_id,
        "from": cur,
        "to": incident_id,
        "reason": why,
        "accepted": [int(s.id) for s in sugg if s.incident_id == incident_id],
        "rejected": [int(s.id) for s in sugg if s.incident_id != incident_id],
    }
    seq, _ = app.record(conn, actor, "incident.link", payload)
    return {**payload, "ledger_seq": seq, "from_left": _left(conn, cur)}


@applier("incident.link")
def _apply_link(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _move(conn, [p["report"]], p["to"], "manual", ctx)
    _settle(conn, p["accepted"], "accepted", p["reason"], ctx)
    _settle(conn, p["rejected"], "rejected", f"report linked to incident {p['to']} by hand", ctx)
    refresh(conn, [p["from"], p["to"]], ctx)
    ctx.mark("incidents", [p["from"], p["to"]])


def unlink_report(
    app: App, conn: Connection, actor: Actor, report_id: str, reason: str | None = None
) -> dict[str, Any]:
    """Take a report out of its incident: it gets a new incident of its own."""
    require(actor, "incident.link")
    why = _reason(reason)
    cur = current_incident(conn, report_id)
    if len(_members(conn, cur)) < 2:
        raise Conflict(
            f"report {report_id} is the only report of incident {cur}: unlinking it would leave that incident "
            "empty (link it to another incident instead)",
            field="report",
        )
    new = incidents.next_id(conn)
    payload = {"report": report_id, "from": cur, "to": new, "reason": why}
    seq, _ = app.record(conn, actor, "incident.unlink", payload)
    return {**payload, "ledger_seq": seq}


@applier("incident.unlink")
def _apply_unlink(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _new_incident(conn, p["to"], p["report"], [], ctx)
    refresh(conn, [p["from"]], ctx)
    ctx.mark("incidents", [p["from"], p["to"]])


def split_incident(
    app: App, conn: Connection, actor: Actor, incident_id: int, report_ids: list[str], reason: str | None = None
) -> dict[str, Any]:
    """Move some reports of an incident together to one new incident."""
    require(actor, "incident.link")
    why = _reason(reason)
    _require_incident(conn, incident_id)
    wanted = list(dict.fromkeys(r.strip() for r in report_ids if r and r.strip()))
    if not wanted:
        raise ValidationFailed("report: name the reports to split off (--report ID, repeatable)", field="report")
    members = _members(conn, incident_id)
    inside = set(members)
    for rid in wanted:
        if rid not in inside:
            other = current_incident(conn, rid)  # NotFound when the report does not exist
            raise ValidationFailed(
                f"report: report {rid} is linked to incident {other}, not to incident {incident_id}", field="report"
            )
    if len(wanted) == len(members):
        raise Conflict(
            f"splitting off all {len(members)} reports of incident {incident_id} would leave it empty: "
            "leave at least one report in it",
            field="report",
        )
    chosen = [r for r in members if r in set(wanted)]
    new = incidents.next_id(conn)
    payload = {"incident": incident_id, "reports": chosen, "to": new, "reason": why}
    seq, _ = app.record(conn, actor, "incident.split", payload)
    return {**payload, "ledger_seq": seq}


@applier("incident.split")
def _apply_split(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _new_incident(conn, p["to"], p["reports"][0], p["reports"][1:], ctx)
    refresh(conn, [p["incident"]], ctx)
    ctx.mark("incidents", [p["incident"], p["to"]])


# The reason written on the sibling suggestions an acceptance closes (the ledger's replay writes it too).
SIBLING_CLOSED = "report linked to incident"


def _suggestion(conn: Connection, sid: int) -> Any:
    row = conn.execute(select(link_suggestions).where(link_suggestions.c.id == sid)).first()
    if row is None:
        raise NotFound(f"suggestion: no suggestion {sid}", field="suggestion")
    if row.status != "open":
        why = row.decision_reason or ""
        if row.status == "rejected" and why.startswith(SIBLING_CLOSED):
            # closed by the acceptance of another suggestion for the same report, not rejected by anyone
            raise Conflict(
                f"suggestion {sid} was closed at {row.decided_at} when {row.decided_by} accepted another "
                f"suggestion for the same report: {why}",
                field="suggestion",
            )
        raise Conflict(
            f"suggestion {sid} was already {row.status} by {row.decided_by} at {row.decided_at}", field="suggestion"
        )
    return row


def accept_suggestion(app: App, conn: Connection, actor: Actor, sid: int, reason: str | None = None) -> dict[str, Any]:
    """Accept a suggested link: the report is linked to the suggested incident; its other open
    suggestions are rejected (a report belongs to one incident)."""
    require(actor, "suggestion.decide")
    why = _reason(reason)
    s = _suggestion(conn, sid)
    cur = current_incident(conn, s.report_id)
    others = [int(o.id) for o in _open_suggestions(conn, [s.report_id]) if o.id != sid]
    payload = {
        "suggestion": sid,
        "report": s.report_id,
        "from": cur,
        "to": int(s.incident_id),
        "reason": why,
        "rejected": others,
    }
    seq, _ = app.record(conn, actor, "suggestion.accept", payload)
    return {**payload, "ledger_seq": seq, "from_left": _left(conn, cur)}


@applier("suggestion.accept")
def _apply_accept(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _settle(conn, [p["suggestion"]], "accepted", p["reason"], ctx)
    _settle(conn, p["rejected"], "rejected", f"{SIBLING_CLOSED} {p['to']} (suggestion {p['suggestion']})", ctx)
    if p["from"] != p["to"]:
        _move(conn, [p["report"]], p["to"], "manual", ctx)
        refresh(conn, [p["from"], p["to"]], ctx)
        ctx.mark("incidents", [p["from"], p["to"]])


def reject_suggestion(app: App, conn: Connection, actor: Actor, sid: int, reason: str) -> dict[str, Any]:
    """Reject a suggested link, saying why; the report stays where it is."""
    require(actor, "suggestion.decide")
    why = _reason(reason, required=True)
    s = _suggestion(conn, sid)
    payload = {"suggestion": sid, "report": s.report_id, "incident": int(s.incident_id), "reason": why}
    seq, _ = app.record(conn, actor, "suggestion.reject", payload)
    return {**payload, "ledger_seq": seq}


@applier("suggestion.reject")
def _apply_reject(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _settle(conn, [p["suggestion"]], "rejected", p["reason"], ctx)


def _left(conn: Connection, incident_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(incident_reports).where(incident_reports.c.incident_id == incident_id)
        ).scalar_one()
    )


# --- queries -------------------------------------------------------------------------------------


def list_suggestions(
    conn: Connection,
    status: str | None = "open",
    incident: int | None = None,
    report: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Suggested links, oldest first, with the report's summary and the incident it is in now."""
    if status is not None and status not in ("open", "accepted", "rejected"):
        raise ValidationFailed(f"status: '{status}' is not one of open, accepted, rejected", field="status")
    if limit < 0 or offset < 0:
        raise ValidationFailed("limit and offset must be ≥ 0", field="limit" if limit < 0 else "offset")
    s = link_suggestions.c
    conds = []
    if status:
        conds.append(s.status == status)
    if incident is not None:
        conds.append(s.incident_id == lookups.incident(conn, incident))
    if report:
        conds.append(s.report_id == lookups.report(conn, report))
    total = int(conn.execute(select(func.count()).select_from(link_suggestions).where(*conds)).scalar_one())
    stmt = (
        select(
            s.id,
            s.report_id,
            s.incident_id,
            s.score,
            s.distance_km,
            s.hours_apart,
            s.reason,
            s.status,
            s.created_at,
            s.decided_by,
            s.decided_at,
            s.decision_reason,
            reports.c.org_id,
            reports.c.violation_type,
            reports.c.occurred_at,
            incident_reports.c.incident_id.label("report_incident_id"),
        )
        .join(reports, reports.c.id == s.report_id)
        .join(incident_reports, incident_reports.c.report_id == s.report_id)
        .where(*conds)
        .order_by(s.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return [dict(r) for r in conn.execute(stmt).mappings()], total
