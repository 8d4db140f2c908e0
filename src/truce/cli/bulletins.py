"""The daily bulletin and the guarantors' signing keys: `truce bulletin …`, `truce key …`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from truce import i18n
from truce.bulletins.compute import compute
from truce.bulletins.render import render
from truce.bulletins.service import create_key, document, list_keys, list_published, publish, revoke_key, sign
from truce.bulletins.verify import verify_document
from truce.cli.common import (
    EXIT_DIFFERENCES,
    EXIT_REFUSED,
    AsOpt,
    DbOpt,
    JsonOpt,
    RequestIdOpt,
    act,
    console,
    err,
    get_app,
    handle_errors,
    print_json,
    progress_bar,
    show,
    table,
)
from truce.errors import ValidationFailed
from truce.ledger.chain import now_iso
from truce.times import check_day

bulletin_app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


key_app = typer.Typer(
    help="Ed25519 keys with which the guarantor offices sign bulletins.\n\n"
    "Example: truce key create --org RUS_OFFICE --as rus_verifier",
    no_args_is_help=True,
)


DateOpt = Annotated[str, typer.Option("--date", help="The day (YYYY-MM-DD, UTC)")]


FORMATS = ("json", "md", "html", "pdf")


SUFFIX = {".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def _format(fmt: str | None, out: Path | None) -> str:
    if fmt is None:
        return SUFFIX.get(out.suffix.lower(), "json") if out else "json"
    f = fmt.lower()
    if f not in FORMATS:
        raise ValidationFailed(f"format: '{fmt}' is not one of {', '.join(FORMATS)}", field="format")
    return f


@bulletin_app.callback()
@handle_errors
def bulletin(
    ctx: typer.Context,
    date: Annotated[str | None, typer.Option("--date", help="The day (YYYY-MM-DD, UTC)")] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="json, md, html or pdf (default: from -o, else json)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout)")] = None,
    seq: Annotated[
        int | None,
        typer.Option(
            "--seq",
            help="Compute as the ledger stood at this entry (default: the published bulletin of "
            "the day, else the ledger head)",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Compute at the ledger head even when the day was published")
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the md, html and pdf forms: en, ar, ru, tr or fa (default: truce --lang, "
            "$TRUCE_LANG, else en); the JSON document is the same in every language",
        ),
    ] = None,
    db: DbOpt = None,
) -> None:
    """The daily bulletin: violations of a day by zone, governorate, party and type as recorded by each
    guarantor's office, with how many the others confirmed or disputed; verified incidents and their
    attribution; accessions and status changes; measures; investigations and denials of access; a 30-day
    trend per zone and a map. The JSON form holds every number and the ledger entry (sequence and hash) it
    was computed at; `truce bulletin verify` recomputes it. A published day is shown as published, with
    its signatures.

    Example: truce bulletin --date 2017-09-21 --format pdf -o bulletin-2017-09-21.pdf
    Example: truce bulletin --date 2017-09-21 --lang fa --format pdf -o bulletin-fa.pdf
    """
    if ctx.invoked_subcommand is not None:
        return
    reader = i18n.normalize(lang) if lang else i18n.current()
    if reader is None:
        raise ValidationFailed(
            f"lang: '{lang}' is not a language of Truce (choose one of {', '.join(i18n.LANGUAGES)})", field="lang"
        )
    if date is None:
        console.print(ctx.get_help())
        raise typer.Exit(EXIT_REFUSED)

    f = _format(fmt, out)
    if f == "pdf" and out is None and sys.stdout.isatty():
        raise ValidationFailed("output: a PDF is not written to a terminal; give -o FILE.pdf", field="output")
    t = get_app(db)
    with t.read() as conn:
        if fresh:
            doc = {**compute(conn, date, seq), "generated_at": now_iso(), "signatures": []}
        else:
            doc = document(t, conn, date, seq)
        data = render(doc, f, conn, lang=reader)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out.write_bytes(data)
    err.print(
        f"bulletin of {doc['date']} ({f}, {len(data)} bytes) written to {out}: ledger entry {doc['ledger']['seq']}, "
        f"{len(doc.get('signatures') or [])} signature(s)",
        highlight=False,
    )


@bulletin_app.command("verify")
@handle_errors
def bulletin_verify(
    file: Annotated[Path, typer.Argument(help="A bulletin in its JSON form")],
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Recompute every number of a bulletin from the ledger up to its sequence (replayed into a scratch
    database) and from the live database, check the ledger entry's hash and every signature. Exits 1 and
    names each difference by its path in the JSON (file, ledger, database).

    Example: truce bulletin verify bulletin-2017-09-21.json
    """

    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ValidationFailed(f"file: no file {file}", field="file") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValidationFailed(f"file: {file} is not JSON ({e})", field="file") from e
    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("replaying the ledger", total=None)
        rep = verify_document(t, doc, progress=lambda done, total: prog.update(task, completed=done, total=total))
    if json_:
        print_json(rep.to_dict())
    else:
        for s in rep.signatures:
            if s["ok"]:
                console.print(str(s["message"]), highlight=False)
        if rep.checkpoint and rep.checkpoint["agreed"] and rep.checkpoint["included"]:
            c = rep.checkpoint
            console.print(
                f"cited checkpoint of size {c['size']} agreed ({c['rule']}: {', '.join(c['cosigners'])}); ledger entry "
                f"{rep.seq} included (inclusion proof checked)",
                highlight=False,
            )
        for n in rep.notes:
            console.print(f"note: {n}", highlight=False)
        if rep.ok:
            console.print(
                f"bulletin of {rep.date} verified: {rep.checked} values recomputed from the ledger up to entry "
                f"{rep.seq} ({rep.head_hash[:16]}…) and from the database agree with the file; "
                f"{sum(1 for s in rep.signatures if s['ok'])} signature(s) valid",
                highlight=False,
            )
        else:
            for p in rep.problems:
                err.print(f"[bold red]difference[/]: {p}", highlight=False)
            err.print(f"bulletin verify failed: {len(rep.problems)} difference(s)", highlight=False)
    if not rep.ok:
        raise typer.Exit(EXIT_DIFFERENCES)


