"""Reads of the reports: one report as a viewer may see it. Kept apart from `service.py`
(validating, locating and matching a submission, which loads pydantic, shapely and numpy) so that a read
command loads none of them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from truce.auth.visibility import may_see_report, tiers_for
from truce.errors import NotFound
from truce.incidents.models import incident_reports
from truce.ledger.chain import SYSTEM
from truce.reports.models import report_evidence, reports


def get_report(conn: Connection, report_id: str, viewer: Any = SYSTEM) -> dict[str, Any]:
    """One report as received, if `viewer` (an Actor, None = the public) may see its tier."""

    row = conn.execute(select(reports).where(reports.c.id == report_id)).mappings().first()
    if row is None or not may_see_report(viewer, dict(row)):
        raise NotFound(f"no report {report_id}", field="report")
    d = dict(row)
    d["weapons"] = json.loads(d["weapons"])
    d["evidence"] = visible_evidence(conn, d, viewer)
    link = conn.execute(select(incident_reports).where(incident_reports.c.report_id == report_id)).mappings().first()
    d["incident_id"] = link["incident_id"] if link else None
    d["link"] = dict(link) if link else None
    return d


def visible_evidence(conn: Connection, report: dict[str, Any], viewer: Any) -> list[dict[str, Any]]:
    """The files of a report (`id`, `org_id`) that `viewer` may see: those of a tier it may read, and all of
    them for the organisation that filed the report."""
    own = viewer is not None and viewer.org == report["org_id"]
    tiers = tiers_for(viewer)
    rows = conn.execute(
        select(
            report_evidence.c.sha256,
            report_evidence.c.name,
            report_evidence.c.media_type,
            report_evidence.c.size,
            report_evidence.c.visibility,
        ).where(report_evidence.c.report_id == report["id"])
    ).mappings()
    return [dict(e) for e in rows if own or e["visibility"] in tiers]
