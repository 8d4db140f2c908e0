"""Incidents, link suggestions and the guarantors' findings: `truce incident|suggestion|finding …`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any

import typer

from truce import i18n
from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    DecisionDateOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    console,
    get_app,
    handle_errors,
    once,
    print_json,
    show,
    table,
    viewer_for,
)
from truce.geo.service import admin_names
from truce.incidents.linking import (
    accept_suggestion,
    link_report,
    list_suggestions,
    reject_suggestion,
    split_incident,
    unlink_report,
)
from truce.incidents.models import incidents
from truce.incidents.service import IncidentFilter, list_incidents, require_incident
from truce.incidents.verification import add_finding, current_findings, finding_history
from truce.incidents.views import incident_detail
from truce.parties.service import local_names

incident_app = typer.Typer(help="Incidents.\n\nExample: truce incident list --zone Z1", no_args_is_help=True)


suggestion_app = typer.Typer(
    help="Suggested links between reports and incidents, for a verifier to accept or reject.\n\n"
    "Example: truce suggestion list",
    no_args_is_help=True,
)


finding_app = typer.Typer(
    help="Guarantors' findings on incidents.\n\nExample: truce finding list 42", no_args_is_help=True
)


@incident_app.command("list")
@handle_errors
def incident_list(
    verdict: Annotated[
        str | None,
        typer.Option(help="pending, verified, not_verified, disputed, before_agreement or after_agreement"),
    ] = None,
    status: Annotated[str | None, typer.Option(help="open, under_investigation or closed")] = None,
    zone: Annotated[str | None, typer.Option(help="Zone id")] = None,
    adm: Annotated[str | None, typer.Option(help="OCHA P-code of ADM1, ADM2 or ADM3")] = None,
    party: Annotated[str | None, typer.Option(help="Alleged party id")] = None,
    violation_type: Annotated[str | None, typer.Option("--type", help="Violation type")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day")] = None,
    limit: Annotated[int, typer.Option(help="Rows per page (0 = all)")] = 50,
    offset: Annotated[int, typer.Option(help="Rows to skip")] = 0,
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="List what this user may see")] = None,
    public: Annotated[bool, typer.Option("--public", help="List what the public sees")] = False,
    json_: JsonOpt = False,
) -> None:
    """List incidents, newest first, with filters and paging.

    Example: truce incident list --zone Z3 --since 2017-07-01 --until 2017-07-31 --limit 20
    """

    t = get_app(db)
    flt = IncidentFilter(
        verdict=verdict,
        status=status,
        zone=zone,
        adm=adm,
        party=party,
        violation_type=violation_type,
        since=since,
        until=until,
    )
    with t.read() as conn:
        rows, total = list_incidents(conn, flt, limit, offset, viewer=None if public else viewer_for(conn, as_user))
    if json_:
        return print_json({"total": total, "limit": limit, "offset": offset, "incidents": rows})
    table(
        [
            {
                **r,
                "zones": ",".join(r["zones"]),
                "party": r["alleged_party_id"] or r["alleged_party_text"],
                "sim": "sim" if r["simulated"] else (f"{r['simulated_reports']} sim" if r["simulated_reports"] else ""),
                "occurred": r["occurred_at"][:16],
            }
            for r in rows
        ],
        ["id", "occurred", "violation_type", "party", "adm3_pcode", "zones", "verdict", "reports", "sim", "place_name"],
    )
    console.print(f"{len(rows)} of {total} (offset {offset})")


@incident_app.command("show")
@handle_errors
def incident_show(
    incident_id: Annotated[int, typer.Argument(help="Incident number")],
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Show it as this user may see it")] = None,
    public: Annotated[bool, typer.Option("--public", help="Show it as the public sees it")] = False,
    json_: JsonOpt = False,
) -> None:
    """Show an incident: reports, evidence, each guarantor's finding, verdict, attribution, clause,
    severity, confidence and its parts, investigations, replies, and the ledger entries behind it.

    Example: truce incident show 42 --as syr_liaison --json
    """

    t = get_app(db)
    with t.read() as conn:
        viewer = None if public else viewer_for(conn, as_user)
        d = incident_detail(conn, incident_id, viewer)
        names = admin_names(conn, [d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]], i18n.current())
        party_names = local_names(conn, i18n.current(), [d["alleged_party_id"]])
    if json_:
        return print_json(d)
    p = console.print
    sim = " [SIMULATED]" if d["simulated"] or any(r["simulated"] for r in d["reports"]) else ""
    p(f"[bold]incident {d['id']}[/]{sim}: {d['title']}", highlight=False)
    p(f"  occurred {d['occurred_at']} ({d['occurred_precision']}); status {d['status']}")
    place = " / ".join(f"{names.get(c, c)} {c}" for c in (d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]) if c)
    p(f"  where: {place or 'unknown'} ({d['location_precision']})", highlight=False)
    p(f"  zones: {', '.join(z['zone_id'] + ' v' + str(z['zone_version']) for z in d['zones']) or 'none'}")
    alleged = d["alleged_party_id"]
    alleged_name = f"{party_names[alleged]} ({alleged})" if alleged in party_names else alleged
    p(f"  alleged party: {alleged_name or d['alleged_party_text'] or 'unknown'}", highlight=False)
    p(
        f"  [bold]verdict: {d['verdict']}[/]"
        + (f" under {d['agreement_id']} v{d['agreement_version']}" if d["agreement_id"] else "")
    )
    if d["verdict"] in ("before_agreement", "after_agreement"):
        p(f"  clause, breach, severity: {d['verdict']} ({d['breach_reason']})", highlight=False)
    if d["verdict"] == "verified":
        who = d["attributed_party_id"] if d["attribution"] == "attributed" else "could not be attributed"
        p(
            f"  attribution: {who}; clause: {d['clause_id'] or '-'} ({d['breach']}: {d['breach_reason']}); "
            f"severity: {d['severity']} ({d['severity_reason']})",
            highlight=False,
        )
    cp = d["confidence_parts"]
    p(
        f"  confidence {d['confidence']:.2f} = 0.40 x sources {cp['sources']} ({cp['independent_sources']} independent)"
        f" + 0.20 x observation {cp['observation']} + 0.15 x evidence {cp['evidence']}"
        f" + 0.25 x agreement {cp['agreement']}",
        highlight=False,
    )
    for f in d["findings"]:
        p(
            f"  finding {f['guarantor']}: {f['finding']} ({f['reason_code']})"
            + (f", attributes to {f['attributed_party_id']}" if f["attributed_party_id"] else "")
            + (f": {f['note']}" if f["note"] else "")
            + f" — {f['recorded_by']} {f['found_on'] or f['recorded_at'][:10]}",
            highlight=False,
        )
    for r in d["replies"]:
        p(
            f"  reply by {r.get('party_id')} ({r.get('filed_by')}, {str(r.get('filed_at'))[:16]}): {r.get('text')}",
            highlight=False,
        )
    for i in d["investigations"]:
        p(
            f"  investigation {i.get('id')}: {i.get('status')}"
            + (f", finding {i['finding']}" if i.get("finding") else ""),
            highlight=False,
        )
    for r in d["reports"]:
        p(
            f"  report {r['id']} ({r['source_kind']}, {r['org_id']}, {r['how']}, {r['visibility']})"
            + (" [simulated]" if r["simulated"] else "")
            + (f", {len(r['evidence'])} evidence" if r["evidence"] else ""),
            highlight=False,
        )
    if d["hidden_reports"]:
        p(f"  ({d['hidden_reports']} report(s) not shown at your visibility tier)")
    for e in d["ledger"]:
        p(f"  ledger {e['seq']}: {e['command']} by {e['actor']} at {e['at']}")


ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why (kept in the ledger)")]


def _moved(res: dict[str, Any], verb: str) -> str:
    left = res.get("from_left")
    tail = f"; incident {res['from']} has no report left and is marked merged" if left == 0 else ""
    return (
        f"report {res['report']} {verb} incident {res['to']} "
        f"(was in incident {res['from']}; ledger entry {res['ledger_seq']}){tail}"
    )


@incident_app.command("link")
@handle_errors
def incident_link(
    report: Annotated[str, typer.Argument(help="Report UUID")],
    incident: Annotated[int, typer.Argument(help="The incident the report describes")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Link a report to another incident (it leaves the one it is in). Verifiers only.

    Example: truce incident link 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 42 --as tur_verifier --reason "same crater"
    """

    res = act(
        db, as_user, request_id, "incident link", locals(),
        lambda t, conn, actor: link_report(t, conn, actor, report, incident, reason),
    )
    show(res, json_, lambda: _moved(res, "linked to"))


