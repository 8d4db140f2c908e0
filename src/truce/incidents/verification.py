"""Verification: guarantors' findings, the joint verdict under the agreement's decision rule,
attribution, classification against the clauses, severity and confidence.

Everything here is recomputed from the findings and the linked reports by `recompute`, which the
reactions declared below run after every finding, change of an incident's reports or new agreement
version (live and on replay alike, so that a replay of the ledger rebuilds the same verdicts).

The rules themselves (verdict, attribution, clause and breach, severity, confidence) are pure
functions in `incidents.rules`; this module gathers their facts from the database and stores the result.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, true, update

from truce import times
from truce.agreements.rules import AFTER, BEFORE
from truce.agreements.rules import period_verdict as day_period
from truce.agreements.service import in_force, period, period_verdict
from truce.auth.models import organisations
from truce.auth.permissions import require
from truce.db import next_id
from truce.errors import NotFound, PermissionDenied, ValidationFailed
from truce.incidents import rules
from truce.incidents.models import FINDINGS, findings, incident_reports, incident_zones, incidents
from truce.incidents.rules import classify, decide, severity  # noqa: F401  (re-exported)
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.ledger.reactions import emit, event, reaction
from truce.parties.models import parties
from truce.parties.service import resolve_party
from truce.reports.models import report_evidence, reports

REASON_CODES = {
    "confirmed": ("site_visit", "observed", "imagery", "corroborated", "witness_statements", "forensic", "other"),
    "disputed": ("contradicting_evidence", "not_observed", "alternative_account", "staged", "other"),
    "unverifiable": ("no_access", "insufficient_information", "outside_mandate", "other"),
}


def add_finding(
    app: App,
    conn: Connection,
    actor: Actor,
    incident_id: int,
    finding: str,
    reason_code: str,
    note: str | None = None,
    attributed_party: str | None = None,
    on: str | None = None,
) -> dict[str, Any]:
    """Record (or revise) the finding of the actor's guarantor on an incident, dated `on` (a day; default the
    deployment's clock, :func:`truce.times.today`)."""
    require(actor, "finding.add")
    if actor.org_kind != "guarantor_office" or not actor.party_id:
        raise PermissionDenied(
            f"user '{actor.name}' ({actor.role} of {actor.org}) may not record findings: only a verifier "
            "of a guarantor office records its guarantor's finding"
        )
    inc = conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first()
    if inc is None:
        raise NotFound(f"no incident {incident_id}", field="incident")
    if finding not in FINDINGS:
        raise ValidationFailed(f"finding: '{finding}' is not one of {', '.join(FINDINGS)}", field="finding")
    if reason_code not in REASON_CODES[finding]:
        ok = ", ".join(REASON_CODES[finding])
        raise ValidationFailed(f"reason: '{reason_code}' is not a reason for {finding} (one of: {ok})", field="reason")
    party_id = None
    if attributed_party:
        party_id = resolve_party(conn, attributed_party)
        if party_id is None:
            raise ValidationFailed(f"party: '{attributed_party}' is not in the party register", field="party")
        if finding != "confirmed":
            raise ValidationFailed("party: only a confirming finding attributes the incident", field="party")
    day = times.today() if on is None else times.day(on, "date")
    if day > times.today():
        raise ValidationFailed(f"date: {day} is in the future", field="date")
    prev = current_findings(conn, incident_id).get(actor.party_id)
    payload = {
        "id": next_id(conn, findings),
        "incident_id": incident_id,
        "guarantor": actor.party_id,
        "org_id": actor.org,
        "finding": finding,
        "reason_code": reason_code,
        "note": note,
        "attributed_party_id": party_id,
        "supersedes": prev["id"] if prev else None,
        "on": day,
    }
    app.record(conn, actor, "finding.add", payload)
    return payload


@applier("finding.add")
def _apply_finding(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(findings).values(
            id=p["id"],
            incident_id=p["incident_id"],
            guarantor=p["guarantor"],
            org_id=p["org_id"],
            finding=p["finding"],
            reason_code=p["reason_code"],
            note=p["note"],
            attributed_party_id=p["attributed_party_id"],
            recorded_by=ctx.actor,
            recorded_at=ctx.now,
            found_on=p.get("on") or ctx.now[:10],  # entries written before findings had a day: the entry's
            supersedes=p["supersedes"],
            ledger_seq=ctx.seq,
        )
    )


# --- reactions: what follows a finding, a change of reports, a new agreement version --------------------

ATTRIBUTED = event(
    "incident.attributed", "an incident became verified and attributed to a party (payload: incident_id, party_id)"
)

# Commands whose appliers change the reports of incidents (they mark them in ctx.changed["incidents"]).
REPORT_CHANGES = (
    "report.submit",
    "import.batch",
    "incident.link",
    "incident.unlink",
    "incident.split",
    "suggestion.accept",
)


