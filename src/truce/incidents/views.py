"""The whole story of an incident, as one viewer may see it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from truce.auth.models import organisations
from truce.auth.visibility import may_see_incident, may_see_report
from truce.errors import NotFound
from truce.incidents.models import incidents
from truce.incidents.service import show_incident
from truce.incidents.verification import _guarantor_offices, current_findings, evaluate, finding_history
from truce.investigations.service import list_investigations
from truce.ledger.chain import SYSTEM, Actor
from truce.ledger.models import ledger_entries
from truce.parties.models import parties
from truce.replies.service import replies_for
from truce.reports.queries import visible_evidence

# The commands that move reports between incidents (their payloads name the incidents: from, to, incident).
LINK_COMMANDS = ("incident.link", "incident.unlink", "incident.split", "suggestion.accept", "suggestion.reject")


def _creation_entry(conn: Connection, incident_id: int) -> list[int]:
    """The ledger entry that made the incident (its time is the incident's created_at)."""
    created = select(incidents.c.created_at).where(incidents.c.id == incident_id).scalar_subquery()
    seq = conn.execute(select(func.min(ledger_entries.c.seq)).where(ledger_entries.c.at == created)).scalar()
    return [int(seq)] if seq is not None else []


def _link_entries(conn: Connection, incident_id: int) -> list[int]:
    """The entries that linked reports to the incident or moved them out of it (link, unlink, split, a
    suggestion accepted or rejected): manual decisions, few beside the ledger's imports."""
    out = []
    for e in conn.execute(
        select(ledger_entries.c.seq, ledger_entries.c.payload).where(ledger_entries.c.command.in_(LINK_COMMANDS))
    ):
        p = json.loads(e.payload)
        if incident_id in (p.get("from"), p.get("to"), p.get("incident")):
            out.append(int(e.seq))
    return out


def incident_detail(conn: Connection, incident_id: int, viewer: Actor | None = SYSTEM) -> dict[str, Any]:
    """Reports, evidence, findings and their history, verdict, attribution, clause, severity,
    confidence with its parts, investigations, replies and the ledger entries behind it, filtered
    to what `viewer` may see (None = the public). An incident the viewer may not see is not found."""
    d = show_incident(conn, incident_id)
    if not may_see_incident(viewer, d, d["reports"]):
        raise NotFound(f"no incident {incident_id}", field="incident")
    visible = [r for r in d["reports"] if may_see_report(viewer, r)]
    d["hidden_reports"] = len(d["reports"]) - len(visible)
    d["reports"] = visible
    for r in visible:
        r["evidence"] = visible_evidence(conn, r, viewer)
    cur = current_findings(conn, incident_id)
    d["findings"] = [cur[g] for g in sorted(cur)]
    d["finding_history"] = finding_history(conn, incident_id)
    # The verdict's business day: that of the latest finding it follows (verdict_at is when it was written).
    days = [f["found_on"] for f in d["findings"] if f.get("found_on")]
    d["verdict_on"] = max(days) if days and d.get("verdict_at") else None
    if d.get("confidence_parts"):
        d["confidence_parts"] = json.loads(d["confidence_parts"])
    else:  # never recomputed (no finding yet): compute it now, read-only
        designated = {r.id for r in conn.execute(select(parties.c.id).where(parties.c.kind == "designated"))}
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).mappings().one()
        values = evaluate(conn, dict(row), _guarantor_offices(conn), designated)
        d["confidence"] = values["confidence"]
        d["confidence_parts"] = json.loads(values["confidence_parts"])
    d["investigations"] = _investigations(conn, incident_id)
    d["replies"] = _replies(conn, incident_id, viewer)
    seqs = {
        *_creation_entry(conn, incident_id),
        *_link_entries(conn, incident_id),
        *[r["ledger_seq"] for r in d["reports"]],
        *[f["ledger_seq"] for f in d["finding_history"]],
        *[i.get("ledger_seq") for i in d["investigations"]],
        *[r.get("ledger_seq") for r in d["replies"]],
    }
    seqs.discard(None)
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
            .where(ledger_entries.c.seq.in_(sorted(seqs)))
            .order_by(ledger_entries.c.seq)
        )
    ]
    d["guarantor_offices"] = {
        r.id: r.party_id
        for r in conn.execute(
            select(organisations.c.id, organisations.c.party_id).where(organisations.c.kind == "guarantor_office")
        )
    }
    return d


def _investigations(conn: Connection, incident_id: int) -> list[dict[str, Any]]:

    return [dict(i) for i in list_investigations(conn, incident_id=incident_id)]


def _replies(conn: Connection, incident_id: int, viewer: Actor | None) -> list[dict[str, Any]]:

    return [dict(r) for r in replies_for(conn, incident_id, viewer)]