@bulletin_app.command("publish")
@handle_errors
def bulletin_publish(
    date: DateOpt, db: DbOpt = None, as_user: AsOpt = None, json_: JsonOpt = False, request_id: RequestIdOpt = None
) -> None:
    """Publish the bulletin of a day: compute it at the ledger head, keep its JSON body in the blob store and
    record it in the ledger (the joint group's verifiers or an admin).

    Example: truce bulletin publish --date 2017-09-21 --as joint_verifier
    """

    res = act(
        db, as_user, request_id, "bulletin publish", locals(),
        lambda t, conn, actor: publish(t, conn, actor, date),
    )
    res.pop("body", None)
    if json_:
        return print_json(res)
    console.print(
        f"bulletin of {res['day']} published: numbers at ledger entry {res['seq']}, body sha256 {res['sha256']} "
        f"(ledger entry {res['ledger_seq']})",
        highlight=False,
    )


@bulletin_app.command("sign")
@handle_errors
def bulletin_sign(
    date: DateOpt,
    org: Annotated[str | None, typer.Option("--org", help="The guarantor office signing (default: yours)")] = None,
    key: Annotated[
        Path | None,
        typer.Option("--key", help="Private key file (default: the office's key in $TRUCE_KEY_DIR or ./truce-keys/)"),
    ] = None,
    seq: Annotated[int | None, typer.Option("--seq", help="The publication to sign (default: the latest)")] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Sign the published bulletin of a day with a guarantor office's Ed25519 key and record the signature
    (a verifier of that office).

    Example: truce bulletin sign --date 2017-09-21 --org RUS_OFFICE --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "bulletin sign", locals(),
        lambda t, conn, actor: sign(t, conn, actor, date, org=org, key_file=key, seq=seq),
    )
    show(
        res, json_,
        lambda: (
            f"bulletin of {res['day']} (entry {res['seq']}) signed by {res['org_id']} with key {res['key_id']} "
            f"(ledger entry {res['ledger_seq']})"
        ),
    )


@bulletin_app.command("list")
@handle_errors
def bulletin_list(
    since: Annotated[str | None, typer.Option("--since", help="From this day")] = None,
    until: Annotated[str | None, typer.Option("--until", help="To this day")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the published bulletins, newest day first, with their signatures.

    Example: truce bulletin list --json
    """

    t = get_app(db)
    with t.read() as conn:
        rows = list_published(conn, check_day(since, "since"), check_day(until, "until"))
    if json_:
        return print_json(rows)
    table(
        [
            {**r, "sha256": r["sha256"][:16] + "…", "signed by": ", ".join(s["org"] for s in r["signatures"]) or "—"}
            for r in rows
        ],
        ["day", "seq", "sha256", "published_at", "published_by", "signed by"],
    )


@key_app.command("create")
@handle_errors
def key_create(
    org: Annotated[str, typer.Option("--org", help="The guarantor office the key signs for")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Private key file (default: $TRUCE_KEY_DIR or ./truce-keys/, ORG-KEYID.pem)"),
    ] = None,
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Create an Ed25519 signing key for a guarantor office: the public key is recorded in the ledger, the
    private key is written to a file only you may read (0600). An admin or a verifier of that office.

    Example: truce key create --org RUS_OFFICE --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "key create", locals(),
        lambda t, conn, actor: create_key(t, conn, actor, org, out),
    )
    show(
        res, json_,
        lambda: (
            f"key {res['key_id']} created for {res['org_id']}: public key recorded at ledger entry "
            f"{res['ledger_seq']}; private key written to {res['file']} (mode 0600: keep it secret)"
        ),
    )


@key_app.command("list")
@handle_errors
def key_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this office's keys")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the signing keys recorded in the ledger.

    Example: truce key list --org TUR_OFFICE
    """

    t = get_app(db)
    with t.read() as conn:
        rows = list_keys(conn, org)
    if json_:
        return print_json(rows)
    table(rows, ["key_id", "org_id", "public_key", "created_at", "revoked_at", "ledger_seq"])


@key_app.command("revoke")
@handle_errors
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (16 hex digits)")],
    db: DbOpt = None,
    as_user: AsOpt = None,
    json_: JsonOpt = False,
    request_id: RequestIdOpt = None,
) -> None:
    """Revoke a signing key: signatures recorded with it before stay valid, no new one is accepted.

    Example: truce key revoke 3f2a9c0d1e4b5a67 --as rus_verifier
    """

    res = act(
        db, as_user, request_id, "key revoke", locals(),
        lambda t, conn, actor: revoke_key(t, conn, actor, key_id),
    )
    show(res, json_, lambda: f"key {res['key_id']} of {res['org_id']} revoked (ledger entry {res['ledger_seq']})")
