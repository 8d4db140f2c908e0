"""Imports from other systems: `truce import ucdp|acled|csv`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from truce.cli.common import (
    EXIT_REFUSED,
    AsOpt,
    DbOpt,
    JsonOpt,
    actor_for,
    console,
    err,
    get_app,
    handle_errors,
    print_json,
    progress_bar,
)
from truce.errors import ValidationFailed
from truce.ingest.bulk import import_file
from truce.ingest.mapped import load_mapping
from truce.ingest.service import import_ucdp as run

import_app = typer.Typer(
    help="Import data from other systems.\n\nExample: truce import ucdp events.csv", no_args_is_help=True
)


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


@import_app.command("ucdp")
@handle_errors
def import_ucdp(
    file: Annotated[Path, typer.Argument(help="UCDP-AEC CSV file, or UCDP GED's own CSV (told apart by the header)")],
    rejects: Annotated[Path | None, typer.Option(help="Write rows that could not be read here (CSV)")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation recorded as the importer (default: yours)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import UCDP-AEC rows as media reports: places geocoded to P-codes, deaths to casualties,
    sides to parties. Idempotent on the UCDP id. A UCDP GED CSV (with coordinates) is streamed in
    batches, its points placed in P-codes and zones.

    Example: truce import ucdp ucdp_aec_syria_train.csv --rejects rejects.csv
    """

    if not file.is_file():
        raise ValidationFailed(f"{file}: no such file", field="file")
    t = get_app(db)
    actor = actor_for(t, as_user)
    with open(file, encoding="utf-8", errors="replace") as fh:
        total = sum(1 for _ in fh) - 1
    with progress_bar() as prog:
        task = prog.add_task(f"importing {file.name}", total=max(total, 0))
        summary = run(t, actor, file, org=org, progress=lambda n: prog.advance(task, n))
    _finish(summary, rejects, json_)


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

    if source_kind not in ("ngo", "media"):
        raise ValidationFailed(f"source-kind: '{source_kind}' is not ngo or media", field="source_kind")
    t = get_app(db)
    actor = actor_for(t, as_user)
    summary = _run_import(
        file,
        "ACLED",
        lambda cb: import_file(
            t, actor, file, "acled", org=org, source_kind=source_kind, batch_rows=batch, progress=cb
        ),
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
    else:
        _print_summary(summary, rejects)
    s: Any = summary
    if rej and not (s.imported or s.duplicates or s.corrections):
        raise typer.Exit(EXIT_REFUSED)  # every row refused: nothing was imported


def _write_rejects(path: Path, rejected: list[tuple[int, str]]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line", "reason"])
        w.writerows(rejected)


def _print_summary(s: Any, rejects: Path | None) -> None:
    console.print(
        f"{s.file}: {s.rows} rows; {s.imported} imported, {s.duplicates} already there, "
        f"{s.corrections} corrections, {len(s.rejected)} rejected; ledger entries {s.batches or 'none'}"
    )
    if s.precision:
        console.print("location precision: " + ", ".join(f"{k} {v}" for k, v in sorted(s.precision.items())))
    if s.unresolved_places:
        console.print(
            "not resolved below governorate (most frequent): "
            + "; ".join(f"{k} ({v})" for k, v in s.unresolved_places.most_common(10)),
            highlight=False,
        )
    if s.unknown_sides:
        console.print(
            "sides not in the party register, kept as text: "
            + "; ".join(f"{k} ({v})" for k, v in s.unknown_sides.most_common(8)),
            highlight=False,
        )
    for line, reason in s.rejected[:10]:
        err.print(f"line {line}: {reason}", highlight=False)
    if s.rejected and rejects:
        err.print(f"all rejected rows written to {rejects}")
