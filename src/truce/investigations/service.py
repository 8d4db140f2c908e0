"""Investigations: opened on an incident, paused when a party denies access to a site (the denial is
recorded against that party), resumed, and closed with a finding and an attached report.

States and transitions (each stamped with a time, the actor and the ledger entry):

    open ──deny──▶ paused ──resume──▶ open ──close──▶ closed
    paused ──deny──▶ paused (another denial; the clock stays paused)
    paused ──close──▶ closed (the running pause ends at closing)

The clock: elapsed_active_seconds = (closed_at or now) − opened_at − time paused (a pause still
running included). Times are UTC, whole seconds, "YYYY-MM-DDTHH:MM:SSZ"; a command may be given
its time (`at`, e.g. when written up after the fact) but never one in the future nor one before the
investigation's last event."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select, update

from truce import lookups, times
from truce.attachments import EvidenceFile, ensure_blob_row, store_evidence
from truce.auth.permissions import require
from truce.db import next_id
from truce.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from truce.incidents.models import FINDINGS, access_denials, incidents, investigations
from truce.ledger.chain import SYSTEM, Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.parties.service import resolve_party
from truce.replies.service import replies_for

STATUSES = ("open", "paused", "closed")
TRANSITIONS = {
    "deny": ("open", "paused"),
    "resume": ("paused",),
    "close": ("open", "paused"),
}
MAX_TEXT = 20000


def _time(at: str | None, field: str) -> str:
    """A given time, normalised; refused when unreadable or in the future. Default: now."""
    if at is None:
        return times.now()
    try:
        t = times.parse(at)
    except ValueError as e:
        raise ValidationFailed(
            f"{field}: '{at}' is not an ISO 8601 time (e.g. 2017-09-21T08:00:00Z)", field=field
        ) from e
    if t > times.now_dt():
        raise ValidationFailed(f"{field}: {times.fmt(t)} is in the future", field=field)
    return times.fmt(t)


def _row(conn: Connection, investigation_id: int) -> dict[str, Any]:
    row = conn.execute(select(investigations).where(investigations.c.id == investigation_id)).mappings().first()
    if row is None:
        raise NotFound(f"no investigation {investigation_id}", field="investigation")
    return dict(row)


def _may_run(actor: Actor, inv: dict[str, Any], what: str) -> None:
    """An investigation is run by the office that opened it; the joint group and admins may act on any."""
    if actor.role == "admin" or actor.org_kind == "joint_group" or actor.org == inv["org_id"]:
        return
    raise PermissionDenied(
        f"user '{actor.name}' ({actor.role} of {actor.org}) may not {what} investigation {inv['id']}: "
        f"it is run by {inv['org_id']} (its verifiers, the joint group or an admin may)"
    )


def _check_state(inv: dict[str, Any], step: str) -> None:
    allowed = TRANSITIONS[step]
    if inv["status"] not in allowed:
        raise Conflict(
            f"investigation {inv['id']} is {inv['status']}: it can be {'resumed' if step == 'resume' else step + 'd'}"
            f" only when {' or '.join(allowed)}",
            field="investigation",
        )


def _last_event(conn: Connection, inv: dict[str, Any]) -> str:
    """The time of the investigation's latest event (opening, a denial, a resumption)."""
    t = inv["opened_at"]
    for col in (access_denials.c.denied_at, access_denials.c.resumed_at):
        v = conn.execute(select(func.max(col)).where(access_denials.c.investigation_id == inv["id"])).scalar()
        if v and v > t:
            t = v
    return str(t)


def _not_before(at: str, earliest: str, field: str, what: str) -> None:
    if at < earliest:
        raise ValidationFailed(f"{field}: {at} is before {what} ({earliest})", field=field)


# --- commands --------------------------------------------------------------------------------------


