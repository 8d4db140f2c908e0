"""What every command module shares: options, error handling, output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from truce.app import Truce
from truce.auth.service import get_actor
from truce.errors import TruceError
from truce.i18n import _, label, localize

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


def handle_errors(fn: F) -> F:
    """Turn a refusal into one line on stderr saying what and where, and a non-zero exit."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TruceError as e:
            word = _("error")
            err.print(f"[bold red]{word}[/]: {escape(localize(e.message))}", highlight=False, markup=True)
            raise typer.Exit(2 if e.status in (403, 422, 409) else 1) from None

    return wrapper  # type: ignore[return-value]


def get_app(db: str | None) -> Any:

    return Truce(db)


def actor_for(truce: Any, name: str | None) -> Any:

    with truce.read() as conn:
        return get_actor(conn, name)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def progress_bar() -> Progress:
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
