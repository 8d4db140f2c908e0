"""The README stays true (as datasette keeps its docs honest): every `truce …` command it shows exists with
the options it uses, every command of the CLI has a line in it, and every setting it names is read by the
code while every setting the code reads is in it."""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from truce.cli import all_commands as _all_commands
from truce.cli import app as cli

all_commands = functools.cache(_all_commands)
ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def _root() -> Any:
    return typer.main.get_command(cli)


def _leaves() -> dict[str, Any]:
    return {path: cmd for path, cmd in all_commands().items() if not getattr(cmd, "commands", None)}


def _fenced_blocks() -> list[tuple[str, str]]:
    """The README's fenced blocks as (language, text), each fence opening or closing in turn."""
    out: list[tuple[str, str]] = []
    lang: str | None = None
    body: list[str] = []
    for line in README.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, body = line[3:].strip(), []
            else:
                out.append((lang, "\n".join(body) + "\n"))
                lang = None
        elif lang is not None:
            body.append(line)
    return out


def _code_lines() -> list[str]:
    """The README's shell lines (fenced blocks, continuations joined) and its inline `truce …` spans."""
    lines: list[str] = []
    for lang, block in _fenced_blocks():
        if lang in ("sh", "bash", "console"):
            lines.extend(block.replace("\\\n", " ").splitlines())
    lines.extend(m for m in re.findall(r"`(truce [^`]+)`", README))
    return lines


def _invocations() -> list[tuple[str, list[str]]]:
    """Each `truce …` written in the README: (the text, its words up to a pipe, comment or other command)."""
    out: list[tuple[str, list[str]]] = []
    for line in _code_lines():
        line = line.split(" #", 1)[0]
        for m in re.finditer(r"(?:^|[\s|;(=$])truce ((?:[^|;#)]|\(\S)*)", line):
            text = "truce " + m.group(1).strip()
            try:
                words = shlex.split(m.group(1), posix=True)
            except ValueError:
                words = m.group(1).split()
            out.append((text, words))
    return out


def _resolve(words: list[str]) -> tuple[Any, list[str], list[str]]:
    commands = all_commands()
    cmd = _root()
    path: list[str] = []
    rest = list(words)
    while rest and " ".join([*path, rest[0]]) in commands:
        path.append(rest.pop(0))
        cmd = commands[" ".join(path)]
    return cmd, path, rest


INVOCATIONS = _invocations()


def test_the_readme_shows_commands():
    assert len(INVOCATIONS) > 60


@pytest.mark.parametrize(("text", "words"), INVOCATIONS, ids=[t for t, _ in INVOCATIONS])
def test_every_readme_command_exists_with_its_options(text, words):
    cmd, path, rest = _resolve(words)
    if (rest and rest[0] in ("--help", "-h")) or (not rest and path):
        return  # help, or a command group named in prose (`truce party`)
    if getattr(cmd, "commands", None):
        assert cmd.invoke_without_command, f"README: `{text}`: `truce {' '.join(path)}` needs a subcommand"
    known = {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}
    used = {w.split("=", 1)[0] for w in rest if w.startswith("-") and w != "-"}
    unknown = sorted(u for u in used if u not in known)
    assert not unknown, f"README: `{text}`: `truce {' '.join(path)}` has no option {', '.join(unknown)}"


def test_every_command_has_a_readme_line():
    shown = {" ".join(_resolve(words)[1]) for _, words in INVOCATIONS}
    missing = sorted(set(_leaves()) - shown)
    assert not missing, f"commands without a line in the README: {missing}"


def _settings_in_readme() -> set[str]:
    return set(re.findall(r"\b(TRUCE_[A-Z_]+)\b", README))


def _settings_read(where: list[Path]) -> set[str]:
    found: set[str] = set()
    for folder in where:
        for f in folder.rglob("*.py"):
            found |= set(re.findall(r"[\"'](TRUCE_[A-Z_]+)[\"']", f.read_text("utf-8")))
    return found


def test_every_setting_named_in_the_readme_is_read_and_every_setting_read_is_named():
    named = _settings_in_readme()
    read_by_code = _settings_read([ROOT / "src" / "truce"])
    read_by_tests = _settings_read([ROOT / "tests"]) - {"TRUCE_SHARED_DATA"}  # the tests' own data folder
    assert named, "the README names no setting"
    assert not named - read_by_code - read_by_tests, f"named in the README, read nowhere: {named - read_by_code}"
    assert not read_by_code - named, f"read by the code, missing from the README: {read_by_code - named}"


