"""The bulletin in the reader's language: labels translated in Markdown, HTML and PDF; the PDF's Arabic
and Persian text shaped (joined letter forms, right to left), read back out of the PDF with pypdf; dates
and numbers in the reader's locale; governorates by their Arabic names for Arabic and Persian readers."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import arabic_reshaper
from babel.dates import format_date
from bidi import get_display
from pypdf import PdfReader
from tests.bulletins.test_bulletin import DAY, run, sqlite_demo, sqlite_demo_url  # noqa: F401  (fixtures)

from truce.app import Truce
from truce.bulletins.compute import compute
from truce.geo.queries import admin_names
from truce.parties.service import local_names

PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def shaped(text: str) -> str:
    """Arabic or Persian text in its joined letter forms (Arabic presentation forms), in reading order.

    The PDF draws the glyphs in visual order (right to left); pypdf reads right-to-left runs back into
    reading order. So a string drawn shaped and reordered reads back as `shaped(text)`, while one drawn
    in logical order would read back reversed, and one drawn unshaped would hold the basic letters."""
    return str(arabic_reshaper.reshape(text))


def test_persian_pdf_is_shaped_right_to_left(sqlite_demo_url: str, tmp_path: Path) -> None:  # noqa: F811
    r = run("bulletin", "--date", DAY, "--lang", "fa", "--format", "pdf", "-o", "fa.pdf", "--db", sqlite_demo_url)
    assert r.exit_code == 0, r.output
    text = pdf_text(tmp_path / "fa.pdf")
    month = format_date(date.fromisoformat(DAY), "MMMM", locale="fa")  # the date in Persian (Babel)
    for label in ("بولتن روزانه", month, "خلاصه", "امضاها", "گزارش‌های دفترها به تفکیک استان", "دوباره محاسبه کنید"):
        assert shaped(label) in text, label
        assert str(get_display(shaped(label))) not in text or len(label) < 3, label  # not drawn left to right
    assert "بولتن روزانه" not in text  # the unshaped letters are not what is drawn
    assert len(PRESENTATION_FORMS.findall(text)) > 200
    assert shaped("حمص") in text and "SY04 Homs" not in text  # the governorate by its Arabic name (OCHA)
    assert "Summary" not in text and "Signatures" not in text


def test_arabic_and_english_forms(sqlite_demo_url: str, tmp_path: Path) -> None:  # noqa: F811
    db = ["--db", sqlite_demo_url]
    assert run("--lang", "ar", "bulletin", "--date", DAY, "--format", "pdf", "-o", "ar.pdf", *db).exit_code == 0
    text = pdf_text(tmp_path / "ar.pdf")
    assert shaped("الخلاصة") in text and shaped("التواقيع") in text
    assert run("bulletin", "--date", DAY, "--lang", "ar", "--format", "md", "-o", "ar.md", *db).exit_code == 0
    md = (tmp_path / "ar.md").read_text()
    assert "## الخلاصة" in md and "| المكتب |" in md and "مكتب RUS" in md
    assert "## Summary" not in md and "| Office |" not in md
    assert run("bulletin", "--date", DAY, "--lang", "ar", "--format", "html", "-o", "ar.html", *db).exit_code == 0
    html = (tmp_path / "ar.html").read_text()
    assert '<html lang="ar" dir="rtl">' in html and "<h2>الخلاصة</h2>" in html
    ru = run("bulletin", "--date", DAY, "--lang", "ru", "--format", "md", *db)
    assert "## Сводка" in ru.stdout and "сентября 2017" in ru.stdout  # the date in Russian (Babel)
    en = run("bulletin", "--date", DAY, "--format", "md", *db)
    assert "## Summary" in en.stdout and "| Office |" in en.stdout and "Сводка" not in en.stdout
    bad = run("bulletin", "--date", DAY, "--lang", "xx", "--format", "md", *db)
    assert bad.exit_code != 0 and "'xx' is not a language of Truce" in bad.output


def test_party_and_governorate_names_in_the_readers_language(sqlite_demo_url: str) -> None:  # noqa: F811
    """The bulletin names parties as the scenario names them in the reader's language and governorates by
    OCHA's Arabic names for Arabic readers; the signed JSON document stays the same in every language."""
    app = Truce(sqlite_demo_url)
    with app.read() as conn:
        labels = compute(conn, DAY, None)["labels"]
        ar_parties = local_names(conn, "ar", list(labels["parties"]))
        ru_parties = local_names(conn, "ru", list(labels["parties"]))
        ar_govs = admin_names(conn, list(labels["governorates"]), "ar")
    assert ar_parties and ru_parties and ar_govs
    db = ["--db", sqlite_demo_url]
    ar = run("bulletin", "--date", DAY, "--lang", "ar", "--format", "md", *db).stdout
    assert [n for n in ar_parties.values() if n not in ar] == []
    assert [n for n in ar_govs.values() if n not in ar] == []
    ru = run("bulletin", "--date", DAY, "--lang", "ru", "--format", "md", *db).stdout
    assert [n for n in ru_parties.values() if n not in ru] == []
    en = run("bulletin", "--date", DAY, "--format", "md", *db).stdout
    assert not any(n in en for n in [*ar_parties.values(), *ru_parties.values()])
    forms = [json.loads(run("bulletin", "--date", DAY, "--lang", lang, "--format", "json", *db).stdout)
             for lang in ("ar", "en")]
    for f in forms:
        f.pop("generated_at", None)
    assert forms[0] == forms[1] and "parties_ar" not in forms[0]["labels"]


def test_zone_names_in_the_readers_language(sqlite_demo_url: str) -> None:  # noqa: F811
    """The bulletin's zone rows and trend name the zones as the scenario names them in the reader's language."""
    db = ["--db", sqlite_demo_url]
    ar = run("bulletin", "--date", DAY, "--lang", "ar", "--format", "md", *db).stdout
    assert "| Z1 منطقة خفض التصعيد في إدلب |" in ar and "Idlib de-escalation area" not in ar
    tr = run("bulletin", "--date", DAY, "--lang", "tr", "--format", "md", *db).stdout
    assert "| Z3 Doğu Guta Gerginliği Azaltma Bölgesi |" in tr and "Eastern Ghouta de-escalation area" not in tr
    en = run("bulletin", "--date", DAY, "--format", "md", *db).stdout
    assert "| Z1 Idlib de-escalation area |" in en