def open_investigation(
    app: App, conn: Connection, actor: Actor, incident_id: int, at: str | None = None
) -> dict[str, Any]:
    """Open an investigation of an incident (one open investigation per incident); the clock starts."""
    require(actor, "investigation.open")
    inc = conn.execute(select(incidents.c.id, incidents.c.occurred_at).where(incidents.c.id == incident_id)).first()
    if inc is None:
        raise NotFound(f"incident: no incident {incident_id}", field="incident")
    running = conn.execute(
        select(investigations.c.id).where(
            investigations.c.incident_id == incident_id, investigations.c.status != "closed"
        )
    ).first()
    if running is not None:
        raise Conflict(
            f"incident {incident_id} has an investigation open already (investigation {running.id})", field="incident"
        )
    opened_at = _time(at, "at")
    if opened_at[:10] < inc.occurred_at[:10]:
        raise ValidationFailed(f"at: {opened_at} is before the incident occurred ({inc.occurred_at})", field="at")
    payload = {
        "id": next_id(conn, investigations),
        "incident_id": incident_id,
        "opened_at": opened_at,
        "opened_by": actor.name,
        "org_id": actor.org,
    }
    seq, _ = app.record(conn, actor, "investigation.open", payload)
    return {**payload, "status": "open", "ledger_seq": seq}


