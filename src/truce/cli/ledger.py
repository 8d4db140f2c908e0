"""The hash-chained ledger: `truce ledger …`."""

from __future__ import annotations

from pathlib import Path
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
    """Check the hash chain, replay the ledger into a scratch database and compare every table.
    Exits 1 and names the first bad entry, or the table and row that differ.

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
@ledger_app.command("check-proof")
@handle_errors
def ledger_check_proof(file: Annotated[Path, typer.Argument(help="A proof-of-misbehaviour file (JSON)")]) -> None:
    """Check a proof of misbehaviour written by a mirror: both log signatures, and that no consistency proof can
    join the two checkpoints (or that one size has two roots). Exit 0 when the misbehaviour is proven.

    Example: truce ledger check-proof misbehaviour-1.json
    """
    from truce.mirror import proof

    res = proof.check(proof.load(file))
    for line in res.lines:
        console.print(line, highlight=False, markup=False)
    if not res.proven:
        err.print("[bold red]not proven[/]", highlight=False)
        raise typer.Exit(1)


@ledger_app.command("replay")
@handle_errors
def ledger_replay(
    into: Annotated[str, typer.Option("--into", help="The (empty) database to move this deployment into")],
    db: DbOpt = None,
) -> None:
    """Move a deployment into another database (e.g. SQLite to PostgreSQL) by replaying its ledger there, files
    included; then compare every table of the two as `ledger verify` does (exit 1 on any difference).

    Example: truce ledger replay --db sqlite:///truce.db --into postgresql://truce@localhost/truce
    """
    from truce.ledger.backup import replay_into

    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("replaying the ledger", total=None)
        res = replay_into(t, into, progress=lambda done, total: prog.update(task, completed=done, total=total))
    for p in res.problems:
        err.print(f"[bold red]differs[/]: {p}", highlight=False)
    if not res.ok:
        raise typer.Exit(1)
    console.print(f"moved: {res.entries} entries, head {res.head_hash}, {res.blobs} files; "
                  f"{len(res.tables)} tables identical ({sum(res.tables.values())} rows)", highlight=False)


