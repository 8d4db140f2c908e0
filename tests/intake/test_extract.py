"""Extraction rules on English and Arabic text: each field with its evidence words and a confidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from truce.intake.extract import Article, extract, find_full_date
from truce.intake.numbers import to_int

PUB = datetime(2017, 4, 19, 9, 0, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "n"),
    [("112", 112), ("1,200", 1200), ("six", 6), ("twenty-two", 22), ("a dozen", 12), ("٣٥", 35),
     ("خمسة", 5), ("عشرين", 20)],
)
def test_numbers_in_digits_and_words(text, n):
    assert to_int(text) == n


def test_an_english_article_every_field():
    art = Article(
        title="Air strike kills 15 in Idlib",
        body="An air strike by regime warplanes killed 15 civilians including four children and wounded 30 "
        "in the town of Saraqib in Idlib province on Tuesday, a monitor said.",
        published=PUB,
    )
    x = extract(art)
    assert x.date.value == "2017-04-18" and x.date_precision == "day" and x.date.evidence == "on Tuesday"
    assert x.place.value["adm1_pcode"] == "SY07" and x.place.confidence > 0.5
    assert x.party.value == "SYR" and "regime" in x.party.evidence.lower()
    assert x.violation_type.value == "airstrike"
    c = x.casualties
    assert c["killed_civilian"].value == 15 and "15" in c["killed_civilian"].evidence
    assert c["killed_children"].value == 4 and c["injured"].value == 30
    assert all(0 < f.confidence <= 1 for f in c.values())


def test_yesterday_is_resolved_against_the_publication_time():
    x = extract(Article(body="Shelling hit Douma yesterday, killing three people.", published=PUB))
    assert x.date.value == "2017-04-18" and x.date.evidence == "yesterday"
    assert x.place.value["adm1_pcode"] == "SY03"  # Rural Damascus


def test_ranges_take_the_lower_bound_and_fighters_are_not_civilians():
    x = extract(Article(body="Between 10 and 12 soldiers were killed in clashes with ISIS near Palmyra.",
                        published=PUB))
    assert x.casualties["killed_combatant"].value == 10 and "killed_civilian" not in x.casualties
    assert x.party.value == "ISIL" and x.place.value["adm1_pcode"] == "SY04"  # Homs governorate


def test_datelines_in_several_forms():
    assert find_full_date("Sun 16 Apr 2017 Death toll")[0].isoformat() == "2017-04-16"
    assert find_full_date("Posted on April 19 2017 by")[0].isoformat() == "2017-04-19"
    assert find_full_date("21.08.2013Get short URL")[0].isoformat() == "2013-08-21"
    assert find_full_date("دمشق 16 نيسان 2017")[0].isoformat() == "2017-04-16"


# Arabic: place names from the bundled Arabic gazetteer, numbers in words and in digits.
AR_PUB = datetime(2017, 4, 19, 9, 0, tzinfo=UTC)


def test_arabic_place_party_type_and_casualties_in_words():
    body = "قصف لقوات النظام على مدينة سراقب في ريف إدلب أمس أدى إلى مقتل خمسة مدنيين وإصابة ١٢ آخرين"
    x = extract(Article(body=body, published=AR_PUB))
    assert x.language == "ar"
    assert x.place.value["adm1_pcode"] == "SY07" and x.place.evidence  # سراقب, Idleb governorate
    assert x.party.value == "SYR" and x.party.evidence == "قوات النظام"
    assert x.violation_type.value == "shelling"
    assert x.casualties["killed"].value == 5 and x.casualties["killed_civilian"].value == 5
    assert x.casualties["injured"].value == 12  # Arabic-Indic digits
    assert x.date.value == "2017-04-18" and x.date.evidence == "امس"


def test_arabic_digits_airstrike_isis_and_a_weekday():
    x = extract(Article(body="غارات للتحالف على الرقة يوم الثلاثاء أسفرت عن مقتل 20 عنصرا من داعش",
                        published=AR_PUB))
    assert x.place.value["adm1_pcode"] == "SY11"  # الرقة
    assert x.violation_type.value == "airstrike"
    assert x.casualties["killed_combatant"].value == 20
    assert x.date.value == "2017-04-18"  # the Tuesday before Wednesday 19 April


def test_arabic_chemical_attack_in_aleppo_with_children():
    x = extract(Article(body="هجوم بغاز الكلور على حلب أدى إلى مقتل ٧ أطفال", published=AR_PUB))
    assert x.place.value["adm1_pcode"] == "SY02"
    assert x.violation_type.value == "chemical_weapons_use"
    assert x.casualties["killed_children"].value == 7


def test_arabic_dateline_explosion_in_deir_ez_zor_with_numbers_in_words():
    body = ("دير الزور 15 نيسان 2017: انفجار سيارة مفخخة في حي الجورة أدى إلى مقتل ثلاثة مدنيين "
            "وإصابة عشرة آخرين")
    x = extract(Article(body=body))  # no publication time: the dateline's day
    assert x.date.value == "2017-04-15" and x.date.evidence == "15 نيسان 2017"
    assert x.place.value["adm1_pcode"] == "SY09" and x.place.evidence == "دير الزور"
    assert x.violation_type.value == "ied"
    assert x.casualties["killed_civilian"].value == 3 and x.casualties["injured"].value == 10  # words


def test_arabic_execution_by_isis_in_khan_sheikhoun():
    x = extract(Article(body="إعدام عشرة أشخاص على يد تنظيم داعش في مدينة خان شيخون", published=AR_PUB))
    assert x.place.value["adm1_pcode"] == "SY07" and x.place.evidence == "خان شيخون"
    assert x.party.value == "ISIL" and x.party.evidence == "داعش"
    assert x.violation_type.value == "execution"
    assert x.casualties["killed"].value == 10
    assert x.date.value == "2017-04-19" and x.date_precision == "day"  # no day named: the publication day


def test_arabic_russian_air_force_on_eastern_ghouta_women_and_children_at_dawn():
    body = "غارات للطيران الروسي على الغوطة الشرقية فجر اليوم أسفرت عن مقتل ٤ نساء و٣ أطفال"
    x = extract(Article(body=body, published=AR_PUB))
    assert x.party.value == "RUS"  # "للطيران الروسي": a prefix and the article before the name
    assert x.place.value["adm1_pcode"] == "SY03" and x.place.evidence == "الغوطة الشرقية"  # Rural Damascus
    assert x.violation_type.value == "airstrike"
    assert x.casualties["killed_women"].value == 4 and x.casualties["killed_children"].value == 3
    assert x.date.value == "2017-04-19" and x.date.evidence == "فجر اليوم"


def test_arabic_israeli_shelling_on_the_golan_kills_soldiers():
    x = extract(Article(body="قصف إسرائيلي على الجولان أدى إلى مقتل خمسة جنود", published=AR_PUB))
    assert x.place.value["adm1_pcode"] == "SY14"  # Quneitra
    assert x.party.value == "COALITION" and x.party.evidence == "إسرائيلي"
    assert x.casualties["killed_combatant"].value == 5 and "killed_civilian" not in x.casualties


def test_the_news_names_the_gazetteer_does_not_reach():
    cases = {"Deir ez-Zor": "SY09", "Deir Ezour": "SY09", "Eastern Ghouta": "SY03", "Qalamoun": "SY03",
             "Golan Heights": "SY14", "Shayrat": "SY04", "Efrin": "SY02", "مدينة حلب": "SY02"}
    for name, adm1 in cases.items():
        x = extract(Article(body=f"Shelling on {name} killed two civilians on Monday.", published=AR_PUB))
        assert x.place.value["adm1_pcode"] == adm1, name
