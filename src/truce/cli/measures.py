"""The measures ladder: `truce measures evaluate`, `truce measure …`."""

from __future__ import annotations

from typing import Annotated

import typer

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
    print_json,
    table,
)
from truce.errors import ValidationFailed
from truce.measures.service import (
    apply_accession,
    decide_accession,
    decide_measure,
    evaluate,
    get_measure,
    list_accessions,
    list_measures,
    override_eligibility,
    record_compliance,
)

measures_app = typer.Typer(
    help="Evaluate the measures ladder.\n\nExample: truce measures evaluate --as-of 2017-09-30", no_args_is_help=True
)


measure_app = typer.Typer(
    help="Measures against violators.\n\nExample: truce measure list --status proposed", no_args_is_help=True
)


@measures_app.command("evaluate")
@handle_errors
def measures_evaluate(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this day (default: today)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Propose the measures the agreement's ladder calls for, with the evidence behind each; mark
    approved measures whose deadline passed breached. Running it twice proposes nothing new.

    Example: truce measures evaluate --as-of 2017-09-30 --as joint_verifier --json
    """

    res = act(
        db, as_user, request_id, "measures evaluate", locals(),
        lambda t, conn, actor: evaluate(t, conn, actor, as_of),
    )
    if json_:
        return print_json(res)
    for b in res["breached"]:
        console.print(f"measure {b['measure_id']} against {b['party_id']}: deadline {b['deadline']} missed → breached")
    for p in res["proposals"]:
        ev = p["evidence"]
        why = (
            f"{ev.get('points')} points in {ev['window'][0]}..{ev['window'][1]} "
            f"(incidents {', '.join(str(i['incident_id']) for i in ev.get('incidents', [])) or 'none'}; "
            f"access denials {len(ev.get('access_denials', []))})"
            if p["rule_id"] != "missed_deadline"
            else f"missed deadline of measure {ev['missed_deadlines'][0]['measure_id']}"
        )
        console.print(
            f"proposed measure {p['id']}: {p['kind']} (step {p['step']}) against {p['party_id']}, "
            f"rule {p['rule_id']}: {why}",
            highlight=False,
        )
    if not res["breached"] and not res["proposals"]:
        console.print(f"nothing new to propose as of {res['as_of']}")


@measure_app.command("list")
@handle_errors
def measure_list(
    status: Annotated[str | None, typer.Option(help="proposed, approved or rejected")] = None,
    party: Annotated[str | None, typer.Option(help="Party id")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List measures with their decision, deadline and compliance.

    Example: truce measure list --status approved --json
    """

    t = get_app(db)
    with t.read() as conn:
        if status and status not in ("proposed", "approved", "rejected"):
            raise ValidationFailed(f"status: '{status}' is not proposed, approved or rejected", field="status")
        rows = list_measures(conn, status, party)
    if json_:
        return print_json(rows)
    table(
        [{**r, "votes": " ".join(f"{v['guarantor']}:{v['approve']}" for v in r["votes"])} for r in rows],
        ["id", "party_id", "step", "kind", "rule_id", "as_of", "status", "votes", "deadline", "compliance"],
    )


@measure_app.command("show")
@handle_errors
def measure_show(
    measure_id: Annotated[int, typer.Argument(help="Measure id")], db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """Show a measure with the evidence that triggered it (incidents, reports, ledger entries) and the votes.

    Example: truce measure show 1 --json
    """

    t = get_app(db)
    with t.read() as conn:
        m = get_measure(conn, measure_id)
    if json_:
        return print_json(m)
    console.print(
        f"[bold]measure {m['id']}[/]: {m['kind']} (step {m['step']}) against {m['party_id']}; "
        f"{m['status']}" + (f", deadline {m['deadline']}, compliance {m['compliance']}" if m["deadline"] else "")
    )
    console.print(f"  rule {m['rule_id']}: {m['evidence'].get('rule', {}).get('text', '')}", highlight=False)
    for i in m["evidence"].get("incidents", []):
        console.print(
            f"  incident {i['incident_id']} ({i['occurred_at'][:10]}, {i['severity']}, {i['points']} pts) "
            f"reports {', '.join(i['reports'])}",
            highlight=False,
        )
    for d in m["evidence"].get("access_denials", []):
        console.print(f"  access denial {d['denial_id']} on {d['denied_at'][:10]} ({d['points']} pts)")
    for v in m["votes"]:
        console.print(f"  vote {v['guarantor']}: {v['approve']} ({v['voted_by']}): {v['reason']}", highlight=False)


@measure_app.command("decide")
@handle_errors
def measure_decide(
    measure_id: Annotated[int, typer.Argument(help="Measure id")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Your guarantor's vote")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    on: Annotated[
        str | None,
        typer.Option("--date", help="Day of the decision (default: the as-of day of the evaluation that proposed it)"),
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Cast your guarantor's vote on a proposed measure; the decision follows the agreement's rule. It is
    dated by the evaluation's as-of day unless --date says otherwise; the deadline counts from that date.

    Example: truce measure decide 1 --approve --reason "three grave breaches" --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "measure decide", locals(),
        lambda t, conn, actor: decide_measure(t, conn, actor, measure_id, approve, reason, on),
    )
    if json_:
        return print_json(res)
    out = res["outcome"] or "still proposed"
    console.print(
        f"{res['guarantor']} voted {'yes' if approve else 'no'} on measure {measure_id}: {out}"
        + (f"; deadline {res['deadline']}" if res["deadline"] else "")
        + (f"; {res['status_change']['party_id']} now {res['status_change']['status']}" if res["status_change"] else "")
    )


@measure_app.command("comply")
@handle_errors
def measure_comply(
    measure_id: Annotated[int, typer.Argument(help="Measure id")],
    complied: Annotated[bool, typer.Option("--complied/--breached", help="Did the party comply?")],
    reason: Annotated[str, typer.Option("--reason", help="How")],
    on: DecisionDateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Record whether the party complied with an approved measure.

    Example: truce measure comply 1 --complied --reason "artillery withdrawn, verified" --as joint_verifier
    """

    res = act(
        db, as_user, request_id, "measure comply", locals(),
        lambda t, conn, actor: record_compliance(t, conn, actor, measure_id, complied, reason, on),
    )
    console.print(f"measure {measure_id}: {res['compliance']}")


accession_app = typer.Typer(
    help="Accession to the truce.\n\nExample: truce accession apply AHRAR --as ahrar_liaison", no_args_is_help=True
)


@accession_app.command("apply")
@handle_errors
def accession_apply(
    party: Annotated[str, typer.Argument(help="Party id")],
    on: DecisionDateOpt = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Apply to join the truce; the eligibility criteria are evaluated and kept with the application.

    Example: truce accession apply AHRAR --as ahrar_liaison
    """

    res = act(
        db, as_user, request_id, "accession apply", locals(),
        lambda t, conn, actor: apply_accession(t, conn, actor, party, on),
    )
    if json_:
        return print_json(res)
    console.print(f"application {res['id']} of {res['party_id']} recorded; eligibility: {res['eligibility']['result']}")


@accession_app.command("decide")
@handle_errors
def accession_decide(
    accession_id: Annotated[int, typer.Argument(help="Application id")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="Your guarantor's vote")],
    reason: Annotated[str, typer.Option("--reason", help="Why")],
    on: Annotated[
        str | None, typer.Option("--date", help="Day of the decision (default: the application's day)")
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Cast your guarantor's vote on an application; accepted, the party becomes a signatory. The decision
    is dated by the application's day unless --date says otherwise, and eligibility is evaluated on that
    day: approval needs "eligible" (undetermined only after `truce accession override`).

    Example: truce accession decide 1 --approve --reason "meets the criteria" --as tur_verifier
    """

    res = act(
        db, as_user, request_id, "accession decide", locals(),
        lambda t, conn, actor: decide_accession(t, conn, actor, accession_id, approve, reason, on),
    )
    console.print(
        f"{res['guarantor']} voted {'yes' if approve else 'no'} on application {accession_id}: "
        f"{res['outcome'] or 'still pending'}"
    )


@accession_app.command("override")
@handle_errors
def accession_override(
    accession_id: Annotated[int, typer.Argument(help="Application id")],
    reason: Annotated[str, typer.Option("--reason", help="Why the undetermined criteria may be set aside")],
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Let the guarantors approve an application whose eligibility is undetermined (an admin, with a
    reason kept with the application). A failed criterion cannot be overridden.

    Example: truce accession override 1 --reason "positions confirmed by the UN panel"
    """
    t = get_app(db)
    with t.write() as conn:
        override_eligibility(t, conn, get_actor(conn, as_user), accession_id, reason)
    console.print(f"application {accession_id}: eligibility override recorded")


@accession_app.command("list")
@handle_errors
def accession_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List accession applications with their eligibility result and votes.

    Example: truce accession list --json
    """

    t = get_app(db)
    with t.read() as conn:
        rows = list_accessions(conn)
    if json_:
        return print_json(rows)
    table(
        [{**r, "eligibility": r["eligibility"]["result"]} for r in rows],
        ["id", "party_id", "applied_at", "status", "eligibility", "decided_at"],
    )
