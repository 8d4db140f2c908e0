"""`truce org add` and `truce agreement add-version FILE` (a changed agreement becomes version 2)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from truce.cli import app as cli

runner = CliRunner()
YEMEN = Path(__file__).parent.parent / "fixtures" / "yemen"
LAYERS = [str(YEMEN / f"yem_adm{n}.geojson") for n in (1, 2, 3)]
SCENARIO = YEMEN / "hodeidah-2018.yaml"


def _run(url: str, *args: str) -> tuple[int, str]:
    r = runner.invoke(cli, [*args, "--db", url])
    return r.exit_code, r.output.strip()


def test_org_add_and_agreement_versions(sqlite_url: str, tmp_path: Path) -> None:
    assert _run(sqlite_url, "geo", "import", *LAYERS)[0] == 0
    assert _run(sqlite_url, "scenario", "load", str(SCENARIO))[0] == 0
    assert _run(sqlite_url, "org", "add", "ICRC", "--name", "ICRC delegation", "--kind", "observer") == (
        0, "organisation ICRC added: observer")
    assert _run(sqlite_url, "org", "add", "X_OFFICE", "--name", "X", "--kind", "guarantor_office") == (
        2, "error: party: a guarantor_office belongs to a party (give its id)")
    assert _run(sqlite_url, "org", "add", "X_OFFICE", "--name", "X", "--kind", "guarantor_office",
                "--party", "NOPE") == (2, "error: party: no party 'NOPE' (see truce party list)")
    assert _run(sqlite_url, "org", "add", "ICRC", "--name", "again", "--kind", "observer")[0] != 0

    changed = tmp_path / "hodeidah-2019.yaml"
    changed.write_text(SCENARIO.read_text("utf-8").replace("effective: 2018-12-18", "effective: 2019-01-16")
                       .replace("own_reports_verify: true", "own_reports_verify: false"))
    assert _run(sqlite_url, "agreement", "add-version", str(changed)) == (
        0, "agreement hodeidah-2018 version 2 added, in force from 2019-01-16")
    code, out = _run(sqlite_url, "agreement", "add-version", str(changed))
    assert code == 2 and out == ("error: agreement.effective: version 3 must take effect after version 2 "
                                 "(2019-01-16)")
    code, out = _run(sqlite_url, "agreement", "add-version", str(tmp_path / "missing.yaml"))
    assert code == 2 and out.startswith("error: missing.yaml: cannot read")
