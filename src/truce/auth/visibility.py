"""Who may see what: visibility tiers of reports and evidence, and which incidents a viewer sees.

Tiers, from open to closed: public < parties < guarantors < investigators.

| viewer | tiers seen | incidents seen |
|---|---|---|
| nobody signed in, or an analyst | public | published ones: verified, or with a public report |
| liaison of a party | public, parties | those concerning its party (alleged, attributed, target) or it reported |
| monitor or analyst of a guarantor office | public, parties, guarantors | all |
| verifier of a guarantor office or of the joint group | all four | all |
| admin (and the local console) | all four | all |

Whoever filed a report always sees it and its evidence, whatever the tier."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, false, literal_column, or_, select, true

from truce.incidents.models import incident_reports, incidents
from truce.ledger.chain import Actor
from truce.reports.models import VISIBILITY_TIERS, reports

ALL = frozenset(VISIBILITY_TIERS)


def tiers_for(viewer: Actor | None) -> frozenset[str]:
    if viewer is None:
        return frozenset({"public"})
    if viewer.role == "admin":
        return ALL
    if viewer.role == "analyst" and viewer.org_kind != "guarantor_office":
        return frozenset({"public"})
    if viewer.org_kind == "party_liaison":
        return frozenset({"public", "parties"})
    if viewer.role == "verifier" and viewer.org_kind in ("guarantor_office", "joint_group"):
        return ALL
    if viewer.org_kind in ("guarantor_office", "joint_group"):
        return frozenset({"public", "parties", "guarantors"})
    return frozenset({"public"})


def sees_all_incidents(viewer: Actor | None) -> bool:
    return viewer is not None and (viewer.role == "admin" or viewer.org_kind in ("guarantor_office", "joint_group"))


def incident_scope(viewer: Actor | None) -> tuple[str, ...]:
    """What decides which incidents a viewer sees: ("all",), ("published",), or ("party", party id, org id)
    for a party's liaison. Viewers with the same scope see the same incidents (`scope_clause`), so it
    keys what is cached per viewer (compiled statements, totals)."""
    if sees_all_incidents(viewer):
        return ("all",)
    if viewer is None or viewer.org_kind != "party_liaison" or not viewer.party_id:
        return ("published",)
    return ("party", viewer.party_id, viewer.org)


def incident_clause(viewer: Actor | None) -> ColumnElement[bool]:
    """A WHERE clause on `incidents` selecting what the viewer may see."""
    return scope_clause(incident_scope(viewer))


def scope_clause(scope: tuple[str, ...], correlated: bool = False, fence: bool = False) -> ColumnElement[bool]:
    """The WHERE clause on `incidents` of a scope (`incident_scope`). `correlated`: the same rows, with
    EXISTS per incident instead of IN over every report: the cheaper form when the scan stops early
    (a page of newest incidents), IN the cheaper when every incident is checked (a count).

    `fence` (for PostgreSQL): the EXISTS gets an ``OFFSET 0``, which keeps PostgreSQL from turning it into a
    hash of every matching report (its planner counts the EXISTS as run once per incident, not knowing the
    scan stops after a page): the newest 50 of 200,000 public incidents took 300 ms that way, 1.6 ms with
    the EXISTS run for the rows the scan reads."""
    if scope[0] == "all":
        return true()

    def has_report(condition: ColumnElement[bool]) -> ColumnElement[bool]:
        linked = incident_reports.join(reports, reports.c.id == incident_reports.c.report_id)
        if correlated:
            where = (incident_reports.c.incident_id == incidents.c.id, condition)
            if fence:
                return exists(select(literal_column("1")).select_from(linked).where(*where).offset(literal_column("0")))
            return exists().select_from(linked).where(*where)
        return incidents.c.id.in_(select(incident_reports.c.incident_id).select_from(linked).where(condition))

    if scope[0] == "published":
        return or_(incidents.c.verdict == "verified", has_report(reports.c.visibility == "public"))
    _, party, org = scope
    return (
        or_(
            incidents.c.alleged_party_id == party,
            incidents.c.attributed_party_id == party,
            incidents.c.target_party_id == party,
            has_report(reports.c.org_id == org),
        )
        if party
        else false()
    )


def may_see_incident(viewer: Actor | None, inc: dict[str, Any], report_rows: list[dict[str, Any]]) -> bool:
    if sees_all_incidents(viewer):
        return True
    if viewer is not None and viewer.org_kind == "party_liaison" and viewer.party_id:
        p = viewer.party_id
        return p in (inc.get("alleged_party_id"), inc.get("attributed_party_id"), inc.get("target_party_id")) or any(
            r["org_id"] == viewer.org for r in report_rows
        )
    return inc.get("verdict") == "verified" or any(r["visibility"] == "public" for r in report_rows)


def may_see_report(viewer: Actor | None, row: dict[str, Any]) -> bool:
    if viewer is not None and row.get("org_id") == viewer.org:
        return True
    return row.get("visibility") in tiers_for(viewer)


# --- measures and the ledger ------------------------------------------------------------------------


def may_see_measure(viewer: Actor | None, measure: dict[str, Any]) -> bool:
    """Guarantor offices, the joint group and admins see every measure; a party's liaison sees the
    measures against its party; everyone sees the approved ones (they are published)."""
    if sees_all_incidents(viewer):
        return True
    if viewer is not None and viewer.org_kind == "party_liaison" and measure.get("party_id") == viewer.party_id:
        return True
    return measure.get("status") == "approved"


def may_see_board(viewer: Actor | None) -> bool:
    """The joint group's board of proposed measures: the guarantors' offices, the joint group, admins."""
    return sees_all_incidents(viewer)


def may_read_ledger(viewer: Actor | None) -> bool:
    """Ledger entries (sequence, time, actor, command, hashes): any signed-in user. The head (sequence
    and hash, for checkpoints) is public."""
    return viewer is not None


def may_read_payloads(viewer: Actor | None) -> bool:
    """Ledger payloads hold reports of every tier: only who sees every tier may read them."""
    return tiers_for(viewer) == ALL


def visible_incident_ids(conn: Any, viewer: Actor | None, ids: list[int]) -> set[int]:
    """Which of these incidents the viewer may see."""
    if not ids:
        return set()
    if sees_all_incidents(viewer):
        return set(ids)
    rows = conn.execute(select(incidents.c.id).where(incidents.c.id.in_(sorted(set(ids))), incident_clause(viewer)))
    return {int(r.id) for r in rows}