@reaction(on="finding.add")
def judge_after_finding(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Recompute the incident's verdict, attribution, breach, severity and confidence."""
    recompute(conn, [p["incident_id"]], ctx)


@reaction(on=REPORT_CHANGES)
def judge_after_report_change(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Recompute the judgment of every incident whose reports changed."""
    recompute(conn, sorted(ctx.changed.get("incidents", ())), ctx)


@reaction(on=("zone.add", "zone.version"))
def judge_after_zone_change(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Recompute the judgment (breach, severity) of the incidents with findings that entered or left a zone."""
    moved = sorted(ctx.changed.get("zoned_incidents", ()))
    judged: set[int] = set()
    for i in range(0, len(moved), 500):
        chunk = moved[i : i + 500]
        judged |= {
            int(r.incident_id)
            for r in conn.execute(select(findings.c.incident_id).where(findings.c.incident_id.in_(chunk)).distinct())
        }
    recompute(conn, sorted(judged), ctx)


@reaction(on="agreement.add")
def judge_under_new_version(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Recompute the incidents with findings from the day the new version takes effect (all of them for
    a new agreement: its period begins), and every incident whose place in the agreement's period
    changed (before or after the agreement, or back inside it), with or without findings."""
    recompute_all(conn, ctx, since_day=p["effective"] if p["version"] > 1 else None)


@reaction(on="import.file")
def judge_after_file_import(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    """Recompute the incidents that a correction brought up to date."""
    recompute(conn, sorted(ctx.changed.get("incidents", ())), ctx)


def current_findings(conn: Connection, incident_id: int) -> dict[str, dict[str, Any]]:
    """The latest finding of each guarantor on an incident."""
    out: dict[str, dict[str, Any]] = {}
    for r in conn.execute(
        select(findings).where(findings.c.incident_id == incident_id).order_by(findings.c.id)
    ).mappings():
        out[r["guarantor"]] = dict(r)
    return out


def finding_history(conn: Connection, incident_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            select(findings).where(findings.c.incident_id == incident_id).order_by(findings.c.id)
        ).mappings()
    ]


# --- the verdict -----------------------------------------------------------------------------------


def _guarantor_offices(conn: Connection) -> dict[str, str]:
    rows = conn.execute(
        select(organisations.c.id, organisations.c.party_id).where(organisations.c.kind == "guarantor_office")
    )
    return {r.id: r.party_id for r in rows}


def recompute(conn: Connection, incident_ids: list[int], ctx: ApplyContext) -> None:
    """Recompute verdict, attribution, classification, severity and confidence of incidents."""
    if not incident_ids:
        return
    offices = _guarantor_offices(conn)
    excluded_kinds = {r.id for r in conn.execute(select(parties.c.id).where(parties.c.kind == "designated"))}
    for iid in sorted(set(incident_ids)):
        inc = conn.execute(select(incidents).where(incidents.c.id == iid)).mappings().first()
        if inc is None:
            continue
        values = evaluate(conn, dict(inc), offices, excluded_kinds)
        before = (inc["verdict"], inc["attributed_party_id"])
        if values["verdict"] != inc["verdict"]:
            values["verdict_at"] = ctx.now
        conn.execute(update(incidents).where(incidents.c.id == iid).values(**values))
        after = (values["verdict"], values["attributed_party_id"])
        if after != before and values["verdict"] == "verified" and values["attributed_party_id"]:
            emit(conn, ctx, ATTRIBUTED, {"incident_id": iid, "party_id": values["attributed_party_id"]})


def facts(conn: Connection, inc: dict[str, Any], offices: dict[str, str], designated: set[str]) -> rules.Facts:
    """The facts the rules judge an incident on, read from the database as it stands."""
    iid = inc["id"]
    reps = conn.execute(
        select(
            reports.c.id,
            reports.c.org_id,
            reports.c.source_kind,
            reports.c.observation,
            reports.c.external_source,
            reports.c.target,
            reports.c.killed_civilian,
        )
        .join(incident_reports, incident_reports.c.report_id == reports.c.id)
        .where(incident_reports.c.incident_id == iid)
        .order_by(reports.c.received_at, reports.c.id)
    ).all()
    with_evidence = conn.execute(
        select(func.count())
        .select_from(report_evidence)
        .join(incident_reports, incident_reports.c.report_id == report_evidence.c.report_id)
        .where(incident_reports.c.incident_id == iid)
    ).scalar_one()
    in_zone = (
        conn.execute(
            select(func.count()).select_from(incident_zones).where(incident_zones.c.incident_id == iid)
        ).scalar_one()
        > 0
    )
    target_party = None
    for r in reps:
        if r.target:
            target_party = resolve_party(conn, r.target)
            if target_party:
                break
    cur = current_findings(conn, iid)
    return rules.Facts(
        violation_type=inc["violation_type"],
        agreement=in_force(conn, inc["occurred_at"]),
        period=period_verdict(conn, inc["occurred_at"]),
        offices=offices,
        sources=[
            rules.Source(r.org_id, r.source_kind, r.observation, r.external_source, r.killed_civilian) for r in reps
        ],
        findings={g: rules.Finding(f["finding"], f["attributed_party_id"]) for g, f in cur.items()},
        in_zone=in_zone,
        target_party=target_party,
        designated=frozenset(designated),
        has_evidence=with_evidence > 0,
        adm1_pcode=inc.get("adm1_pcode"),
    )


def evaluate(conn: Connection, inc: dict[str, Any], offices: dict[str, str], designated: set[str]) -> dict[str, Any]:
    """The derived columns of an incident, by the rules, from the database as it stands."""
    f = facts(conn, inc, offices, designated)
    j = rules.judge(f)
    agreement = f.agreement
    out: dict[str, Any] = {
        "agreement_id": agreement["id"] if agreement else None,
        "agreement_version": agreement["version"] if agreement else None,
        "target_party_id": f.target_party,
        **{k: j[k] for k in rules.JUDGED_FIELDS},
    }
    parts = rules.confidence_parts(
        f.sources, f.has_evidence, rules.guarantors_of(agreement, offices), j["counted"], j["current"]
    )
    out["confidence"] = parts["value"]
    out["confidence_parts"] = json.dumps(parts, sort_keys=True)
    return out


def _outside_now(first: str | None, ends: str | None) -> Any:
    """The incidents whose day lies outside the agreement's period (first, ends) as SQL (see
    `agreements.rules.period_verdict`), or those stored as outside it (whose place may have changed)."""
    stored = incidents.c.verdict.in_((BEFORE, AFTER))
    if first is None:
        return stored
    outside = [incidents.c.occurred_at < first, stored]
    if ends:
        outside.append(incidents.c.occurred_at >= ends[:10])
    return or_(*outside)


def recompute_all(conn: Connection, ctx: ApplyContext, since_day: str | None = None) -> None:
    """After a new agreement version: recompute the incidents that have findings (from a day on), and
    every incident that lies, or lay, outside the agreement's period. Incidents without findings are set
    in bulk: pending inside the period, the period's word outside it (`rules.unjudged`)."""
    first, ends = period(conn)
    with_findings = incidents.c.id.in_(select(findings.c.incident_id))
    moved = _outside_now(first, ends)
    stmt = select(incidents.c.id).where(
        with_findings, or_(incidents.c.occurred_at >= since_day, moved) if since_day else true()
    )
    recompute(conn, [r.id for r in conn.execute(stmt)], ctx)
    unseen = incidents.c.id.not_in(select(findings.c.incident_id))
    buckets: list[tuple[str | None, Any]] = [(None, incidents.c.verdict.in_((BEFORE, AFTER)))]
    if first is not None:
        inside = incidents.c.occurred_at >= first
        if ends:
            inside = inside & (incidents.c.occurred_at < ends[:10])
        buckets = [(None, inside & incidents.c.verdict.in_((BEFORE, AFTER))), (BEFORE, incidents.c.occurred_at < first)]
        if ends:
            buckets.append((AFTER, incidents.c.occurred_at >= ends[:10]))
    for word, where in buckets:
        values = rules.unjudged(word)
        conn.execute(
            update(incidents)
            .where(unseen, where, incidents.c.verdict != values["verdict"])
            .values(**values, verdict_at=ctx.at)
        )


def check_judgments(conn: Connection, limit: int = 20) -> list[str]:
    """Recompute every incident's derived fields by the rules from the database as it stands and name
    each stored value that disagrees (by incident and field): what a replay cannot see when the ledger
    itself reproduces a stale value. Incidents without findings must be pending with nothing judged, or
    before/after the agreement outside its period; the others are evaluated in full."""
    problems: list[str] = []
    offices = _guarantor_offices(conn)
    designated = {r.id for r in conn.execute(select(parties.c.id).where(parties.c.kind == "designated"))}
    with_findings = select(findings.c.incident_id)
    cols = [incidents.c.id, incidents.c.occurred_at, incidents.c.verdict, *[incidents.c[k] for k in JUDGED[1:]]]
    first, ends = period(conn)
    for r in conn.execute(select(*cols).where(incidents.c.id.not_in(with_findings)).order_by(incidents.c.id)):
        want = rules.unjudged(day_period(first, ends, r.occurred_at))
        problems += _differences(int(r.id), r._mapping, want)
        if len(problems) >= limit:
            return problems[:limit]
    for row in conn.execute(
        select(incidents).where(incidents.c.id.in_(with_findings)).order_by(incidents.c.id)
    ).mappings():
        want = evaluate(conn, dict(row), offices, designated)
        problems += _differences(int(row["id"]), row, {k: want[k] for k in (*JUDGED, "confidence")})
        if len(problems) >= limit:
            return problems[:limit]
    return problems


JUDGED = rules.JUDGED_FIELDS


def _differences(iid: int, stored: Any, want: dict[str, Any]) -> list[str]:
    out = []
    for k, v in want.items():
        got = stored[k]
        if k == "confidence" and got is not None and v is not None and abs(float(got) - float(v)) < 1e-9:
            continue
        if got != v:
            out.append(f"incident {iid}: {k} is {got!r} in the database but the rules give {v!r}")
    return out
