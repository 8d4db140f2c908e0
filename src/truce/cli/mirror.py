"""A guarantor's own verified copy: `truce mirror …`; and `truce backup` / `truce restore`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from truce.bulletins.service import load_private_key
from truce.cli.common import DbOpt, JsonOpt, console, err, get_app, handle_errors, print_json, progress_bar
from truce.config import Settings
from truce.errors import ValidationFailed
from truce.ledger.backup import backup, restore
from truce.mirror import service as mirror

commands = typer.Typer()
mirror_app = typer.Typer(
    help="A guarantor's own verified copy: follow another node over HTTP, check, replay, co-sign, raise alarms.\n\n"
    "Example: truce mirror follow https://truce.example.org --db sqlite:///tur-mirror.db --token $TOKEN",
    no_args_is_help=True,
)


def _alarm_lines(a: dict[str, Any]) -> None:
    err.print(f"[bold red]ALARM #{a['id']} ({a['kind']})[/]: {a['message']}", highlight=False)
    if a.get("held_checkpoint"):
        err.print(
            "  the checkpoint this mirror holds:\n    " + a["held_checkpoint"].rstrip("\n").replace("\n", "\n    "),
            highlight=False,
            markup=False,
        )
    if a.get("new_checkpoint"):
        err.print(
            "  the conflicting checkpoint:\n    " + a["new_checkpoint"].rstrip("\n").replace("\n", "\n    "),
            highlight=False,
            markup=False,
        )


def _updater(prog: Any, task: Any) -> Any:
    def update(done: int, total: int) -> None:
        prog.update(task, completed=done, total=total)

    return update


def _load_key(path: Path) -> Any:
    return load_private_key(path)


@mirror_app.command("follow")
@handle_errors
def mirror_follow(
    url: Annotated[str, typer.Argument(help="The node to follow (its web address)")],
    db: DbOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="TRUCE_MIRROR_TOKEN",
            help="Bearer token of a user of the source who sees every tier (a verifier of your office)",
        ),
    ] = None,
    log_key: Annotated[
        str | None,
        typer.Option("--log-key", help="The source log's verifier key (name+id+key); default: taken at first contact"),
    ] = None,
    interval: Annotated[float, typer.Option("--interval", min=1, help="Seconds between pulls")] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="Pull once and exit")] = False,
    witness: Annotated[
        str | None, typer.Option("--witness", help="Co-sign each verified checkpoint as this guarantor office")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="The office's Ed25519 private key (PEM) for --witness")
    ] = None,
    peer: Annotated[
        list[str] | None, typer.Option("--peer", help="A peer mirror to gossip checkpoints with after each pull")
    ] = None,
    proofs: Annotated[Path, typer.Option("--proofs", help="Directory for proof-of-misbehaviour files")] = Path("."),
) -> None:
    """Follow another node: pull its entries after this copy's head, check every hash and link, fetch the files
    they cite, replay them into this database, verify the source's signed checkpoint against the last one
    verified (consistency proof) and against this copy's own root; as a witness, co-sign it. A history that
    does not extend this copy stops the mirror with an alarm and a proof file (exit 3). Resumable.

    Example: truce mirror follow http://host:8000 --db sqlite:///tur.db --token $T --witness TUR_OFFICE --key k.pem
    """
    if (witness is None) != (key is None):
        raise ValidationFailed("--witness and --key go together", field="witness")
    t = get_app(db)
    mirror.start(t.engine, url, witness, log_key)
    wit = (witness, _load_key(key)) if witness and key else None
    src = mirror.Source(url, token)
    peers = [mirror.Source(p) for p in peer or []]
    while True:
        try:
            with progress_bar() as prog:
                task = prog.add_task(f"pulling from {url}", total=None)
                res = mirror.pull(
                    t,
                    src,
                    witness=wit,
                    proof_dir=proofs,
                    progress=_updater(prog, task),
                )
            alarm = res.alarm
            if alarm is None:
                for p in peers:
                    _, alarm = mirror.gossip(t, p, proofs)
                    if alarm is not None:
                        break
        except mirror.SourceError as e:
            if once:
                raise
            err.print(f"[yellow]warning[/]: {e.message} (trying again in {interval:g} s)", highlight=False)
            time.sleep(interval)
            continue
        if alarm is not None:
            with t.read() as conn:
                a = next(x for x in mirror.alarms(conn) if x["id"] == alarm.id)
            _alarm_lines(a)
            if alarm.proof_file:
                err.print(
                    f"  proof of misbehaviour: {alarm.proof_file} (check it: truce ledger check-proof "
                    f"{alarm.proof_file})",
                    highlight=False,
                )
            err.print("  this mirror stopped following and keeps serving its own copy", highlight=False)
            raise typer.Exit(3)
        console.print(
            f"{url}: {res.pulled} new entries, head {res.head}; checkpoint verified at size {res.checkpoint_size}"
            + ("; co-signed" if res.cosigned else ""),
            highlight=False,
        )
        if once:
            return
        time.sleep(interval)


@mirror_app.command("status")
@handle_errors
def mirror_status(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """What this mirror follows, its head, the last checkpoint it verified, and its alarms (exit 3 if any).

    Example: truce mirror status --db sqlite:///tur-mirror.db
    """
    t = get_app(db)
    with t.read() as conn:
        st = mirror.status(conn)
    if json_:
        print_json(st)
    elif not st["mirror"]:
        console.print(f"not a mirror: this database keeps its own ledger (head {st['head']['seq']})")
    else:
        console.print(
            f"mirror of {st['source']}: {'following' if st['following'] else 'STOPPED'}; head {st['head']['seq']}; "
            f"last verified checkpoint: size {st['checkpoint_size']}"
            + (f"; co-signs as {st['witness']}" if st["witness"] else ""),
            highlight=False,
        )
        for a in st["alarms"]:
            _alarm_lines(a)
    if st["alarms"]:
        raise typer.Exit(3)


@mirror_app.command("gossip")
@handle_errors
def mirror_gossip(
    peer: Annotated[str, typer.Argument(help="Another mirror's web address")],
    db: DbOpt = None,
    proofs: Annotated[Path, typer.Option("--proofs", help="Directory for proof-of-misbehaviour files")] = Path("."),
) -> None:
    """Compare the checkpoints a peer mirror has seen (its GET /api/v1/mirror/seen) with this copy: a checkpoint
    of the same size with another root, or one this copy's tree contradicts, raises an alarm (exit 3).

    Example: truce mirror gossip http://irn-mirror:8001 --db sqlite:///tur-mirror.db
    """
    t = get_app(db)
    n, alarm = mirror.gossip(t, mirror.Source(peer), proofs)
    if alarm is not None:
        with t.read() as conn:
            a = next(x for x in mirror.alarms(conn) if x["id"] == alarm.id)
        _alarm_lines(a)
        if alarm.proof_file:
            err.print(f"  proof of misbehaviour: {alarm.proof_file}", highlight=False)
        raise typer.Exit(3)
    console.print(f"{peer}: {n} checkpoints compared, all consistent with this copy")


@commands.command("backup")
@handle_errors
def backup_cmd(file: Annotated[Path, typer.Argument(help="The archive to write (zip)")], db: DbOpt = None) -> None:
    """Back up the deployment while it runs: the ledger read in one consistent snapshot, every file, and its latest
    signed checkpoint, in one portable archive (both engines; restored by replay into either).

    Example: truce backup truce-2017-09-21.zip
    """
    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("backing up", total=None)
        res = backup(t, file, progress=lambda done, total: prog.update(task, completed=done, total=total))
    console.print(
        f"backup {res.file}: {res.entries} entries (head {res.head_hash}), {res.blobs} files"
        + (", with its latest signed checkpoint" if res.checkpoint else ""),
        highlight=False,
    )


@commands.command("restore")
@handle_errors
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="A backup archive (truce backup)")],
    db: DbOpt = None,
    against: Annotated[
        list[str] | None,
        typer.Option("--against", help="A live node or mirror whose latest checkpoint the restore is checked against"),
    ] = None,
) -> None:
    """Restore a backup into an empty database by replay, then check it against the checkpoint in the backup and
    the latest checkpoints of the nodes given: exit 3 if it is behind one, 1 if it diverges.

    Example: truce restore truce-2017-09-21.zip --db sqlite:///restored.db --against http://tur-mirror:8001
    """
    url = Settings.load(db).database_url
    with progress_bar() as prog:
        task = prog.add_task("restoring", total=None)
        res = restore(
            file, url, against or [], progress=lambda done, total: prog.update(task, completed=done, total=total)
        )
    console.print(
        f"restored {res.entries} entries (head {res.head_hash}) and {res.blobs} files into {res.url}", highlight=False
    )
    for line in res.agreed:
        console.print(f"  ok: {line}", highlight=False)
    for line in res.behind:
        err.print(f"[bold yellow]BEHIND[/]: {line}", highlight=False)
    for line in res.diverges:
        err.print(f"[bold red]DIVERGES[/]: {line}", highlight=False)
    if res.diverges:
        raise typer.Exit(1)
    if res.behind:
        raise typer.Exit(3)
