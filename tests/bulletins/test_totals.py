"""Bulletin totals count each incident once: one shelling with 2 killed reported by two offices is 2
killed in the totals, while each office's own figures stay as it reported them."""

from __future__ import annotations

from tests.helpers import report

from truce.app import Truce
from truce.auth.service import get_actor
from truce.bulletins.compute import compute
from truce.reports.service import submit

DAY = "2017-09-21"


def test_one_incident_reported_by_two_offices_is_counted_once_in_the_totals(astana_url):
    app = Truce(astana_url)
    with app.write() as conn:
        first = submit(app, conn, get_actor(conn, "rus_monitor"), report(casualties={"killed": 2, "injured": 1}))
        submit(
            app,
            conn,
            get_actor(conn, "tur_monitor"),
            report(
                casualties={"killed": 2, "injured": 3}, incident_id=first.incident_id, occurred_at=f"{DAY}T06:40:00Z"
            ),
        )
        # Another incident, reported by one office only, far away (Daraa).
        submit(app, conn, get_actor(conn, "tur_monitor"), report(casualties={"killed": 1}, lat=32.62, lon=36.10))
    with app.read() as conn:
        n = compute(conn, DAY)["numbers"]
    rep = n["office_reports"]
    assert (rep["total"]["reports"], rep["total"]["killed"], rep["total"]["injured"]) == (3, 3, 3)
    assert (rep["by_office"]["RUS_OFFICE"]["killed"], rep["by_office"]["TUR_OFFICE"]["killed"]) == (2, 3)
    shelling = n["by_type"]["shelling"]
    assert (shelling["all"]["killed"], shelling["RUS_OFFICE"]["killed"], shelling["TUR_OFFICE"]["killed"]) == (3, 2, 3)
    assert (shelling["all"]["injured"], shelling["TUR_OFFICE"]["injured"]) == (3, 3)
