"""Intake of news articles and field messages: `truce intake …`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from truce.cli.common import console, handle_errors, print_json, progress_bar
from truce.intake import fakes
from truce.intake.extract import DEFAULT

intake_app = typer.Typer(
    help="News articles and field messages read into candidate reports, for a person to review.\n\n"
    "Example: truce intake eval fa_kes_syria_news.csv",
    no_args_is_help=True,
)


@intake_app.command("extract")
@handle_errors
def intake_extract(
    file: Annotated[Path, typer.Argument(help="A FA-KES CSV (unit_id, article_title, article_content, …)")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: fakes-jsonl")] = "fakes-jsonl",
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write here (default: stdout)")] = None,
) -> None:
    """Extract date, place, actor, cause and casualties from each article, one JSON line per article
    in FA-KES's own label values (its 12 governorates, 7 actor classes, 6 causes).

    Example: truce intake extract fa_kes_syria_news.csv --format fakes-jsonl -o pred.jsonl
    """
    if fmt != "fakes-jsonl":
        raise fakes.FakesError(f"--format: unknown format {fmt!r} (known: fakes-jsonl)")
    rows = fakes.read_rows(file)
    lines = []
    with progress_bar() as bar:
        task = bar.add_task("extracting", total=len(rows))
        for pred in fakes.iter_predictions(rows, DEFAULT):
            lines.append(json.dumps(pred, ensure_ascii=False))
            bar.advance(task)
    text = "\n".join(lines) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, "utf-8")
        console.print(f"{len(lines)} predictions written to {out}")


@intake_app.command("eval")
@handle_errors
def intake_eval(
    file: Annotated[Path, typer.Argument(help="A FA-KES CSV with its gold labels")],
    cv: Annotated[
        int, typer.Option("--cv", help="Also cross-validate: tune the rules on K-1 folds, score the held-out fold")
    ] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")] = False,
) -> None:
    """Per-field accuracy of the extraction on a FA-KES file, next to the majority-class baseline
    (and, with --cv K, the accuracy on held-out folds of rules tuned on the other folds).

    Example: truce intake eval fa_kes_syria_news.csv --cv 5
    """
    rows = fakes.read_rows(file)
    with progress_bar() as bar:
        task = bar.add_task("extracting", total=len(rows))
        prep = fakes.prepare(rows, progress=lambda: bar.advance(task))
    acc = fakes.score(fakes.predict(prep, list(range(len(rows))), DEFAULT), prep.golds)
    base = fakes.majority(prep.golds)
    held: dict[str, float] | None = None
    if cv:
        if cv < 2 or cv > len(rows):
            raise fakes.FakesError(f"--cv: needs 2 to {len(rows)} folds, not {cv}")
        held, _ = fakes.cross_validate(prep, cv)
    if json_:
        print_json({"articles": len(rows), "accuracy": acc, "majority": base, "cross_validated": held})
        return
    console.print(f"{len(rows)} articles")
    cols = ["field", "accuracy", "majority"] + ([f"held-out ({cv}-fold)"] if held else [])
    from rich.table import Table  # noqa: PLC0415

    tab = Table(*cols, highlight=False)
    for k in fakes.FIELDS:
        row = [k, f"{acc[k]:.3f}", f"{base[k]:.3f}"] + ([f"{held[k]:.3f}"] if held else [])
        tab.add_row(*row)
    console.print(tab)
