"""Setting up and serving a deployment: `truce init`, `truce demo`, `truce serve`, `truce scenario load`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from truce import i18n, scenario
from truce.cli.common import (
    AsOpt,
    DbOpt,
    actor_for,
    console,
    get_app,
    handle_errors,
    progress_bar,
)
from truce.clock import use_stored_clock
from truce.demo import build_demo, write_password_file
from truce.errors import ValidationFailed
from truce.geo.service import load_bundled_admin_areas
from truce.i18n import _
from truce.ledger import signing
from truce.ledger.chain import SYSTEM
from truce.ledger.checkpoints import check_name
from truce.web.app import create_app

commands = typer.Typer()

scenario_app = typer.Typer(help="Scenario files.\n\nExample: truce scenario load", no_args_is_help=True)


@commands.command()
@handle_errors
def init(
    db: DbOpt = None,
    origin: Annotated[
        str | None,
        typer.Option(
            help="The log's origin, first line of its checkpoints, fixed once (default: $TRUCE_LOG_ORIGIN, else "
            "truce.example/<agreement id>)"
        ),
    ] = None,
) -> None:
    """Create the database (or bring it to the newest schema) and load the OCHA admin boundaries.
    Makes the log's key that signs checkpoints, once per deployment.

    Example: truce init --db sqlite:///truce.db --origin truce.example/astana-2017
    """

    try:  # checked before anything is written
        check_name(origin if origin is not None else os.environ.get(signing.ORIGIN_ENV, "x"), "origin")
    except ValueError as e:
        raise ValidationFailed(str(e), field="origin") from e
    t = get_app(db)
    with t.write() as conn:
        res = load_bundled_admin_areas(t, conn, SYSTEM)
    with t.write() as conn:
        key = signing.ensure_log_key(t, conn, origin=origin)
    for r in res:
        console.print(
            f"loaded ADM{r.level}: {r.count} areas"
            + (f", {len(r.repairs)} invalid polygons repaired" if r.repairs else "")
        )
        for rep in r.repairs:
            console.print(f"  repaired {rep['pcode']} {rep['name']}: {rep['reason']}", highlight=False)
    console.print(
        ("made the log's key " if key["created"] else "the log's key ")
        + f"{key['key_id']} (origin {key['origin']}); its verifier key: {signing.vkey_of(key)}",
        highlight=False,
    )
    console.print(f"database ready: {t.url}")


@commands.command()
@handle_errors
def demo(
    db: DbOpt = None,
    serve: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the web app when loaded")] = True,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    seed: Annotated[int, typer.Option(help="Seed of the simulated office reports")] = 2017,
) -> None:
    """Build the demo: database, Astana 2017 scenario, 2017 UCDP events, demo users, simulated
    guarantor-office reports (marked simulated), then serve the web app. Before serving it plays the
    story of 2017 (the bundled story file) and keeps its last day, as of which the demo runs (`truce
    serve` of the demo database too).

    Example: truce demo --no-serve --db sqlite:///demo.db
    """

    t = get_app(db)
    with progress_bar() as prog:
        summary = build_demo(t, seed=seed, progress=prog)
    console.print(summary["text"], highlight=False)
    _print_demo_passwords(summary)
    if serve:
        _serve_app(t, host, port)


def _print_demo_passwords(summary: dict[str, Any]) -> None:

    new = summary.get("passwords") or {}
    if new:
        path = write_password_file("demo-passwords.txt", new)
        console.print(f"demo accounts (web sign-in; shown only this once, also in {path.resolve()}, mode 0600):")
        for name in sorted(new):
            console.print(f"  {name:<22} {new[name]}", highlight=False)
    existing = summary.get("passwords_existing") or []
    if existing:
        console.print(
            f"{len(existing)} demo accounts have passwords already (left unchanged; see demo-passwords.txt from the "
            "first run, or set one with: truce user passwd NAME)",
            highlight=False,
        )


@commands.command()
@handle_errors
def serve(
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes (e.g. one per core)")] = 1,
) -> None:
    """Serve the web app and the API with uvicorn.

    Example: truce serve --host 127.0.0.1 --port 8000 --workers 2
    """
    t = get_app(db, say_clock=False)
    _serve_app(t, host, port, workers)


def _serve_app(t: Any, host: str, port: int, workers: int = 1) -> None:
    """Serve, as of the database's stored clock (a demo's last day) when TRUCE_TODAY is unset."""
    day = use_stored_clock(t)
    if day:
        console.print(_("running as of %(day)s (the demo's clock: set TRUCE_TODAY to run as of another day)", day=day),
                      highlight=False)
    _serve(t.url, host, port, workers)


def _serve(url: str, host: str, port: int, workers: int = 1) -> None:
    import os

    import uvicorn

    console.print(f"serving {url} on http://{host}:{port} with {workers} worker(s)  (Ctrl-C stops)")
    # The HTTP parser is httptools (uvicorn[standard]). The event loop: with one worker, asyncio's, which
    # accepts every waiting connection at once, where uvloop (libuv) accepts one per turn of its loop, so
    # that a burst of new connections to a busy server waits for dozens of turns (benchmarks/bench_api.py:
    # p99 over 200 ms instead of under 100 ms for 32 new connections). With several workers, uvloop: its
    # one-at-a-time accepting spreads the connections over the workers, where asyncio's lets one take most.
    if workers == 1:
        uvicorn.run(create_app(url), host=host, port=port, log_level="warning", loop="asyncio")
    else:
        os.environ["TRUCE_DATABASE_URL"] = url  # each worker process builds its own app (create_app())
        uvicorn.run(
            "truce.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            loop="auto",
        )


@scenario_app.command("load")
@handle_errors
def scenario_load(
    file: Annotated[Path | None, typer.Argument(help="Scenario YAML (default: the bundled Astana 2017)")] = None,
    new_version: Annotated[
        bool,
        typer.Option(
            "--new-version",
            help="When the file's agreement differs from the recorded one, record it as the next version "
            "(in force from the file's effective date) instead of refusing",
        ),
    ] = False,
    db: DbOpt = None,
    as_user: AsOpt = None,
) -> None:
    """Load a scenario: agreement, parties, zones (from ADM3 P-codes), the organisations that run it and
    the users it declares (without passwords: set one with truce user passwd NAME). Loading the same file
    again writes nothing; a changed agreement is refused, naming what differs, unless --new-version.

    Example: truce scenario load hodeidah-2019.yaml --new-version
    """

    t = get_app(db)
    res = scenario.load(t, actor_for(t, as_user), file, new_version=new_version)
    if res["agreement"] is None:
        agreement = _("already loaded (version %(version)s)", version=res["version"])
    elif res["changed"]:
        agreement = _("%(agreement)s version %(version)s added (changed: %(keys)s)", agreement=res["agreement"],
                      version=res["version"], keys=", ".join(res["changed"]))
    else:
        agreement = res["agreement"]
    line = _("agreement: %(agreement)s; parties added: %(parties)s; zones added: %(zones)s; organisations added: "
             "%(orgs)s", agreement=agreement, parties=len(res["parties"]), zones=", ".join(res["zones"]) or _("none"),
             orgs=len(res["organisations"]))
    if res["users"]:
        line += "; " + _("users added: %(n)s", n=len(res["users"]))
    console.print(line, highlight=False)
    if res["users"]:
        console.print(
            _("users without a password (no web sign-in yet): %(users)s; set one with: truce user passwd NAME",
              users=", ".join(res["users"])),
            highlight=False,
        )
    for note in res["left"]:
        console.print(f"  {i18n.localize(note)}", highlight=False)
    for rep in res["repairs"]:
        console.print("  " + _("repaired admin area %(pcode)s %(name)s: %(reason)s", pcode=rep["pcode"],
                               name=rep["name"], reason=i18n.localize(rep["reason"])), highlight=False)
