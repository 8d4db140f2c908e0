"""Names of places and parties in the reader's language where the data has them: the incident page in
Arabic names its governorate (and district, sub-district) by OCHA's Arabic names and its party by the name
the scenario gives it in Arabic; in Russian the party's Russian name, the places in English (OCHA has no
Russian names); in English the identifiers and English names as before."""

from __future__ import annotations

import re

from tests.web.conftest import client_for, sign_in

from truce.app import Truce
from truce.geo.queries import admin_names
from truce.incidents.views import incident_detail
from truce.ledger.chain import SYSTEM
from truce.ledger.service import verify
from truce.parties.service import local_names, resolve_party
from truce.zones.queries import local_names as zone_local_names
from truce.zones.queries import show_zone
from truce.zones.service import unite_zone


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


IDLIB_AR = "منطقة خفض التصعيد في إدلب"


def test_zone_names_in_the_readers_language(world):
    """The zones the scenario names in each language: the incident page's zone link, the zones list, the zone
    page and the map's outlines name them so; English where a language has no name."""
    url, w = world
    c = client_for(url)
    ar = c.get(f"/incidents/{w['A']}?lang=ar").text
    assert text_of(ar, "data-zone", "Z1") == f"{IDLIB_AR} Z1"  # the incident in Idlib lies in Z1
    zones_ar = c.get("/zones?lang=ar&as_of=2017-09-21").text
    assert IDLIB_AR in zones_ar and "منطقة خفض التصعيد في الغوطة الشرقية" in zones_ar
    assert "Idlib de-escalation area" not in zones_ar and "Eastern Ghouta de-escalation area" not in zones_ar
    assert "<h1>Z3 Зона деэскалации в Восточной Гуте</h1>" in c.get("/zones/Z3?lang=ru").text
    assert "Doğu Guta Gerginliği Azaltma Bölgesi" in c.get("/?lang=tr").text  # the map's list of zones
    fc = c.get("/api/v1/zones?lang=fa&as_of=2017-09-21").json()
    assert {f["properties"]["zone"]: f["properties"]["local_name"] for f in fc["features"]}["Z3"] == (
        "منطقهٔ کاهش تنش غوطهٔ شرقی"
    )
    assert "local_name" not in c.get("/api/v1/zones").json()["features"][0]["properties"]  # the API as before
    assert c.get("/api/v1/zones?lang=xx").status_code == 422
    en = c.get(f"/incidents/{w['A']}?lang=en").text
    assert text_of(en, "data-zone", "Z1") == "Idlib de-escalation area Z1"
    assert IDLIB_AR not in c.get("/zones?lang=en").text


def test_zone_names_are_stored_kept_by_new_versions_and_replayed(astana_url):
    app = Truce(astana_url)
    with app.read() as conn:
        assert zone_local_names(conn, "ar", ["Z1", "Z4"]) == {
            "Z1": IDLIB_AR, "Z4": "منطقة خفض التصعيد في الجنوب السوري (درعا – القنيطرة)"}
        assert zone_local_names(conn, "ru")["Z2"].startswith("Зона деэскалации на севере провинции Хомс")
        assert show_zone(conn, "Z4")["names"]["tr"] == "Güney Gerginliği Azaltma Bölgesi (Dera–Kuneytra)"
    with app.write() as conn:
        unite_zone(app, conn, SYSTEM, "Z4", "2017-07-09", adm=["SY120304"], reason="Sheikh Miskine reconciled")
    with app.read() as conn:
        assert [v["version"] for v in show_zone(conn, "Z4")["versions"]] == [1, 2]
        assert zone_local_names(conn, "ar", ["Z4"])["Z4"].startswith("منطقة خفض التصعيد في الجنوب")
    res = verify(app)
    assert res.ok, res.problems  # the ledger's replay builds the same zone_names
    assert res.tables["zone_names"] == 16
