"""Intake of news articles and field messages: `truce intake …`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from truce.auth.permissions import require
from truce.auth.service import get_actor
from truce.cli.common import (
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    console,
    get_app,
    handle_errors,
    once,
    print_json,
    progress_bar,
    table,
)
from truce.errors import ValidationFailed
from truce.intake import queries
from truce.intake.models import EDITABLE

if TYPE_CHECKING:
    from truce.intake.service import AddResult

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
    from truce.intake import fakes  # lazy: the FA-KES model (numpy), only for the commands that run it

    if fmt != "fakes-jsonl":
        raise fakes.FakesError(f"--format: unknown format {fmt!r} (known: fakes-jsonl)")
    rows = fakes.read_rows(file)
    lines = []
    with progress_bar() as bar:
        task = bar.add_task("extracting", total=len(rows))
        for pred in fakes.iter_predictions(rows):
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
        int,
        typer.Option(
            "--cv", help="Also cross-validate: tune the rules and train the model on K-1 folds, score the held-out fold"
        ),
    ] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")] = False,
) -> None:
    """Per-field accuracy of the extraction (the rules and the shipped model) on a FA-KES file, next to the
    majority-class baseline; with --cv K, the accuracy on held-out folds of the rules tuned and the model
    trained on the other folds. Says how many of the articles the shipped model was trained on.

    Example: truce intake eval fa_kes_syria_news.csv --cv 5
    """
    from truce.intake import fakes  # lazy: the FA-KES model (numpy), only for the commands that run it

    rows = fakes.read_rows(file)
    if cv and (cv < 2 or cv > len(rows)):
        raise fakes.FakesError(f"--cv: needs 2 to {len(rows)} folds, not {cv}")
    fm = fakes.shipped()
    with progress_bar() as bar:
        task = bar.add_task("extracting", total=len(rows))
        prep = fakes.prepare(rows, progress=lambda: bar.advance(task))
        acc = fakes.score(fakes.predict(prep, list(range(len(rows))), fm.params, fm), prep.golds)
        held: dict[str, float] | None = None
        if cv:
            task2 = bar.add_task(f"cross-validating ({cv} folds)", total=cv)
            held, _, _ = fakes.cross_validate(prep, cv, progress=lambda: bar.advance(task2))
    base = fakes.majority(prep.golds)
    trained = set(fm.trained_on)
    seen = sum(1 for r in rows if r["unit_id"] in trained)
    if json_:
        print_json(
            {
                "articles": len(rows),
                "used_in_training": seen,
                "accuracy": acc,
                "majority": base,
                "cross_validated": held,
            }
        )
        return
    console.print(f"{len(rows)} articles")
    cols = ["field", "accuracy", "majority"] + ([f"held-out ({cv}-fold)"] if held else [])
    from rich.table import Table  # noqa: PLC0415

    tab = Table(*cols, highlight=False)
    for k in fakes.FIELDS:
        row = [k, f"{acc[k]:.3f}", f"{base[k]:.3f}"] + ([f"{held[k]:.3f}"] if held else [])
        tab.add_row(*row)
    console.print(tab)
    if seen:
        console.print(
            f"note: {seen} of these {len(rows)} articles were used to train the shipped model, so its accuracy "
            "on them is higher than on unseen articles: the cross-validated figures (--cv 5, the model "
            "trained again without the held-out fold) are the ones to trust.",
            highlight=False,
        )


def _print_added(res: AddResult, json_: bool) -> None:
    if json_:
        print_json(res.to_dict())
        return
    console.print(
        f"{len(res.added)} candidate(s) added, {len(res.duplicates)} already received (nothing written for those)"
        + (f"; ledger entries {', '.join(map(str, res.ledger_seqs))}" if res.ledger_seqs else ""),
        highlight=False,
    )


@intake_app.command("add")
@handle_errors
def intake_add(
    file: Annotated[str, typer.Argument(help="An article: a JSON object or plain text ('-' = stdin)")],
    title: Annotated[str | None, typer.Option("--title", help="Title (for plain text)")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source, e.g. reuters, or a sender")] = None,
    published: Annotated[str | None, typer.Option("--published", help="Publication time, ISO 8601")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Add one article or message as a candidate report: its date, place, party, violation type and
    casualties are extracted and its likely incident found; a person then accepts or rejects it.

    Example: echo "Shelling on Saraqib killed 3 civilians yesterday" | truce intake add - --published 2017-09-21
    """
    from truce.intake import service  # lazy: extraction (pydantic, YAML, shapely), only for the writes

    if file == "-":
        data, name = sys.stdin.buffer.read(), "stdin"
    else:
        try:
            data, name = Path(file).read_bytes(), file
        except OSError as e:
            raise ValidationFailed(f"{file}: cannot be read ({e.strerror})", field="file") from None
    art = service.read_one(data, name)
    extra = {"title": title, "source": source}
    for k, v in extra.items():
        if v is not None:
            setattr(art, k, v)
    if published is not None:
        art.published = service._parse_time(published, "--published")
    item = service.prepare(art)
    t = get_app(db)
    with t.write() as conn:
        res = service.add(t, conn, get_actor(conn, as_user), [item], channel="file")
    _print_added(res, json_)
    if res.added and not json_:
        console.print(f"candidate {res.added[0]}: truce intake show {res.added[0]}", highlight=False)


