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
