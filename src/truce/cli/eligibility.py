"""Eligibility of parties and the position reports it weighs: `truce eligibility`, `truce position …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    console,
    get_app,
    handle_errors,
    print_json,
    table,
)
from truce.eligibility.service import evaluate, list_positions, report_position
from truce.errors import ValidationFailed

commands = typer.Typer()


position_app = typer.Typer(
    help="Position reports of parties' forces.\n\nExample: truce position list --party FAYLAQ", no_args_is_help=True
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
    res = act(
        db, as_user, request_id, "position report", locals(),
        lambda t, conn, actor: report_position(t, conn, actor, party, on, lat, lon, geo, place, note),
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
