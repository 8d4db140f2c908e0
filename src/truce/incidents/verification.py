"""Verification: guarantors' findings, the joint verdict under the agreement's decision rule,
attribution, classification against the clauses, severity and confidence.

Everything here is recomputed from the findings and the linked reports by `recompute`, which the
appliers call after every finding, link change or new agreement version, so that a replay of the
ledger rebuilds the same verdicts.

Verdict (G = the guarantors of the agreement version in force at the incident's time; a guarantor
whose own office is the only source of the incident's reports does not count: no one verifies
alone what it alone asserted; E = the guarantors that count; c, d, u = confirmed, disputed,
unverifiable among E's current findings; m = members of E with no finding yet):
- unanimity: verified when every member of E confirmed; disputed when some confirmed and some
  did not; not_verified when all of E have spoken and none confirmed; else pending.
- majority: verified when c > |E|/2; pending while c + m > |E|/2 could still be reached;
  otherwise disputed when c > 0, else not_verified.
- E empty (only self-asserted findings): pending until another guarantor speaks.

Attribution (verified only): the party named by most counted confirming findings; none named, or a
tie between parties, gives "could_not_be_attributed".

Classification (verified only): the first clause of the version in force that prohibits the
violation type. No breach when no clause prohibits it, when the incident lies outside every zone,
when it was directed against a party a clause excludes (e.g. ISIL under C4), or when it is
attributed to such an excluded party (not bound by the truce).

Severity (verified only), set per agreement in `settings.severity`: grave when civilians killed ≥
`grave_if_civilians_killed_at_least`, when the type is in `grave_types_in_zone` and the incident is
in a zone, or when the type is in `grave_types_anywhere`; else minor.

Confidence in [0, 1] = 0.40·sources + 0.20·observation + 0.15·evidence + 0.25·agreement, where
sources = 1 − 0.5^n for n independent sources (reports of one organisation count once; imported
media rows count once per external source), observation = the best mode among the reports
(observed 1.0, heard 0.7, second-hand or unknown 0.4), evidence = 1.0 when any report has
evidence else 0.5, agreement = 0.5 + 0.5·(c − d)/|G| over the counted findings.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from truce.agreements.service import DEFAULT_SETTINGS, in_force
from truce.auth.models import organisations
from truce.auth.permissions import require
from truce.db import next_id
from truce.errors import NotFound, PermissionDenied, ValidationFailed
from truce.incidents.models import FINDINGS, findings, incident_reports, incident_zones, incidents
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.parties.models import parties
from truce.parties.service import resolve_party
from truce.reports.models import report_evidence, reports

REASON_CODES = {
    "confirmed": ("site_visit", "observed", "imagery", "corroborated", "witness_statements", "forensic", "other"),
    "disputed": ("contradicting_evidence", "not_observed", "alternative_account", "staged", "other"),
    "unverifiable": ("no_access", "insufficient_information", "outside_mandate", "other"),
}
OBSERVATION_SCORE = {"observed": 1.0, "heard": 0.7, "second_hand": 0.4}
WEIGHTS = {"sources": 0.40, "observation": 0.20, "evidence": 0.15, "agreement": 0.25}


def add_finding(
    app: Any,
    conn: Connection,
    actor: Actor,
    incident_id: int,
    finding: str,
    reason_code: str,
    note: str | None = None,
    attributed_party: str | None = None,
) -> dict[str, Any]:
    """Record (or revise) the finding of the actor's guarantor on an incident."""
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
            recorded_at=ctx.at,
            supersedes=p["supersedes"],
            ledger_seq=ctx.seq,
        )
    )
    recompute(conn, [p["incident_id"]], ctx)


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


def own_only(offices: dict[str, str], source_orgs: set[str], settings: dict[str, Any]) -> set[str]:
    """The guarantor whose own office is the only source of an incident's reports: its finding does not
    count (no one verifies alone what it alone asserted), unless the agreement says its own reports verify
    (`own_reports_verify: true`, for an impartial monitor such as a UN or OSCE mission)."""
    if len(source_orgs) != 1 or settings.get("own_reports_verify") is True:
        return set()
    return {offices[o] for o in source_orgs if o in offices}


