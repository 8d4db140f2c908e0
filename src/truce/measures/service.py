"""Measures against violators and accession to the truce, decided by the joint group.

`evaluate` proposes measures from the agreement's ladder (settings.measures; default in
agreements/enforcement.yaml): for each party bound by the truce, its points in the sliding window
(verified breaches attributed to it, weighted by severity, plus access denials it caused) select the
highest rung whose threshold they reach; an approved measure whose deadline passed without
compliance is marked breached and proposes the next rung. A measure already proposed or approved
for the same party and rung, or rejected on the same evidence, is never proposed again.

Decisions are votes of the guarantors (each through a verifier of its office) counted under the
decision rule of the agreement version the measure was proposed under: unanimity approves when
all approve and rejects on the first no; majority approves when more than half approve and
rejects when that can no longer happen. An approved measure gets its deadline (decision day +
deadline_days) and compliance `open`, tracked to `complied` or `breached`; a rung with
`sets_status` changes the party's truce status (suspended, excluded) on approval."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from truce import lookups, times
from truce.agreements.service import DEFAULT_SETTINGS, default_enforcement, get, in_force
from truce.auth.permissions import require
from truce.db import next_id
from truce.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from truce.i18n import N_
from truce.incidents.models import access_denials, incident_reports, incidents
from truce.ledger.chain import Actor, ApplyContext, applier, canonical
from truce.ledger.context import App
from truce.measures import rules
from truce.measures.models import accessions, measures, votes
from truce.parties.models import parties
from truce.parties.service import TRANSITIONS, get_party_row, write_status_change


def _day(s: str | None, field: str = "as_of") -> str:
    if s is None:
        return times.today()
    try:
        d = date.fromisoformat(s[:10])
    except ValueError as e:
        raise ValidationFailed(f"{field}: '{s}' is not a date (YYYY-MM-DD)", field=field) from e
    if d > times.today_date():
        raise ValidationFailed(f"{field}: {d} is in the future", field=field)
    return d.isoformat()


def ladder_config(ag: dict[str, Any] | None) -> dict[str, Any]:
    settings = ag["settings"] if ag else DEFAULT_SETTINGS
    cfg: dict[str, Any] = settings.get("measures") or default_enforcement()["measures"]
    return cfg


def eligibility(conn: Connection, party_id: str, day: str, applying: bool = False) -> dict[str, Any]:
    """The party's eligibility on `day` (`eligibility.service.evaluate`), kept with an accession decision."""
    from truce.eligibility.service import evaluate  # lazy: shapely (distances), only when accession is decided

    return evaluate(conn, party_id, day, applying=applying)


def _rung(cfg: dict[str, Any], step: int) -> dict[str, Any] | None:
    return next((r for r in cfg["ladder"] if int(r["step"]) == step), None)


def party_points(conn: Connection, party_id: str, as_of: str, cfg: dict[str, Any]) -> dict[str, Any]:
    """The party's points in the window: verified breaches by severity, and access denials."""
    start, stop = rules.window(as_of, int(cfg["window_days"]))
    w = cfg["weights"]
    incs = []
    for r in conn.execute(
        select(
            incidents.c.id, incidents.c.occurred_at, incidents.c.severity, incidents.c.clause_id, incidents.c.ledger_seq
        )
        .where(
            incidents.c.attributed_party_id == party_id,
            incidents.c.verdict == "verified",
            incidents.c.breach == "breach",
            incidents.c.occurred_at >= start,
            incidents.c.occurred_at < stop,
        )
        .order_by(incidents.c.occurred_at, incidents.c.id)
    ):
        rep_ids = [
            x.report_id
            for x in conn.execute(
                select(incident_reports.c.report_id)
                .where(incident_reports.c.incident_id == r.id)
                .order_by(incident_reports.c.report_id)
            )
        ]
        incs.append(
            {
                "incident_id": r.id,
                "occurred_at": r.occurred_at,
                "severity": r.severity,
                "clause": r.clause_id,
                "points": rules.breach_points(r.severity, w),
                "reports": rep_ids,
                "ledger_seq": r.ledger_seq,
            }
        )
    dens = [
        {
            "denial_id": d.id,
            "investigation_id": d.investigation_id,
            "incident_id": d.incident_id,
            "denied_at": d.denied_at,
            "points": rules.denial_points(w),
            "ledger_seq": d.ledger_seq,
        }
        for d in conn.execute(
            select(access_denials)
            .where(
                access_denials.c.party_id == party_id,
                access_denials.c.denied_at >= start,
                access_denials.c.denied_at < stop,
            )
            .order_by(access_denials.c.id)
        )
    ]
    total = sum(i["points"] for i in incs) + sum(d["points"] for d in dens)
    return {"window": [start, as_of], "points": total, "incidents": incs, "access_denials": dens}


