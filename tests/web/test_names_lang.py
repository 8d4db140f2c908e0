"""Names of places and parties in the reader's language where the data has them: the incident page in
Arabic names its governorate (and district, sub-district) by OCHA's Arabic names and its party by the name
the scenario gives it in Arabic; in Russian the party's Russian name, the places in English (OCHA has no
Russian names); in English the identifiers and English names as before."""

from __future__ import annotations

import re

from tests.web.conftest import client_for, sign_in

from truce.app import Truce
from truce.geo.service import admin_names
from truce.incidents.views import incident_detail
from truce.parties.service import local_names, resolve_party


def text_of(html: str, attr: str, value: str) -> str:
    m = re.search(rf'<span {attr}="{re.escape(value)}">(.*?)</span>', html, re.S)
    assert m, f"no {attr}={value} on the page"
    return re.sub(r"<[^>]+>", " ", m.group(1)).strip()


def test_incident_page_in_arabic_names_its_governorate_and_party(world):
    url, w = world
    app = Truce(url)
    with app.read() as conn:
        d = incident_detail(conn, w["A"], None)
    assert d["adm1_pcode"] == "SY07" and d["attributed_party_id"] == "SYR"  # Idlib, attributed to the government
    c = client_for(url)
    sign_in(c, url, "rus_verifier")
    ar = c.get(f"/incidents/{w['A']}?lang=ar").text
    assert text_of(ar, "data-pcode", "SY07") == "إدلب"
    assert text_of(ar, "data-party", "SYR").startswith("الحكومة السورية")
    assert text_of(ar, "data-party", "SYR").endswith("SYR")  # the identifier beside it
    fa = c.get(f"/incidents/{w['A']}?lang=fa").text
    assert text_of(fa, "data-pcode", "SY07") == "إدلب"  # Persian readers: OCHA's Arabic names
    assert text_of(fa, "data-party", "SYR").startswith("دولت سوریه")
    ru = c.get(f"/incidents/{w['A']}?lang=ru").text
    assert text_of(ru, "data-pcode", "SY07") == "Idleb"  # no Russian name in the data: English
    assert text_of(ru, "data-party", "SYR").startswith("Правительство Сирийской Арабской Республики")
    en = c.get(f"/incidents/{w['A']}?lang=en").text
    assert text_of(en, "data-pcode", "SY07") == "Idleb" and text_of(en, "data-party", "SYR") == "SYR"


def test_scenario_names_are_aliases_marked_with_their_language(astana_url):
    app = Truce(astana_url)
    with app.read() as conn:
        assert local_names(conn, "ar", ["NUSRA", "AHRAR", "ISIL"]) == {
            "NUSRA": "جبهة النصرة",
            "AHRAR": "حركة أحرار الشام الإسلامية",
            "ISIL": "تنظيم الدولة الإسلامية (داعش)",
        }
        assert local_names(conn, "fa", ["FAYLAQ"]) == {"FAYLAQ": "فیلق الشام"}  # kept beside the Arabic spelling
        assert local_names(conn, "tr", ["NUSRA"]) == {"NUSRA": "Nusra Cephesi"}
        assert resolve_party(conn, "جبهة النصرة") == "NUSRA"  # a name in any language finds the party
        assert admin_names(conn, ["SY07"], "ar") == {"SY07": "إدلب"}
        assert admin_names(conn, ["SY07"], "tr") == {"SY07": "Idleb"}


def test_register_pages_name_parties_in_the_language(world):
    url, _w = world
    c = client_for(url)
    ar = c.get("/parties?lang=ar").text
    assert "جبهة النصرة" in ar and "حركة أحرار الشام الإسلامية" in ar
    assert "Jabhat al-Nusra" not in ar
    tr = c.get("/parties/NUSRA?lang=tr").text
    assert "<h1>Nusra Cephesi" in tr and "Jabhat al-Nusra" in tr  # the English name beside it
    en = c.get("/parties?lang=en").text
    assert "Jabhat al-Nusra" in en and "جبهة النصرة" not in en
