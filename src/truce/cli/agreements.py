"""Agreement versions: `truce agreement …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from truce.agreements import service as agreements
from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    console,
    get_app,
    handle_errors,
    print_json,
    table,
)

agreement_app = typer.Typer(help="Agreement versions.\n\nExample: truce agreement list", no_args_is_help=True)


@agreement_app.command("add-version")
@handle_errors
def agreement_add_version(
    file: Annotated[Path, typer.Argument(help="A scenario YAML (its agreement: section) or an agreement YAML")],
    as_: AsOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add the agreement of a file as a new version: version 1 for a new id, else the next version (which
    must take effect after the one before). `truce scenario load FILE --new-version` does the same for the
    agreement of a scenario file (without the flag, a changed agreement is refused, naming what differs).

    Example: truce agreement add-version hodeidah-2019.yaml
    """
    ag = agreements.agreement_from_file(file)  # refused with the file's line numbers before anything is written
    t = get_app(db)
    with t.write() as conn:
        actor = get_actor(conn, as_)
        res = agreements.add_version(t, conn, actor, {k: (str(v) if k in ("signed", "effective") and v else v)
                                                    for k, v in ag.items()})
    if json_:
        return print_json({"id": res["id"], "version": res["version"], "effective": res["effective"]})
    console.print(f"agreement {res['id']} version {res['version']} added, in force from {res['effective']}",
                  highlight=False)


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
