"""`--request-id` on the CLI's write commands (both engines): the same id and arguments record nothing the
second time and print the first result; other arguments are refused (exit 2) naming what differs."""

from __future__ import annotations

import json
import uuid

from tests.helpers import ledger_count
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import app as cli
from truce.ledger.service import verify

runner = CliRunner()


def _run(url: str, *args: str) -> object:
    return runner.invoke(cli, [*args, "--db", url])


def test_a_command_sent_twice_with_its_request_id_is_recorded_once(astana_url: str) -> None:
    app = Truce(astana_url)
    rid = str(uuid.uuid4())
    report = ["report", "submit", "--as", "rus_monitor", "--occurred-at", "2017-11-03T10:00:00Z", "--lat", "35.6",
              "--lon", "36.7", "--type", "shelling", "--party", "SYR", "--json", "--request-id", rid]
    first = _run(astana_url, *report)
    assert first.exit_code == 0, first.output
    n = ledger_count(app)
    again = _run(astana_url, *report)
    assert again.exit_code == 0, again.output
    assert json.loads(again.output) == json.loads(first.output)  # the first answer, the same report id
    assert ledger_count(app) == n
    inc = json.loads(first.output)["incident_id"]
    opened = _run(astana_url, "investigation", "open", str(inc), "--as", "rus_verifier", "--json")
    assert opened.exit_code == 0, opened.output
    inv = json.loads(opened.output)["id"]
    deny = ["investigation", "deny", str(inv), "--as", "rus_verifier", "--party", "SYR", "--site", "Hill 3",
            "--request-id", "deny-1"]
    assert _run(astana_url, *deny).exit_code == 0
    n = ledger_count(app)
    assert _run(astana_url, *deny).exit_code == 0
    assert ledger_count(app) == n, "a retried access denial is recorded once"
    other = _run(astana_url, *[a if a != "Hill 3" else "Hill 4" for a in deny])
    assert other.exit_code == 2
    assert "deny-1" in other.output and "site" in other.output
    assert ledger_count(app) == n
    # The id is the user's: another user's command with the same id is its own.
    finding = ["finding", "add", str(inc), "--finding", "confirmed", "--reason", "site_visit", "--party", "SYR",
               "--request-id", "deny-1"]
    assert _run(astana_url, *finding, "--as", "tur_verifier").exit_code == 0
    assert _run(astana_url, *finding, "--as", "tur_verifier").exit_code == 0
    assert ledger_count(app) == n + 1
    assert verify(app).ok


WRITE_COMMANDS = [
    "report submit", "finding add", "reply add", "investigation open", "investigation deny", "investigation resume",
    "investigation close", "suggestion accept", "suggestion reject", "incident link", "incident unlink",
    "incident split", "measure decide", "measure comply", "measures evaluate", "accession apply", "accession decide",
    "position report", "zone unite", "zone split", "bulletin publish", "bulletin sign", "key create", "key revoke",
    "token create", "token revoke",
]


def test_every_write_command_takes_a_request_id() -> None:
    """The README's list of write commands that take --request-id is the commands' own."""
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    for path in WRITE_COMMANDS:
        res = runner.invoke(cli, [*path.split(), "--help"])
        assert res.exit_code == 0, res.output
        assert "--request-id" in res.output, path
        first, _, rest = path.partition(" ")
        assert f"`{path}`" in readme or f"{first} " in readme, path
