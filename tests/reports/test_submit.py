"""Report intake: placing reports, refusing bad input without writing anything, idempotency."""

from __future__ import annotations

import uuid

import pytest
from tests.helpers import CENTRAL_DAMASCUS, DUMA, IDLIB_CITY, ledger_count, report

from truce.app import Truce
from truce.attachments import EvidenceFile
from truce.auth.service import get_actor
from truce.errors import Conflict, PermissionDenied, TruceError, ValidationFailed
from truce.incidents.service import show_incident
from truce.ledger.service import verify
from truce.reports.queries import get_report
from truce.reports.service import submit


def _submit(app: Truce, user: str, data: dict, evidence: list[EvidenceFile] | None = None):
    with app.write() as conn:
        return submit(app, conn, get_actor(conn, user), data, evidence)


@pytest.mark.parametrize(
    ("point", "zone", "pcodes"),
    [
        (IDLIB_CITY, "Z1", ("SY07", "SY0700", "SY070000")),
        (DUMA, "Z3", ("SY03", "SY0302", "SY030200")),
        (CENTRAL_DAMASCUS, None, ("SY01", "SY0100", "SY010000")),
    ],
    ids=["idlib-city", "duma", "central-damascus"],
)
def test_a_report_is_placed_in_its_zone_and_admin_areas(astana_url, point, zone, pcodes):
    """A user would see a shelling in Idlib city outside the Idlib zone, or Damascus inside one."""
    app = Truce(astana_url)
    res = _submit(app, "rus_monitor", report(lat=point[0], lon=point[1]))
    assert not res.duplicate and res.new_incident
    with app.read() as conn:
        inc = show_incident(conn, res.incident_id)
    assert (inc["adm1_pcode"], inc["adm2_pcode"], inc["adm3_pcode"]) == pcodes
    assert [z["zone_id"] for z in inc["zones"]] == ([zone] if zone else [])
    assert inc["reports"][0]["org_id"] == "RUS_OFFICE"
    assert inc["reports"][0]["source_kind"] == "guarantor_office"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 95}, "lat"),
        ({"violation_type": "bombing"}, "violation_type"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, "occurred_at"),
        ({"lat": None, "lon": None, "place_name": "Qwxzy Nowhere"}, "place_name"),
        ({"occurred_at": "2017-02-30T00:00:00Z"}, "occurred_at"),
        ({"casualties": {"killed": -1}}, "casualties.killed"),
        ({"casualties": {"killed": 5, "killed_low": 7}}, "casualties"),
        ({"lat": None, "lon": None}, "input"),
        ({"unexpected": 1}, "unexpected"),
    ],
    ids=["lat-95", "unknown-type", "future-date", "unknown-place", "impossible-date", "negative-killed",
         "low-above-best", "no-location", "unknown-field"],
)
def test_bad_report_is_refused_naming_the_field_and_nothing_is_written(astana_url, change, field):
    """A monitor sending a bad report must be told which field is wrong, and the database must not change."""
    app = Truce(astana_url)
    before = ledger_count(app)
    data = report(**change)
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ValidationFailed) as e:
        _submit(app, "rus_monitor", data)
    assert e.value.field is not None and e.value.field.startswith(field), e.value.details
    assert field.split(".")[0] in e.value.message or field == "input"
    assert ledger_count(app) == before


def test_same_uuid_same_content_is_a_duplicate_and_different_content_is_refused(astana_url):
    """A retried submission must not create a second report; a changed one under the same id must be refused."""
    app = Truce(astana_url)
    rid = str(uuid.uuid4())
    first = _submit(app, "tur_monitor", report(id=rid, narrative="mortar fire"))
    n = ledger_count(app)
    again = _submit(app, "tur_monitor", report(id=rid, narrative="mortar fire"))
    assert again.duplicate and again.incident_id == first.incident_id
    assert ledger_count(app) == n
    with pytest.raises(Conflict) as e:
        _submit(app, "tur_monitor", report(id=rid, narrative="rocket fire"))
    assert e.value.field == "id" and "narrative" in e.value.message
    assert ledger_count(app) == n
    with app.read() as conn:
        assert get_report(conn, rid)["narrative"] == "mortar fire"


def test_report_can_name_its_incident_and_unknown_incident_is_refused(astana_url):
    app = Truce(astana_url)
    first = _submit(app, "rus_monitor", report())
    second = _submit(app, "tur_monitor", report(incident_id=first.incident_id, alleged_party="FAYLAQ"))
    assert second.incident_id == first.incident_id and not second.new_incident
    with app.read() as conn:
        assert len(show_incident(conn, first.incident_id)["reports"]) == 2
    with pytest.raises(TruceError) as e:
        _submit(app, "tur_monitor", report(incident_id=999999))
    assert e.value.field == "incident_id"


def test_place_name_is_geocoded_when_no_point_is_given(astana_url):
    app = Truce(astana_url)
    res = _submit(app, "irn_monitor", report(lat=None, lon=None, place_name="Saraqib town") | {"lat": None})
    assert res.location["adm1_pcode"] == "SY07"
    assert res.location["location_precision"] in ("exact", "near", "adm3")


def test_evidence_is_kept_by_sha256_in_the_blob_store(astana_url):
    app = Truce(astana_url)
    data = b"photo bytes \x00\x01"
    res = _submit(app, "rus_monitor", report(), [EvidenceFile(name="crater.jpg", data=data)])
    with app.read() as conn:
        ev = get_report(conn, res.report_id)["evidence"]
    assert len(ev) == 1 and ev[0]["media_type"] == "image/jpeg" and ev[0]["size"] == len(data)
    assert app.blobs.read(ev[0]["sha256"]) == data
    assert verify(app).ok


def test_liaison_files_complaints_and_analyst_cannot_submit(astana_url):
    """A party liaison's report is a complaint; an analyst may read but not file."""
    app = Truce(astana_url)
    res = _submit(app, "faylaq_liaison", report(alleged_party="SYR"))
    with app.read() as conn:
        assert get_report(conn, res.report_id)["source_kind"] == "party_complaint"
    with pytest.raises(ValidationFailed):
        _submit(app, "faylaq_liaison", report(source_kind="guarantor_office"))
    with pytest.raises(PermissionDenied) as e:
        _submit(app, "analyst", report())
    assert "analyst" in e.value.message and "submit reports" in e.value.message


def test_unknown_alleged_party_is_kept_as_text(astana_url):
    app = Truce(astana_url)
    res = _submit(app, "rus_monitor", report(alleged_party="Liwa Unknown Brigade"))
    with app.read() as conn:
        r = get_report(conn, res.report_id)
    assert r["alleged_party_id"] is None and r["alleged_party_text"] == "Liwa Unknown Brigade"
    assert any("not in the register" in n for n in res.notes)


def test_alias_resolves_to_party(astana_url):
    app = Truce(astana_url)
    res = _submit(app, "rus_monitor", report(alleged_party="Hay'at Tahrir al-Sham"))
    with app.read() as conn:
        assert get_report(conn, res.report_id)["alleged_party_id"] == "NUSRA"
