"""Parties' external names (ACLED actors, UCDP sides) are data declared with the party, not code."""

from __future__ import annotations

import pytest

from truce.app import Truce
from truce.errors import Conflict, ValidationFailed
from truce.ledger.chain import SYSTEM
from truce.parties.service import add_party, external_hint


def test_external_names_map_actors_to_parties(db_url: str) -> None:
    app = Truce(db_url)
    with app.write() as conn:
        add_party(app, conn, SYSTEM, {
            "id": "YEM", "name": "Government of Yemen", "kind": "government",
            "external_names": {"acled": ["Military Forces of Yemen (2016-) Hadi Faction"],
                               "ucdp": ["Government of Yemen (North Yemen)"]},
        }, as_of="2018-12-18")
        add_party(app, conn, SYSTEM, {
            "id": "HOUTHI", "name": "Ansar Allah", "kind": "armed_group",
            "external_names": {"acled": ["Houthi Movement"], "ucdp": ["Ansarallah"]},
        }, as_of="2018-12-18")
    with app.read() as conn:
        acled, ucdp = external_hint(conn, "acled"), external_hint(conn, "ucdp")
    assert acled("Military Forces of Yemen (2016-) Hadi Faction") == "YEM"
    assert acled("Military Forces of Yemen (2016-2022) Hadi Faction") == "YEM"  # qualifiers in parentheses dropped
    assert acled("Houthi Movement - Ansar Allah") == "HOUTHI"  # a prefix of whole words
    assert acled("Houthis") is None and acled("Military Forces of Saudi Arabia") is None
    assert ucdp("Ansarallah") == "HOUTHI" and ucdp("government of yemen (north yemen)") == "YEM"
    assert ucdp("Houthi Movement") is None


def test_bad_external_names_are_refused(db_url: str) -> None:
    app = Truce(db_url)
    with app.write() as conn:
        add_party(app, conn, SYSTEM, {"id": "A1", "name": "A", "kind": "armed_group",
                                      "external_names": {"ucdp": ["Group A"]}}, as_of="2018-12-18")
    with pytest.raises(ValidationFailed, match="unknown source 'gdelt': expected one of acled, ucdp"), \
            app.write() as conn:
        add_party(app, conn, SYSTEM, {"id": "B1", "name": "B", "kind": "armed_group",
                                      "external_names": {"gdelt": ["B"]}}, as_of="2018-12-18")
    with pytest.raises(Conflict, match="'group a' names A1 already"), app.write() as conn:
        add_party(app, conn, SYSTEM, {"id": "B1", "name": "B", "kind": "armed_group",
                                      "external_names": {"ucdp": ["group a"]}}, as_of="2018-12-18")
