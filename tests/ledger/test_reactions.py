"""Declared reactions: every reaction names a real command or event, the docs table is the registry's,
and the CLI prints it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from truce.cli import app as cli
from truce.ledger import reactions
from truce.ledger.chain import APPLIERS
from truce.services import reactions_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "reactions.md"


def test_every_reaction_follows_a_real_command_or_event():
    reactions_markdown()  # loads every domain module
    assert reactions.REACTIONS
    for r in reactions.REACTIONS:
        for on in r.on:
            assert on in APPLIERS or on in reactions.EVENTS, f"{r.name} is declared on unknown {on}"


def test_docs_reactions_table_is_generated_from_the_registry():
    text = reactions_markdown()
    if os.environ.get("TRUCE_WRITE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, "docs/reactions.md is stale: run with TRUCE_WRITE_DOCS=1"
    assert "| `finding.add` | command | `incidents.verification.judge_after_finding` |" in text
    assert "| `zone.version` | command | `incidents.verification.judge_after_zone_change` |" in text


def test_cli_prints_what_follows_each_command():
    r = CliRunner().invoke(cli, ["ledger", "reactions", "--json"])
    assert r.exit_code == 0, r.output
    rows = {x["on"]: [y["reaction"] for y in x["reactions"]] for x in json.loads(r.output)}
    assert rows["incident.attributed"] == ["notifications.service.notify_attributed_party"]
    assert rows["agreement.add"] == ["incidents.verification.judge_under_new_version"]
    assert rows["user.add"] == []
