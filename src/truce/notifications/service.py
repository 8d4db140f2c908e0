"""Notifications: records addressed to an organisation, written by other commands' appliers.

Nothing issues a notification on its own: every notification is written by a reaction declared
below on the command or event it follows (run inside the command's transaction, live and on replay
alike, so it is deterministic: its id comes from `next_id` and its time is the ledger entry's time), and
`notify_party_attribution` follows the "incident.attributed" event that verification emits when an
incident becomes attributed to a party (a declared reaction); it notifies that party's liaison
offices and opens the reply window."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from truce import lookups, times
from truce.agreements.service import DEFAULT_SETTINGS, in_force
from truce.auth.models import organisations
from truce.db import next_id
from truce.incidents.models import incidents, notifications, replies
from truce.ledger.chain import Actor, ApplyContext
from truce.ledger.reactions import reaction
from truce.measures.models import accessions, measures

NOTIFICATION_KINDS = ("attribution", "reply", "access_denial", "measure", "status_change", "accession_decision")


def notify(
    conn: Connection,
    ctx: ApplyContext,
    org_id: str,
    kind: str,
    message: str,
    incident_id: int | None = None,
    party_id: str | None = None,
    reply_due: str | None = None,
) -> int:
    """Write one notification for an organisation (applier-side: call it only from an applier)."""
    nid = next_id(conn, notifications)
    conn.execute(
        insert(notifications).values(
            id=nid,
            org_id=org_id,
            kind=kind,
            incident_id=incident_id,
            party_id=party_id,
            message=message,
            created_at=times.normalise(ctx.now),
            reply_due=reply_due,
            ledger_seq=ctx.seq,
        )
    )
    return nid


def orgs_of_kind(conn: Connection, kind: str, party_id: str | None = None) -> list[str]:
    stmt = select(organisations.c.id).where(organisations.c.kind == kind)
    if party_id is not None:
        stmt = stmt.where(organisations.c.party_id == party_id)
    return [r.id for r in conn.execute(stmt.order_by(organisations.c.id))]


def notify_party(
    conn: Connection,
    ctx: ApplyContext,
    party_id: str,
    kind: str,
    message: str,
    incident_id: int | None = None,
    reply_due: str | None = None,
) -> list[int]:
    """Write one notification to each liaison office of a party (applier-side, as `notify`)."""
    return [
        notify(conn, ctx, org, kind, message, incident_id=incident_id, party_id=party_id, reply_due=reply_due)
        for org in orgs_of_kind(conn, "party_liaison", party_id)
    ]


def reply_window_days(conn: Connection, occurred_at: str) -> float:
    """Days a party has to answer an attribution, from the agreement in force when the incident occurred."""
    ag = in_force(conn, occurred_at)
    settings = ag["settings"] if ag else {}
    return float(settings.get("reply_window_days", DEFAULT_SETTINGS["reply_window_days"]))


def attribution_notice(conn: Connection, incident_id: int, party_id: str) -> dict[str, Any] | None:
    """The first attribution notification of an incident to a party (it carries the reply window)."""
    row = (
        conn.execute(
            select(notifications)
            .where(
                notifications.c.kind == "attribution",
                notifications.c.incident_id == incident_id,
                notifications.c.party_id == party_id,
            )
            .order_by(notifications.c.id)
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


@reaction(on="incident.attributed")
def notify_attributed_party(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Notify the attributed party's liaison offices and open their reply window."""
    notify_party_attribution(conn, ctx, p["incident_id"], p["party_id"])


def notify_party_attribution(conn: Connection, ctx: ApplyContext, incident_id: int, party_id: str) -> list[int]:
    """Tell every liaison office of `party_id` that incident `incident_id` is attributed to it, with the
    date by which it may reply. Applier-side and idempotent: nothing is written when the party was
    already notified of this incident. Returns the ids of the notifications written."""
    if attribution_notice(conn, incident_id, party_id) is not None:
        return []
    inc = conn.execute(
        select(incidents.c.id, incidents.c.occurred_at, incidents.c.title).where(incidents.c.id == incident_id)
    ).first()
    if inc is None:
        return []
    days = reply_window_days(conn, inc.occurred_at)
    due = times.add_days(ctx.now, days)
    what = f"incident {incident_id}" + (f" ({inc.title}, {inc.occurred_at[:10]})" if inc.title else "")
    message = (
        f"The guarantors have attributed {what} to {party_id}. You may file a reply with counter-evidence "
        f"until {due}: truce reply add {incident_id} --text ..."
    )
    return notify_party(conn, ctx, party_id, "attribution", message, incident_id=incident_id, reply_due=due)


# --- queries ---------------------------------------------------------------------------------------


