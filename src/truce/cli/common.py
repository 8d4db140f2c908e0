"""What every command module shares: options, error handling, output."""

from __future__ import annotations

import functools
import json
import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from truce import idempotency, times
from truce.app import Truce
from truce.auth.service import get_actor
from truce.errors import NotFound, TruceError
from truce.i18n import _, label, localize

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(width=None if sys.stdout.isatty() else 200)


err = Console(stderr=True, soft_wrap=True)


DbOpt = Annotated[
    str | None, typer.Option("--db", help="Database URL (default: $TRUCE_DATABASE_URL or sqlite truce.db)")
]


AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="The user who issues the command (default: the local console operator, an admin)"),
]


JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")]


F = TypeVar("F", bound=Callable[..., Any])


# Exit codes, the same for every command (the table is in the README):
EXIT_DONE = 0  # done
EXIT_DIFFERENCES = 1  # a check found differences (`ledger verify`, `bulletin verify`)
EXIT_REFUSED = 2  # refused input or permission (also click's own usage errors)
EXIT_NOT_FOUND = 3  # what the command names does not exist
EXIT_BUG = 4  # an unexpected error inside Truce: a bug, reported in one line instead of a traceback


def exit_code(e: TruceError) -> int:
    """The one mapping of the services' errors (`truce.errors`) to exit codes."""
    return EXIT_NOT_FOUND if isinstance(e, NotFound) else EXIT_REFUSED


def handle_errors(fn: F) -> F:
    """Turn a refusal into one line on stderr saying what and where, and its exit code (`exit_code`)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TruceError as e:
            word = _("error")
            err.print(f"[bold red]{word}[/]: {escape(localize(e.message))}", highlight=False, markup=True)
            raise typer.Exit(exit_code(e)) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as e:
            from sqlalchemy.exc import ArgumentError, DatabaseError, DataError, IntegrityError, ProgrammingError

            unusable = isinstance(e, ArgumentError) or (
                isinstance(e, DatabaseError) and not isinstance(e, DataError | IntegrityError | ProgrammingError)
            )
            if unusable:  # a --db URL that names no usable database (no server, not a database file)
                first = str(getattr(e, "orig", None) or e).splitlines()[0]
                err.print(f"[bold red]error[/]: database: {first}", highlight=False, markup=True)
                raise typer.Exit(EXIT_REFUSED) from None
            if type(e).__module__.startswith("click") or type(e).__module__.startswith("typer"):
                raise  # click's usage errors: it prints them and exits 2
            err.print(
                f"[bold red]error[/]: internal error ({type(e).__name__}: {e}); this is a bug in Truce, "
                "please report it with the command you ran",
                highlight=False,
                markup=True,
            )
            raise typer.Exit(EXIT_BUG) from None

    return wrapper  # type: ignore[return-value]


def get_app(db: str | None, say_clock: bool = True) -> Any:
    """Open the database. One that keeps a clock (a demo) runs as of its day while TRUCE_TODAY is unset, which the
    command says once on stderr when a person reads it there (a terminal)."""
    t = Truce(db)
    day = times.stored_day()
    if say_clock and day and err.is_terminal and not _SAID_CLOCK:
        _SAID_CLOCK.append(day)
        err.print(_("as of %(day)s (the deployment's clock)", day=day), highlight=False)
    return t


_SAID_CLOCK: list[str] = []


def actor_for(truce: Any, name: str | None) -> Any:

    with truce.read() as conn:
        return get_actor(conn, name)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def progress_bar() -> Progress:
    # rich.progress only for long work, not for every read command
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# columns whose values are words of a closed vocabulary (shown in the language of the CLI)
WORD_COLUMNS = frozenset(
    {"kind", "status", "truce_status", "verdict", "finding", "role", "compliance", "result", "violation_type"}
)


def table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    """Rows as a table; the column names are the JSON keys (stable for scripts), values of closed
    vocabularies are translated."""
    tab = Table(*cols, show_lines=False, highlight=False)
    for r in rows:
        tab.add_row(*[_cell(c, r.get(c)) for c in cols])
    console.print(tab)


def _cell(col: str, value: Any) -> str:
    if value is None:
        return ""
    return label(value) if col in WORD_COLUMNS and isinstance(value, str) else str(value)


def viewer_for(conn: Any, name: str | None) -> Any:

    return get_actor(conn, name)


DecisionDateOpt = Annotated[str | None, typer.Option("--date", help="Day of the decision (default: today)")]


RequestIdOpt = Annotated[
    str | None,
    typer.Option(
        "--request-id",
        help="A client request id (e.g. a UUID): the command run again with the same id records nothing and "
        "prints the first result; with other arguments it is refused",
    ),
]

# Arguments that are not part of what a command asks for (where it runs, how it prints).
_NOT_REQUEST = frozenset({"t", "db", "json_", "request_id", "conn", "actor", "files"})


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return str(v)


def once(t: Any, as_user: str | None, request_id: str | None, command: str, args: dict[str, Any],
         fn: Callable[[Any], Any]) -> Any:
    """Run a write command `fn(conn)` in a write transaction (retried when it loses a race with another
    writer), once per `--request-id` of the user: run again with the same id and arguments it records
    nothing and returns the first result; with other arguments it is refused naming them. `args` are the
    command's arguments (its `locals()`: what is not part of the request is left out)."""
    fields = {"command": command, **{
        k: _plain(v) for k, v in args.items()
        if k not in _NOT_REQUEST and not callable(v) and not isinstance(v, types.ModuleType)
    }}

    def encode(res: Any) -> Any:
        return json.loads(json.dumps(res, default=str))

    def tx(conn: Any) -> Any:
        name = get_actor(conn, as_user).name
        return idempotency.run(conn, name, request_id, fields, fn, 0, encode).body

    return t.transact(tx)


def act(db: str | None, as_user: str | None, request_id: str | None, command: str, args: dict[str, Any],
        fn: Callable[[Any, Any, Any], Any]) -> Any:
    """The common body of a write command: open the deployment and run `fn(app, conn, actor)` in a write
    transaction, as the acting user, once per request id (`once`); returns its result."""
    t = get_app(db)
    return once(t, as_user, request_id, command, args, lambda conn: fn(t, conn, get_actor(conn, as_user)))


def show(res: Any, json_: bool, line: Callable[[], str]) -> None:
    """Print a command's result: its JSON with --json, else the one line `line()` says."""
    if json_:
        print_json(res)
    else:
        console.print(line(), highlight=False)
