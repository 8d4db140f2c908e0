"""Simulated verification for the demo: guarantors' findings, investigations, replies, positions.

All of it is SIMULATED (seeded) and marked so: findings and replies carry a "[SIMULATED]" note,
position reports the `simulated` flag. The habits are a rough echo of the 2017 record: the Russian
and Iranian offices tended to confirm what blamed the opposition and dispute what blamed the
government; the Turkish office the reverse."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from truce import times
from truce.auth.service import get_actor
from truce.eligibility.models import position_reports
from truce.eligibility.service import report_position
from truce.errors import TruceError
from truce.incidents.models import findings, incident_reports, incidents
from truce.incidents.verification import add_finding
from truce.investigations.service import close_investigation, deny_access, open_investigation
from truce.ledger.context import App
from truce.replies.service import file_reply
from truce.reports.models import reports

GOVERNMENT_SIDE = {"SYR", "RUS", "IRN"}


def _habit(rng: random.Random, guarantor: str, alleged: str | None) -> str:
    blames_government = alleged in GOVERNMENT_SIDE
    if guarantor == "TUR":
        weights = (0.8, 0.1, 0.1) if blames_government else (0.3, 0.4, 0.3)
    elif guarantor == "RUS":
        weights = (0.25, 0.5, 0.25) if blames_government else (0.85, 0.05, 0.1)
    else:  # IRN
        weights = (0.35, 0.35, 0.3) if blames_government else (0.75, 0.05, 0.2)
    return rng.choices(("confirmed", "disputed", "unverifiable"), weights)[0]


def _after(occurred_at: str, days: int, time_of_day: str | None = None) -> str:
    """The day (or, with `time_of_day`, the time) `days` after an incident, never after the business clock's day:
    the simulated decisions carry the dates of the story, not the machine's."""
    day = min(times.add_days(occurred_at[:10] + "T00:00:00Z", days)[:10], times.today())
    return f"{day}T{time_of_day}Z" if time_of_day else day


REASON = {"confirmed": "corroborated", "disputed": "alternative_account", "unverifiable": "no_access"}


def simulate_verification(app: App, seed: int, progress: Any = None) -> dict[str, int]:
    """Findings by each guarantor on the incidents its offices saw, then a few investigations,
    access denials and replies, so the demo shows incidents in every state."""

    rng = random.Random(seed * 7 + 1)
    with app.read() as conn:
        rows = conn.execute(
            select(incidents.c.id, incidents.c.alleged_party_id, incidents.c.occurred_at)
            .where(incidents.c.id.in_(
                select(incident_reports.c.incident_id).join(reports, reports.c.id == incident_reports.c.report_id)
                .where(reports.c.simulated.is_(True))))
            .order_by(incidents.c.id)).all()
        already = conn.execute(select(findings.c.id).limit(1)).first() is not None  # simulated before
    if already:
        return {"findings": 0, "investigations": 0, "replies": 0}
    counts = {"findings": 0, "investigations": 0, "replies": 0}
    task = progress.add_task("simulating findings", total=len(rows)) if progress else None
    with app.write() as conn:
        verifiers = {g: get_actor(conn, f"{g.lower()}_verifier") for g in ("RUS", "TUR", "IRN")}
        for inc in rows:
            for g, actor in verifiers.items():
                if rng.random() > 0.85:
                    continue
                f = _habit(rng, g, inc.alleged_party_id)
                party = inc.alleged_party_id if f == "confirmed" else None
                found_on = _after(inc.occurred_at, 1 + (inc.id + len(g)) % 3)
                add_finding(app, conn, actor, inc.id, f, REASON[f], f"[SIMULATED] {g} office finding", party,
                            on=found_on)
                counts["findings"] += 1
            if progress and task is not None:
                progress.advance(task)
        disputed = conn.execute(select(incidents.c.id).where(incidents.c.verdict == "disputed")
                                .order_by(incidents.c.id)).scalars().all()
        for n, iid in enumerate(disputed[:6]):
            day = conn.execute(select(incidents.c.occurred_at).where(incidents.c.id == iid)).scalar_one()
            inv = open_investigation(app, conn, verifiers["TUR"], iid, at=_after(day, 5, "09:00:00"))
            inv_id = inv["id"]
            if n % 2 == 0:
                deny_access(app, conn, verifiers["TUR"], inv_id, "SYR", "[SIMULATED] checkpoint on the access road",
                            at=_after(day, 6, "11:00:00"), note="[SIMULATED] monitors turned back")
            if n % 3 == 0:
                close_investigation(app, conn, verifiers["TUR"], inv_id, "unverifiable",
                                    "[SIMULATED] site not reached; no conclusion", at=_after(day, 12, "15:00:00"))
            counts["investigations"] += 1
        attributed = conn.execute(
            select(incidents.c.id, incidents.c.attributed_party_id)
            .where(incidents.c.verdict == "verified", incidents.c.attributed_party_id.is_not(None))
            .order_by(incidents.c.id)).all()
        for att in attributed[:5]:
            try:
                liaison = get_actor(conn, f"{att.attributed_party_id.lower()}_liaison")
                file_reply(app, conn, liaison, att.id,
                           "[SIMULATED] Our units were not in the area; we request the joint group's imagery.")
                counts["replies"] += 1
            except TruceError:
                continue
    return counts


# Positions reported in September 2017 (SIMULATED): FAYLAQ south of Idlib, NUSRA further north.
POSITIONS = [
    ("FAYLAQ", "2017-09-05", 35.62, 36.63, "Kafr Nabl area"),
    ("FAYLAQ", "2017-09-18", 35.58, 36.70, "Hass area"),
    ("NUSRA", "2017-09-06", 35.93, 36.63, "Idlib city"),
    ("NUSRA", "2017-09-15", 36.02, 36.70, "Binnish area"),
    ("ISIL", "2017-09-10", 34.90, 38.60, "Badia"),
]


def simulate_positions(app: App) -> int:

    with app.write() as conn:
        if conn.execute(select(position_reports.c.id).limit(1)).first():
            return 0
        actor = get_actor(conn, "rus_monitor")
        for party, day, lat, lon, place in POSITIONS:
            report_position(app, conn, actor, party, day, lat, lon, place_name=place,
                            note="[SIMULATED] position report", simulated=True)
    return len(POSITIONS)
