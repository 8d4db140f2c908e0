"""The catalogues are complete: every message of the template is translated in every language, no
placeholder is lost or invented in translation, the template holds every string of the sources, and the
compiled .mo files are those of the .po files."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from truce import i18n

LOCALE = i18n.LOCALE_DIR
SRC = Path(i18n.__file__).parent
LANGS = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)(?:![rsa])?(?::[^}]*)?\}")


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def template() -> Catalog:
    with open(LOCALE / "messages.pot", "rb") as fh:
        return read_po(fh)


def po(lang: str) -> Catalog:
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def problems(pot: Catalog, cat: Catalog) -> list[str]:
    out = []
    for msg in pot:
        if not msg.id:
            continue
        key = msg.id[0] if isinstance(msg.id, tuple) else msg.id
        tr = cat.get(key)
        if tr is None:
            out.append(f"missing: {key!r}")
            continue
        if tr.fuzzy:
            out.append(f"fuzzy: {key!r}")
        if isinstance(msg.id, tuple):
            forms = list(tr.string) if isinstance(tr.string, tuple | list) else [tr.string]
            if len(forms) != cat.num_plurals:
                out.append(f"{len(forms)} plural forms, the language has {cat.num_plurals}: {key!r}")
            want = placeholders(msg.id[1])
            for k, f in enumerate(forms):
                if not f.strip():
                    out.append(f"untranslated plural form {k}: {key!r}")
                elif placeholders(f) != want:
                    out.append(f"placeholders {sorted(placeholders(f))} in form {k}, {sorted(want)} in {key!r}")
        else:
            if not (tr.string or "").strip():
                out.append(f"untranslated: {key!r}")
            elif placeholders(tr.string) != placeholders(key):
                out.append(f"placeholders {sorted(placeholders(tr.string))} != {sorted(placeholders(key))} in {key!r}")
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_translated_with_its_placeholders(lang: str) -> None:
    assert problems(template(), po(lang)) == []


def test_the_check_finds_an_untranslated_message_and_a_lost_placeholder() -> None:
    pot = template()
    cat = po("ru")
    cat.get("Incident %(id)s").string = "Инцидент"
    cat.get("Zones").string = ""
    found = problems(pot, cat)
    assert any("Incident %(id)s" in p and "placeholders" in p for p in found)
    assert any("untranslated: 'Zones'" in p for p in found)


def test_plural_forms_are_those_of_the_language() -> None:
    assert {lang: po(lang).num_plurals for lang in LANGS} == {"ar": 6, "ru": 3, "tr": 2, "fa": 2}
    ru = i18n.catalogue("ru")
    assert [ru.ngettext("%(num)d incident", "%(num)d incidents", n) % {"num": n} for n in (1, 3, 5, 21)] == [
        "1 инцидент",
        "3 инцидента",
        "5 инцидентов",
        "21 инцидент",
    ]


def test_template_holds_every_string_of_the_sources() -> None:
    """Run the extraction as scripts/extract_messages.sh does and compare: a new `_()` in a module or a
    template fails here until the template and the catalogues are updated."""
    with open(SRC / "web" / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, msg, _comments, _ctx in extract_from_dir(
        str(SRC), method_map, options_map, keywords=keywords, comment_tags=()
    ):
        found.add(msg[0] if isinstance(msg, tuple) else msg)
    in_pot = {(m.id[0] if isinstance(m.id, tuple) else m.id) for m in template() if m.id}
    assert found - in_pot == set(), "run scripts/extract_messages.sh and translate the new messages"
    assert in_pot - found == set(), "the template holds messages no source uses: run scripts/extract_messages.sh"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_is_that_of_the_po_file(lang: str) -> None:
    buf = io.BytesIO()
    write_mo(buf, po(lang))
    buf.seek(0)
    fresh = gettext.GNUTranslations(buf)
    with open(LOCALE / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        shipped = gettext.GNUTranslations(fh)
    assert shipped._catalog == fresh._catalog, "run scripts/extract_messages.sh (it compiles the .mo files)"  # type: ignore[attr-defined]


def test_refusals_are_localized_keeping_their_values() -> None:
    assert i18n.localize("no party 'FAYLAQ'", "ru") == "нет стороны 'FAYLAQ'"
    assert i18n.localize("report: no report 1b2c", "tr") == "report: 1b2c numaralı rapor yok"
    assert i18n.localize("no agreement 'astana' version 2", "ar") == "لا يوجد اتفاق 'astana' بالنسخة 2"
    assert i18n.localize("something no catalogue knows", "fa") == "something no catalogue knows"
    assert i18n.localize("no party 'FAYLAQ'", "en") == "no party 'FAYLAQ'"


def test_the_matchers_reasons_are_localized_part_by_part() -> None:
    """Each part in the language, and the violation type in it (a word of its vocabulary) too."""
    reason = ("same type (shelling); alleged party unknown on one side; 3.0 h apart (beyond the 6 h window); "
              "placed only to a district (both in SY0200)")
    assert i18n.localize_parts(reason, "ru") == (
        "тот же тип (обстрел) · в одном из сообщений сторона не указана · разница 3.0 ч (больше окна в 6 ч)"
        " · место известно лишь до района (оба в SY0200)"
    )
    unknown = i18n.localize_parts("a part no catalogue knows; 1.5 km apart", "tr")
    assert unknown == "a part no catalogue knows · 1.5 km arayla"


def test_each_closed_vocabulary_has_its_words() -> None:
    with i18n.using("ar"):
        assert i18n.label("pending", "candidate_status") == i18n.label("pending") != "pending"
        assert i18n.label("fork", "alarm_kind") == "انشقاق: تاريخان مختلفان للسجل"
        assert i18n.label("killed_civilian", "candidate_field") == "قتلى مدنيون"
        assert i18n.label("not_verified") == i18n.label("not_verified", "verdict") != "not verified"
    assert i18n.label("armed_group") == "armed group"  # English: the word, not the identifier


def test_notifications_are_localized_keeping_their_values() -> None:
    m = ("The guarantors have attributed incident 12 (Shelling in Saraqib, 2017-09-21) to SYR. You may file a "
         "reply with counter-evidence until 2017-10-05: truce reply add 12 --text ...")
    assert i18n.localize(m, "ru") == (
        "Гаранты вменили инцидент 12 (Shelling in Saraqib, 2017-09-21) стороне SYR. Вы можете подать ответ с "
        "опровергающими доказательствами до 2017-10-05: truce reply add 12 --text ..."
    )
    denial = ("Access to the hospital was recorded as denied by SYR on 2017-09-22 during investigation 4 of "
              "incident 12; it counts against SYR.")
    assert i18n.localize(denial, "tr").endswith("bu SYR aleyhine sayılır.")
