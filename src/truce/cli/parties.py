"""Parties, accession, eligibility and position reports: `truce party|accession|position …`, `truce eligibility`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    DecisionDateOpt,
    JsonOpt,
    RequestIdOpt,
    console,
    get_app,
    handle_errors,
    once,
    print_json,
    table,
)
from truce.eligibility.service import evaluate, list_positions, report_position
from truce.errors import ValidationFailed
from truce.measures.service import apply_accession, decide_accession, list_accessions, override_eligibility
from truce.parties import service as parties

commands = typer.Typer()

party_app = typer.Typer(
    help="Parties to the truce and others it names.\n\nExample: truce party list", no_args_is_help=True
)


accession_app = typer.Typer(
    help="Accession to the truce.\n\nExample: truce accession apply AHRAR --as ahrar_liaison", no_args_is_help=True
)


position_app = typer.Typer(
    help="Position reports of parties' forces.\n\nExample: truce position list --party FAYLAQ", no_args_is_help=True
)


@party_app.command("list")
@handle_errors
def party_list(
    status: Annotated[str | None, typer.Option(help="applicant, signatory, suspended or excluded")] = None,
    kind: Annotated[
        str | None, typer.Option(help="guarantor, government, armed_group, designated, foreign_force")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Status as it was on this date (YYYY-MM-DD)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List parties with kind and truce status (optionally as of a date).

    Example: truce party list --status signatory --as-of 2017-06-01
    """

    t = get_app(db)
    with t.read() as conn:
        rows = parties.list_parties(conn, status=status, kind=kind, as_of=as_of)
    if json_:
        return print_json(rows)
    table(rows, ["id", "kind", "truce_status", "status_since", "name"])


@party_app.command("show")
@handle_errors
def party_show(
    party: Annotated[str, typer.Argument(help="Party id, name or alias")], db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """Show a party: aliases, designations, truce status history.

    Example: truce party show NUSRA
    """

    t = get_app(db)
    with t.read() as conn:
        p = parties.show_party(conn, party)
    if json_:
        return print_json(p)
    console.print(f"[bold]{p['id']}[/] {p['name']} ({p['kind']}); status: {p['truce_status'] or '—'}")
    console.print(f"aliases: {', '.join(p['aliases'])}", highlight=False)
    if p["designations"]:
        console.print(f"designations: {', '.join(d['authority'] for d in p['designations'])}")
    for h in p["status_history"]:
        console.print(f"  {h['effective']}: {h['previous'] or '—'} → {h['status']} ({h['reason']})", highlight=False)


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

    t = get_app(db)
    res = once(
        t, as_user, request_id, "accession apply", locals(),
        lambda conn: apply_accession(t, conn, get_actor(conn, as_user), party, on),
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

    t = get_app(db)
    res = once(
        t, as_user, request_id, "accession decide", locals(),
        lambda conn: decide_accession(t, conn, get_actor(conn, as_user), accession_id, approve, reason, on),
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


@commands.command("eligibility")
@handle_errors
def eligibility(
    party: Annotated[str, typer.Argument(help="Party id, name or alias")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this day")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Evaluate the published eligibility criteria ("not deemed terrorist") for a party: each
    criterion passed, failed or unknown, with its evidence.

    Example: truce eligibility FAYLAQ --as-of 2017-09-21 --json
    """

    t = get_app(db)
    with t.read() as conn:
        res = evaluate(conn, party, as_of)
    if json_:
        return print_json(res)
    console.print(
        f"[bold]{res['party']}[/] {res['name']} as of {res['as_of']}: [bold]{res['result']}[/] "
        f"({res['criteria_set']['title']}, version {res['criteria_set']['version']})",
        highlight=False,
    )
    for c in res["criteria"]:
        mark = {"passed": "PASS", "failed": "FAIL", "unknown": "  ? "}[c["status"]]
        console.print(f"  {mark} {c['id']} {c['text']}", highlight=False)
        console.print(f"       evidence: {json.dumps(c['evidence'], default=str)[:300]}", highlight=False)


@position_app.command("report")
@handle_errors
def position_report(
    party: Annotated[str, typer.Option("--party", help="Party whose forces were seen")],
    on: Annotated[str, typer.Option("--date", help="Day they were observed")],
    lat: Annotated[float | None, typer.Option(help="Latitude")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude")] = None,
    area: Annotated[Path | None, typer.Option(help="GeoJSON polygon file of the area held")] = None,
    place: Annotated[str | None, typer.Option(help="Place name")] = None,
    note: Annotated[str | None, typer.Option(help="Note")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Report where a party's forces were on a day (a point or an area).

    Example: truce position report --party FAYLAQ --date 2017-09-20 --lat 35.8 --lon 36.6 --as rus_monitor
    """

    geo = None
    if area:
        try:
            geo = json.loads(area.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise ValidationFailed(f"area: cannot read GeoJSON from {area} ({e})", field="area") from e
    t = get_app(db)
    res = once(
        t, as_user, request_id, "position report", locals(),
        lambda conn: report_position(t, conn, get_actor(conn, as_user), party, on, lat, lon, geo, place, note),
    )
    console.print(f"position {res['id']} of {res['party_id']} on {res['observed_on']} at {res['lat']}, {res['lon']}")


@position_app.command("list")
@handle_errors
def position_list(
    party: Annotated[str | None, typer.Option(help="Party id")] = None, db: DbOpt = None, json_: JsonOpt = False
) -> None:
    """List position reports.

    Example: truce position list --party NUSRA --json
    """

    t = get_app(db)
    with t.read() as conn:
        rows = list_positions(conn, party)
    if json_:
        return print_json(rows)
    table(rows, ["id", "party_id", "observed_on", "lat", "lon", "place_name", "org_id", "simulated"])
