"""Reads of the intake queue: the candidates waiting for a decision, and one candidate whole. Kept apart from
`service.py` (reading articles and extracting reports from them, which loads pydantic, YAML, shapely and numpy)
so that a read command loads none of them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from truce.errors import NotFound, ValidationFailed
from truce.intake.models import intake_candidates as cand

SUMMARY = (
    "id",
    "status",
    "source",
    "title",
    "language",
    "published",
    "likely_incident_id",
    "match_score",
    "match_how",
    "report_id",
    "decided_by",
    "received_at",
)


def summary(row: Any, proposal: dict[str, Any] | None = None) -> dict[str, Any]:
    d = {k: row[k] for k in SUMMARY}
    p = proposal if proposal is not None else json.loads(row["proposal"])
    d["title"] = d["title"] or row["body"][:80]
    d["occurred_at"] = p.get("occurred_at")
    d["place_name"] = p.get("place_name")
    d["violation_type"] = p.get("violation_type")
    d["alleged_party"] = p.get("alleged_party")
    d["killed"] = (p.get("casualties") or {}).get("killed")
    return d


def list_candidates(
    conn: Connection, status: str | None = "pending", limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    if status is not None and status not in ("pending", "accepted", "rejected"):
        raise ValidationFailed(f"status: '{status}' is not one of pending, accepted, rejected", field="status")
    q = select(cand).order_by(cand.c.id).limit(max(1, min(limit, 500))).offset(max(0, offset))
    if status is not None:
        q = q.where(cand.c.status == status)
    return [summary(r) for r in conn.execute(q).mappings()]


def get_candidate(conn: Connection, cid: int) -> dict[str, Any]:
    row = conn.execute(select(cand).where(cand.c.id == cid)).mappings().first()
    if row is None:
        raise NotFound(f"id: no intake candidate {cid}", field="id")
    d = dict(row)
    for k in ("extraction", "proposal", "edits"):
        d[k] = json.loads(d[k]) if d.get(k) else ({} if k == "edits" else None)
    return d
