"""The hash-chained ledger: `truce ledger …`."""

from __future__ import annotations

from typing import Annotated

import typer

from truce.cli.common import (
    DbOpt,
    JsonOpt,
    console,
    err,
    get_app,
    handle_errors,
    print_json,
    progress_bar,
    table,
)
from truce.ledger.service import log, verify

ledger_app = typer.Typer(help="The hash-chained ledger.\n\nExample: truce ledger verify", no_args_is_help=True)


@ledger_app.command("verify")
@handle_errors
def ledger_verify(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """Check the hash chain, replay the ledger into a scratch database and compare every table, then
    recompute every incident's judgment by the rules and compare it with the stored one. Exits 1 and
    names the first bad entry, the table and row that differ, or the incident and field the rules disagree on.

    Example: truce ledger verify
    """

    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("replaying the ledger", total=None)
        res = verify(t, progress=lambda done, total: prog.update(task, completed=done, total=total))
    if json_:
        print_json(res.to_dict())
    elif res.ok:
        console.print(
            f"ledger OK: {res.entries} entries, head {res.head_seq} {res.head_hash}; "
            f"{len(res.tables)} tables match the replay ({sum(res.tables.values())} rows)"
        )
    else:
        for p in res.problems:
            err.print(f"[bold red]ledger verify failed[/]: {p}", highlight=False)
    if not res.ok:
        raise typer.Exit(1)


@ledger_app.command("reactions")
@handle_errors
def ledger_reactions(json_: JsonOpt = False) -> None:
    """What follows each command: the reactions declared on it (and on the events they raise), run in the
    command's transaction, live and on replay alike.

    Example: truce ledger reactions
    """
    from truce.services import reactions_table  # lazy: loads every domain module, only for this command

    rows = reactions_table()
    if json_:
        return print_json(rows)
    flat = [
        {"on": r["on"], "kind": r["kind"], "reaction": x["reaction"], "does": x["does"]}
        for r in rows
        for x in r["reactions"]
    ]
    table(flat, ["on", "kind", "reaction", "does"])


@ledger_app.command("log")
@handle_errors
def ledger_log(
    limit: Annotated[int, typer.Option(help="Entries to show (0 = all)")] = 20,
    offset: Annotated[int, typer.Option(help="Entries to skip (from the newest)")] = 0,
    command: Annotated[str | None, typer.Option(help="Only this command, e.g. report.submit")] = None,
    payload: Annotated[bool, typer.Option("--payload", help="Include each entry's payload")] = False,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show ledger entries, newest first.

    Example: truce ledger log --limit 5 --json --payload
    """

    t = get_app(db)
    with t.read() as conn:
        rows = log(conn, limit, offset, command, with_payload=payload)
    if json_:
        return print_json(rows)
    table([{**r, "hash": r["hash"][:16] + "…"} for r in rows], ["seq", "at", "actor", "org", "command", "hash"])
