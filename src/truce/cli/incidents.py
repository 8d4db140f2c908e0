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
from truce.geo.queries import admin_names
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
from truce.zones.queries import display_names as zone_display_names

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
        lang = i18n.current()
        names = admin_names(conn, [d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]], lang)
        party_ids = [d["alleged_party_id"], d["attributed_party_id"], *(r.get("party_id") for r in d["replies"]),
                     *(f["attributed_party_id"] for f in d["findings"]), *(f["guarantor"] for f in d["findings"])]
        party_names = local_names(conn, lang, party_ids) if lang != i18n.DEFAULT else {}
        zone_names = zone_display_names(conn, lang, [z["zone_id"] for z in d["zones"]])
    if json_:
        return print_json(d)
    show_incident_text(d, names, party_names, zone_names)


def show_incident_text(
    d: dict[str, Any], names: dict[str, str], party_names: dict[str, str], zone_names: dict[str, str]
) -> None:
    """`incident show` as text, in the language of the moment: its labels and the data's closed vocabularies
    from the catalogue, the rules' reasons localized, the places, parties and zones by their local names."""
    _, label, localize = i18n._, i18n.vocab, i18n.localize
    p = console.print

    def party(pid: str | None) -> str:
        return f"{party_names[pid]} ({pid})" if pid in party_names else (pid or "")

    simulated = d["simulated"] or any(r["simulated"] for r in d["reports"])
    sim = " [" + _("simulated").upper() + "]" if simulated else ""
    p("[bold]" + _("Incident %(id)s", id=d["id"]) + f"[/]{sim}: {d['title']}", highlight=False)
    p("  " + _("occurred %(at)s (%(precision)s); status %(status)s", at=d["occurred_at"],
                precision=label(d["occurred_precision"], "time_precision"),
                status=label(d["status"], "incident_status")), highlight=False)
    place = " / ".join(f"{names.get(c, c)} {c}" for c in (d["adm1_pcode"], d["adm2_pcode"], d["adm3_pcode"]) if c)
    p("  " + _("where: %(place)s (%(precision)s)", place=place or _("unknown"),
                precision=label(d["location_precision"], "location_precision")), highlight=False)
    zones = ", ".join(f"{zone_names.get(z['zone_id'], '')} {z['zone_id']} v{z['zone_version']}".strip()
                      for z in d["zones"])
    p("  " + _("zones: %(zones)s", zones=zones or _("outside every zone")), highlight=False)
    p("  " + _("alleged party: %(party)s", party=party(d["alleged_party_id"]) or d["alleged_party_text"]
                or _("unknown")), highlight=False)
    verdict = label(d["verdict"], "verdict")
    if d["agreement_id"]:
        line = _("verdict: %(verdict)s under %(agreement)s v%(version)s", verdict=verdict,
                 agreement=d["agreement_id"], version=d["agreement_version"])
    else:
        line = _("verdict: %(verdict)s", verdict=verdict)
    p(f"  [bold]{line}[/]", highlight=False)
    if d["verdict"] in ("before_agreement", "after_agreement"):
        p("  " + _("clause, breach, severity: %(verdict)s (%(reason)s)", verdict=verdict,
                    reason=localize(d["breach_reason"] or "")), highlight=False)
    if d["verdict"] == "verified":
        who = (party(d["attributed_party_id"]) if d["attribution"] == "attributed"
               else i18n.label("could_not_be_attributed", "attribution"))
        p("  " + _("attribution: %(who)s; clause: %(clause)s (%(breach)s: %(reason)s); severity: %(severity)s "
                    "(%(why)s)", who=who, clause=d["clause_id"] or "-", breach=label(d["breach"] or "", "breach"),
                    reason=localize(d["breach_reason"] or ""), severity=label(d["severity"] or "", "severity"),
                    why=localize(d["severity_reason"] or "")), highlight=False)
    cp = d["confidence_parts"]
    p("  " + _("confidence %(c)s = 0.40 x sources %(s)s (%(i)s independent) + 0.20 x observation %(o)s + 0.15 x "
                "evidence %(e)s + 0.25 x agreement %(a)s", c=f"{d['confidence']:.2f}", s=cp["sources"],
                i=cp["independent_sources"], o=cp["observation"], e=cp["evidence"], a=cp["agreement"]),
      highlight=False)
    for f in d["findings"]:
        line = _("finding %(guarantor)s: %(finding)s (%(reason)s)", guarantor=party(f["guarantor"]),
                 finding=label(f["finding"], "finding"), reason=label(f["reason_code"], "reason_code"))
        if f["attributed_party_id"]:
            line += _(", attributes to %(party)s", party=party(f["attributed_party_id"]))
        if f["note"]:
            line += f": {f['note']}"
        p(f"  {line} — {f['recorded_by']} {f['found_on'] or f['recorded_at'][:10]}", highlight=False)
    for r in d["replies"]:
        p("  " + _("reply by %(party)s (%(who)s, %(at)s): %(text)s", party=party(r.get("party_id")),
                    who=r.get("filed_by"), at=str(r.get("filed_at"))[:16], text=r.get("text")), highlight=False)
    for i in d["investigations"]:
        line = _("investigation %(id)s: %(status)s", id=i.get("id"),
                 status=label(i.get("status"), "investigation_status"))
        if i.get("finding"):
            line += _(", finding %(finding)s", finding=label(i["finding"], "finding"))
        p(f"  {line}", highlight=False)
    for r in d["reports"]:
        line = _("report %(id)s (%(source)s, %(org)s, %(how)s, %(visibility)s)", id=r["id"],
                 source=label(r["source_kind"], "source_kind"), org=r["org_id"], how=label(r["how"], "link_how"),
                 visibility=label(r["visibility"], "visibility"))
        if r["simulated"]:
            line += " [" + _("simulated") + "]"
        if r["evidence"]:
            line += ", " + i18n.ngettext("%(num)d evidence file", "%(num)d evidence files", len(r["evidence"]))
        p(f"  {line}", highlight=False)
    if d["hidden_reports"]:
        p("  " + i18n.ngettext("(%(num)d report not shown at your visibility tier)",
                               "(%(num)d reports not shown at your visibility tier)", d["hidden_reports"]))
    for e in d["ledger"]:
        p("  " + _("ledger %(seq)s: %(command)s by %(actor)s at %(at)s", seq=e["seq"], command=e["command"],
                    actor=e["actor"], at=e["at"]), highlight=False)


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
