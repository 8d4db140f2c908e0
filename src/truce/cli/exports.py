"""Exports: `truce export incidents`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from truce.cli.common import (
    DbOpt,
    actor_for,
    err,
    get_app,
    handle_errors,
    progress_bar,
)
from truce.exports import service as exports
from truce.incidents.service import IncidentFilter

export_app = typer.Typer(
    help="Export data.\n\nExample: truce export incidents --format hxl --zone Z1 -o z1.csv", no_args_is_help=True
)


@export_app.command("incidents")
@handle_errors
def export_incidents(
    format: Annotated[str, typer.Option("--format", "-f", help="csv, hxl, geojson or acled")] = "csv",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write here (default: standard output)")] = None,
    zone: Annotated[str | None, typer.Option(help="Zone id")] = None,
    adm: Annotated[str | None, typer.Option(help="OCHA P-code of ADM1, ADM2 or ADM3")] = None,
    party: Annotated[str | None, typer.Option(help="Alleged party id")] = None,
    violation_type: Annotated[str | None, typer.Option("--type", help="Violation type")] = None,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day")] = None,
    verdict: Annotated[str | None, typer.Option(help="pending, verified, not_verified or disputed")] = None,
    status: Annotated[str | None, typer.Option(help="open, under_investigation or closed")] = None,
    db: DbOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Export what this user may see")] = None,
    public: Annotated[bool, typer.Option("--public", help="Export what the public sees")] = False,
) -> None:
    """Export incidents, streamed, with a progress bar on stderr: csv, hxl (CSV with the HXL hashtag
    row), geojson (an RFC 7946 FeatureCollection) or acled (ACLED's 31 columns, which `truce import
    acled` reads back).

    Example: truce export incidents --format acled --zone Z1 --since 2017-05-06 -o z1-acled.csv
    """

    exports.check_format(format)
    flt = IncidentFilter(
        zone=zone,
        adm=adm,
        party=party,
        violation_type=violation_type,
        since=since,
        until=until,
        verdict=verdict,
        status=status,
    )
    t = get_app(db)
    viewer = None if public else actor_for(t, as_user)
    with t.read() as conn:
        total = exports.count(conn, flt, viewer)
    sink = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115
    try:
        with progress_bar() as prog:
            task = prog.add_task(f"exporting incidents ({format})", total=total)
            for chunk in exports.export_incidents(t, format, flt, viewer, progress=lambda n: prog.advance(task, n)):
                sink.write(chunk)
    finally:
        if out:
            sink.close()
        else:
            sink.flush()
    if out:
        err.print(f"{total} incidents written to {out}", highlight=False)
