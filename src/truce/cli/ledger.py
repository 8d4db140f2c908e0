"""The hash-chained ledger: `truce ledger …`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from truce.bulletins.service import load_private_key
from truce.cli.common import (
    EXIT_DIFFERENCES,
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
from truce.errors import ValidationFailed
from truce.ledger import signing
from truce.ledger.backup import replay_into
from truce.ledger.merkle import Tree, verify_consistency, verify_inclusion
from truce.ledger.service import log, verify
from truce.mirror import proof as misbehaviour_proof

ledger_app = typer.Typer(help="The hash-chained ledger.\n\nExample: truce ledger verify", no_args_is_help=True)


@ledger_app.command("verify")
@handle_errors
def ledger_verify(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """Check the hash chain, replay the ledger into a scratch database and compare every table, then
    recompute every incident's judgment by the rules and compare it with the stored one. Exits 1 and
    names the first bad entry, the table and row that differ, or the incident and field the rules disagree on.

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
        raise typer.Exit(EXIT_DIFFERENCES)


@ledger_app.command("reactions")
@handle_errors
def ledger_reactions(json_: JsonOpt = False) -> None:
    """What follows each command: the reactions declared on it (and on the events they raise), run in the
    command's transaction, live and on replay alike.

    Example: truce ledger reactions
    """
    from truce.services import reactions_table  # lazy: loads every domain module, only for this command

    rows = reactions_table()
    if json_:
        return print_json(rows)
    flat = [
        {"on": r["on"], "kind": r["kind"], "reaction": x["reaction"], "does": x["does"]}
        for r in rows
        for x in r["reactions"]
    ]
    table(flat, ["on", "kind", "reaction", "does"])


