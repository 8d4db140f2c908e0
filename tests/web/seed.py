"""A small world for the web and API tests: users of every role in every kind of organisation,
incidents in several states, an investigation open and one paused, suggested links, a proposed
measure, and a bearer token for every user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from truce.attachments import EvidenceFile
from truce.auth import credentials
from truce.auth import service as auth
from truce.auth.models import users
from truce.incidents.models import link_suggestions
from truce.incidents.verification import add_finding
from truce.investigations import service as inv
from truce.ledger.chain import SYSTEM
from truce.reports.service import submit

IDLIB = (35.9306, 36.6339)
DUMA = (33.5722, 36.4025)
DAY = "2017-09-21"

# Users beyond the demo's, so that every role of every kind of organisation is present.
EXTRA_USERS = [
    ("rus_analyst", "RUS_OFFICE", "analyst"),
    ("syr_analyst", "SYR_LIAISON", "analyst"),
    ("joint_analyst", "JOINT", "analyst"),
    ("joint_admin", "JOINT", "admin"),
    ("obs_monitor", "OBSERVER", "monitor"),
    ("obs_analyst", "OBSERVER", "analyst"),
]


def report(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "occurred_at": f"{DAY}T06:30:00Z",
        "lat": IDLIB[0],
        "lon": IDLIB[1],
        "violation_type": "shelling",
        "alleged_party": "SYR",
    }
    base.update(kw)
    return base


def seed(app: Any) -> dict[str, Any]:
    """Build the world; returns the ids the tests need and a token per user."""
    out: dict[str, Any] = {}
    with app.write() as conn:
        auth.add_org(app, conn, SYSTEM, "OBSERVER", "Independent observers", "observer")
        for name, org, role in EXTRA_USERS:
            auth.add_user(app, conn, SYSTEM, name, org, role)
        a = auth.get_actor
        # Incident A: reported by Russia's office with evidence, confirmed by all three guarantors,
        # attributed to SYR (verified: published).
        ra = submit(app, conn, a(conn, "rus_monitor"), report(visibility="guarantors"),
                    [EvidenceFile("crater.jpg", b"\xff\xd8 crater photo", "image/jpeg")])
        out["A"], out["r1"] = ra.incident_id, ra.report_id
        for g in ("rus_verifier", "tur_verifier", "irn_verifier"):
            add_finding(app, conn, a(conn, g), ra.incident_id, "confirmed", "site_visit", "craters", "SYR")
        # Incident B: pending, reported by Turkey's office near Duma, alleging SYR.
        rb = submit(app, conn, a(conn, "tur_monitor"),
                    report(lat=DUMA[0], lon=DUMA[1], occurred_at="2017-09-23T10:00:00Z", visibility="guarantors"))
        out["B"], out["r2"] = rb.incident_id, rb.report_id
        # Incident C: pending, far away and later, alleging FAYLAQ; nothing opened on it.
        rc = submit(app, conn, a(conn, "irn_monitor"),
                    report(lat=35.0, lon=37.05, occurred_at="2017-10-05T10:00:00Z", alleged_party="FAYLAQ"))
        out["C"] = rc.incident_id
        rd = submit(app, conn, a(conn, "rus_monitor"),
                    report(lat=36.2, lon=37.15, occurred_at="2017-10-08T10:00:00Z", alleged_party="AHRAR"))
        out["D"] = rd.incident_id
        # Incident E: in the Idlib zone two days earlier, confirmed against AHRAR (a second measure).
        re_ = submit(app, conn, a(conn, "rus_monitor"),
                     report(lat=35.75, lon=36.75, occurred_at="2017-09-19T10:00:00Z", alleged_party="AHRAR"))
        out["E"] = re_.incident_id
        for g in ("tur_verifier", "irn_verifier"):
            add_finding(app, conn, a(conn, g), re_.incident_id, "confirmed", "imagery", None, "AHRAR")
        # Investigations: one open on B, one on A paused by SYR's denial of access.
        out["inv_open"] = inv.open_investigation(app, conn, a(conn, "rus_verifier"), out["B"])["id"]
        out["inv_paused"] = inv.open_investigation(app, conn, a(conn, "rus_verifier"), out["A"])["id"]
        inv.deny_access(app, conn, a(conn, "rus_verifier"), out["inv_paused"], "SYR", "Checkpoint 4")
    out["suggestions"] = _suggestions(app)
    out["measure"], out["measure2"] = _measures(app)
    out["bulletin"] = _bulletin(app)
    with app.read() as conn:
        from truce.ledger import signing

        point = signing.checkpoint(conn)  # publishing made one
        out["checkpoint"] = point["size"] if point else None
    with app.write() as conn:
        out["tokens"] = {
            r.name: credentials.create_token(app, conn, SYSTEM, r.name, 30)["token"]
            for r in conn.execute(select(users.c.name).order_by(users.c.name))
        }
        out["rus_monitor_token_id"] = credentials.create_token(app, conn, SYSTEM, "rus_monitor", 30, "spare")["id"]
    return out


def _suggestions(app: Any) -> list[int]:
    """Reports close to incident A that allege other parties: the matcher suggests links."""
    from truce.auth.service import get_actor

    with app.write() as conn:
        for party, dlat in (("FAYLAQ", 0.01), ("AHRAR", -0.01)):
            # Another party alleged: never linked automatically, but suggested for a verifier.
            submit(app, conn, get_actor(conn, "irn_monitor"),
                   report(lat=IDLIB[0] + dlat, lon=IDLIB[1], occurred_at=f"{DAY}T07:00:00Z", alleged_party=party))
    with app.read() as conn:
        return [int(r.id) for r in conn.execute(
            select(link_suggestions.c.id).where(link_suggestions.c.status == "open").order_by(link_suggestions.c.id))]


def _measures(app: Any) -> tuple[int | None, int | None]:
    """The measures proposed on the day: against SYR (incident A) and against AHRAR (incident E)."""
    try:
        from truce.measures import service as measures
    except ModuleNotFoundError:  # pragma: no cover
        return None, None
    with app.write() as conn:
        res = measures.evaluate(app, conn, SYSTEM, as_of=DAY)
    by_party = {p["party_id"]: int(p["id"]) for p in res["proposals"]}
    return by_party.get("SYR"), by_party.get("AHRAR")


def _bulletin(app: Any) -> str | None:
    """The bulletin of the day, published (public)."""
    try:
        from truce.bulletins.service import publish
    except ModuleNotFoundError:  # pragma: no cover
        return None
    with app.write() as conn:
        publish(app, conn, SYSTEM, DAY)
    return DAY