def decide(rule: str, counted: list[str], current: dict[str, str]) -> str:
    """The joint verdict from the current findings of the guarantors that count."""
    n = len(counted)
    if n == 0:
        return "pending"
    vals = [current.get(g) for g in counted]
    c = sum(v == "confirmed" for v in vals)
    missing = sum(v is None for v in vals)
    if rule == "unanimity":
        if c == n:
            return "verified"
        if c > 0 and c + missing < n:
            return "disputed"
        if missing == 0:
            return "not_verified"
        return "pending"
    # majority
    if c * 2 > n:
        return "verified"
    if (c + missing) * 2 > n:
        return "pending"
    return "disputed" if c > 0 else "not_verified"


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
            values["verdict_at"] = ctx.at
        conn.execute(update(incidents).where(incidents.c.id == iid).values(**values))
        after = (values["verdict"], values["attributed_party_id"])
        if after != before and values["verdict"] == "verified" and values["attributed_party_id"]:
            _notify(conn, ctx, iid, values["attributed_party_id"])


def _notify(conn: Connection, ctx: ApplyContext, incident_id: int, party_id: str) -> None:
    try:
        from truce.notifications.service import notify_party_attribution
    except ModuleNotFoundError:  # pragma: no cover - the notifications package is part of the product
        return
    notify_party_attribution(conn, ctx, incident_id, party_id)


def evaluate(conn: Connection, inc: dict[str, Any], offices: dict[str, str], designated: set[str]) -> dict[str, Any]:
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
    agreement = in_force(conn, inc["occurred_at"])
    settings = agreement["settings"] if agreement else DEFAULT_SETTINGS
    guarantors: list[str] = list(agreement["guarantors"]) if agreement else sorted(set(offices.values()))
    rule = agreement["decision_rule"] if agreement else "unanimity"
    cur = current_findings(conn, iid)
    source_orgs = {r.org_id for r in reps}
    # an impartial monitor's own patrols may verify (agreement setting own_reports_verify)
    sole = own_only(offices, source_orgs, settings)
    counted = [g for g in guarantors if g not in sole]
    current = {g: f["finding"] for g, f in cur.items() if g in guarantors}
    verdict = decide(rule, counted, current)

    target_party = None
    for r in reps:
        if r.target:
            target_party = resolve_party(conn, r.target)
            if target_party:
                break
    out: dict[str, Any] = {
        "agreement_id": agreement["id"] if agreement else None,
        "agreement_version": agreement["version"] if agreement else None,
        "target_party_id": target_party,
        "verdict": verdict,
        "attributed_party_id": None,
        "attribution": None,
        "clause_id": None,
        "breach": None,
        "breach_reason": None,
        "severity": None,
        "severity_reason": None,
    }
    if verdict == "verified":
        named = Counter(
            cur[g]["attributed_party_id"]
            for g in counted
            if g in cur and cur[g]["finding"] == "confirmed" and cur[g]["attributed_party_id"]
        )
        top = named.most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            out["attributed_party_id"], out["attribution"] = top[0][0], "attributed"
        else:
            out["attribution"] = "could_not_be_attributed"
        out.update(classify(inc, agreement, in_zone, target_party, out["attributed_party_id"], designated))
        killed_civ = max([r.killed_civilian or 0 for r in reps] or [0])
        out.update(severity(inc["violation_type"], in_zone, killed_civ, settings))
    parts = confidence_parts(list(reps), with_evidence > 0, guarantors, counted, current)
    out["confidence"] = parts["value"]
    out["confidence_parts"] = json.dumps(parts, sort_keys=True)
    return out