@intake_app.command("import")
@handle_errors
def intake_import(
    file: Annotated[Path, typer.Argument(help="news.csv (a body column: body, text or article_content) or .jsonl")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Import many articles as candidate reports, streamed: each article read, extracted and added in turn
    (memory stays flat; a progress bar by bytes read); idempotent on each article's id (or, without one,
    the hash of its text). A bad line stops the import and nothing is written.

    Example: truce intake import news.jsonl
    """
    from truce.intake import service  # lazy: extraction (pydantic, YAML, shapely), only for the writes

    t = get_app(db)
    reading = service.Reading()
    with progress_bar() as bar:
        task = bar.add_task("importing", total=None)

        def advance(r: service.Reading) -> None:
            bar.update(task, total=r.size, completed=r.bytes)

        with t.write() as conn:
            res = service.import_file(t, conn, get_actor(conn, as_user), file, advance, reading)
        bar.update(task, total=reading.size, completed=reading.size)
    _print_added(res, json_)


@intake_app.command("list")
@handle_errors
def intake_list(
    status: Annotated[str, typer.Option("--status", help="pending, accepted, rejected or all")] = "pending",
    limit: Annotated[int, typer.Option("--limit", help="At most this many", min=1)] = 50,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """The review queue: candidates with their proposed date, place, type, party and likely incident.

    Example: truce intake list --status pending
    """
    t = get_app(db)
    with t.read() as conn:
        require(get_actor(conn, as_user), "intake.view")
        rows = queries.list_candidates(conn, None if status == "all" else status, limit)
    if json_:
        return print_json(rows)
    table(
        rows,
        [
            "id",
            "status",
            "occurred_at",
            "place_name",
            "violation_type",
            "alleged_party",
            "killed",
            "likely_incident_id",
            "title",
        ],
    )


@intake_app.command("show")
@handle_errors
def intake_show(
    cid: Annotated[int, typer.Argument(help="Candidate id")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
) -> None:
    """One candidate: each extracted field with the words it came from and a confidence, the proposed
    report, the likely incident, and the decision if taken.

    Example: truce intake show 1 --json
    """
    t = get_app(db)
    with t.read() as conn:
        require(get_actor(conn, as_user), "intake.view")
        c = queries.get_candidate(conn, cid)
    if json_:
        return print_json(c)
    console.print(f"[bold]candidate {c['id']}[/] ({c['status']}) {c['title'] or ''}", highlight=False)
    x = c["extraction"]
    for k in ("date", "place", "party", "violation_type"):
        f = x[k]
        console.print(f"  {k}: {f['value']}  ← “{f['evidence']}” (confidence {f['confidence']})", highlight=False)
    for k, f in x["casualties"].items():
        console.print(f"  {k}: {f['value']}  ← “{f['evidence']}” (confidence {f['confidence']})", highlight=False)
    inc = c["likely_incident_id"]
    console.print(
        f"  likely incident: {inc if inc else 'none'} ({c['match_how']}, score {c['match_score']})", highlight=False
    )
    for n in x.get("notes", []):
        console.print(f"  note: {n}", highlight=False)
    if c["status"] != "pending":
        console.print(
            f"  decided by {c['decided_by']} at {c['decided_at']}: {c['status']}"
            + (f" ({c['reason']})" if c["reason"] else "")
            + (f", report {c['report_id']}" if c["report_id"] else ""),
            highlight=False,
        )
        if c["edits"]:
            console.print(f"  edits: {json.dumps(c['edits'])}", highlight=False)


def _edits(sets: list[str]) -> dict[str, str]:
    out = {}
    for s in sets:
        k, eq, v = s.partition("=")
        if not eq or not k.strip():
            raise ValidationFailed(f"--set: '{s}' is not FIELD=VALUE", field="set")
        out[k.strip()] = v.strip()
    return out


@intake_app.command("accept")
@handle_errors
def intake_accept(
    cid: Annotated[int, typer.Argument(help="Candidate id")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="A correction FIELD=VALUE (repeatable), FIELD one of:\n\n" + ", ".join(EDITABLE)
        ),
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Accept a candidate, with corrections: it becomes a report of source kind media (the article kept as
    evidence, the corrections recorded in the ledger). A monitor or a verifier (analyst) decides. Run again
    with the same corrections (or the same --request-id) it writes nothing and prints the first result;
    another decision on a decided candidate is refused, naming who decided it.

    Example: truce intake accept 3 --set killed=12 --set alleged_party=SYR --as rus_monitor
    """
    from truce.intake import service  # lazy: extraction (pydantic, YAML, shapely), only for the writes

    t = get_app(db)
    edits = _edits(set_ or [])
    d = once(
        t,
        as_user,
        request_id,
        "intake accept",
        {"id": cid, "edits": edits},
        lambda conn: service.accept(t, conn, get_actor(conn, as_user), cid, edits).to_dict(),
    )
    if json_:
        return print_json(d)
    again = " (accepted already: the first result, nothing written)" if d["repeated"] else ""
    console.print(
        f"candidate {cid} accepted: report {d['report_id']}, incident {d['incident_id']} "
        f"(ledger entry {d['ledger_seq']}){again}",
        highlight=False,
    )
    for k, (old, new) in d["edits"].items():
        console.print(f"  corrected {k}: {old} → {new}", highlight=False)


@intake_app.command("reject")
@handle_errors
def intake_reject(
    cid: Annotated[int, typer.Argument(help="Candidate id")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required)")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Reject a candidate with a reason (a ledger entry). Run again with the same reason (or the same
    --request-id) it writes nothing and prints the first result; another decision is refused.

    Example: truce intake reject 4 --reason "not a violation: a report on the talks"
    """
    from truce.intake import service  # lazy: extraction (pydantic, YAML, shapely), only for the writes

    t = get_app(db)
    d = once(
        t,
        as_user,
        request_id,
        "intake reject",
        {"id": cid, "reason": reason},
        lambda conn: service.reject(t, conn, get_actor(conn, as_user), cid, reason).to_dict(),
    )
    if json_:
        return print_json(d)
    again = " (rejected already: the first result, nothing written)" if d["repeated"] else ""
    console.print(f"candidate {cid} rejected (ledger entry {d['ledger_seq']}){again}", highlight=False)