def deny_access(
    app: App,
    conn: Connection,
    actor: Actor,
    investigation_id: int,
    party: str,
    site: str,
    at: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record that a party denied the investigators access to a site: the clock pauses and the denial
    counts against that party."""
    require(actor, "investigation.deny")
    inv = _row(conn, investigation_id)
    _may_run(actor, inv, "record a denial of access in")
    _check_state(inv, "deny")
    party_id = resolve_party(conn, party)
    if party_id is None:
        raise ValidationFailed(f"party: '{party}' is not in the register of parties", field="party")
    site = (site or "").strip()
    if not site:
        raise ValidationFailed("site: say which site access was denied to", field="site")
    if len(site) > 300:
        raise ValidationFailed("site: at most 300 characters", field="site")
    denied_at = _time(at, "at")
    _not_before(denied_at, _last_event(conn, inv), "at", "the investigation's last event")
    payload = {
        "id": next_id(conn, access_denials),
        "investigation_id": investigation_id,
        "incident_id": inv["incident_id"],
        "party_id": party_id,
        "site": site,
        "denied_at": denied_at,
        "note": (note or "").strip() or None,
        "recorded_by": actor.name,
    }
    seq, _ = app.record(conn, actor, "investigation.deny", payload)
    return {**payload, "ledger_seq": seq}


def resume_investigation(
    app: App, conn: Connection, actor: Actor, investigation_id: int, at: str | None = None
) -> dict[str, Any]:
    """Access was restored: the clock runs again."""
    require(actor, "investigation.resume")
    inv = _row(conn, investigation_id)
    _may_run(actor, inv, "resume")
    _check_state(inv, "resume")
    resumed_at = _time(at, "at")
    _not_before(resumed_at, _last_event(conn, inv), "at", "the investigation's last event")
    payload = {"id": investigation_id, "resumed_at": resumed_at}
    seq, _ = app.record(conn, actor, "investigation.resume", payload)
    return {**payload, "ledger_seq": seq}


def close_investigation(
    app: App,
    conn: Connection,
    actor: Actor,
    investigation_id: int,
    finding: str,
    summary: str,
    reports: list[EvidenceFile] | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """Close an investigation with a finding (confirmed, disputed, unverifiable), a summary and the
    report files (kept in the blob store); the clock stops."""
    require(actor, "investigation.close")
    inv = _row(conn, investigation_id)
    _may_run(actor, inv, "close")
    _check_state(inv, "close")
    if finding not in FINDINGS:
        raise ValidationFailed(f"finding: '{finding}' is not one of {', '.join(FINDINGS)}", field="finding")
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed("summary: say what the investigation found", field="summary")
    if len(summary) > MAX_TEXT:
        raise ValidationFailed(f"summary: at most {MAX_TEXT} characters", field="summary")
    closed_at = _time(at, "at")
    _not_before(closed_at, _last_event(conn, inv), "at", "the investigation's last event")
    files = [{k: e[k] for k in ("sha256", "name", "media_type", "size")} for e in store_evidence(app, reports or [])]
    payload = {
        "id": investigation_id,
        "closed_at": closed_at,
        "closed_by": actor.name,
        "finding": finding,
        "summary": summary,
        "reports": files,
    }
    seq, _ = app.record(conn, actor, "investigation.close", payload)
    return {**payload, "ledger_seq": seq}


# --- appliers --------------------------------------------------------------------------------------


@applier("investigation.open")
def _apply_open(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        investigations.insert().values(
            id=p["id"],
            incident_id=p["incident_id"],
            status="open",
            opened_at=p["opened_at"],
            opened_by=p["opened_by"],
            org_id=p["org_id"],
            paused_seconds=0.0,
            paused_since=None,
            ledger_seq=ctx.seq,
        )
    )
    conn.execute(update(incidents).where(incidents.c.id == p["incident_id"]).values(status="under_investigation"))


@applier("investigation.deny")
def _apply_deny(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        access_denials.insert().values(
            id=p["id"],
            investigation_id=p["investigation_id"],
            incident_id=p["incident_id"],
            party_id=p["party_id"],
            site=p["site"],
            denied_at=p["denied_at"],
            resumed_at=None,
            note=p.get("note"),
            recorded_by=p["recorded_by"],
            ledger_seq=ctx.seq,
        )
    )
    inv = conn.execute(select(investigations.c.status).where(investigations.c.id == p["investigation_id"])).one()
    if inv.status == "open":
        conn.execute(
            update(investigations)
            .where(investigations.c.id == p["investigation_id"])
            .values(status="paused", paused_since=p["denied_at"])
        )
    # The party's liaison offices are notified by a declared reaction (notifications.service.notify_denial).


def _end_pause(conn: Connection, inv_id: int, until: str) -> None:
    inv = conn.execute(
        select(investigations.c.paused_seconds, investigations.c.paused_since).where(investigations.c.id == inv_id)
    ).one()
    paused = float(inv.paused_seconds)
    if inv.paused_since:
        paused += max(0.0, times.seconds_between(inv.paused_since, until))
    conn.execute(
        update(investigations).where(investigations.c.id == inv_id).values(paused_seconds=paused, paused_since=None)
    )


@applier("investigation.resume")
def _apply_resume(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _end_pause(conn, p["id"], p["resumed_at"])
    conn.execute(update(investigations).where(investigations.c.id == p["id"]).values(status="open"))
    conn.execute(
        update(access_denials)
        .where(access_denials.c.investigation_id == p["id"], access_denials.c.resumed_at.is_(None))
        .values(resumed_at=p["resumed_at"])
    )


@applier("investigation.close")
def _apply_close(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _end_pause(conn, p["id"], p["closed_at"])
    for e in p["reports"]:
        ensure_blob_row(conn, e["sha256"], e["size"], e["media_type"], e["name"], ctx)
    conn.execute(
        update(investigations)
        .where(investigations.c.id == p["id"])
        .values(
            status="closed",
            closed_at=p["closed_at"],
            closed_by=p["closed_by"],
            finding=p["finding"],
            summary=p["summary"],
            report_blobs=json.dumps(p["reports"], sort_keys=True),
        )
    )
    iid = conn.execute(select(investigations.c.incident_id).where(investigations.c.id == p["id"])).scalar_one()
    conn.execute(
        update(incidents)
        .where(incidents.c.id == iid, incidents.c.status == "under_investigation")
        .values(status="open")
    )


# --- queries ---------------------------------------------------------------------------------------


def clock(inv: dict[str, Any], now: str | None = None) -> dict[str, Any]:
    """The investigation's clock at `now` (default: the present; a closed one stops at closing)."""
    end = inv["closed_at"] or (times.normalise(now) if now else times.now())
    paused = float(inv["paused_seconds"] or 0.0)
    if inv["paused_since"] and not inv["closed_at"]:
        paused += max(0.0, times.seconds_between(inv["paused_since"], end))
    total = max(0.0, times.seconds_between(inv["opened_at"], end))
    return {
        "as_of": end,
        "running": inv["status"] == "open",
        "total_seconds": total,
        "paused_seconds": paused,
        "elapsed_active_seconds": max(0.0, total - paused),
    }


def _denials(conn: Connection, investigation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in investigation_ids}
    if not investigation_ids:
        return out
    for r in conn.execute(
        select(access_denials)
        .where(access_denials.c.investigation_id.in_(investigation_ids))
        .order_by(access_denials.c.denied_at, access_denials.c.id)
    ).mappings():
        out[r["investigation_id"]].append(dict(r))
    return out


def _present(inv: dict[str, Any], denials: list[dict[str, Any]], now: str | None) -> dict[str, Any]:
    d = dict(inv)
    d["report_blobs"] = json.loads(d["report_blobs"]) if d["report_blobs"] else []
    d["denials"] = denials
    d["clock"] = clock(inv, now)
    d["elapsed_active_seconds"] = d["clock"]["elapsed_active_seconds"]
    return d


def get_investigation(
    conn: Connection, investigation_id: int, now: str | None = None, viewer: Actor | None = SYSTEM
) -> dict[str, Any]:
    """One investigation with its denials of access, its clock (at `now`, default the present) and
    the replies filed on its incident that `viewer` may see (default: the console operator, all)."""

    inv = _row(conn, investigation_id)
    d = _present(inv, _denials(conn, [investigation_id])[investigation_id], now)
    d["replies"] = replies_for(conn, inv["incident_id"], viewer)
    return d


def list_investigations(
    conn: Connection, incident_id: int | None = None, status: str | None = None, now: str | None = None
) -> list[dict[str, Any]]:
    """Investigations, newest first, optionally of one incident or in one status."""
    stmt = select(investigations)
    if incident_id is not None:
        stmt = stmt.where(investigations.c.incident_id == lookups.incident(conn, incident_id))
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed(f"status: '{status}' is not one of {', '.join(STATUSES)}", field="status")
        stmt = stmt.where(investigations.c.status == status)
    rows = [dict(r) for r in conn.execute(stmt.order_by(investigations.c.id.desc())).mappings()]
    den = _denials(conn, [r["id"] for r in rows])
    return [_present(r, den[r["id"]], now) for r in rows]


def _bound(value: str, field: str, end_of_day: bool) -> str:
    try:
        if len(value.strip()) == 10:
            day = times.parse(value.strip() + "T00:00:00Z")
            return times.add_days(times.fmt(day), 1) if end_of_day else times.fmt(day)
        return times.normalise(value)
    except ValueError as e:
        raise ValidationFailed(f"{field}: '{value}' is not a date or an ISO 8601 time", field=field) from e


def access_denials_by_party(conn: Connection, since: str | None = None, until: str | None = None) -> dict[str, int]:
    """How many denials of access each party is recorded for, by the time of the denial: `since`
    inclusive, `until` inclusive (a date means the whole day)."""
    stmt = select(access_denials.c.party_id, func.count()).group_by(access_denials.c.party_id)
    if since:
        stmt = stmt.where(access_denials.c.denied_at >= _bound(since, "since", False))
    if until:
        if len(until.strip()) == 10:
            stmt = stmt.where(access_denials.c.denied_at < _bound(until, "until", True))
        else:
            stmt = stmt.where(access_denials.c.denied_at <= _bound(until, "until", False))
    return {r[0]: int(r[1]) for r in conn.execute(stmt.order_by(access_denials.c.party_id))}