@incident_app.command("unlink")
@handle_errors
def incident_unlink(
    report: Annotated[str, typer.Argument(help="Report UUID")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Take a report out of its incident: it gets a new incident of its own. Verifiers only; the only
    report of an incident cannot be unlinked.

    Example: truce incident unlink 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 --as tur_verifier --reason "other village"
    """

    res = act(
        db, as_user, request_id, "incident unlink", locals(),
        lambda t, conn, actor: unlink_report(t, conn, actor, report, reason),
    )
    show(res, json_, lambda: _moved(res, "now starts new"))


@incident_app.command("split")
@handle_errors
def incident_split(
    incident: Annotated[int, typer.Argument(help="The incident to split")],
    report: Annotated[list[str], typer.Option("--report", help="A report to move to the new incident (repeat)")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Move some reports of an incident together to one new incident. Verifiers only; at least one
    report must stay.

    Example: truce incident split 42 --report 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 --report 5d1c… --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "incident split", locals(),
        lambda t, conn, actor: split_incident(t, conn, actor, incident, report, reason),
    )
    show(
        res, json_,
        lambda: (
            f"{len(res['reports'])} report(s) of incident {res['incident']} moved to new incident {res['to']} "
            f"(ledger entry {res['ledger_seq']})"
        ),
    )


@suggestion_app.command("list")
@handle_errors
def suggestion_list(
    status: Annotated[str, typer.Option("--status", help="open, accepted, rejected or all")] = "open",
    incident: Annotated[int | None, typer.Option("--incident", help="Only suggestions to this incident")] = None,
    report: Annotated[str | None, typer.Option("--report", help="Only suggestions for this report")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (0 = all)")] = 50,
    offset: Annotated[int, typer.Option("--offset", help="Skip this many")] = 0,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List suggested links (open ones by default), oldest first, with the matcher's reasons.

    Example: truce suggestion list --status open --json
    """

    t = get_app(db)
    with t.read() as conn:
        rows, total = list_suggestions(conn, None if status == "all" else status, incident, report, limit, offset)
    if json_:
        return print_json({"total": total, "suggestions": rows})
    if not rows:
        console.print(f"no {'' if status == 'all' else status + ' '}suggestions")
        return
    table(
        [
            {
                **r,
                "report": r["report_id"][:8],
                "in": r["report_incident_id"],
                "to": r["incident_id"],
                "score": f"{r['score']:.2f}",
            }
            for r in rows
        ],
        ["id", "report", "org_id", "in", "to", "score", "status", "reason"],
    )
    console.print(f"{len(rows)} of {total}")


@suggestion_app.command("accept")
@handle_errors
def suggestion_accept(
    suggestion: Annotated[int, typer.Argument(help="Suggestion number")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Accept a suggested link: the report is linked to the suggested incident. Verifiers only.

    Example: truce suggestion accept 7 --as irn_verifier
    """

    res = act(
        db, as_user, request_id, "suggestion accept", locals(),
        lambda t, conn, actor: accept_suggestion(t, conn, actor, suggestion, reason),
    )
    if json_:
        return print_json(res)
    if res["from"] == res["to"]:
        console.print(f"suggestion {suggestion} accepted: report {res['report']} was already in incident {res['to']}")
    else:
        console.print(f"suggestion {suggestion} accepted: " + _moved(res, "linked to"), highlight=False)
    if res["rejected"]:
        closed = ", ".join(map(str, res["rejected"]))
        console.print(
            f"also closed: suggestion(s) {closed} for the same report (a report belongs to one incident)",
            highlight=False,
        )


@suggestion_app.command("reject")
@handle_errors
def suggestion_reject(
    suggestion: Annotated[int, typer.Argument(help="Suggestion number")],
    reason: Annotated[str, typer.Option("--reason", help="Why not (required; kept in the ledger)")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Reject a suggested link, saying why; the report stays where it is. Verifiers only.

    Example: truce suggestion reject 7 --as irn_verifier --reason "different village, same day"
    """

    res = act(
        db, as_user, request_id, "suggestion reject", locals(),
        lambda t, conn, actor: reject_suggestion(t, conn, actor, suggestion, reason),
    )
    if json_:
        return print_json(res)
    console.print(f"suggestion {suggestion} rejected (ledger entry {res['ledger_seq']})")


@finding_app.command("add")
@handle_errors
def finding_add(
    incident: Annotated[int, typer.Argument(help="Incident number")],
    finding: Annotated[str, typer.Option("--finding", help="confirmed, disputed or unverifiable")],
    reason: Annotated[str, typer.Option("--reason", help="Coded reason, e.g. site_visit, no_access")],
    note: Annotated[str | None, typer.Option("--note", help="The reasons in words")] = None,
    party: Annotated[
        str | None, typer.Option("--party", help="The party a confirming finding attributes it to")
    ] = None,
    on: DecisionDateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Record (or revise) your guarantor's finding on an incident; the joint verdict follows the
    agreement's decision rule. Reasons: confirmed (site_visit, observed, imagery, corroborated,
    witness_statements, forensic, other), disputed (contradicting_evidence, not_observed,
    alternative_account, staged, other), unverifiable (no_access, insufficient_information,
    outside_mandate, other).

    Example: truce finding add 42 --as rus_verifier --finding confirmed --reason site_visit --party SYR --note "craters"
    """

    t = get_app(db)
    from sqlalchemy import select

    def run(conn: Any) -> Any:
        res = add_finding(t, conn, get_actor(conn, as_user), incident, finding, reason, note, party, on)
        inc = conn.execute(
            select(incidents.c.verdict, incidents.c.attributed_party_id, incidents.c.attribution).where(
                incidents.c.id == incident
            )
        ).one()
        return {**res, "verdict": inc.verdict, "attributed_party_id": inc.attributed_party_id,
                "attribution": inc.attribution}

    res = once(t, as_user, request_id, "finding add", locals(), run)
    inc = SimpleNamespace(**{k: res.pop(k) for k in ("verdict", "attributed_party_id", "attribution")})
    if json_:
        return print_json({**res, "verdict": inc.verdict, "attributed_party_id": inc.attributed_party_id})
    console.print(
        f"finding {res['id']}: {res['guarantor']} {finding} incident {incident}"
        + (f" (revises finding {res['supersedes']})" if res["supersedes"] else "")
        + f"; joint verdict now {inc.verdict}"
        + (f", attributed to {inc.attributed_party_id}" if inc.attributed_party_id else ""),
        highlight=False,
    )


@finding_app.command("list")
@handle_errors
def finding_list(
    incident: Annotated[int, typer.Argument(help="Incident number")],
    history: Annotated[bool, typer.Option("--history", help="Include revised findings")] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the guarantors' current findings on an incident (with --history, every revision).

    Example: truce finding list 42 --history
    """

    t = get_app(db)
    with t.read() as conn:
        require_incident(conn, incident)
        rows = finding_history(conn, incident) if history else list(current_findings(conn, incident).values())
    if json_:
        return print_json(rows)
    table(
        rows,
        [
            "id",
            "guarantor",
            "finding",
            "reason_code",
            "attributed_party_id",
            "recorded_by",
            "found_on",
            "recorded_at",
            "supersedes",
            "note",
        ],
    )
