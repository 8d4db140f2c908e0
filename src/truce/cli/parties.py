"""Parties, accession, eligibility and position reports: `truce party|accession|position …`, `truce eligibility`."""

from __future__ import annotations

from typing import Annotated

import typer

from truce import i18n
from truce.cli.common import (
    DbOpt,
    JsonOpt,
    console,
    get_app,
    handle_errors,
    print_json,
    table,
)
from truce.parties import service as parties

party_app = typer.Typer(
    help="Parties to the truce and others it names.\n\nExample: truce party list", no_args_is_help=True
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
        local = parties.local_names(conn, i18n.current()) if i18n.current() != i18n.DEFAULT else {}
    if json_:
        return print_json(rows)
    rows = [{**r, "name": local.get(r["id"], r["name"])} for r in rows]  # as the reader's press names them
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
        local = parties.local_names(conn, i18n.current(), [p["id"]]) if i18n.current() != i18n.DEFAULT else {}
    if json_:
        return print_json(p)
    _, label = i18n._, i18n.vocab
    name = f"{local[p['id']]} ({p['name']})" if p["id"] in local else p["name"]
    status = label(p["truce_status"], "truce_status") if p["truce_status"] else "—"
    console.print(f"[bold]{p['id']}[/] {name} ({label(p['kind'], 'party_kind')}); "
                  + _("status: %(status)s", status=status), highlight=False)
    console.print(_("aliases: %(aliases)s", aliases=", ".join(p["aliases"])), highlight=False)
    if p["designations"]:
        console.print(_("designations: %(list)s", list=", ".join(d["authority"] for d in p["designations"])),
                      highlight=False)
    for h in p["status_history"]:
        prev = label(h["previous"], "truce_status") if h["previous"] else "—"
        console.print(f"  {h['effective']}: {prev} → {label(h['status'], 'truce_status')} "
                      f"({i18n.localize(h['reason'] or '')})", highlight=False)
