"""`truce finding …`: each guarantor's finding on an incident."""

from __future__ import annotations

from typing import Annotated

import typer

from truce.cli import AsOpt, DbOpt, JsonOpt, _table, app, console, get_app, handle_errors, print_json

finding_app = typer.Typer(
    help="Guarantors' findings on incidents.\n\nExample: truce finding list 42", no_args_is_help=True
)
app.add_typer(finding_app, name="finding")


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
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Record (or revise) your guarantor's finding on an incident; the joint verdict follows the
    agreement's decision rule. Reasons: confirmed (site_visit, observed, imagery, corroborated,
    witness_statements, forensic, other), disputed (contradicting_evidence, not_observed,
    alternative_account, staged, other), unverifiable (no_access, insufficient_information,
    outside_mandate, other).

    Example: truce finding add 42 --as rus_verifier --finding confirmed --reason site_visit --party SYR --note "craters"
    """
    from truce.auth.service import get_actor
    from truce.incidents.models import incidents
    from truce.incidents.verification import add_finding

    t = get_app(db)
    with t.write() as conn:
        actor = get_actor(conn, as_user)
        res = add_finding(t, conn, actor, incident, finding, reason, note, party)
        from sqlalchemy import select

        inc = conn.execute(
            select(incidents.c.verdict, incidents.c.attributed_party_id, incidents.c.attribution).where(
                incidents.c.id == incident
            )
        ).one()
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
    from truce.incidents.verification import current_findings, finding_history

    t = get_app(db)
    with t.read() as conn:
        rows = finding_history(conn, incident) if history else list(current_findings(conn, incident).values())
    if json_:
        return print_json(rows)
    _table(
        rows,
        [
            "id",
            "guarantor",
            "finding",
            "reason_code",
            "attributed_party_id",
            "recorded_by",
            "recorded_at",
            "supersedes",
            "note",
        ],
    )
