"""The README's sections on a guarantor's node and on backup/restore/move: every command they show exists
and takes the options shown (the scenario test runs them for real)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from typer.testing import CliRunner

from truce.cli import all_commands
from truce.cli import app as cli

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("## Running a guarantor's node", "## Backup, restore, move")


def commands() -> list[list[str]]:
    text = README.read_text("utf-8")
    out = []
    for title in SECTIONS:
        body = text.split(title, 1)[1].split("\n## ", 1)[0]
        for block in re.findall(r"```sh\n(.*?)```", body, flags=re.S):
            for line in block.splitlines():
                line = line.split("  #", 1)[0].strip()
                if line.startswith("truce "):
                    out.append(shlex.split(line)[1:])
    return out


def test_every_command_of_the_node_and_backup_sections_exists_with_its_options():
    cmds = commands()
    assert len(cmds) >= 9
    known = all_commands()
    runner = CliRunner()
    seen = set()
    for argv in cmds:
        words = [w for w in argv if not w.startswith("-")]
        path = max((" ".join(words[:i]) for i in range(1, 3) if " ".join(words[:i]) in known), key=len)
        seen.add(path)
        r = runner.invoke(cli, [*path.split(), "--help"], terminal_width=200)
        assert r.exit_code == 0, (path, r.output)
        for opt in (w for w in argv if w.startswith("--")):
            assert opt in r.output, f"README: `truce {path}` has no option {opt}"
    assert {"key create", "mirror follow", "serve", "mirror status", "mirror gossip", "ledger check-proof",
            "backup", "restore", "ledger replay"} <= seen
