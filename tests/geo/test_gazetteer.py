"""The gazetteer on the bundled data: what a user typing a place name (or an importer reading one) gets."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from truce.geo.gazetteer import Gazetteer, Resolution, _bundled_entries, place_points
from truce.geo.geometry import bundled_adm3_repaired


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.bundled()


def test_build_from_the_bundled_entries() -> None:
    """Building the gazetteer from scratch (a CLI import, a worker start): its time is in
    benchmarks/bench_gazetteer.py, never asserted here."""
    g = Gazetteer(_bundled_entries())
    assert len(g) > 2000
    assert g.admin_name("SY07") == "Idleb"


def test_bundled_is_built_once_per_process() -> None:
    """Every importer shares one gazetteer instead of rebuilding it per file or per request."""
    assert Gazetteer.bundled() is Gazetteer.bundled()


@pytest.mark.parametrize(
    ("name", "adm1"),
    [
        ("Idleb", "SY07"),
        ("Idlib governorate", "SY07"),
        ("idlib", "SY07"),
        ("Rural Damascus", "SY03"),
        ("Rif Dimashq", "SY03"),
        ("Rif Dimashq governorate", "SY03"),
        ("Damascus Suburbs", "SY03"),
        ("Damascus countryside", "SY03"),
        ("Damascus", "SY01"),
        ("Hamah", "SY05"),
        ("Hamah governorate", "SY05"),
        ("Deir ez Zor", "SY09"),
        ("Deir Ezzor", "SY09"),
        ("Latakia", "SY06"),
        ("Al Hasakah", "SY08"),
        ("As Suwayda", "SY13"),
        ("Tartus", "SY10"),
        ("Daraa", "SY12"),
        ("Dar'a", "SY12"),
        ("Ar Raqqah", "SY11"),
        ("Aleppo governorate", "SY02"),
        ("Quneitra governorate", "SY14"),
        ("Homs governorate", "SY04"),
        ("محافظة إدلب", "SY07"),
        ("ريف دمشق", "SY03"),
    ],
)
def test_governorate_aliases_reach_the_ocha_governorate(gaz: Gazetteer, name: str, adm1: str) -> None:
    """A governorate written the UCDP, VDC, GeoNames or Arabic way lands in the right OCHA governorate
    at governorate precision (else a bulletin counts incidents under the wrong province)."""
    r = gaz.resolve(name)
    assert r is not None, name
    assert (r.precision, r.adm1_pcode) == ("adm1", adm1), (name, r)


@pytest.mark.parametrize(
    ("name", "adm2"),
    [
        ("Markaz Idlib district", "SY0700"),
        ("Mintaqat Markaz Hamah district", "SY0501"),
        ("Markaz Rif Dimashq district", "SY0301"),
        ("Mintaqat Azaz district", "SY0204"),
        ("Markaz Daraa district", "SY1200"),
        ("Markaz al Quneitra district", "SY1400"),
        ("Markaz as Suwayda district", "SY1300"),
        ("Jabal Saman district", "SY0200"),
        ("Tadmur district", "SY0405"),
        ("Ar Rastan district", "SY0404"),
        ("Albu Kamal district", "SY0902"),
        ("Ayn al Arab district", "SY0206"),
        ("Maarat al-Numaan district", "SY0702"),
        ("Al Qamishli district", "SY0802"),
        ("Mintaqat Markaz Homs district", "SY0401"),
        ("Damascus district", "SY0100"),
        ("Al Mukharram district", "SY0406"),
        ("Mintaqat az Zabadani district", "SY0307"),
    ],
)
def test_ucdp_district_names_reach_the_ocha_district(gaz: Gazetteer, name: str, adm2: str) -> None:
    """UCDP's district names ("Markaz …", "Mintaqat …", other transliterations) resolve to the OCHA
    district at district precision, not to the town of the same name nor to the governorate."""
    r = gaz.resolve(name)
    assert r is not None, name
    assert (r.precision, r.adm2_pcode, r.adm1_pcode) == ("adm2", adm2, adm2[:4]), (name, r)
    assert r.adm3_pcode is None and r.source == "ocha_adm2"


@pytest.mark.parametrize(
    ("name", "adm1", "adm2"),
    [
        ("Saraqib town", "SY07", "SY0700"),
        ("Idlib town", "SY07", "SY0700"),
        ("Duma", "SY03", "SY0302"),
        ("Duma town", "SY03", "SY0302"),
        ("Tadmur/Palmyra town", "SY04", "SY0405"),
        ("Palmyra", "SY04", "SY0405"),
        ("Kobane/Ayn al Arab town", "SY02", "SY0206"),
        ("Quamishli", "SY08", "SY0802"),
        ("Al Qamishli", "SY08", "SY0802"),
        ("Ma`arrat an Nu`man", "SY07", "SY0702"),
        ("Moadamiyat al-Sham town", "SY03", "SY0309"),
        ("Khan Shaykhun", "SY07", "SY0702"),
    ],
)
def test_towns_resolve_to_a_point_with_all_three_pcodes(
    gaz: Gazetteer, name: str, adm1: str, adm2: str
) -> None:
    """A town name gives its gazetteer point ("near") and the sub-district, district and governorate
    it lies in, so a map pin and the province tables agree."""
    r = gaz.resolve(name)
    assert r is not None, name
    assert r.precision == "near", (name, r)
    assert (r.adm1_pcode, r.adm2_pcode) == (adm1, adm2), (name, r)
    assert r.adm3_pcode is not None and r.adm3_pcode.startswith(adm2)
    assert r.lat is not None and r.lon is not None


def test_idlib_city_point_lies_in_idleb_governorate(gaz: Gazetteer) -> None:
    """The pin for "Idlib town" is inside the Idleb governorate polygon (not merely tagged SY07)."""
    r = gaz.resolve("Idlib town")
    assert r is not None and r.lat is not None and r.lon is not None
    props, geoms = bundled_adm3_repaired()
    idleb = shapely.union_all([g for p, g in zip(props, geoms, strict=True) if p["adm1_pcode"] == "SY07"])
    assert idleb.contains(shapely.Point(r.lon, r.lat))
    assert r.adm1_pcode == "SY07"


def test_country_name_resolves_to_country_precision(gaz: Gazetteer) -> None:
    """ "Syria" is kept at country precision with no P-codes, never pinned to some town."""
    for name in ("Syria", "Northern Syria", "Syrian Arab Republic", "سوريا"):
        r = gaz.resolve(name)
        assert r is not None and r.precision == "country", name
        assert (r.adm1_pcode, r.adm2_pcode, r.adm3_pcode) == (None, None, None)


@pytest.mark.parametrize(
    "name",
    ["Xyzzy Plugh", "Springfield", "Latakia-Hama-Idlib axis", "Road 42 between Ithriya and Ar Raqqah",
     "Syrian Badia/Syrian Desert", "", "   ", "qqqq town"],
)
def test_nonsense_returns_none_not_a_silly_match(gaz: Gazetteer, name: str) -> None:
    """Unknown names give None, so the caller falls back to a coarser area instead of a wrong pin."""
    assert gaz.resolve(name) is None


def test_hint_picks_the_town_inside_the_hinted_governorate(gaz: Gazetteer) -> None:
    """Suran exists in Aleppo (A'zaz) and in Hama: the governorate hint decides which one is meant."""
    in_aleppo = gaz.resolve("Suran town", adm1="SY02")
    in_hama = gaz.resolve("Suran town", adm1="SY05")
    assert in_aleppo is not None and in_hama is not None
    assert in_aleppo.adm1_pcode == "SY02" and in_hama.adm1_pcode == "SY05"
    assert (in_aleppo.lat, in_aleppo.lon) != (in_hama.lat, in_hama.lon)


def test_hint_excludes_places_outside_the_hinted_area(gaz: Gazetteer) -> None:
    """A place that is not in the hinted district is not returned (the importer then keeps the district)."""
    assert gaz.resolve("Saraqib town", adm2="SY0700") is not None
    assert gaz.resolve("Saraqib town", adm2="SY0705") is None
    assert gaz.resolve("Saraqib town", adm1="SY02") is None


def test_hinted_bare_name_prefers_the_finest_place(gaz: Gazetteer) -> None:
    """Inside a hinted district a bare town name means the town, not the district of the same name."""
    r = gaz.resolve("Ariha", adm2="SY0705")
    assert r is not None and r.precision == "near" and r.adm2_pcode == "SY0705"


def test_subdistrict_type_word_gives_the_subdistrict(gaz: Gazetteer) -> None:
    """ "Talbiseh sub-district" / "nahiya" is the OCHA sub-district, at its label point."""
    for name in ("Talbiseh sub-district", "Talbiseh nahiya", "Tallbisah subdistrict"):
        r = gaz.resolve(name)
        assert r is not None and r.precision == "adm3" and r.adm3_pcode == "SY040401", (name, r)
        assert r.source == "ocha_adm3"


def test_level_forces_the_kind_of_place(gaz: Gazetteer) -> None:
    """An importer reading a governorate column asks for a governorate and never gets a town."""
    r = gaz.resolve("Idlib", level="adm1")
    assert r is not None and r.precision == "adm1"
    r = gaz.resolve("Idlib", level="adm2")
    assert r is not None and r.precision == "adm2" and r.adm2_pcode == "SY0700"
    assert gaz.resolve("Saraqib", level="adm1") is None


def test_parenthesised_context_is_not_taken_for_the_place(gaz: Gazetteer) -> None:
    """ "Jabal Bishri mountain (Deir Ezzor)" must not be pinned on Deir ez-Zor city."""
    assert gaz.resolve("Jabal Bishri mountain (Deir Ezzor)", adm1="SY09") is None
    r = gaz.resolve("Al-Rai town (Choban Bey)", adm1="SY02")
    assert r is not None and r.precision == "near" and r.adm2_pcode == "SY0202"


def test_suggest_returns_prefix_matches_for_autocomplete(gaz: Gazetteer) -> None:
    """Typing "Sara" offers Saraqib (once, not once per source), each with its P-codes."""
    out = gaz.suggest("Sara")
    assert out and len(out) <= 10
    labels = [label for label, _ in out]
    assert sum(label.startswith("Saraq") and "sub-district" not in label for label in labels) == 1
    for label, r in out:
        assert isinstance(r, Resolution) and r.adm1_pcode
        assert label.lower().startswith("sar")
    assert len(gaz.suggest("Id", limit=3)) == 3
    assert gaz.suggest("Id", limit=3)[0][1].precision == "adm1"  # the governorate comes first
    assert gaz.suggest("") == []
    assert gaz.suggest("zzzzqx") == []


def test_suggest_knows_arabic_names(gaz: Gazetteer) -> None:
    """An Arabic-speaking monitor typing "إدل" gets Idleb."""
    out = gaz.suggest("إدل")
    assert any(r.adm1_pcode == "SY07" for _, r in out)


def test_admin_name_gives_english_names(gaz: Gazetteer) -> None:
    """Tables and exports show "Idleb", not "SY07"; an unknown code is an error, not a blank."""
    assert gaz.admin_name("SY07") == "Idleb"
    assert gaz.admin_name("SY0301") == "Rural Damascus"
    assert gaz.admin_name("SY040401") == "Talbiseh"
    with pytest.raises(KeyError):
        gaz.admin_name("SY99")


def test_points_are_placed_by_point_in_polygon_with_snapping() -> None:
    """A point inside a sub-district gets it; a coastal point a few hundred metres offshore snaps to
    the nearest one; a point far outside Syria is dropped (-1) rather than forced into a border area."""
    props, geoms = bundled_adm3_repaired()
    lats = np.array([35.93062, 35.52, 48.85])  # Idlib city; just off Latakia's coast; Paris
    lons = np.array([36.63393, 35.765, 2.35])
    where = place_points(lats, lons, geoms)
    assert props[where[0]]["adm1_pcode"] == "SY07"
    assert where[1] >= 0 and props[where[1]]["adm1_pcode"] == "SY06"
    assert where[2] == -1