def _key(party: str, step: int, evidence: dict[str, Any]) -> str:
    ids = {
        "party": party,
        "step": step,
        "incidents": [i["incident_id"] for i in evidence.get("incidents", [])],
        "denials": [d["denial_id"] for d in evidence.get("access_denials", [])],
        "missed": [m["measure_id"] for m in evidence.get("missed_deadlines", [])],
    }
    return hashlib.sha256(canonical(ids)).hexdigest()


def evaluate(app: App, conn: Connection, actor: Actor, as_of: str | None = None) -> dict[str, Any]:
    """Propose the measures the ladder calls for on a day, and mark missed deadlines breached."""
    require(actor, "measures.evaluate")
    day = _day(as_of)
    ag = in_force(conn, day)
    if ag is None:
        raise ValidationFailed(f"as_of: no agreement is in force on {day}", field="as_of")
    cfg = ladder_config(ag)
    breached = [
        {"measure_id": m.id, "party_id": m.party_id, "step": m.step, "deadline": m.deadline}
        for m in conn.execute(
            select(measures)
            .where(measures.c.status == "approved", measures.c.compliance == "open", measures.c.deadline < day)
            .order_by(measures.c.id)
        )
    ]
    existing = list(
        conn.execute(select(measures.c.party_id, measures.c.step, measures.c.status, measures.c.evidence_key))
    )
    proposals: list[dict[str, Any]] = []
    next_mid = next_id(conn, measures)
    bound = (
        conn.execute(
            select(parties.c.id)
            .where(parties.c.kind.in_(("government", "armed_group", "foreign_force")))
            .order_by(parties.c.id)
        )
        .scalars()
        .all()
    )
    missed_by_party: dict[str, list[dict[str, Any]]] = {}
    for b in breached:
        missed_by_party.setdefault(b["party_id"], []).append(b)
    for m in conn.execute(select(measures).where(measures.c.compliance == "breached")):
        missed_by_party.setdefault(m.party_id, []).append(
            {"measure_id": m.id, "party_id": m.party_id, "step": m.step, "deadline": m.deadline}
        )
    for pid in bound:
        pts = party_points(conn, pid, day, cfg)
        candidates: list[tuple[int, str, dict[str, Any]]] = []
        reached = [r for r in cfg["rules"] if pts["points"] >= int(r["min_points"])]
        if reached:
            rule = max(reached, key=lambda r: int(r["step"]))
            candidates.append((int(rule["step"]), rule["id"], {**pts, "rule": rule}))
        if cfg.get("missed_deadline") == "next_step":
            for miss in missed_by_party.get(pid, []):
                step = int(miss["step"]) + 1
                if _rung(cfg, step):
                    candidates.append(
                        (
                            step,
                            "missed_deadline",
                            {
                                "rule": {
                                    "id": "missed_deadline",
                                    "text": "an approved measure's deadline "
                                    "passed without compliance: the next step of the ladder",
                                },
                                "missed_deadlines": [miss],
                                "window": pts["window"],
                            },
                        )
                    )
        for step, rule_id, evidence in candidates:
            key = _key(pid, step, evidence)
            dup = any(
                e.party_id == pid and e.step == step and (e.status in ("proposed", "approved") or e.evidence_key == key)
                for e in existing
            )
            dup = dup or any(p["party_id"] == pid and p["step"] == step for p in proposals)
            if dup:
                continue
            rung = _rung(cfg, step)
            assert rung is not None
            proposals.append(
                {
                    "id": next_mid,
                    "party_id": pid,
                    "step": step,
                    "kind": rung["kind"],
                    "rule_id": rule_id,
                    "evidence": evidence,
                    "evidence_key": key,
                }
            )
            next_mid += 1
    result = {
        "as_of": day,
        "agreement_id": ag["id"],
        "agreement_version": ag["version"],
        "breached": breached,
        "proposals": proposals,
    }
    if breached or proposals:
        seq, _ = app.record(conn, actor, "measures.evaluate", result)
        result["ledger_seq"] = seq
    return result


