"""`truce incident link|unlink|split` and `truce suggestion …`: which reports an incident has."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from truce.cli import (
    AsOpt,
    DbOpt,
    JsonOpt,
    _table,
    actor_for,
    app,
    console,
    get_app,
    handle_errors,
    incident_app,
    print_json,
)

# --- linking reports to incidents (corroboration) --------------------------------------------------

suggestion_app = typer.Typer(
    help="Suggested links between reports and incidents, for a verifier to accept or reject.\n\n"
    "Example: truce suggestion list",
    no_args_is_help=True,
)
app.add_typer(suggestion_app, name="suggestion")

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
) -> None:
    """Link a report to another incident (it leaves the one it is in). Verifiers only.

    Example: truce incident link 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 42 --as tur_verifier --reason "same crater"
    """
    from truce.incidents.linking import link_report

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.write() as conn:
        res = link_report(t, conn, actor, report, incident, reason)
    if json_:
        return print_json(res)
    console.print(_moved(res, "linked to"), highlight=False)


@incident_app.command("unlink")
@handle_errors
def incident_unlink(
    report: Annotated[str, typer.Argument(help="Report UUID")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Take a report out of its incident: it gets a new incident of its own. Verifiers only; the only
    report of an incident cannot be unlinked.

    Example: truce incident unlink 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 --as tur_verifier --reason "other village"
    """
    from truce.incidents.linking import unlink_report

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.write() as conn:
        res = unlink_report(t, conn, actor, report, reason)
    if json_:
        return print_json(res)
    console.print(_moved(res, "now starts new"), highlight=False)


@incident_app.command("split")
@handle_errors
def incident_split(
    incident: Annotated[int, typer.Argument(help="The incident to split")],
    report: Annotated[list[str], typer.Option("--report", help="A report to move to the new incident (repeat)")],
    reason: ReasonOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Move some reports of an incident together to one new incident. Verifiers only; at least one
    report must stay.

    Example: truce incident split 42 --report 0b7e6f0e-8a7b-4c1e-9d55-0d7c0d9c3a11 --report 5d1c… --as rus_verifier
    """
    from truce.incidents.linking import split_incident

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.write() as conn:
        res = split_incident(t, conn, actor, incident, report, reason)
    if json_:
        return print_json(res)
    console.print(
        f"{len(res['reports'])} report(s) of incident {res['incident']} moved to new incident {res['to']} "
        f"(ledger entry {res['ledger_seq']})",
        highlight=False,
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
    from truce.incidents.linking import list_suggestions

    t = get_app(db)
    with t.read() as conn:
        rows, total = list_suggestions(conn, None if status == "all" else status, incident, report, limit, offset)
    if json_:
        return print_json({"total": total, "suggestions": rows})
    if not rows:
        console.print(f"no {'' if status == 'all' else status + ' '}suggestions")
        return
    _table(
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
) -> None:
    """Accept a suggested link: the report is linked to the suggested incident. Verifiers only.

    Example: truce suggestion accept 7 --as irn_verifier
    """
    from truce.incidents.linking import accept_suggestion

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.write() as conn:
        res = accept_suggestion(t, conn, actor, suggestion, reason)
    if json_:
        return print_json(res)
    if res["from"] == res["to"]:
        console.print(f"suggestion {suggestion} accepted: report {res['report']} was already in incident {res['to']}")
    else:
        console.print(f"suggestion {suggestion} accepted: " + _moved(res, "linked to"), highlight=False)


@suggestion_app.command("reject")
@handle_errors
def suggestion_reject(
    suggestion: Annotated[int, typer.Argument(help="Suggestion number")],
    reason: Annotated[str, typer.Option("--reason", help="Why not (required; kept in the ledger)")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Reject a suggested link, saying why; the report stays where it is. Verifiers only.

    Example: truce suggestion reject 7 --as irn_verifier --reason "different village, same day"
    """
    from truce.incidents.linking import reject_suggestion

    t = get_app(db)
    actor = actor_for(t, as_user)
    with t.write() as conn:
        res = reject_suggestion(t, conn, actor, suggestion, reason)
    if json_:
        return print_json(res)
    console.print(f"suggestion {suggestion} rejected (ledger entry {res['ledger_seq']})")


# --- end of the linking commands -------------------------------------------------------------------
