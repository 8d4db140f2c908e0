"""The command line: help everywhere, one-line errors, JSON output, reports from files and stdin."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from typer.testing import CliRunner

from truce.cli import COMMANDS, all_commands, load_command
from truce.cli import app as cli

runner = CliRunner()


def _commands() -> list[list[str]]:
    return [[], *(path.split() for path in all_commands())]


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "truce")
def test_every_command_has_help_with_an_example(path):
    """A user typing --help on any command must get a description and an example to copy."""
    res = runner.invoke(cli, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example:" in res.output, f"`truce {' '.join(path)} --help` shows no example"


def test_the_root_help_line_of_each_command_is_its_own_help():
    """`truce --help` lists commands without loading them: its one-line help must say what the command's own
    help says, or the list drifts from the commands."""
    for name, (_, _, line) in COMMANDS.items():
        own = " ".join((load_command(name).help or "").split())
        assert own.startswith(line.rstrip(".")), f"truce --help says {line!r} for {name}, its help says {own[:80]!r}"


def test_a_command_loads_only_its_own_module():
    """`truce party list` must not import the importers, the bulletin renderer or the web app."""
    code = (
        "import sys; from typer.testing import CliRunner; from truce.cli import app; "
        "CliRunner().invoke(app, ['party', 'list', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('truce.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(eval(out))
    assert "truce.cli.parties" in loaded
    for heavy in ("truce.cli.ingest", "truce.cli.bulletins", "truce.bulletins.render", "truce.web.app"):
        assert heavy not in loaded, f"{heavy} loaded by `truce party list`"


# What a read command must not load: the schema validators of the write side (pydantic, and Typer's pydantic
# adapters for its options), Alembic (the schema version is one query), the agreement files' YAML, and the
# geometry libraries. Each costs 0.05-0.15 s of every start (issue 11; benchmarks/bench_cli.py).
WRITE_SIDE = ("pydantic", "typer._adapters", "alembic", "yaml")
GEOMETRY = ("shapely", "numpy")
_RUN_AND_LIST_MODULES = """
import json, sys
from truce.cli import main
sys.argv = ["truce", *json.loads(sys.argv[1])]
try:
    main()
    code = 0
except SystemExit as e:
    code = e.code or 0
