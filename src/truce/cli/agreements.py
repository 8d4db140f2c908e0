"""Agreement versions: `truce agreement …`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from truce.agreements import service as agreements
from truce.cli.common import (
    DbOpt,
    JsonOpt,
    console,
    get_app,
    handle_errors,
    print_json,
    table,
)

agreement_app = typer.Typer(help="Agreement versions.\n\nExample: truce agreement list", no_args_is_help=True)


@agreement_app.command("list")
@handle_errors
def agreement_list(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List agreement versions with their decision rule and period.

    Example: truce agreement list --json
    """

    t = get_app(db)
    with t.read() as conn:
        rows = agreements.list_versions(conn)
    if json_:
        return print_json(rows)
    table(
        [{**r, "guarantors": ",".join(r["guarantors"]), "clauses": len(r["clauses"])} for r in rows],
        ["id", "version", "effective", "valid_to", "decision_rule", "guarantors", "clauses", "title"],
    )


@agreement_app.command("show")
@handle_errors
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(help="Agreement id")],
    version: Annotated[int | None, typer.Option(help="Version (default: the newest)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show an agreement version with its clauses and settings.

    Example: truce agreement show astana-2017 --version 1
    """

    t = get_app(db)
    with t.read() as conn:
        a = agreements.get(conn, agreement_id, version)
    if json_:
        return print_json(a)
    console.print(
        f"[bold]{a['title']}[/] ({a['id']} v{a['version']}, effective {a['effective']}, "
        f"{a['decision_rule']} of {', '.join(a['guarantors'])})"
    )
    for c in a["clauses"]:
        extra = ""
        if c.get("prohibited"):
            extra += f" prohibits: {', '.join(c['prohibited'])}."
        if c.get("excluded_parties"):
            extra += f" excludes: {', '.join(c['excluded_parties'])}."
        console.print(f"  {c['id']}: {c['text']}{extra}", highlight=False)
    console.print(f"settings: {json.dumps(a['settings'])}", highlight=False)