def list_notifications(
    conn: Connection, actor: Actor, incident_id: int | None = None, limit: int = 0
) -> list[dict[str, Any]]:
    """The notifications of the actor's organisation (an admin sees every organisation's), newest first.
    Attribution notices say whether the party has replied."""
    stmt = select(notifications)
    if actor.role != "admin":
        stmt = stmt.where(notifications.c.org_id == actor.org)
    if incident_id is not None:
        stmt = stmt.where(notifications.c.incident_id == lookups.incident(conn, incident_id))
    stmt = stmt.order_by(notifications.c.created_at.desc(), notifications.c.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    replied = {
        (r.incident_id, r.party_id)
        for r in conn.execute(
            select(replies.c.incident_id, replies.c.party_id).where(
                replies.c.incident_id.in_(sorted({r["incident_id"] for r in rows if r["incident_id"] is not None}))
            )
        )
    }
    for r in rows:
        if r["kind"] == "attribution":
            r["replied"] = (r["incident_id"], r["party_id"]) in replied
    return rows


@reaction(on="reply.file")
def notify_reply(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the joint group that a party filed a reply to an attribution."""
    n = len(p["evidence"])
    msg = (
        f"{p['party_id']} filed a reply to the attribution of incident {p['incident_id']}"
        + (f" with {n} counter-evidence file{'s' if n != 1 else ''}" if n else "")
        + f": truce reply list {p['incident_id']}"
    )
    for org in orgs_of_kind(conn, "joint_group"):
        notify(conn, ctx, org, "reply", msg, incident_id=p["incident_id"], party_id=p["party_id"])


@reaction(on="investigation.deny")
def notify_denial(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the party's liaison offices that a denial of access was recorded against it."""
    msg = (
        f"Access to {p['site']} was recorded as denied by {p['party_id']} on {p['denied_at']} during investigation "
        f"{p['investigation_id']} of incident {p['incident_id']}; it counts against {p['party_id']}."
    )
    notify_party(conn, ctx, p["party_id"], "access_denial", msg, incident_id=p["incident_id"])


@reaction(on="measures.evaluate")
def notify_proposals(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the joint group of each measure proposed."""
    for m in p["proposals"]:
        for org in orgs_of_kind(conn, "joint_group"):
            notify(
                conn,
                ctx,
                org,
                "measure",
                f"measure {m['id']} proposed: {m['kind']} against {m['party_id']} ({m['rule_id']})",
                party_id=m["party_id"],
            )


# --- decisions about a party, told to the party (its liaison offices) ------------------------------------


@reaction(on="party.status")
def notify_status_change(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the party's liaison offices that its truce status changed (a suspension, an exclusion, a
    reinstatement), from which day, by which decision and why."""
    msg = (
        f"The truce status of {p['party_id']} is {p['status']} from {p['effective']}"
        f" (was {p['previous'] or 'unregistered'}; {p['decision']}): {p['reason']}"
    )
    notify_party(conn, ctx, p["party_id"], "status_change", msg)


@reaction(on="measure.vote")
def notify_measure_decision(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the party's liaison offices that the guarantors decided a measure against it: approved (with its
    deadline, and the status it sets) or rejected."""
    if not p["outcome"]:
        return
    m = conn.execute(select(measures.c.party_id, measures.c.kind).where(measures.c.id == p["measure_id"])).first()
    if m is None:
        return
    msg = f"Measure {p['measure_id']} ({m.kind}) against {m.party_id} was {p['outcome']} on {p['on']}: {p['reason']}"
    if p["outcome"] == "approved" and p["deadline"]:
        msg += f". Comply by {p['deadline']}"
    if p.get("status_change"):
        msg += f". The truce status of {m.party_id} is {p['status_change']['status']} from {p['on']}"
    notify_party(conn, ctx, m.party_id, "measure", msg + ".")


@reaction(on="measures.evaluate")
def notify_missed_deadlines(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the party's liaison offices that a measure's deadline passed without compliance (the measure is
    breached)."""
    for b in p.get("breached") or []:
        msg = (
            f"The deadline {b['deadline']} of measure {b['measure_id']} against {b['party_id']} passed without "
            f"compliance (evaluated as of {p['as_of']}): the measure is breached."
        )
        notify_party(conn, ctx, b["party_id"], "measure", msg)


@reaction(on="accession.vote")
def notify_accession_decision(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Tell the applicant's liaison offices that the guarantors decided its application to accede: accepted
    (it is a signatory from that day) or rejected, and why."""
    if not p["outcome"]:
        return
    party = conn.execute(select(accessions.c.party_id).where(accessions.c.id == p["accession_id"])).scalar()
    if party is None:
        return
    verdict = "accepted" if p["outcome"] == "approved" else "rejected"
    msg = f"The application of {party} to accede to the truce ({p['accession_id']}) was {verdict} on {p['on']}: "
    msg += p["reason"] + (f". {party} is a signatory from {p['on']}." if p.get("status_change") else ".")
    notify_party(conn, ctx, party, "accession_decision", msg)