@applier("measures.evaluate")
def _apply_evaluate(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    for b in p["breached"]:
        conn.execute(
            update(measures)
            .where(measures.c.id == b["measure_id"])
            .values(
                compliance="breached",
                compliance_at=ctx.now,
                compliance_reason=f"deadline {b['deadline']} passed without compliance (evaluated as of {p['as_of']})",
            )
        )
    for m in p["proposals"]:
        conn.execute(
            insert(measures).values(
                id=m["id"],
                party_id=m["party_id"],
                step=m["step"],
                kind=m["kind"],
                rule_id=m["rule_id"],
                agreement_id=p["agreement_id"],
                agreement_version=p["agreement_version"],
                as_of=p["as_of"],
                evidence=json.dumps(m["evidence"], sort_keys=True),
                evidence_key=m["evidence_key"],
                status="proposed",
                proposed_at=ctx.now,
                ledger_seq=ctx.seq,
            )
        )
    # The joint group is notified of the proposals by a declared reaction (notifications.service).


# --- decisions -------------------------------------------------------------------------------------


def _tally(rule: str, guarantors: list[str], cast: dict[str, bool]) -> str | None:
    n = len(guarantors)
    yes = sum(1 for g in guarantors if cast.get(g) is True)
    no = sum(1 for g in guarantors if cast.get(g) is False)
    if rule == "unanimity":
        if yes == n:
            return "approved"
        return "rejected" if no else None
    if yes * 2 > n:
        return "approved"
    return "rejected" if (n - no) * 2 <= n else None


def _voter(actor: Actor) -> str:
    if actor.role != "verifier" or actor.org_kind != "guarantor_office" or not actor.party_id:
        raise PermissionDenied(
            f"user '{actor.name}' ({actor.role} of {actor.org}) may not vote: the joint group "
            "decides through a verifier of each guarantor's office"
        )
    return actor.party_id


def _cast(conn: Connection, subject: str, sid: int) -> dict[str, bool]:
    return {
        v.guarantor: v.approve == "yes"
        for v in conn.execute(select(votes).where(votes.c.subject == subject, votes.c.subject_id == sid))
    }


def decide_measure(
    app: App, conn: Connection, actor: Actor, measure_id: int, approve: bool, reason: str, on: str | None = None
) -> dict[str, Any]:
    """Record the actor's guarantor's vote on a proposed measure; the decision follows the rule."""
    require(actor, "measure.decide")
    g = _voter(actor)
    m = conn.execute(select(measures).where(measures.c.id == measure_id)).first()
    if m is None:
        raise NotFound(f"no measure {measure_id}", field="measure")
    if m.status != "proposed":
        raise Conflict(f"measure {measure_id} was {m.status} already", field="measure")
    if not reason or not reason.strip():
        raise ValidationFailed("reason: a decision needs a reason", field="reason")
    day = _day(on, "date") if on else m.as_of  # the decision's date: the day the evaluation decided on
    if day < m.as_of:
        raise ValidationFailed(f"date: {day} is before the measure was proposed ({m.as_of})", field="date")
    ag = get(conn, m.agreement_id, m.agreement_version)
    if g not in ag["guarantors"]:
        raise PermissionDenied(f"{g} is not a guarantor of {ag['id']} v{ag['version']}")
    earlier = _cast(conn, "measure", measure_id)
    if g in earlier:
        raise Conflict(f"{g} voted on measure {measure_id} already", field="measure")
    cast = {**earlier, g: approve}
    outcome = _tally(ag["decision_rule"], ag["guarantors"], cast)
    cfg = ladder_config(ag)
    rung = _rung(cfg, m.step) or {}
    payload: dict[str, Any] = {
        "measure_id": measure_id,
        "guarantor": g,
        "approve": approve,
        "reason": reason,
        "on": day,
        "outcome": outcome,
        "deadline": None,
        "status_change": None,
    }
    if outcome == "approved":
        if rung.get("deadline_days"):
            payload["deadline"] = (date.fromisoformat(day) + timedelta(days=int(rung["deadline_days"]))).isoformat()
        new_status = rung.get("sets_status")
        party = get_party_row(conn, m.party_id)
        if new_status and new_status in TRANSITIONS.get(party.truce_status, set()):
            payload["status_change"] = {
                "party_id": m.party_id,
                "status": new_status,
                "previous": party.truce_status,
                "effective": day,
                "reason": f"measure {measure_id} ({m.kind}) approved: {reason}",
                "decision": f"measure {measure_id}",
            }
    app.record(conn, actor, "measure.vote", payload)
    return payload


@applier("measure.vote")
def _apply_vote(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _insert_vote(conn, "measure", p["measure_id"], p, ctx)
    if p["outcome"]:
        conn.execute(
            update(measures)
            .where(measures.c.id == p["measure_id"])
            .values(
                status=p["outcome"],
                decided_at=p["on"],
                decision_reason=p["reason"],
                deadline=p["deadline"],
                compliance="open" if p["outcome"] == "approved" and p["deadline"] else None,
            )
        )
    sc = p.get("status_change")
    if sc:
        _set_status(conn, sc, ctx)


def _insert_vote(conn: Connection, subject: str, subject_id: int, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(votes).values(
            subject=subject,
            subject_id=subject_id,
            guarantor=p["guarantor"],
            approve="yes" if p["approve"] else "no",
            reason=p["reason"],
            voted_by=ctx.actor,
            voted_at=ctx.now,
            voted_on=p.get("on") or ctx.now[:10],
            ledger_seq=ctx.seq,
        )
    )


def _set_status(conn: Connection, sc: dict[str, Any], ctx: ApplyContext) -> None:
    write_status_change(conn, sc, ctx)


def record_compliance(
    app: App, conn: Connection, actor: Actor, measure_id: int, complied: bool, reason: str, on: str | None = None
) -> dict[str, Any]:
    """Close an approved measure's compliance: complied, or breached (a missed deadline also breaches it)."""
    require(actor, "measure.compliance")
    m = conn.execute(select(measures).where(measures.c.id == measure_id)).first()
    if m is None:
        raise NotFound(f"no measure {measure_id}", field="measure")
    if m.compliance != "open":
        raise Conflict(
            f"measure {measure_id} has no open compliance (it is {m.compliance or m.status})", field="measure"
        )
    if not reason.strip():
        raise ValidationFailed("reason: say how the party complied or not", field="reason")
    payload = {
        "measure_id": measure_id,
        "compliance": "complied" if complied else "breached",
        "reason": reason,
        "on": _day(on, "date"),
    }
    app.record(conn, actor, "measure.compliance", payload)
    return payload


@applier("measure.compliance")
def _apply_compliance(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        update(measures)
        .where(measures.c.id == p["measure_id"])
        .values(compliance=p["compliance"], compliance_at=p["on"], compliance_reason=p["reason"])
    )


def _measure_dict(conn: Connection, r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    d["evidence"] = json.loads(d["evidence"])
    d["votes"] = [
        dict(v._mapping)
        for v in conn.execute(
            select(
                votes.c.guarantor,
                votes.c.approve,
                votes.c.reason,
                votes.c.voted_by,
                votes.c.voted_at,
                votes.c.voted_on,
                votes.c.ledger_seq,
            )
            .where(votes.c.subject == "measure", votes.c.subject_id == r.id)
            .order_by(votes.c.ledger_seq)
        )
    ]
    return d


def list_measures(conn: Connection, status: str | None = None, party: str | None = None) -> list[dict[str, Any]]:
    stmt = select(measures).order_by(measures.c.id)
    if status:
        stmt = stmt.where(measures.c.status == status)
    if party:
        stmt = stmt.where(measures.c.party_id == lookups.party(conn, party))
    return [_measure_dict(conn, r) for r in conn.execute(stmt)]


def get_measure(conn: Connection, measure_id: int) -> dict[str, Any]:
    r = conn.execute(select(measures).where(measures.c.id == measure_id)).first()
    if r is None:
        raise NotFound(f"no measure {measure_id}", field="measure")
    return _measure_dict(conn, r)


# --- accession ---------------------------------------------------------------------------------------


def apply_accession(app: App, conn: Connection, actor: Actor, party: str, on: str | None = None) -> dict[str, Any]:
    """A party applies to join the truce (its liaison, or an admin); eligibility is evaluated and kept."""

    require(actor, "accession.apply")
    row = get_party_row(conn, party)
    if actor.role == "liaison" and actor.party_id != row.id:
        raise PermissionDenied(f"user '{actor.name}' is the liaison of {actor.party_id}, not of {row.id}")
    if row.truce_status == "signatory":
        raise Conflict(f"{row.id} is a signatory already", field="party")
    if conn.execute(
        select(accessions.c.id).where(accessions.c.party_id == row.id, accessions.c.status == "pending")
    ).first():
        raise Conflict(f"{row.id} has an application pending already", field="party")
    day = _day(on, "date")
    ev = eligibility(conn, row.id, day, applying=row.kind != "designated")
    status_change = None
    if (
        row.truce_status != "applicant"
        and "applicant" in TRANSITIONS.get(row.truce_status, set())
        and row.kind != "designated"
    ):
        status_change = {
            "party_id": row.id,
            "status": "applicant",
            "previous": row.truce_status,
            "effective": day,
            "reason": N_("applied to join the truce"),  # shown through i18n.localize
            "decision": None,
        }
    payload = {
        "id": next_id(conn, accessions),
        "party_id": row.id,
        "on": day,
        "eligibility": ev,
        "status_change": status_change,
    }
    app.record(conn, actor, "accession.apply", payload)
    return payload


@applier("accession.apply")
def _apply_accession(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(accessions).values(
            id=p["id"],
            party_id=p["party_id"],
            applied_at=p["on"],
            applied_by=ctx.actor,
            status="pending",
            eligibility=json.dumps(p["eligibility"], sort_keys=True),
            ledger_seq=ctx.seq,
        )
    )
    if p.get("status_change"):
        _set_status(conn, p["status_change"], ctx)


def decide_accession(
    app: App, conn: Connection, actor: Actor, accession_id: int, approve: bool, reason: str, on: str | None = None
) -> dict[str, Any]:
    """A guarantor's vote on an application; accepted applications make the party a signatory.
    An approval is refused while the party fails the eligibility criteria."""

    require(actor, "accession.decide")
    g = _voter(actor)
    a = conn.execute(select(accessions).where(accessions.c.id == accession_id)).first()
    if a is None:
        raise NotFound(f"no accession application {accession_id}", field="accession")
    if a.status != "pending":
        raise Conflict(f"application {accession_id} was {a.status} already", field="accession")
    if not reason.strip():
        raise ValidationFailed("reason: a decision needs a reason", field="reason")
    day = _day(on, "date") if on else a.applied_at  # the decision's date: the application's day
    if day < a.applied_at:
        raise ValidationFailed(f"date: {day} is before the application ({a.applied_at})", field="date")
    ev = eligibility(conn, a.party_id, day, applying=day == a.applied_at)
    if approve and ev["result"] == "not_eligible":
        failed = ", ".join(c["id"] for c in ev["criteria"] if c["status"] == "failed")
        raise ValidationFailed(
            f"approve: {a.party_id} fails eligibility criteria {failed} on {day}", field="approve"
        )
    override = json.loads(a.eligibility).get("override")
    if approve and ev["result"] == "undetermined" and not override:
        unknown = ", ".join(c["id"] for c in ev["criteria"] if c["status"] == "unknown")
        raise ValidationFailed(
            f"approve: {a.party_id}'s eligibility on {day} is undetermined ({unknown} unknown): an admin must "
            f"record an override with a reason first (truce accession override {accession_id} --reason ...)",
            field="approve",
        )
    ag = in_force(conn, day)
    if ag is None:
        raise ValidationFailed(f"date: no agreement in force on {day}", field="date")
    earlier = _cast(conn, "accession", accession_id)
    if g in earlier:
        raise Conflict(f"{g} voted on application {accession_id} already", field="accession")
    cast = {**earlier, g: approve}
    outcome = _tally(ag["decision_rule"], ag["guarantors"], cast)
    party = get_party_row(conn, a.party_id)
    status_change = None
    if outcome == "approved" and "signatory" in TRANSITIONS.get(party.truce_status, set()):
        status_change = {
            "party_id": a.party_id,
            "status": "signatory",
            "previous": party.truce_status,
            "effective": day,
            "reason": f"accession accepted: {reason}",
            "decision": f"accession {accession_id}",
        }
    payload = {
        "accession_id": accession_id,
        "guarantor": g,
        "approve": approve,
        "reason": reason,
        "on": day,
        "outcome": outcome,
        "eligibility_result": ev["result"],
        "status_change": status_change,
    }
    app.record(conn, actor, "accession.vote", payload)
    return payload


def override_eligibility(app: App, conn: Connection, actor: Actor, accession_id: int, reason: str) -> dict[str, Any]:
    """An admin lets the guarantors approve an application whose eligibility is undetermined, saying why
    (kept with the application's eligibility record; a failed criterion cannot be overridden)."""
    require(actor, "accession.override")
    a = conn.execute(select(accessions).where(accessions.c.id == accession_id)).first()
    if a is None:
        raise NotFound(f"no accession application {accession_id}", field="accession")
    if a.status != "pending":
        raise Conflict(f"application {accession_id} was {a.status} already", field="accession")
    if not reason or not reason.strip():
        raise ValidationFailed("reason: an override needs a reason", field="reason")
    if json.loads(a.eligibility).get("override"):
        raise Conflict(f"application {accession_id} has an override already", field="accession")
    payload = {"accession_id": accession_id, "reason": reason.strip()}
    app.record(conn, actor, "accession.override", payload)
    return payload


@applier("accession.override")
def _apply_override(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    row = conn.execute(select(accessions.c.eligibility).where(accessions.c.id == p["accession_id"])).scalar_one()
    ev = json.loads(row)
    ev["override"] = {"by": ctx.actor, "at": ctx.now, "reason": p["reason"]}
    conn.execute(
        update(accessions)
        .where(accessions.c.id == p["accession_id"])
        .values(eligibility=json.dumps(ev, sort_keys=True))
    )


@applier("accession.vote")
def _apply_accession_vote(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    _insert_vote(conn, "accession", p["accession_id"], p, ctx)
    if p["outcome"]:
        conn.execute(
            update(accessions)
            .where(accessions.c.id == p["accession_id"])
            .values(
                status="accepted" if p["outcome"] == "approved" else "rejected",
                decided_at=p["on"],
                decision_reason=p["reason"],
            )
        )
    if p.get("status_change"):
        _set_status(conn, p["status_change"], ctx)


def list_accessions(conn: Connection, status: str | None = None) -> list[dict[str, Any]]:
    stmt = select(accessions).order_by(accessions.c.id)
    if status:
        stmt = stmt.where(accessions.c.status == status)
    out = []
    for r in conn.execute(stmt):
        d = dict(r._mapping)
        d["eligibility"] = json.loads(d["eligibility"])
        d["votes"] = [
            dict(v._mapping)
            for v in conn.execute(select(votes).where(votes.c.subject == "accession", votes.c.subject_id == r.id))
        ]
        out.append(d)
    return out
