"""Data in and out at scale: `truce import acled`, `truce import csv`, `truce export incidents`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from truce.cli import (
    DbOpt,
    JsonOpt,
    _print_summary,
    _write_rejects,
    actor_for,
    app,
    err,
    get_app,
    handle_errors,
    import_app,
    print_json,
    progress_bar,
)
from truce.errors import ValidationFailed

export_app = typer.Typer(
    help="Export data.\n\nExample: truce export incidents --format hxl --zone Z1 -o z1.csv", no_args_is_help=True
)
app.add_typer(export_app, name="export")

AsImporter = Annotated[
    str | None,
    typer.Option("--as", help="The user who imports (an admin; default: the local console operator)"),
]
RejectsOpt = Annotated[
    Path | None, typer.Option(help="Write the rows that could not be imported here (CSV: line, reason)")
]
OrgOpt = Annotated[str | None, typer.Option(help="Organisation recorded as the importer (default: yours)")]


def _count_lines(path: Path) -> int:
    n = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            n += block.count(b"\n")
    return max(n - 1, 0)


def _run_import(file: Path, what: str, run: object) -> object:
    if not file.is_file():
        raise ValidationFailed(f"{file}: no such file", field="file")
    with progress_bar() as prog:
        task = prog.add_task(f"importing {file.name} ({what})", total=_count_lines(file))
        summary = run(lambda n: prog.advance(task, n))  # type: ignore[operator]
        prog.update(task, completed=prog.tasks[0].total)
    return summary


@import_app.command("acled")
@handle_errors
def import_acled(
    file: Annotated[Path, typer.Argument(help="ACLED export (CSV, ACLED's 31 columns)")],
    rejects: RejectsOpt = None,
    source_kind: Annotated[str, typer.Option("--source-kind", help="ngo or media")] = "ngo",
    org: OrgOpt = None,
    batch: Annotated[int, typer.Option(help="Rows per batch (one ledger entry each)")] = 50_000,
    db: DbOpt = None,
    as_user: AsImporter = None,
    json_: JsonOpt = False,
) -> None:
    """Import an ACLED export as reports, one incident per new event: streamed in batches (one ledger
    entry each, naming the file's sha256), idempotent on event_id_cnty (a changed row becomes a
    correction), event types mapped to violation types, P-codes and zones assigned. Bad rows are
    listed (and written to --rejects) with their line number; the good rows are imported.

    Example: truce import acled 2017-01-01-2020-12-31-Syria.csv --rejects rejects.csv
    """
    from truce.ingest.bulk import import_file

    if source_kind not in ("ngo", "media"):
        raise ValidationFailed(f"source-kind: '{source_kind}' is not ngo or media", field="source_kind")
    t = get_app(db)
    actor = actor_for(t, as_user)
    summary = _run_import(
        file,
        "ACLED",
        lambda cb: import_file(t, actor, file, "acled", org=org, source_kind=source_kind, batch_rows=batch,
                               progress=cb),
    )
    _finish(summary, rejects, json_)


@import_app.command("csv")
@handle_errors
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV of reports, with a header line")],
    mapping: Annotated[Path, typer.Option("--mapping", "-m", help="YAML/JSON file: our field → your column")],
    rejects: RejectsOpt = None,
    org: OrgOpt = None,
    db: DbOpt = None,
    as_user: AsImporter = None,
    json_: JsonOpt = False,
) -> None:
    """Import your own spreadsheet of reports: a mapping file names the column of each field, constants
    and value maps (see the README). Every row is validated as `report submit` validates a report;
    bad rows are listed with their line number and reason, the good ones imported.

    Example: truce import csv sheet.csv --mapping sheet-mapping.yaml --rejects rejects.csv
    """
    from truce.ingest.bulk import import_file
    from truce.ingest.mapped import load_mapping

    m = load_mapping(mapping)
    t = get_app(db)
    actor = actor_for(t, as_user)
    sk = m["constants"].get("source_kind") or "ngo"
    summary = _run_import(
        file,
        "mapped CSV",
        lambda cb: import_file(
            t,
            actor,
            file,
            "csv",
            org=org,
            source_kind=str(sk),
            options={"mapping": m, "external_source": m["external_source"], "org_kind": actor.org_kind},
            progress=cb,
        ),
    )
    _finish(summary, rejects, json_)


def _finish(summary: object, rejects: Path | None, json_: bool) -> None:
    rej = summary.rejected  # type: ignore[attr-defined]
    if rejects and rej:
        _write_rejects(rejects, rej)
    if json_:
        print_json(summary.to_dict())  # type: ignore[attr-defined]
        return
    _print_summary(summary, rejects)


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
    from truce.exports import service as exports
    from truce.incidents.service import IncidentFilter

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