print("\\nMODULES", json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("astana_url", ["sqlite"], indirect=True)
def test_read_commands_load_only_what_they_use(astana_url):
    """`truce party list`, `truce incident show 1` and the other common reads must answer without loading the
    libraries that only writes need: a module-level import of one of them puts 0.1 s back on every command."""
    r = runner.invoke(cli, ["report", "submit", "--db", astana_url, "--as", "rus_monitor", "--occurred-at",
                            "2017-09-20T06:00:00Z", "--lat", "35.93", "--lon", "36.63", "--type", "shelling",
                            "--party", "SYR", "--json"])
    assert r.exit_code == 0, r.output
    incident, report = str(json.loads(r.output)["incident_id"]), json.loads(r.output)["report_id"]
    reads = [["party", "list"], ["party", "list", "--json"], ["party", "show", "SYR"], ["incident", "list"],
             ["incident", "show", incident], ["zone", "list"], ["zone", "show", "Z1"], ["adm", "list", "--level", "1"],
             ["agreement", "list"], ["measure", "list"], ["accession", "list"], ["bulletin", "list"],
             ["notification", "list", "--as", "syr_liaison"], ["investigation", "list"], ["suggestion", "list"],
             ["ledger", "log", "--limit", "3"], ["user", "list"], ["report", "show", report],
             ["report", "submit", "--help"], ["intake", "list"]]
    for argv in reads:
        out = subprocess.run([sys.executable, "-c", _RUN_AND_LIST_MODULES, json.dumps([*argv, "--db", astana_url])],
                             capture_output=True, text=True, check=True).stdout
        result = json.loads(out.rsplit("\nMODULES ", 1)[1])
        assert result["code"] == 0, out
        loaded = [m for m in WRITE_SIDE + GEOMETRY if m in result["modules"]]
        assert not loaded, f"`truce {' '.join(argv)}` loaded {loaded}"


def test_plain_option_values_are_checked_as_before(astana_url):
    """The quick check of text, flag and number options and of unset ones (cli/__init__.py `_Plain`) gives what
    Typer's own gives: numbers in digits within range are numbers, anything else is refused with Typer's
    message, exit 2."""
    db = ["--db", astana_url]
    ok = runner.invoke(cli, ["incident", "list", *db, "--limit", "007", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["limit"] == 7
    for bad in ("abc", "1.5", "1e3", ""):
        r = runner.invoke(cli, ["incident", "list", *db, "--limit", bad])
        assert r.exit_code == 2, (bad, r.output)
        assert "Invalid value for '--limit'" in r.output, r.output
    for bad, why in (("-1", "greater than or equal to 0"), ("1e3", "valid integer")):  # a ranged option, min=0
        r = runner.invoke(cli, ["ledger", "log", *db, "--limit", bad])
        assert r.exit_code == 2 and why in r.output, (bad, r.output)
    assert json.loads(runner.invoke(cli, ["ledger", "log", *db, "--limit", "0", "--json"]).output)
    r = runner.invoke(cli, ["adm", "list", *db, "--level", "21"])  # min=1, max=20
    assert r.exit_code == 2 and "less than or equal to 20" in r.output, r.output
    unset = runner.invoke(cli, ["bulletin", "list", *db, "--json"])  # its group's --output (a path) left unset
    assert unset.exit_code == 0, unset.output
    missing = runner.invoke(cli, ["incident", "show", *db, "--", "-1"])
    assert missing.exit_code == 3, missing.output
    flags = runner.invoke(cli, ["party", "list", *db, "--status", "signatory", "--json"])
    assert flags.exit_code == 0 and {"SYR", "FAYLAQ"} <= {p["id"] for p in json.loads(flags.output)}


def test_required_commands_exist():
    names = {" ".join(p) for p in _commands()}
    for required in ["init", "demo", "serve", "scenario load", "user add", "party list", "party show", "zone list",
                     "zone show", "zone import", "report submit", "report show", "incident list", "incident show",
                     "import ucdp", "ledger verify", "ledger log"]:
        assert required in names


def test_cli_round_trip_with_json_and_paging(astana_url, tmp_path):
    db = ["--db", astana_url]
    for i in range(3):
        r = runner.invoke(cli, ["report", "submit", *db, "--as", "rus_monitor", "--occurred-at",
                                f"2017-09-2{i}T06:00:00Z", "--lat", "35.93", "--lon", "36.63", "--type", "shelling",
                                "--party", "SYR", "--killed", "2", "--json"])
        assert r.exit_code == 0, r.output
    out = json.loads(runner.invoke(cli, ["incident", "list", *db, "--json", "--limit", "2"]).output)
    assert out["total"] == 3 and len(out["incidents"]) == 2 and out["incidents"][0]["zones"] == ["Z1"]
    out2 = json.loads(runner.invoke(cli, ["incident", "list", *db, "--json", "--limit", "2", "--offset", "2"]).output)
    assert len(out2["incidents"]) == 1
    allrows = json.loads(runner.invoke(cli, ["incident", "list", *db, "--json", "--limit", "0"]).output)
    assert len(allrows["incidents"]) == 3
    inc = json.loads(runner.invoke(cli, ["incident", "show", str(out2["incidents"][0]["id"]), *db, "--json"]).output)
    assert inc["adm3_pcode"] == "SY070000" and inc["ledger"] and inc["reports"]
    z = json.loads(runner.invoke(cli, ["zone", "show", "Z3", *db, "--json", "--geometry"]).output)
    assert z["versions"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    parties = json.loads(runner.invoke(cli, ["party", "list", *db, "--json", "--status", "signatory"]).output)
    assert {"SYR", "FAYLAQ"} <= {p["id"] for p in parties} and "AHRAR" not in {p["id"] for p in parties}
    log = json.loads(runner.invoke(cli, ["ledger", "log", *db, "--json", "--limit", "3"]).output)
    assert [e["command"] for e in log] == ["report.submit"] * 3
    assert runner.invoke(cli, ["ledger", "verify", *db]).exit_code == 0


def test_report_from_json_file_and_stdin(astana_url, tmp_path):
    doc = {"id": str(uuid.uuid4()), "occurred_at": "2017-09-21T06:30:00Z", "place_name": "Duma",
           "violation_type": "airstrike", "alleged_party": "SYR", "casualties": {"killed": 3, "killed_civilian": 3}}
    f = tmp_path / "r.json"
    f.write_text(json.dumps(doc))
    r = runner.invoke(cli, ["report", "submit", "--db", astana_url, "--as", "tur_monitor", "--file", str(f), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["location"]["adm1_pcode"] == "SY03"
    again = runner.invoke(cli, ["report", "submit", "--db", astana_url, "--as", "tur_monitor", "-f", "-"],
                          input=json.dumps(doc))
    assert again.exit_code == 0 and "duplicate" in again.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--lat", "95", "--lon", "36"], "lat"),
        (["--lat", "35", "--lon", "36", "--type", "bombing"], "violation_type"),
        (["--place", "Qwxzy Nowhere"], "place_name"),
    ],
)
def test_bad_report_on_the_command_line_is_one_line_and_non_zero(astana_url, args, needle):
    base = ["report", "submit", "--db", astana_url, "--as", "rus_monitor", "--occurred-at", "2017-09-21T06:30:00Z"]
    if "--type" not in args:
        args = [*args, "--type", "shelling"]
    r = runner.invoke(cli, [*base, *args])
    assert r.exit_code != 0
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.output


def test_role_refusal_is_clear(astana_url):
    r = runner.invoke(cli, ["user", "add", "mallory", "--org", "RUS_OFFICE", "--role", "verifier", "--db", astana_url,
                            "--as", "rus_monitor"])
    assert r.exit_code != 0
    assert "may not add users" in r.output and "only admin" in r.output


def test_unknown_user_is_named(astana_url):
    r = runner.invoke(cli, ["report", "submit", "--db", astana_url, "--as", "nobody", "--occurred-at",
                            "2017-09-21T06:30:00Z", "--lat", "35", "--lon", "36", "--type", "shelling"])
    assert r.exit_code != 0 and "no user named 'nobody'" in r.output


def test_commands_apply_migrations_on_an_empty_database(empty_db_url):
    """Any command on an empty database brings it to the newest schema first."""
    r = runner.invoke(cli, ["party", "list", "--db", empty_db_url, "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == []


def test_init_loads_admin_areas_and_reports_repairs(db_url):
    r = runner.invoke(cli, ["init", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "loaded ADM3: 272 areas, 15 invalid polygons repaired" in r.output
    adm = json.loads(runner.invoke(cli, ["adm", "list", "--level", "1", "--db", db_url, "--json"]).output)
    names = {a["pcode"]: (a["name_en"], a["name_ar"]) for a in adm}
    assert names["SY07"] == ("Idleb", "إدلب") and len(adm) == 14
