"""Every domain module that declares ledger appliers or reactions, imported once so that they are
registered (`truce.app.Truce` imports this module when it opens a database). The order of this list
is the order in which reactions on one command run: keep it, or replays of old ledgers may differ."""

from __future__ import annotations

from typing import Any

from truce.agreements import service as agreements
from truce.auth import credentials
from truce.auth import service as users
from truce.bulletins import service as bulletins
from truce.eligibility import service as eligibility
from truce.geo import places as geo_places
from truce.geo import service as geo
from truce.incidents import service as incidents
from truce.incidents import verification
from truce.ingest import bulk as bulk_import
from truce.ingest import service as batch_import
from truce.intake import service as intake
from truce.investigations import service as investigations
from truce.ledger import reactions, signing
from truce.ledger.chain import APPLIERS
from truce.measures import service as measures
from truce.notifications import service as notifications
from truce.parties import service as parties
from truce.replies import service as replies
from truce.reports import service as reports
from truce.zones import service as zones

MODULES = (
    agreements,
    credentials,
    users,
    bulletins,
    eligibility,
    geo_places,
    geo,
    incidents,
    verification,
    batch_import,
    bulk_import,
    investigations,
    measures,
    notifications,
    parties,
    replies,
    reports,
    zones,
    signing,
    intake,
)


def reactions_table() -> list[dict[str, Any]]:
    """Every command (and derived event) with the reactions that follow it, in the order they run."""
    return reactions.table(APPLIERS)


def reactions_markdown() -> str:
    """The reactions table as Markdown: docs/reactions.md is this text (a test keeps it so)."""
    rows = reactions_table()
    lines = [
        "# What follows each command",
        "",
        "Generated from the declared reactions (`truce ledger reactions`, `src/truce/ledger/reactions.py`);",
        "`tests/ledger/test_reactions.py` fails when this file is out of date (`TRUCE_WRITE_DOCS=1` rewrites it).",
        "Each reaction runs in the command's transaction after its applier, live and on replay alike.",
        "",
        "| on | kind | reaction | does |",
        "|---|---|---|---|",
    ]
    for r in rows:
        for x in r["reactions"]:
            lines.append(f"| `{r['on']}` | {r['kind']} | `{x['reaction']}` | {x['does']} |")
    quiet = ", ".join(f"`{r['on']}`" for r in rows if not r["reactions"])
    lines += ["", f"Commands with no reaction: {quiet}.", ""]
    return "\n".join(lines)
