"""Declared reactions: what follows a command, in the same transaction, live and on replay alike.

A command's applier writes the command's own rows; whatever else must follow (an incident's judgment
recomputed, a party notified, zones reassigned) is declared here, next to the function that does it:

    @reaction(on=("finding.add",))
    def judge_incident(conn, payload, ctx):
        "Recompute the verdict, attribution, breach, severity and confidence of the incident."

`chain.record` (live) and `chain.replay_entry` (replay) both run the applier and then `run()`, so a
replay rebuilds exactly what the command did. A reaction may `emit` a derived event (e.g.
"incident.attributed"); the reactions declared on that event run at once, depth first, in the order
they were declared. `table()` lists every command and event with what follows it (`truce ledger
reactions` prints it; docs/reactions.md is generated from it by a test)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from truce.ledger.context import ApplyContext

ReactionFn = Callable[[Connection, dict[str, Any], ApplyContext], None]


@dataclass(frozen=True)
class Reaction:
    on: tuple[str, ...]
    name: str  # module.function
    does: str  # the first paragraph of the function's docstring
    fn: ReactionFn


REACTIONS: list[Reaction] = []

# Events that reactions emit (not ledger commands): name -> what it means.
EVENTS: dict[str, str] = {}


def event(name: str, meaning: str) -> str:
    """Declare a derived event that reactions may emit."""
    EVENTS[name] = meaning
    return name


def reaction(on: str | Iterable[str]) -> Callable[[ReactionFn], ReactionFn]:
    """Declare that `fn(conn, payload, ctx)` follows each of the commands (or events) `on`."""
    names = (on,) if isinstance(on, str) else tuple(on)

    def deco(fn: ReactionFn) -> ReactionFn:
        name = f"{fn.__module__.removeprefix('truce.')}.{fn.__name__}"
        if any(r.name == name for r in REACTIONS):
            return fn  # a module imported twice under one name registers once
        first = (fn.__doc__ or "").strip().split("\n\n")[0]
        REACTIONS.append(Reaction(names, name, " ".join(first.split()) or name, fn))
        return fn

    return deco


def run(conn: Connection, command: str, payload: dict[str, Any], ctx: ApplyContext) -> None:
    """Run the reactions declared on `command` (or a derived event), in declaration order."""
    for r in REACTIONS:
        if command in r.on:
            r.fn(conn, payload, ctx)


def emit(conn: Connection, ctx: ApplyContext, name: str, payload: dict[str, Any]) -> None:
    """Raise a derived event inside the running command: its reactions run now."""
    if name not in EVENTS:
        raise RuntimeError(f"undeclared event {name}")
    run(conn, name, payload, ctx)


def table(commands: Iterable[str]) -> list[dict[str, Any]]:
    """One row per command or event with what follows it, in order."""
    out = []
    for c in [*sorted(commands), *sorted(EVENTS)]:
        follows = [{"reaction": r.name, "does": r.does} for r in REACTIONS if c in r.on]
        out.append({"on": c, "kind": "event" if c in EVENTS else "command", "reactions": follows})
    return out