def _report_documents() -> list[str]:
    """The README's report documents: its ```json blocks and the JSON bodies of its curl examples."""
    docs = [body for lang, body in _fenced_blocks() if lang == "json"]
    for lang, body in _fenced_blocks():
        if lang in ("sh", "bash"):
            text = body.replace("\\\n", " ")
            for pattern in (r"-d '(\{.*?\})'", r"-F report='(\{.*?\})'"):
                docs += re.findall(pattern, text, flags=re.S)
    return docs


@pytest.mark.parametrize("doc", _report_documents())
def test_every_json_report_example_is_a_valid_report(doc):
    """Each JSON example parses and is accepted by the model `report submit -f` and the API validate with
    (an example once used "killed" where the model wants "casualties")."""
    import json

    from truce.reports.schemas import ReportIn

    data = json.loads(doc.replace("9a1c…", "9a1c2e4f-6b7d-4e8f-9a0b-1c2d3e4f5a6b"))
    ReportIn.model_validate(data)


def test_the_report_document_example_is_submitted(astana_url, tmp_path):
    """The README's report document, submitted with `report submit -f` as the tour shows."""
    import json

    from typer.testing import CliRunner

    doc = next(body for lang, body in _fenced_blocks() if lang == "json")
    f = tmp_path / "report.json"
    f.write_text(doc, "utf-8")
    r = CliRunner().invoke(cli, ["report", "submit", "--as", "tur_monitor", "-f", str(f), "--db", astana_url, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["report_id"] == json.loads(doc)["id"]


# --- every shell example, run ---------------------------------------------------------------------------
#
# Each `truce …` line of the README's shell blocks runs, in the README's order, in a folder holding the
# database `truce demo --no-serve` builds there (what the README's tour starts from) and the files the
# lines name (made below), and must exit 0 — or the code the README gives for it (`# exit N` in its
# comment). Lines added later are run too: a new example that fails fails here. The few that cannot run
# in a test are listed in NOT_RUN with the reason.

NOT_RUN: list[tuple[str, str]] = [  # (a regex on the invocation, why it is not run)
    (r"^truce serve\b", "serves until stopped (the server is tested by tests/web and tests/serving.py)"),
    (r"^truce demo(?!.*--no-serve)", "serves until stopped once built (`truce demo --no-serve` is run)"),
    (r"^truce mirror (follow|gossip)\b", "talks to another node over the network (tests/mirror runs two)"),
    (r"^truce mirror status --db sqlite:///tur-mirror\.db", "reads the mirror that `mirror follow` builds"),
    (r"^truce restore .*--against http", "checks the restored copy against a mirror over the network"),
    (r"^truce ledger replay .*--into postgresql://truce@localhost", "needs a PostgreSQL server at localhost"),
    (r"^truce ledger check-proof misbehaviour", "needs a proof of misbehaviour that a mirror wrote (tests/mirror)"),
    (r"^truce measure (show|decide|comply) ", "the demo's data proposes no measure on 2017-09-30 (tests/measures)"),
    (r"^truce suggestion (accept|reject) ", "the demo holds no open link suggestion (tests/incidents/test_matching)"),
]

# Words of the README that stand for a value of the database at hand, filled in when a line runs:
# incident 42 (of the incident commands) is a verified, attributed incident of the demo with three reports
# or more (for `reply`, another one attributed to SYR: the tour's findings made the first one disputed);
# R1 and R2 two of its reports; REPORT a report of another incident of several reports (moved to 42 by
# `incident link`, then back out by `unlink`); UUID a report; KEYID the newest key of RUS_OFFICE; and
# the investigation numbers the investigation the examples opened.
INCIDENT_COMMANDS = ("finding", "incident", "investigation open", "reply")


def _shell_lines() -> list[str]:
    """The README's shell lines in order (continuations joined), without comments and optional [parts]."""
    out = []
    for lang, block in _fenced_blocks():
        if lang in ("sh", "bash", "console"):
            out += [ln for ln in block.replace("\\\n", " ").splitlines() if ln.strip()]
    return out


def _runs(line: str) -> list[tuple[str, str | None, int]]:
    """The `truce …` invocations of a line: (text, stdin, exit code the README gives, default 0). `a | b`
    with two truce commands is two examples (the README's shorthand), `echo … | truce …` feeds stdin."""
    code, _, comment = line.partition(" #")
    m = re.search(r"\bexit (\d)\b", comment)
    want = int(m.group(1)) if m else 0
    code = re.sub(r"\s\[[^\]]*\]", "", code)  # optional parts: [FILE.yaml], [--json]
    code = code.replace("$(", " ").replace(")", " ") if "$(" in code else code
    runs: list[tuple[str, str | None, int]] = []
    stdin = None
    for part in code.split("|"):
        part = part.strip()
        if part.startswith("echo "):
            stdin = shlex.split(part)[1] + "\n"
        elif re.match(r"^(\w+=\s*)?truce ", part):
            runs.append((re.sub(r"^\w+=\s*", "", part), stdin, want))
            stdin = None
    return runs


def _example_files(folder: Path, json_doc: str) -> None:
    """The files the README's examples name, made small but real."""
    from tests.helpers import SHARED_DATA, generate_acled
    from tests.ingest.test_ged import ged_sample

    yemen = ROOT / "tests" / "fixtures" / "yemen"
    names = ("yem_adm1.geojson", "yem_adm2.geojson", "yem_adm3.geojson", "yem_adm4.geojson", "YE.txt",
             "hodeidah-2018.yaml", "hodeidah-2019.yaml")
    for name in names:
        (folder / name).write_bytes((yemen / name).read_bytes())
    ucdp = SHARED_DATA / "events" / "ucdp_aec_syria_train.csv"
    (folder / "ucdp_aec_syria_train.csv").write_text(
        "".join(ucdp.read_text("utf-8").splitlines(keepends=True)[:40]), "utf-8"
    )
    generate_acled(folder / "syria-acled.csv", 30, seed=1)
    generate_acled(folder / "syria-2017-2020.csv", 30, seed=2)
    ged_sample(folder / "ged241-syria.csv", 20)
    (folder / "report.json").write_text(json_doc, "utf-8")
    for name in ("crater.jpg", "order.pdf", "report.pdf"):
        (folder / name).write_bytes(b"%PDF-1.4 example evidence " + name.encode())
    yaml_doc = next(body for lang, body in _fenced_blocks() if lang == "yaml" and body.startswith("columns:"))
    (folder / "sheet-mapping.yaml").write_text(yaml_doc, "utf-8")
    (folder / "sheet.csv").write_text(
        "Ref,Date,Latitude,Longitude,Village,What happened,Who,Dead,Hurt,Description\n"
        "r1,21/09/2017,35.93,36.63,Idlib,Artillery,SYR,2,3,shells on the market\n"
        "r2,22/09/2017,35.80,36.65,Saraqib,Air raid,SYR,0,1,a raid at dawn\n",
        "utf-8",
    )
    (folder / "zones.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"zone": "ZX", '
        '"title": "An example zone"}, "geometry": {"type": "Polygon", "coordinates": [[[36.5, 35.5], '
        '[36.9, 35.5], [36.9, 35.9], [36.5, 35.9], [36.5, 35.5]]]}}]}',
        "utf-8",
    )
    (folder / "belts.geojson").write_text(
        (folder / "zones.geojson").read_text("utf-8").replace('"ZX"', '"ZB"').replace("An example zone", "A belt"),
        "utf-8",
    )
    (folder / "story.txt").write_text(
        "Shelling on Saraqib killed 3 civilians on Thursday, the Syrian Observatory said.\n", "utf-8"
    )
    (folder / "news.jsonl").write_text(
        '{"id": "n1", "published": "2017-09-22T08:00:00Z", "text": "An airstrike on Khan Sheikhoun killed 2 '
        'people yesterday."}\n',
        "utf-8",
    )


def _values(conn: Any) -> dict[str, str]:
    """What the placeholders stand for in the demo database (see INCIDENT_COMMANDS)."""
    from sqlalchemy import func, select

    from truce.incidents.models import incident_reports, incidents

    n = func.count().label("n")
    per = select(incident_reports.c.incident_id, n).group_by(incident_reports.c.incident_id).subquery()
    iid = conn.execute(
        select(incidents.c.id).join(per, per.c.incident_id == incidents.c.id)
        .where(incidents.c.verdict == "verified", incidents.c.attributed_party_id.is_not(None), per.c.n >= 3)
        .order_by(incidents.c.id).limit(1)
    ).scalar_one()
    other = conn.execute(
        select(per.c.incident_id).where(per.c.n >= 2, per.c.incident_id != iid).order_by(per.c.incident_id).limit(1)
    ).scalar_one()

    def reports_of(i: int) -> list[str]:
        return [r.report_id for r in conn.execute(
            select(incident_reports.c.report_id).where(incident_reports.c.incident_id == i)
            .order_by(incident_reports.c.report_id)
        )]

    to_syr = conn.execute(
        select(incidents.c.id).where(
            incidents.c.verdict == "verified", incidents.c.attributed_party_id == "SYR", incidents.c.id != iid
        ).order_by(incidents.c.id).limit(1)
    ).scalar_one()
    mine = reports_of(iid)
    return {"42": str(iid), "42 reply": str(to_syr), "UUID": mine[0], "R1": mine[0], "R2": mine[1],
            "REPORT": reports_of(other)[0]}


def _fill(words: list[str], values: dict[str, str], conn: Any) -> list[str]:
    """The README's placeholders in `words` replaced by values of the database at hand."""
    from sqlalchemy import func, select

    from truce.bulletins.models import signing_keys
    from truce.incidents.models import investigations

    path = " ".join(words[:2])
    out = []
    for w in words:
        if w == "42" and path.startswith(INCIDENT_COMMANDS):
            w = values["42 reply" if path.startswith("reply") else "42"]
        elif w.isdigit() and path in ("investigation deny", "investigation resume", "investigation close",
                                      "investigation show"):
            w = str(conn.execute(select(func.max(investigations.c.id))).scalar_one())
        elif w in ("UUID", "REPORT", "R1", "R2"):
            w = values[w]
        elif "KEYID" in w:
            key = conn.execute(
                select(signing_keys.c.key_id).where(signing_keys.c.org_id == "RUS_OFFICE")
                .order_by(signing_keys.c.ledger_seq.desc()).limit(1)
            ).scalar_one()
            w = w.replace("KEYID", key)
        out.append(w)
    return out


def test_every_shell_example_of_the_readme_runs(tmp_path, monkeypatch):
    """Run the README's shell examples in order against the demo database (see the comment above)."""
    from typer.testing import CliRunner

    from truce import db
    from truce.app import Truce

    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'truce.db'}"
    monkeypatch.setenv("TRUCE_DATABASE_URL", url)
    monkeypatch.setenv("TRUCE_KEY_DIR", str(tmp_path / "truce-keys"))
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(tmp_path / "blobs"))
    runner = CliRunner()
    r = runner.invoke(cli, ["demo", "--no-serve"])
    assert r.exit_code == 0, r.output
    _example_files(tmp_path, next(body for lang, body in _fenced_blocks() if lang == "json"))
    app = Truce(url)
    with app.read() as conn:
        values = _values(conn)
    failures, ran, skipped = [], 0, []
    try:
        for line in _shell_lines():
            for text, stdin, want in _runs(line):
                why = next((w for pat, w in NOT_RUN if re.search(pat, text)), None)
                if why:
                    skipped.append(text)  # not run: the reason is in NOT_RUN
                    continue
                with app.read() as conn:
                    words = _fill(shlex.split(text)[1:], values, conn)
                res = runner.invoke(cli, words, input=stdin)
                ran += 1
                if res.exit_code != want:
                    failures.append(f"`{text}`: exit {res.exit_code}, {want} expected: {res.output[-400:]}")
    finally:
        db.dispose_all()
    assert not failures, f"{len(failures)} of {ran} README examples failed:\n" + "\n".join(failures)
    assert ran > 80, ran
    # Each entry (but the guards against serving) still names a README line: none is left over.
    stale = [why for pat, why in NOT_RUN if "serv" not in why and not any(re.search(pat, t) for t in skipped)]
    assert not stale, f"NOT_RUN entries that match no README line any more: {stale}"
