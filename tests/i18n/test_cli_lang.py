"""The CLI in the reader's language: `truce --lang ar party list`, TRUCE_LANG, translated help and refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from truce.cli import app as cli

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english_after() -> object:
    yield
    runner.invoke(cli, ["--lang", "en", "--help"])  # leave the process in English for other tests


def test_party_list_in_arabic(astana_url):
    res = runner.invoke(cli, ["--lang", "ar", "party", "list", "--db", astana_url])
    assert res.exit_code == 0, res.output
    assert "جماعة مسلحة" in res.output  # kind: armed group
    assert "دولة ضامنة" in res.output  # kind: guarantor
    assert "armed group" not in res.output and "armed_group" not in res.output
    assert "جبهة النصرة" in res.output and "Jabhat al-Nusra" not in res.output  # the name the press uses
    plain = runner.invoke(cli, ["party", "list", "--db", astana_url])
    assert "armed group" in plain.output and "جماعة" not in plain.output
    as_json = runner.invoke(cli, ["--lang", "ar", "party", "list", "--json", "--db", astana_url])
    assert {p["kind"] for p in json.loads(as_json.output)} >= {"armed_group"}  # JSON keeps the identifiers


def test_refusal_in_the_language_of_the_env(astana_url):
    res = runner.invoke(cli, ["party", "show", "NOPE", "--db", astana_url], env={"TRUCE_LANG": "ru"})
    assert res.exit_code != 0
    assert "ошибка: нет стороны 'NOPE'" in res.output
    assert "Traceback" not in res.output


def test_unknown_language_is_refused_clearly():
    res = runner.invoke(cli, ["--lang", "xx", "party", "list"])
    assert res.exit_code == 2
    assert "'xx' is not a language of Truce" in res.output


@pytest.mark.parametrize(
    ("lang", "root_line", "party_line"),
    [
        ("ar", "رصد وقف إطلاق النار", "أطراف نظام وقف إطلاق النار"),
        ("ru", "мониторинг, проверка и обеспечение", "Стороны режима прекращения огня"),
        ("tr", "ateşkesin izlenmesi", "Ateşkesin tarafları"),
        ("fa", "پایش، راستی‌آزمایی و اجرای آتش‌بس", "طرف‌های آتش‌بس"),
    ],
)
def test_root_and_group_help_translated(lang, root_line, party_line):
    """In a real process (`python -m truce.cli`), as a user runs it: help is eager, --lang is read first."""
    env = {**os.environ, "COLUMNS": "200"}
    root = subprocess.run([sys.executable, "-m", "truce.cli", "--lang", lang, "--help"], capture_output=True,
                          text=True, env=env, check=True).stdout
    assert root_line in root and "Example: truce demo" in root
    party = subprocess.run([sys.executable, "-m", "truce.cli", "--help"], capture_output=True, text=True,
                           env={**env, "TRUCE_LANG": lang}, check=True).stdout
    assert party_line in party
