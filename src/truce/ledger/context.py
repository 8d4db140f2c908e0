"""Who issues a command, the context its applier and reactions run in, and what services need of the app."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from truce.config import Settings
from truce.ledger.blobs import BlobStore


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a user of an organisation with a role."""

    name: str
    org: str
    role: str
    org_kind: str = "admin"
    party_id: str | None = None

    @property
    def is_system(self) -> bool:
        return self.name == "system"


SYSTEM = Actor(name="system", org="ADMIN", role="admin", org_kind="admin")


@dataclass
class ApplyContext:
    """The ledger entry being applied (live or on replay): its number, time, actor and organisation.

    `at` is when the entry was written (the real clock); `business_at`, when the entry's payload keeps one, is
    the business time of the command (the deployment ran "as of" a day, see truce.times): :attr:`now` is the
    time a decision, a notification or a deadline takes, the same live and on replay.

    `changed` is where an applier says what it changed for the reactions that follow (e.g.
    ``ctx.changed["incidents"]``: the incidents whose reports changed)."""

    blobs: BlobStore
    seq: int = 0
    at: str = ""
    actor: str = ""
    org: str = ""
    business_at: str = ""
    cache: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, set[Any]] = field(default_factory=dict)

    @property
    def now(self) -> str:
        """The command's business time: the payload's `business_at`, else the entry's own time."""
        return self.business_at or self.at

    def mark(self, what: str, ids: Any) -> None:
        """Note that rows of `what` (e.g. "incidents") changed, for the reactions of this command."""
        self.changed.setdefault(what, set()).update(ids)


class App(Protocol):
    """What the services need of the application (`truce.app.Truce` is one): its settings, the blob
    store, transactions, and the one way to issue a command (`record`: apply, react, append)."""

    settings: Settings
    blobs: BlobStore
    engine: Engine

    @property
    def url(self) -> str: ...

    def write(self) -> AbstractContextManager[Connection]: ...

    def read(self) -> AbstractContextManager[Connection]: ...

    def record(self, conn: Connection, actor: Actor, command: str, payload: dict[str, Any]) -> tuple[int, Any]: ...