@ledger_app.command("log")
@handle_errors
def ledger_log(
    limit: Annotated[int, typer.Option(help="Entries to show (0 = all)", min=0)] = 20,
    offset: Annotated[int, typer.Option(help="Entries to skip (from the newest)", min=0)] = 0,
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


# --- the Merkle tree: checkpoints, co-signatures, proofs ------------------------------------------------------


def _tree_error(e: ValueError) -> Exception:
    return ValidationFailed(str(e))


def _checkpoint_summary(c: dict[str, Any]) -> str:
    state = "agreed" if c["agreed"] else "not agreed"
    who = ", ".join(c["cosigners"]) or "no office"
    missing = f"; awaits {', '.join(c['missing'])}" if c["missing"] else ""
    return (
        f"checkpoint of size {c['size']} (root {c['root']}): {state} under the {c['rule']} rule, "
        f"co-signed by {who}{missing}"
    )


@ledger_app.command("checkpoint")
@handle_errors
def ledger_checkpoint(db: DbOpt = None, json_: JsonOpt = False) -> None:
    """Sign a checkpoint of the ledger at its current size with the log's key (the same one again when the
    ledger has not grown) and print it as a signed note (C2SP), with the co-signatures it has.

    Example: truce ledger checkpoint
    """
    t = get_app(db)
    with t.write() as conn:
        c = signing.make_checkpoint(t, conn)
        vkey = signing.vkey(conn)
    if json_:
        return print_json(
            {k: c[k] for k in ("size", "root", "created", "agreed", "rule", "cosigners", "missing", "note")}
            | {"vkey": vkey}
        )
    sys.stdout.write(c["note"])
    err.print(("made " if c["created"] else "unchanged: ") + _checkpoint_summary(c), highlight=False)
    err.print(f"the log's verifier key: {vkey}", highlight=False)


@ledger_app.command("checkpoints")
@handle_errors
def ledger_checkpoints(
    limit: Annotated[int, typer.Option(help="Checkpoints to show, newest first", min=1)] = 20,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List the checkpoints: size, root, whether agreed, which offices co-signed.

    Example: truce ledger checkpoints --json
    """
    t = get_app(db)
    with t.read() as conn:
        rows = signing.list_checkpoints(conn, limit)
    out = [{k: c[k] for k in ("size", "root", "agreed", "rule", "cosigners", "missing", "created_at")} for c in rows]
    if json_:
        return print_json(out)
    table(
        [{**c, "root": c["root"][:16] + "…", "cosigners": ", ".join(c["cosigners"])} for c in out],
        ["size", "root", "agreed", "cosigners", "created_at"],
    )


@ledger_app.command("prove")
@handle_errors
def ledger_prove(
    seq: Annotated[int, typer.Argument(help="Sequence number of the ledger entry")],
    size: Annotated[int | None, typer.Option(help="Size of the tree (default: the ledger's size)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Print the inclusion proof (RFC 9162 §2.1.3) of ledger entry SEQ in the tree of SIZE entries, checked
    against the tree head before it is printed.

    Example: truce ledger prove 42 --size 100 --json
    """
    t = get_app(db)
    with t.read() as conn:
        tree = Tree(conn)
        n = size if size is not None else tree.size()
        if not 1 <= seq <= n:
            raise ValidationFailed(f"seq: entry {seq} is not in the tree of size {n} (1 <= SEQ <= SIZE)", field="seq")
        try:
            proof = tree.inclusion_proof(seq - 1, n)
            root, leaf = tree.root(n), tree.leaf(seq - 1)
        except ValueError as e:
            raise _tree_error(e) from e
    assert verify_inclusion(seq - 1, n, leaf, proof, root)
    out = {
        "seq": seq,
        "index": seq - 1,
        "size": n,
        "leaf_hash": leaf.hex(),
        "root": root.hex(),
        "proof": [p.hex() for p in proof],
    }
    if json_:
        return print_json(out)
    console.print(f"entry {seq} (leaf {seq - 1}, hash {leaf.hex()}) is in the tree of size {n}, root {root.hex()}:")
    for i, p in enumerate(proof):
        console.print(f"  {i}: {p.hex()}", highlight=False)


@ledger_app.command("consistency")
@handle_errors
def ledger_consistency(
    m: Annotated[int, typer.Argument(help="The older tree size")],
    n: Annotated[int, typer.Argument(help="The newer tree size")],
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Print the consistency proof (RFC 9162 §2.1.4) that the tree of M entries is a prefix of the tree of N,
    checked before it is printed.

    Example: truce ledger consistency 10 20 --json
    """
    t = get_app(db)
    with t.read() as conn:
        tree = Tree(conn)
        try:
            proof = tree.consistency_proof(m, n)
            old, new = tree.root(m), tree.root(n)
        except ValueError as e:
            raise _tree_error(e) from e
    assert verify_consistency(m, n, old, new, proof)
    out: dict[str, Any] = {
        "from": m,
        "to": n,
        "old_root": old.hex(),
        "new_root": new.hex(),
        "proof": [p.hex() for p in proof],
    }
    if json_:
        return print_json(out)
    console.print(f"the tree of size {m} (root {old.hex()}) is a prefix of the tree of size {n} (root {new.hex()}):")
    for i, p in enumerate(proof):
        console.print(f"  {i}: {p.hex()}", highlight=False)


@ledger_app.command("cosign")
@handle_errors
def ledger_cosign(
    org: Annotated[str, typer.Option("--org", help="The guarantor office co-signing, e.g. RUS_OFFICE")],
    key: Annotated[Path, typer.Option("--key", help="The office's Ed25519 private key (PEM), a key it registered")],
    size: Annotated[int | None, typer.Option(help="Size of the checkpoint to co-sign (default: the latest)")] = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Co-sign a checkpoint as a guarantor office whose key is on this machine (witness name
    truce-witness/ORG, cosignature/v1): first check the log's signature, that the checkpoint holds this
    ledger's tree head, and a consistency proof from the checkpoint the office co-signed last; refuse otherwise.

    Example: truce ledger cosign --org RUS_OFFICE --key truce-keys/RUS_OFFICE-0123456789abcdef.pem
    """
    private = load_private_key(key)
    t = get_app(db)
    with t.write() as conn:
        res = signing.cosign_local(conn, org, private, size=size)
        c = signing.checkpoint(conn, res["size"])
    assert c is not None
    if json_:
        return print_json({**res, "agreed": c["agreed"], "cosigners": c["cosigners"], "missing": c["missing"]})
    how = (
        f"consistent with the checkpoint of size {res['from_size']} it co-signed before"
        if res["from_size"] is not None
        else "its first co-signature"
    )
    verb = "co-signed" if res["created"] else "had co-signed already"
    console.print(f"{org} {verb} the checkpoint of size {res['size']} ({how})", highlight=False)
    console.print(_checkpoint_summary(c), highlight=False)


@ledger_app.command("check-proof")
@handle_errors
def ledger_check_proof(file: Annotated[Path, typer.Argument(help="A proof-of-misbehaviour file (JSON)")]) -> None:
    """Check a proof of misbehaviour written by a mirror: both log signatures, and that no consistency proof can
    join the two checkpoints (or that one size has two roots). Exit 0 when the misbehaviour is proven.

    Example: truce ledger check-proof misbehaviour-1.json
    """
    res = misbehaviour_proof.check(misbehaviour_proof.load(file))
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
    t = get_app(db)
    with progress_bar() as prog:
        task = prog.add_task("replaying the ledger", total=None)
        res = replay_into(t, into, progress=lambda done, total: prog.update(task, completed=done, total=total))
    for p in res.problems:
        err.print(f"[bold red]differs[/]: {p}", highlight=False)
    if not res.ok:
        raise typer.Exit(1)
    console.print(
        f"moved: {res.entries} entries, head {res.head_hash}, {res.blobs} files; "
        f"{len(res.tables)} tables identical ({sum(res.tables.values())} rows)",
        highlight=False,
    )
