"""Every CLI command against a corpus of bad inputs: empty, binary and wrong-header files, a field over
128 KB, bad dates (21/09/2017, 2017-13-45), unknown ids, unknown users and wrong roles. No traceback, no
write (the ledger head stays where it was), and the documented exit codes: 2 refused input or permission,
3 not found (never 4, an internal error). Both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers import UCDP_AEC, generate_acled, ledger_count
from typer.testing import CliRunner

from truce.app import Truce
from truce.cli import all_commands
from truce.cli import app as cli
from truce.scenario import bundled_scenario

runner = CliRunner()
BAD_DATES = ["21/09/2017", "2017-13-45"]
HUGE = "x" * (200 * 1024)
UNKNOWN_INT = "987654"
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"
UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens
EMPTY_OK = "<a filter naming nothing: an empty answer (exit 0) is true>"
NOT_FOUND = "<a filter naming an entity that does not exist: not found (exit 3), never an empty answer>"
# The options of the list and export commands that name an entity: each one of each command needs a
# NOT_FOUND entry in the corpus (`test_every_filter_naming_nothing_is_not_found`).
ENTITY_FILTERS = {"--party", "--zone", "--adm", "--org", "--user", "--incident", "--report"}


def _files(tmp: Path) -> dict[str, Path]:
    f: dict[str, Path] = {}

    def put(name: str, data: bytes | str) -> None:
        p = tmp / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        f[name] = p

    put("empty", b"")
    put("binary", bytes(range(256)) * 8)
    put("wrong_header", "foo,bar\n1,2\n")
    put("wrong_header_csv", "foo,bar\n1,2\n")
    f["wrong_header_csv"] = f["wrong_header_csv"].rename(tmp / "wrong_header.csv")
    acled = generate_acled(tmp / "acled-src.csv", 1, seed=1).read_text("utf-8").splitlines()
    put("huge_acled", acled[0] + "\n" + acled[1].replace(",", f',"{HUGE}"', 1).rsplit(",", 1)[0] + "\n")
    ucdp = UCDP_AEC.read_text("utf-8").splitlines()
    put("huge_ucdp", ucdp[0] + "\n" + f'"{HUGE}"' + ucdp[1][ucdp[1].index(","):] + "\n")
    put("short_ucdp", ucdp[0] + "\n" + ",".join(ucdp[1].split(",")[:5]) + "\n")
    put("mapping", "columns: {occurred_at: When, lat: Lat, lon: Lon, violation_type: Type, narrative: Text}\n")
    put("huge_csv", f'When,Lat,Lon,Type,Text\n2017-09-21,35.9,36.6,shelling,"{HUGE}"\n')
    put("bad_date_csv", "When,Lat,Lon,Type,Text\n21/09/2017,35.9,36.6,shelling,x\n2017-13-45,35.9,36.6,shelling,x\n")
    put("report_killed", json.dumps({"occurred_at": "21/09/2017", "lat": 35.9, "lon": 36.6,
                                     "violation_type": "shelling", "killed": 2}))
    put("not_json", "{not json")
    put("no_title", "agreement:\n  id: x\n  effective: 2017-01-01\n  guarantors: [RUS]\n  decision_rule: unanimity\n")
    astana = bundled_scenario().read_text("utf-8")
    put("changed_agreement", astana.replace("term_months: 6 ", "term_months: 12"))  # loaded: refused, no flag
    put("early_version", astana.replace("effective: 2017-05-06", "effective: 2017-05-05"))  # not after v1
    put("user_unknown_org", astana + "users:\n  - {name: mallory, org: NOPE, role: monitor}\n")
    put("user_password", astana + "users:\n  - {name: mallory, org: RUS_OFFICE, role: monitor, password: x}\n")
    return f


def _corpus(f: dict[str, Path]) -> dict[str, list[list[str]]]:
    """command → the bad invocations of it (arguments after the command's words)."""
    files = [str(f[k]) for k in ("empty", "binary", "wrong_header")]
    dates = BAD_DATES
    bad_db = ["--db", "sqlite:///" + str(f["binary"])]  # a file that is not a database
    tmp = f["empty"].parent
    fresh = "sqlite:///" + str(tmp / "fresh.db")  # an empty database to restore into
    return {
        "init": [["--db", "postgresql://nobody@/nowhere?host=/nonexistent"]],
        "demo": [["--no-serve", "--seed", "abc"]],
        "serve": [["--port", "notaport"]],
        "scenario load": [[p] for p in [*files, str(f["no_title"]), str(f["not_json"])]]
        + [[str(f["no_title"]), "--as", "rus_monitor"], [str(f["changed_agreement"])],
           [str(f["early_version"]), "--new-version"], [str(f["changed_agreement"]), "--new-version", "--as",
                                                        "rus_monitor"],
           [str(f["user_unknown_org"])], [str(f["user_password"])]],
        "user add": [["mallory", "--org", "NOPE", "--role", "verifier"], ["mallory", "--org", "RUS_OFFICE",
                     "--role", "king"], ["mallory", "--org", "RUS_OFFICE", "--role", "verifier", "--as", "rus_monitor"],
                     ["mallory", "--org", "RUS_OFFICE", "--role", "verifier", "--as", "nobody"]],
        "user list": [bad_db],
        "user passwd": [["nobody", "--password-file", str(f["empty"])], ["rus_monitor", "--password-file",
                        str(f["binary"])], ["admin", "--password-file", str(f["empty"]), "--as", "rus_monitor"]],
        "org list": [bad_db],
        "org add": [["X_OFFICE", "--name", "X", "--kind", "king"],
                    ["X_OFFICE", "--name", "X", "--kind", "guarantor_office", "--party", "NOPE"],
                    ["X_OFFICE", "--name", "X", "--kind", "joint_group", "--as", "rus_monitor"]],
        "token create": [["--user", "nobody"], ["--user", "admin", "--days", "-3"],
                         ["--user", "admin", "--as", "rus_monitor"]],
        "token list": [[NOT_FOUND, "--user", "nobody"], ["--as", "nobody"]],
        "token revoke": [[UNKNOWN_INT], ["abc"], [UNKNOWN_INT, "--as", "rus_monitor"]],
        "agreement list": [bad_db],
        "agreement show": [["nope"], ["astana-2017", "--version", "99"]],
        "agreement add-version": [[p] for p in [*files, str(f["no_title"]), str(f["not_json"])]],
        "party list": [["--as-of", d] for d in dates] + [["--status", "king"], ["--kind", "king"]],
        "party show": [["NOPE"]],
        "accession apply": [["NOPE"], *[["AHRAR", "--on", d] for d in dates], ["AHRAR", "--as", "syr_liaison"]],
        "accession decide": [[UNKNOWN_INT, "--approve", "--reason", "r", "--as", "rus_verifier"],
                             *[[UNKNOWN_INT, "--approve", "--reason", "r", "--on", d] for d in dates]],
        "accession list": [bad_db],
        "eligibility": [["NOPE"], *[["FAYLAQ", "--as-of", d] for d in dates]],
        "position report": [["--party", "NOPE", "--date", "2017-09-20", "--lat", "35", "--lon", "36"],
                            *[["--party", "FAYLAQ", "--date", d, "--lat", "35", "--lon", "36"] for d in dates],
                            ["--party", "FAYLAQ", "--date", "2017-09-20", "--area", str(f["binary"])],
                            ["--party", "FAYLAQ", "--date", "2017-09-20", "--lat", "35", "--lon", "36", "--as",
                             "analyst"]],
        "position list": [[NOT_FOUND, "--party", "NOPE"], bad_db],
        "zone list": [["--as-of", d] for d in dates],
        "zone show": [["NOPE"]],
        "zone import": [[p] for p in files] + [[str(f["empty"]), "--valid-from", d] for d in dates],
        "zone unite": [["NOPE", "--as-of", "2017-07-09", "--adm", "SY120304"],
                       *[["Z4", "--as-of", d, "--adm", "SY120304"] for d in dates],
                       ["Z4", "--as-of", "2017-07-09", "--adm", "NOPE"],
                       ["Z4", "--as-of", "2017-07-09", "--adm", "SY120304", "--as", "rus_monitor"]],
        "zone split": [["NOPE", "--as-of", "2017-10-01", "--adm", "SY120304"],
                       *[["Z4", "--as-of", d, "--adm", "SY120304"] for d in dates]],
        "zone history": [["NOPE"]],
        "adm list": [["--level", "9"]],
        "geo import": [[p] for p in files] + [[str(f["not_json"])], [files[0], "--level", "9"],
                                                     [files[0], "--country", "Syria"]],
        "geo import-places": [[p] for p in files] + [[str(f["not_json"])]],
        "geo countries": [bad_db],
        "report submit": [["-f", p, "--as", "rus_monitor"] for p in [*files, str(f["not_json"]),
                                                                     str(f["report_killed"])]]
        + [["--as", "rus_monitor", "--occurred-at", d, "--lat", "35", "--lon", "36", "--type", "shelling"]
           for d in dates]
        + [["--as", "rus_monitor", "--occurred-at", "2017-09-21T06:00:00Z", "--lat", "35", "--lon", "36",
            "--type", "shelling", "--narrative", HUGE],
           ["--as", "analyst", "--occurred-at", "2017-09-21T06:00:00Z", "--lat", "35", "--lon", "36",
            "--type", "shelling"],
           ["--as", "rus_monitor", "--occurred-at", "2017-09-21T06:00:00Z", "--lat", "35", "--lon", "36",
            "--type", "shelling", "--incident", UNKNOWN_INT],
           ["--as", "rus_monitor", "--occurred-at", "2017-09-21T06:00:00Z", "--lat", "35", "--lon", "36",
            "--type", "shelling", "--evidence", str(f["empty"]) + ".missing"]],
        "report show": [[UNKNOWN_UUID], ["not-a-uuid"]],
        "incident list": [["--since", d] for d in dates] + [["--until", d] for d in dates]
        + [["--limit", "-1"], ["--verdict", "king"], ["--as", "nobody"], ["--adm", "SY9"]]
        + [[NOT_FOUND, "--party", "NOPE"], [NOT_FOUND, "--zone", "NOPE"], [NOT_FOUND, "--adm", "SY9999"]],
        "incident show": [[UNKNOWN_INT], ["abc"]],
        "incident link": [[UNKNOWN_UUID, UNKNOWN_INT, "--as", "rus_verifier"],
                          [UNKNOWN_UUID, "1", "--as", "rus_monitor"]],
        "incident unlink": [[UNKNOWN_UUID, "--as", "rus_verifier"]],
        "incident split": [[UNKNOWN_INT, "--report", UNKNOWN_UUID, "--as", "rus_verifier"]],
        "suggestion list": [["--status", "king"], [NOT_FOUND, "--incident", UNKNOWN_INT],
                            [NOT_FOUND, "--report", UNKNOWN_UUID]],
        "suggestion accept": [[UNKNOWN_INT, "--as", "rus_verifier"], [UNKNOWN_INT, "--as", "rus_monitor"]],
        "suggestion reject": [[UNKNOWN_INT, "--reason", "r", "--as", "rus_verifier"]],
        "finding add": [[UNKNOWN_INT, "--finding", "confirmed", "--reason", "site_visit", "--as", "rus_verifier"],
                        ["1", "--finding", "king", "--reason", "site_visit", "--as", "rus_verifier"],
                        ["1", "--finding", "confirmed", "--reason", "site_visit", "--date", "21/09/2017",
                         "--as", "rus_verifier"]],
        "finding list": [[UNKNOWN_INT]],
        "import ucdp": [[p] for p in [*files, str(f["huge_ucdp"]), str(f["short_ucdp"]), str(f["empty"]) + ".no"]]
        + [[str(f["huge_ucdp"]), "--as", "rus_monitor"]],
        "import acled": [[p] for p in [*files, str(f["huge_acled"])]],
        "import csv": [[p, "--mapping", str(f["mapping"])] for p in [*files, str(f["huge_csv"]),
                                                                       str(f["bad_date_csv"])]]
        + [[str(f["huge_csv"]), "--mapping", str(f["binary"])]],
        "export incidents": [["--since", d] for d in dates] + [["--format", "king"], [NOT_FOUND, "--zone", "NOPE"],
                                                               [NOT_FOUND, "--party", "NOPE"],
                                                               [NOT_FOUND, "--adm", "SY9999"]],
        "ledger verify": [bad_db],
        "ledger log": [["--limit", "-5"], [EMPTY_OK, "--command", "nope"]],
        "measures evaluate": [["--as-of", d, "--as", "joint_verifier"] for d in dates]
        + [["--as-of", "2017-09-20", "--as", "rus_monitor"]],
        "measure list": [["--status", "king"], [NOT_FOUND, "--party", "NOPE"]],
        "measure show": [[UNKNOWN_INT]],
        "measure decide": [[UNKNOWN_INT, "--approve", "--reason", "r", "--as", "rus_verifier"]]
        + [[UNKNOWN_INT, "--approve", "--reason", "r", "--on", d, "--as", "rus_verifier"] for d in dates],
        "measure comply": [[UNKNOWN_INT, "--complied", "--reason", "r", "--as", "joint_verifier"]],
        "investigation open": [[UNKNOWN_INT, "--as", "rus_verifier"], ["1", "--at", "21/09/2017", "--as",
                                                                       "rus_verifier"]],
        "investigation deny": [[UNKNOWN_INT, "--party", "SYR", "--site", "x", "--as", "rus_verifier"]],
        "investigation resume": [[UNKNOWN_INT, "--as", "rus_verifier"]],
        "investigation close": [[UNKNOWN_INT, "--finding", "confirmed", "--summary", "s", "--report",
                                 str(f["binary"]), "--as", "rus_verifier"]],
        "investigation show": [[UNKNOWN_INT]],
        "investigation list": [["--status", "king"], [NOT_FOUND, "--incident", UNKNOWN_INT]],
        "notification list": [["--as", "nobody"], [NOT_FOUND, "--incident", UNKNOWN_INT]],
        "reply add": [[UNKNOWN_INT, "--text", "t", "--as", "syr_liaison"], ["1", "--text", "t", "--as", "analyst"]],
        "reply list": [[UNKNOWN_INT]],
        "bulletin verify": [[p] for p in files] + [[str(f["not_json"])]],
        "bulletin publish": [["--date", d, "--as", "joint_verifier"] for d in dates]
        + [["--date", "2017-09-21", "--as", "rus_monitor"]],
        "bulletin sign": [["--date", d, "--as", "rus_verifier"] for d in dates]
        + [["--date", "2017-09-21", "--as", "rus_verifier"]],
        "bulletin list": [["--since", d] for d in dates],
        "key create": [["--org", "NOPE"], ["--org", "RUS_OFFICE", "--as", "rus_monitor"]],
        "key list": [[NOT_FOUND, "--org", "NOPE"], bad_db],
        "key revoke": [["NOPE"], ["NOPE", "--as", "rus_monitor"]],
        "ledger checkpoint": [bad_db],
        "ledger checkpoints": [["--limit", "-1"], bad_db],
        "ledger prove": [[UNKNOWN_INT], ["0"], ["abc"], ["5", "--size", "2"], ["1", "--size", UNKNOWN_INT],
                         ["1", "--size", "-3"]],
        "ledger consistency": [["20", "10"], ["0", "5"], ["5", UNKNOWN_INT], ["abc", "1"]],
        "ledger cosign": [["--org", "NOPE", "--key", str(f["binary"])],
                          ["--org", "RUS_OFFICE", "--key", str(f["empty"])],
                          ["--org", "RUS_OFFICE", "--key", str(f["binary"])],
                          ["--org", "RUS_OFFICE", "--key", str(f["empty"]) + ".missing"],
                          ["--org", "RUS_OFFICE", "--key", str(f["binary"]), "--size", UNKNOWN_INT]],
        "ledger reactions": [["extra"]],
        "ledger replay": [["--into", "postgresql://nobody@/nowhere?host=/nonexistent"],
                          ["--into", "sqlite:///" + str(f["binary"])], ["--into", "mysql://x/y"]],
        "ledger check-proof": [[p] for p in [*files, str(f["not_json"]), str(f["empty"]) + ".missing"]],
        "mirror follow": [[UNREACHABLE, "--once"], [UNREACHABLE, "--once", "--db", fresh],
                          [UNREACHABLE, "--once", "--interval", "0", "--db", fresh],
                          ["not a url", "--once", "--db", "sqlite:///" + str(tmp / "fresh2.db")],
                          [UNREACHABLE, "--once", "--witness", "NOPE", "--key", str(f["binary"]), "--db", fresh]],
        "mirror gossip": [[UNREACHABLE], ["not a url"]],
        "mirror status": [bad_db],
        "backup": [[str(f["binary"]) + "/x.zip"], [str(tmp / "no" / "such" / "dir" / "x.zip")],
                   [str(tmp / "b.zip"), *bad_db]],
        "restore": [[p, "--db", fresh] for p in [*files, str(f["empty"]) + ".missing"]]
        + [[str(f["binary"])], [str(f["binary"]), "--db", fresh, "--against", UNREACHABLE]],
        "intake add": [[p] for p in [str(f["empty"]), str(f["binary"]), "-"]]
        + [[str(f["wrong_header"]), "--published", d] for d in dates]
        + [[str(f["not_json"]), "--as", "nobody"], [str(f["empty"]) + ".missing"]],
        "intake import": [[p] for p in [*files, str(f["not_json"]), str(f["empty"]) + ".missing"]]
        + [[str(f["wrong_header"]), "--as", "nobody"], [str(f["wrong_header_csv"])]],
        "intake extract": [[p] for p in [*files, str(f["empty"]) + ".missing"]]
        + [[str(f["wrong_header"]), "--format", "king"]],
        "intake eval": [[p] for p in [*files, str(f["empty"]) + ".missing"]] + [[str(f["wrong_header"]), "--cv", "-1"]],
        "intake list": [["--status", "king"], ["--limit", "-1"], ["--as", "nobody"]],
        "intake show": [[UNKNOWN_INT], ["abc"], [UNKNOWN_INT, "--as", "nobody"]],
        "intake accept": [[UNKNOWN_INT, "--as", "rus_monitor"],
                          [UNKNOWN_INT, "--set", "killed=abc", "--as", "rus_monitor"],
                          [UNKNOWN_INT, "--set", "nofield"], [UNKNOWN_INT, "--as", "nobody"]],
        "intake reject": [[UNKNOWN_INT, "--reason", "r"], [UNKNOWN_INT, "--reason", "r", "--as", "rus_monitor"],
                          [UNKNOWN_INT, "--reason", "r", "--as", "nobody"]],
        "accession override": [[UNKNOWN_INT, "--reason", "r"], [UNKNOWN_INT, "--reason", "r", "--as", "rus_monitor"],
                               ["abc", "--reason", "r"]],
        "user totp": [["nobody"], ["rus_monitor"], ["admin", "--as", "rus_monitor"],
                      ["rus_verifier", "--as", "nobody"]],
    }


def _leaf_commands() -> list[str]:
    return sorted(p for p, c in all_commands().items() if not getattr(c, "commands", None))


def test_the_corpus_covers_every_command(tmp_path):
    assert set(_corpus(_files(tmp_path))) == set(_leaf_commands())


def test_every_filter_naming_nothing_is_not_found(tmp_path):
    """Every option of every list or export command that names an entity (ENTITY_FILTERS) has a NOT_FOUND
    entry: naming a party, zone, P-code, organisation, user, incident or report that does not exist is
    refused with exit 3, never answered with an empty list (commands added later are covered too)."""
    corpus = _corpus(_files(tmp_path))
    missing = []
    for path, cmd in sorted(all_commands().items()):
        if getattr(cmd, "commands", None) or not (path.endswith(" list") or path.startswith("export ")):
            continue
        for p in cmd.params:
            opt = next((o for o in getattr(p, "opts", []) if o in ENTITY_FILTERS), None)
            if opt and not any(a[:2] == [NOT_FOUND, opt] for a in corpus[path]):
                missing.append(f"truce {path} {opt}")
    assert not missing, "no NOT_FOUND corpus entry for: " + ", ".join(missing)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["incident", "list", "--party", "NOPE"], "party: no party 'NOPE'"),
        (["incident", "list", "--zone", "NOPE"], "zone: no zone 'NOPE'"),
        (["incident", "list", "--adm", "SY9999"], "adm: no admin area 'SY9999'"),
        (["export", "incidents", "--party", "NOPE"], "party: no party 'NOPE'"),
        (["key", "list", "--org", "NOPE"], "org: no organisation 'NOPE'"),
        (["token", "list", "--user", "nobody"], "user: no user named 'nobody'"),
    ],
)
def test_a_filter_naming_nothing_says_which_and_one_naming_an_empty_entity_is_empty(astana_url, argv, message):
    r = runner.invoke(cli, [*argv, "--db", astana_url])
    assert r.exit_code == 3 and message in r.output, r.output
    # An existing entity with no rows: exit 0 and an empty answer.
    empty = {"--party": "ISIL", "--zone": "Z4", "--adm": "SY120304", "--org": "RUS_OFFICE", "--user": "analyst"}
    argv = [*argv[:-1], empty[argv[-2]]]
    if argv[0] == "export":
        argv += ["--since", "2030-01-01"]
    r = runner.invoke(cli, [*argv, "--db", astana_url])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("command", _leaf_commands())
