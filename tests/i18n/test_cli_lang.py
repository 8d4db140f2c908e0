"""The CLI in the reader's language: `truce --lang ar party list`, TRUCE_LANG, translated help and refusals."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po
from tests.web.seed import seed
from typer.testing import CliRunner

from truce import i18n
from truce.app import Truce
from truce.cli import app as cli
from truce.incidents.views import incident_detail
from truce.parties.service import show_party
from truce.reports.queries import get_report

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


# --- `incident show` and friends in the reader's language --------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_./@-]*")


def english_words() -> set[str]:
    """Every English word of the catalogue (its msgids' words of four letters or more): a word of the output
    among them is a label or a vocabulary word left in English."""
    with open(i18n.LOCALE_DIR / "messages.pot", "rb") as fh:
        pot = read_po(fh)
    words: set[str] = set()
    for m in pot:
        for text in m.id if isinstance(m.id, tuple) else (m.id,):
            if text:
                words |= {w.lower() for w in re.findall(r"(?<![%(\w])[A-Za-z]{4,}(?![\w)])", text)}
    return words


def english_left(output: str, data: list[str]) -> list[str]:
    for value in sorted(filter(None, data), key=len, reverse=True):  # the data's own words (a title, a note)
        output = output.replace(value, " ")
    words = english_words()
    return sorted({t for t in _TOKEN.findall(output) if t.lower() in words})


def test_incident_show_in_arabic_has_no_english_label(astana_url):
    app = Truce(astana_url)
    w = seed(app)
    with app.read() as conn:
        d = incident_detail(conn, w["A"], None)
    assert d["findings"] and d["investigations"] and d["zones"]  # a rich incident: every kind of line shows
    res = runner.invoke(cli, ["--lang", "ar", "incident", "show", str(w["A"]), "--db", astana_url])
    assert res.exit_code == 0, res.output
    data = [d["title"], d["place_name"], *(f["note"] for f in d["findings"]), *(r.get("text") for r in d["replies"])]
    assert english_left(res.output, data) == [], res.output
    assert "وقعت" in res.output and "الحكم" in res.output  # occurred, verdict
    assert "منطقة خفض التصعيد في إدلب Z1" in res.output  # the zone by its Arabic name
    en = runner.invoke(cli, ["incident", "show", str(w["A"]), "--db", astana_url])
    assert {"occurred", "verdict", "zones"} <= set(english_left(en.output, data))  # the check sees English


@pytest.mark.parametrize("lang", ["ar", "ru", "tr", "fa"])
def test_zone_party_and_report_show_in_the_language(astana_url, lang):
    app = Truce(astana_url)
    w = seed(app)
    for argv in (["zone", "show", "Z4"], ["party", "show", "SYR"], ["report", "show", w["r1"]]):
        res = runner.invoke(cli, ["--lang", lang, *argv, "--db", astana_url])
        assert res.exit_code == 0, res.output
        with app.read() as conn:
            r = get_report(conn, w["r1"])
        data = [r.get("narrative"), r.get("place_name"), r.get("target"), r.get("alleged_party_text"),
                "parts of Dar'a and Quneitra governorates", "Government of the Syrian Arab Republic",
                *(a for a in show_party_aliases(app))]
        assert english_left(res.output, data) == [], res.output


def show_party_aliases(app: Truce) -> list[str]:
    with app.read() as conn:
        return show_party(conn, "SYR")["aliases"]


def test_scenario_refusal_in_the_language(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("agreement:\n  id: X\n  title: T\n  effective: 2017-05-06\n  guarantors: [RUS]\n"
                   "  decision_rule: majority\n  clauses:\n"
                   "    - {id: C1, text: no shelling, prohibited: [shelingg]}\n", "utf-8")
    res = runner.invoke(cli, ["--lang", "ru", "scenario", "load", str(bad), "--db", f"sqlite:///{tmp_path}/t.db"])
    assert res.exit_code == 2, res.output
    assert "строка 8" in res.output and "вид нарушения" in res.output and "'shelingg'" in res.output
    assert "is not" not in res.output and "allowed" not in res.output


def test_intake_refusal_in_the_language(tmp_path):
    empty = tmp_path / "news.jsonl"
    empty.write_text("", "utf-8")
    res = runner.invoke(cli, ["--lang", "tr", "intake", "import", str(empty), "--db", f"sqlite:///{tmp_path}/t.db"])
    assert res.exit_code == 2, res.output
    assert "news.jsonl: dosya boş" in res.output


def test_zone_list_names_the_zones_in_the_language(astana_url):
    ru = runner.invoke(cli, ["--lang", "ru", "zone", "list", "--db", astana_url])
    assert ru.exit_code == 0, ru.output
    assert "Идлибская" in ru.output and "Гуте" in ru.output and "Idlib" not in ru.output
    en = runner.invoke(cli, ["zone", "list", "--db", astana_url])
    assert "Idlib" in en.output and "Идлибская" not in en.output
