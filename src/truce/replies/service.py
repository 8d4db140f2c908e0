"""The right of reply. When an incident is attributed to a party, the party's liaison office is
notified (see `truce.notifications.service.notify_party_attribution`) and may file a reply with
counter-evidence until the notification's `reply_due` (the agreement's `reply_window_days` after the
attribution). The reply is kept beside the finding and shown wherever the finding is."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, or_, select

from truce import times
from truce.agreements.service import DEFAULT_SETTINGS
from truce.attachments import EvidenceFile, ensure_blob_row, store_evidence
from truce.auth.permissions import require
from truce.auth.visibility import tiers_for
from truce.db import next_id
from truce.errors import NotFound, PermissionDenied, ValidationFailed
from truce.incidents.models import incidents, replies
from truce.ledger.chain import SYSTEM, Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.notifications.service import attribution_notice, reply_window_days
from truce.reports.models import VISIBILITY_TIERS

MAX_TEXT = 20000
DEFAULT_VISIBILITY = "parties"


def now_iso() -> str:
    """The present (a seam for tests of the reply window)."""
    return times.now()


def reply_due(conn: Connection, incident: Any, party_id: str) -> tuple[str | None, int | None]:
    """When the party's reply window closes, and the notification that opened it. Without a
    notification (no liaison office existed at attribution) the window runs from the verdict."""
    note = attribution_notice(conn, incident.id, party_id)
    if note is not None:
        return note["reply_due"], note["id"]
    if incident.verdict_at:
        return times.add_days(incident.verdict_at, reply_window_days(conn, incident.occurred_at)), None
    return None, None


def file_reply(
    app: App,
    conn: Connection,
    actor: Actor,
    incident_id: int,
    text: str,
    evidence: list[EvidenceFile] | None = None,
    visibility: str | None = None,
) -> dict[str, Any]:
    """File a party's reply to the attribution of an incident, with optional counter-evidence."""
    require(actor, "reply.file")
    if actor.org_kind != "party_liaison" or not actor.party_id:
        raise PermissionDenied(
            f"user '{actor.name}' ({actor.role} of {actor.org}) may not file a reply: only the liaison office "
            "of the party an incident is attributed to may"
        )
    inc = conn.execute(
        select(
            incidents.c.id,
            incidents.c.occurred_at,
            incidents.c.attributed_party_id,
            incidents.c.verdict,
            incidents.c.verdict_at,
        ).where(incidents.c.id == incident_id)
    ).first()
    if inc is None:
        raise NotFound(f"incident: no incident {incident_id}", field="incident")
    party = actor.party_id
    if inc.attributed_party_id is None:
        raise PermissionDenied(
            f"incident {incident_id} is not attributed to any party (verdict {inc.verdict}): "
            "there is nothing to reply to"
        )
    if inc.attributed_party_id != party:
        raise PermissionDenied(
            f"incident {incident_id} is attributed to {inc.attributed_party_id}, not to {party}: "
            f"only {inc.attributed_party_id}'s liaison may reply"
        )
    due, notification_id = reply_due(conn, inc, party)
    filed_at = now_iso()
    if due is not None and filed_at > due:
        raise ValidationFailed(
            f"incident: the reply window for incident {incident_id} closed at {due} "
            f"({_window_text(conn, inc)} after the attribution)",
            field="incident",
        )
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("text: the reply is empty", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"text: at most {MAX_TEXT} characters", field="text")
    vis = visibility or DEFAULT_VISIBILITY
    if vis not in VISIBILITY_TIERS:
        raise ValidationFailed(f"visibility: '{vis}' is not one of {', '.join(VISIBILITY_TIERS)}", field="visibility")
    files = [{k: e[k] for k in ("sha256", "name", "media_type", "size")} for e in store_evidence(app, evidence or [])]
    payload = {
        "id": next_id(conn, replies),
        "incident_id": incident_id,
        "party_id": party,
        "org_id": actor.org,
        "filed_by": actor.name,
        "filed_at": filed_at,
        "text": text,
        "evidence": files,
        "notification_id": notification_id,
        "visibility": vis,
        "reply_due": due,
    }
    seq, _ = app.record(conn, actor, "reply.file", payload)
    return {**payload, "ledger_seq": seq}


def _window_text(conn: Connection, inc: Any) -> str:
    days = reply_window_days(conn, inc.occurred_at) if inc.occurred_at else DEFAULT_SETTINGS["reply_window_days"]
    return f"{days:g} days"


@applier("reply.file")
def _apply_reply(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    for e in p["evidence"]:
        ensure_blob_row(conn, e["sha256"], e["size"], e["media_type"], e["name"], ctx)
    conn.execute(
        insert(replies).values(
            id=p["id"],
            incident_id=p["incident_id"],
            party_id=p["party_id"],
            org_id=p["org_id"],
            filed_by=p["filed_by"],
            filed_at=p["filed_at"],
            text=p["text"],
            evidence=json.dumps(p["evidence"], sort_keys=True),
            notification_id=p.get("notification_id"),
            visibility=p["visibility"],
            ledger_seq=ctx.seq,
        )
    )
    # The joint group is notified by a declared reaction (notifications.service.notify_reply).


# --- queries ---------------------------------------------------------------------------------------


def replies_for(conn: Connection, incident_id: int, viewer: Actor | None = SYSTEM) -> list[dict[str, Any]]:
    """The replies filed on an incident, oldest first, that `viewer` may see (by visibility tier; the
    office that filed a reply always sees it). The default viewer (the console operator) sees all;
    None is the public."""

    stmt = select(replies).where(replies.c.incident_id == incident_id)
    tiers = tiers_for(viewer)
    if set(tiers) != set(VISIBILITY_TIERS):
        cond = replies.c.visibility.in_(sorted(tiers))
        stmt = stmt.where(or_(cond, replies.c.org_id == viewer.org) if viewer is not None else cond)
    out = []
    for r in conn.execute(stmt.order_by(replies.c.filed_at, replies.c.id)).mappings():
        d = dict(r)
        d["evidence"] = json.loads(d["evidence"])
        out.append(d)
    return out