def test_no_traceback_and_no_write_on_bad_input(astana_url, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRUCE_KEY_DIR", str(tmp_path / "keys"))
    files = _files(tmp_path)
    app = Truce(astana_url)
    before = ledger_count(app)
    failures = []
    takes_db = any("--db" in p.opts for p in all_commands()[command].params)
    for args in _corpus(files)[command]:
        ok = (2, 3)
        if args and args[0] == EMPTY_OK:
            ok, args = (0, 2, 3), args[1:]
        elif args and args[0] == NOT_FOUND:
            ok, args = (3,), args[1:]
        argv = [*command.split(), *args]
        if "--db" not in args and takes_db:
            argv += ["--db", astana_url]
        r = runner.invoke(cli, argv)
        shown = " ".join(a if len(a) < 80 else a[:20] + "…" for a in args)
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            failures.append(f"truce {command} {shown}: traceback {type(r.exception).__name__}: {r.exception}")
        elif "Traceback" in r.output:
            failures.append(f"truce {command} {shown}: a traceback printed")
        elif r.exit_code not in ok:
            failures.append(f"truce {command} {shown}: exit {r.exit_code} ({ok} expected): {r.output[-300:]}")
        if ledger_count(app) != before:
            failures.append(f"truce {command} {shown}: wrote to the ledger")
            before = ledger_count(app)
    assert not failures, "\n".join(failures)



def test_the_messages_say_what_and_where(astana_url, tmp_path):
    """A bad date is refused naming the option; UCDP rejects name the line once and a short row by its
    field count (not "'nothing' is not Syria"); a field over 128 KB is named."""
    f = _files(tmp_path)
    r = runner.invoke(cli, ["incident", "list", "--since", "21/09/2017", "--db", astana_url])
    assert r.exit_code == 2 and "since: '21/09/2017' is not a date (YYYY-MM-DD" in r.output, r.output
    r = runner.invoke(cli, ["import", "ucdp", str(f["short_ucdp"]), "--db", astana_url])
    assert r.exit_code == 2 and "line 2: (row): 5 fields, the header has 17" in r.output, r.output
    assert "line 2: line 2" not in r.output and "Syria" not in r.output
    ucdp = UCDP_AEC.read_text("utf-8").splitlines()
    bad = tmp_path / "bad-date.csv"
    head = ucdp[0].split(",")
    row = ucdp[1].split(",")
    row[head.index("start_date")] = "2017-13-45"
    bad.write_text(ucdp[0] + "\n" + ",".join(row) + "\n", "utf-8")
    r = runner.invoke(cli, ["import", "ucdp", str(bad), "--db", astana_url])
    assert r.exit_code == 2 and "line 2: start_date: '2017-13-45' is not a valid date" in r.output, r.output
    assert r.output.count("line 2") == 1
    r = runner.invoke(cli, ["import", "acled", str(f["huge_acled"]), "--db", astana_url])
    assert r.exit_code == 2 and "a field is longer than 131,072 characters" in r.output, r.output
