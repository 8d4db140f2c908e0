"""Every command's --help in the reader's language: the first paragraph of each command's help and the
help of each of its options and arguments are catalogue messages, shown translated (the examples, which
are command lines, stay as they are)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from truce import i18n
from truce.cli import all_commands
from truce.cli import app as cli

runner = CliRunner()
LANGS = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
WIDE = {"COLUMNS": "3000", "TERMINAL_WIDTH": "3000"}  # one line per paragraph and per option


def flat(text: str) -> str:
    return " ".join(text.split())


def help_messages(cmd) -> list[str]:
    """The catalogue messages of a command's help: its first paragraph, its options' and arguments'."""
    texts = [cmd.help, *(getattr(p, "help", None) for p in cmd.params)]
    return [i18n.help_msgid(t) for t in texts if t and i18n.help_msgid(t)]


@pytest.fixture(autouse=True)
def _english_after() -> object:
    yield
    runner.invoke(cli, ["--lang", "en", "--help"])  # leave the process in English for other tests


@pytest.mark.parametrize("lang", LANGS)
def test_every_command_help_is_in_the_language(lang: str) -> None:
    """Walk every command (the table of `truce.cli`): its --help shows the catalogue's translation of each
    help paragraph, and none of them in English."""
    cat = i18n.catalogue(lang)
    commands = all_commands()
    assert len(commands) > 100
    untranslated, missing = [], []
    for path, cmd in commands.items():
        res = runner.invoke(cli, ["--lang", lang, *path.split(), "--help"], env=WIDE)
        assert res.exit_code == 0, (path, res.output)
        shown = flat(res.output)
        for msgid in help_messages(cmd):
            translated = cat.gettext(msgid)
            if translated == msgid:
                untranslated.append(f"{path}: {msgid!r}")
            elif flat(translated) not in shown or flat(msgid) in shown.replace(flat(translated), ""):
                missing.append(f"{path}: {msgid!r}")
    assert untranslated == [], "help with no translation in the catalogue"
    assert missing == [], "help shown without its translation"


def test_the_check_sees_english_help() -> None:
    """In English the same walk finds the English paragraphs: the comparison is not empty."""
    cmd = all_commands()["party list"]
    res = runner.invoke(cli, ["party", "list", "--help"], env=WIDE)
    msgs = help_messages(cmd)
    assert len(msgs) >= 4 and all(flat(m) in flat(res.output) for m in msgs)


def test_party_list_help_in_arabic() -> None:
    """A real process, as a user runs it: `truce --lang ar party list --help`."""
    out = subprocess.run(
        [sys.executable, "-m", "truce.cli", "--lang", "ar", "party", "list", "--help"],
        capture_output=True, text=True, check=True, env={**os.environ, **WIDE},
    ).stdout
    assert "سرد الأطراف مع نوعها ووضعها في نظام وقف إطلاق النار (اختيارياً في تاريخ معيّن)." in out
    assert "الوضع كما كان في هذا التاريخ (YYYY-MM-DD)" in out  # --as-of
    assert "إحدى القيم: applicant، signatory، suspended، excluded" in out  # --status: the values stay
    assert "طباعة JSON قابل للقراءة آلياً" in out  # --json, an option shared by every command
    assert "اعرض هذه الرسالة واخرج." in out  # --help
    assert "الاستخدام: " in out and "party list [OPTIONS]" in out  # Usage:
    assert "Example: truce party list --status signatory --as-of 2017-06-01" in out  # a command line
    assert "List parties" not in out and "Print machine-readable JSON" not in out


def test_help_follows_the_language_of_the_env() -> None:
    res = runner.invoke(cli, ["zone", "show", "--help"], env={**WIDE, "TRUCE_LANG": "ru"})
    assert "Показать зону и её версии" in res.output and "Включить геометрии GeoJSON" in res.output
    again = runner.invoke(cli, ["--lang", "en", "zone", "show", "--help"], env=WIDE)
    assert "Show a zone and its versions" in again.output and "Показать" not in again.output