def classify(
    inc: dict[str, Any],
    agreement: dict[str, Any] | None,
    in_zone: bool,
    target_party: str | None,
    attributed: str | None,
    designated: set[str],
) -> dict[str, Any]:
    if agreement is None:
        return {"clause_id": None, "breach": "no_breach", "breach_reason": "no agreement in force on that date"}
    clauses = agreement["clauses"]
    excluded = {p: c["id"] for c in clauses for p in c.get("excluded_parties", [])}
    clause = next((c for c in clauses if inc["violation_type"] in c.get("prohibited", [])), None)
    if clause is None:
        return {
            "clause_id": None,
            "breach": "no_breach",
            "breach_reason": f"no clause of {agreement['id']} v{agreement['version']} prohibits "
            f"{inc['violation_type']}",
        }
    cid = clause["id"]
    wide = country_wide(clause, inc.get("adm1_pcode"))
    if not in_zone and not wide:
        return {"clause_id": cid, "breach": "no_breach", "breach_reason": "outside every zone on that date"}
    if target_party and target_party in excluded:
        return {
            "clause_id": cid,
            "breach": "no_breach",
            "breach_reason": f"directed against {target_party}, excluded by clause {excluded[target_party]}",
        }
    if attributed and (attributed in excluded or attributed in designated):
        why = f"clause {excluded[attributed]}" if attributed in excluded else "its designation"
        return {
            "clause_id": cid,
            "breach": "no_breach",
            "breach_reason": f"attributed to {attributed}, not bound by the truce ({why})",
        }
    return {
        "clause_id": cid,
        "breach": "breach",
        "breach_reason": f"{inc['violation_type']} in a zone, prohibited by {cid}"
        if in_zone
        else f"{inc['violation_type']} in {wide}, prohibited country-wide by {cid}",
    }


def country_wide(clause: dict[str, Any], adm1_pcode: str | None) -> str | None:
    """The country in which a country-wide clause applies to an incident placed in ``adm1_pcode`` (the
    country is the P-code's first two letters, as OCHA P-codes are built), or None."""
    if not adm1_pcode or not (clause.get("scope") == "country" or clause.get("countries")):
        return None
    iso = adm1_pcode[:2].upper()
    return iso if not clause.get("countries") or iso in clause["countries"] else None


def severity(vtype: str, in_zone: bool, killed_civilians: int, settings: dict[str, Any]) -> dict[str, Any]:
    rule = {**DEFAULT_SETTINGS["severity"], **(settings.get("severity") or {})}
    if killed_civilians >= int(rule["grave_if_civilians_killed_at_least"]):
        return {"severity": "grave", "severity_reason": f"{killed_civilians} civilians killed"}
    if vtype in rule["grave_types_anywhere"]:
        return {"severity": "grave", "severity_reason": f"{vtype} is grave wherever it happens"}
    if in_zone and vtype in rule["grave_types_in_zone"]:
        return {"severity": "grave", "severity_reason": f"{vtype} inside a zone"}
    return {"severity": "minor", "severity_reason": "no civilian killed, no heavy weapons in a zone"}


def confidence_parts(
    reps: list[Any], has_evidence: bool, guarantors: list[str], counted: list[str], current: dict[str, str]
) -> dict[str, Any]:
    sources = {(r.org_id, r.external_source) if r.source_kind in ("media", "ngo") else (r.org_id, None) for r in reps}
    n = len(sources)
    s_sources = 1 - 0.5**n if n else 0.0
    s_obs = max([OBSERVATION_SCORE.get(r.observation or "", 0.4) for r in reps] or [0.0])
    s_ev = 1.0 if has_evidence else 0.5
    c = sum(current.get(g) == "confirmed" for g in counted)
    d = sum(current.get(g) == "disputed" for g in counted)
    s_agree = 0.5 + 0.5 * (c - d) / len(guarantors) if guarantors else 0.5
    value = (
        WEIGHTS["sources"] * s_sources
        + WEIGHTS["observation"] * s_obs
        + WEIGHTS["evidence"] * s_ev
        + WEIGHTS["agreement"] * s_agree
    )
    return {
        "value": round(value, 4),
        "independent_sources": n,
        "sources": round(s_sources, 4),
        "observation": round(s_obs, 4),
        "evidence": s_ev,
        "agreement": round(s_agree, 4),
        "weights": WEIGHTS,
        "counted_guarantors": counted,
    }


def recompute_all(conn: Connection, ctx: ApplyContext, since_day: str | None = None) -> None:
    """Recompute the incidents that have findings (from a day on): after a new agreement version takes
    effect. Incidents without findings stay pending whatever the rule, so they need no work."""
    stmt = select(incidents.c.id).where(incidents.c.id.in_(select(findings.c.incident_id)))
    if since_day:
        stmt = stmt.where(incidents.c.occurred_at >= since_day)
    recompute(conn, [r.id for r in conn.execute(stmt)], ctx)
