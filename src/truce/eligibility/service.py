"""Eligibility: the published criteria a group must meet to be treated as a party to the truce
rather than a terrorist group, evaluated per party with the evidence for each criterion.

The criteria are data (the agreement's `settings.eligibility`, default in
agreements/enforcement.yaml): each has an id, a kind, parameters and a text. Adding a criterion of
an existing kind needs no code. Kinds:

| kind | parameters | passes when |
|---|---|---|
| not_designated | authorities | the party is listed by none of these authorities |
| truce_status | statuses | its truce status on the day is one of these |
| no_joint_operations | days | no verified incident in the window names it together with a designated group |
| separation_km | km, days | its positions are at least km from every designated group's (unknown without any) |
| max_grave_violations | max, days | at most `max` verified grave breaches attributed to it in the window |

The result is not_eligible when any criterion fails (a listed group fails on the first whatever else
holds), undetermined when none fails but some are unknown, else eligible."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import shapely
from sqlalchemy import Connection, insert, select

from truce import lookups, times
from truce.agreements.service import DEFAULT_SETTINGS, default_enforcement, in_force
from truce.auth.permissions import require
from truce.db import next_id
from truce.eligibility import rules
from truce.eligibility.models import position_reports
from truce.errors import ValidationFailed
from truce.geo.geometry import haversine_km, parse_geometry
from truce.incidents.models import incident_reports, incidents
from truce.ledger.chain import Actor, ApplyContext, applier
from truce.ledger.context import App
from truce.parties.models import parties, party_designations
from truce.parties.service import get_party_row, resolve_party, status_on
from truce.reports.models import reports


def _day(s: str | None) -> str:
    if s is None:
        return times.today()
    try:
        return date.fromisoformat(s[:10]).isoformat()
    except ValueError as e:
        raise ValidationFailed(f"as_of: '{s}' is not a date (YYYY-MM-DD)", field="as_of") from e


def _window(as_of: str, days: int) -> tuple[str, str]:
    end = date.fromisoformat(as_of)
    return (end - timedelta(days=int(days) - 1)).isoformat(), (end + timedelta(days=1)).isoformat()


def criteria_set(conn: Connection, as_of: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    ag = in_force(conn, as_of)
    settings = ag["settings"] if ag else DEFAULT_SETTINGS
    cs = settings.get("eligibility") or default_enforcement()["eligibility"]
    return cs, ag


def designated_parties(conn: Connection) -> set[str]:
    return {r.id for r in conn.execute(select(parties.c.id).where(parties.c.kind == "designated"))}


def _verified_in_window(conn: Connection, start: str, end: str) -> list[Any]:
    return list(
        conn.execute(
            select(
                incidents.c.id,
                incidents.c.occurred_at,
                incidents.c.attributed_party_id,
                incidents.c.severity,
                incidents.c.breach,
                incidents.c.ledger_seq,
            )
            .where(incidents.c.verdict == "verified", incidents.c.occurred_at >= start, incidents.c.occurred_at < end)
            .order_by(incidents.c.occurred_at, incidents.c.id)
        )
    )


def _named_parties(conn: Connection, incident_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if not incident_ids:
        return out
    for r in conn.execute(
        select(incident_reports.c.incident_id, reports.c.alleged_party_id, reports.c.id)
        .join(reports, reports.c.id == incident_reports.c.report_id)
        .where(incident_reports.c.incident_id.in_(incident_ids))
    ):
        if r.alleged_party_id:
            out.setdefault(r.incident_id, set()).add(r.alleged_party_id)
    return out


def _not_designated(conn: Connection, pid: str, c: dict[str, Any], as_of: str) -> tuple[str, dict[str, Any]]:
    auths = set(c.get("authorities") or ["UNSC"])
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            select(party_designations.c.authority, party_designations.c.listed_on).where(
                party_designations.c.party_id == pid
            )
        )
    ]
    listed = [r for r in rows if r["authority"] in auths]
    kind = conn.execute(select(parties.c.kind).where(parties.c.id == pid)).scalar_one()
    if listed:
        return "failed", {"listed_by": listed}
    if kind == "designated":
        return "failed", {"listed_by": rows, "kind": kind}
    return "passed", {"listed_by": [], "authorities_checked": sorted(auths)}


def _truce_status(conn: Connection, pid: str, c: dict[str, Any], as_of: str) -> tuple[str, dict[str, Any]]:
    return rules.truce_status(status_on(conn, pid, as_of), c)


def _no_joint_operations(conn: Connection, pid: str, c: dict[str, Any], as_of: str) -> tuple[str, dict[str, Any]]:
    start, end = _window(as_of, c.get("days", 90))
    des = designated_parties(conn)
    verified = _verified_in_window(conn, start, end)
    named = _named_parties(conn, [v.id for v in verified])
    joint = []
    examined = 0
    for v in verified:
        names = set(named.get(v.id, set()))
        if v.attributed_party_id:
            names.add(v.attributed_party_id)
        if pid in names:
            examined += 1
            partners = sorted(names & des)
            if partners:
                joint.append(
                    {"incident_id": v.id, "occurred_at": v.occurred_at, "with": partners, "ledger_seq": v.ledger_seq}
                )
    ev = {"window": [start, as_of], "verified_incidents_naming_party": examined, "joint_operations": joint}
    return ("failed" if joint else "passed"), ev


def _positions(conn: Connection, party_ids: list[str], start: str, end: str) -> list[Any]:
    if not party_ids:
        return []
    return list(
        conn.execute(
            select(position_reports)
            .where(
                position_reports.c.party_id.in_(party_ids),
                position_reports.c.observed_on >= start,
                position_reports.c.observed_on < end,
            )
            .order_by(position_reports.c.id)
        )
    )


def _separation_km(conn: Connection, pid: str, c: dict[str, Any], as_of: str) -> tuple[str, dict[str, Any]]:
    start, end = _window(as_of, c.get("days", 30))
    km = float(c.get("km", 5))
    own = _positions(conn, [pid], start, end)
    others = _positions(conn, sorted(designated_parties(conn) - {pid}), start, end)
    ev: dict[str, Any] = {
        "window": [start, as_of],
        "required_km": km,
        "own_positions": len(own),
        "designated_positions": len(others),
    }
    if not own or not others:
        ev["why_unknown"] = "no reported positions of the party" if not own else "no reported designated positions"
        return "unknown", ev
    best = (math.inf, None, None)
    for a in own:
        for b in others:
            d = haversine_km(a.lat, a.lon, b.lat, b.lon)
            if a.area or b.area:  # an area: distance between the shapes (approximate degrees → km)
                ga = shapely.from_geojson(a.area) if a.area else shapely.points(a.lon, a.lat)
                gb = shapely.from_geojson(b.area) if b.area else shapely.points(b.lon, b.lat)
                d = min(d, float(shapely.distance(ga, gb)) * 111.32 * math.cos(math.radians((a.lat + b.lat) / 2)))
            if d < best[0]:
                best = (d, a, b)
    d, a, b = best
    assert a is not None and b is not None
    ev["closest"] = {
        "distance_km": round(d, 3),
        "party_position": {
            "id": a.id,
            "observed_on": a.observed_on,
            "lat": a.lat,
            "lon": a.lon,
            "ledger_seq": a.ledger_seq,
        },
        "designated_position": {
            "id": b.id,
            "party_id": b.party_id,
            "observed_on": b.observed_on,
            "lat": b.lat,
            "lon": b.lon,
            "ledger_seq": b.ledger_seq,
        },
    }
    return ("passed" if d >= km else "failed"), ev


def _max_grave(conn: Connection, pid: str, c: dict[str, Any], as_of: str) -> tuple[str, dict[str, Any]]:
    start, end = _window(as_of, c.get("days", 90))
    grave = [
        {"incident_id": v.id, "occurred_at": v.occurred_at, "ledger_seq": v.ledger_seq}
        for v in _verified_in_window(conn, start, end)
        if v.attributed_party_id == pid and v.severity == "grave" and v.breach == "breach"
    ]
    mx = int(c.get("max", 3))
    return ("passed" if len(grave) <= mx else "failed"), {"window": [start, as_of], "max": mx, "grave": grave}


KINDS: dict[str, Callable[[Connection, str, dict[str, Any], str], tuple[str, dict[str, Any]]]] = {
    "not_designated": _not_designated,
    "truce_status": _truce_status,
    "no_joint_operations": _no_joint_operations,
    "separation_km": _separation_km,
    "max_grave_violations": _max_grave,
}


def evaluate(conn: Connection, party: str, as_of: str | None = None, applying: bool = False) -> dict[str, Any]:
    """The party's eligibility on a day (`applying`: evaluated for its own application of that day)."""
    row = get_party_row(conn, party)
    day = _day(as_of)
    cs, ag = criteria_set(conn, day)
    results = []
    for c in cs.get("criteria", []):
        fn = KINDS.get(c.get("kind", ""))
        if fn is None:
            results.append({**c, "status": "unknown", "evidence": {"why_unknown": f"unknown kind {c.get('kind')}"}})
            continue
        if applying and c.get("kind") == "truce_status":
            status, ev = rules.truce_status(status_on(conn, row.id, day), c, applying=True)
        else:
            status, ev = fn(conn, row.id, c, day)
        results.append({"id": c["id"], "kind": c["kind"], "text": c.get("text", ""), "status": status, "evidence": ev})
    result = rules.result(r["status"] for r in results)
    return {
        "party": row.id,
        "name": row.name,
        "as_of": day,
        "criteria_set": {
            "version": cs.get("version"),
            "title": cs.get("title"),
            "agreement": f"{ag['id']} v{ag['version']}" if ag else None,
        },
        "result": result,
        "criteria": results,
    }


# --- position reports ------------------------------------------------------------------------------


def report_position(
    app: App,
    conn: Connection,
    actor: Actor,
    party: str,
    observed_on: str,
    lat: float | None = None,
    lon: float | None = None,
    area: Any = None,
    place_name: str | None = None,
    note: str | None = None,
    simulated: bool = False,
) -> dict[str, Any]:
    """Record where a party's forces were reported on a day: a point, or an area (GeoJSON polygon)."""
    require(actor, "position.report")
    pid = resolve_party(conn, party)
    if pid is None:
        raise ValidationFailed(f"party: '{party}' is not in the party register", field="party")
    day = _day(observed_on)
    if day > times.today():
        raise ValidationFailed(f"date: {day} is in the future", field="date")
    area_json = None
    if area is not None:
        geom = parse_geometry(area, "area")
        pt = geom.representative_point()
        lat, lon = pt.y, pt.x
        area_json = json.dumps(shapely.geometry.mapping(geom), separators=(",", ":"))
    if lat is None or lon is None:
        raise ValidationFailed("lat: give lat and lon, or an area", field="lat")
    if not (-90 <= lat <= 90):
        raise ValidationFailed(f"lat: {lat} is outside -90..90", field="lat")
    if not (-180 <= lon <= 180):
        raise ValidationFailed(f"lon: {lon} is outside -180..180", field="lon")
    payload = {
        "id": next_id(conn, position_reports),
        "party_id": pid,
        "observed_on": day,
        "lat": round(float(lat), 6),
        "lon": round(float(lon), 6),
        "area": area_json,
        "place_name": place_name,
        "note": note,
        "simulated": bool(simulated),
    }
    app.record(conn, actor, "position.report", payload)
    return payload


@applier("position.report")
def _apply_position(conn: Connection, p: dict[str, Any], ctx: ApplyContext) -> None:
    conn.execute(
        insert(position_reports).values(
            id=p["id"],
            party_id=p["party_id"],
            observed_on=p["observed_on"],
            lat=p["lat"],
            lon=p["lon"],
            area=p["area"],
            place_name=p["place_name"],
            org_id=ctx.org,
            reported_by=ctx.actor,
            note=p["note"],
            simulated=p["simulated"],
            ledger_seq=ctx.seq,
        )
    )


def list_positions(conn: Connection, party: str | None = None) -> list[dict[str, Any]]:
    stmt = select(position_reports).order_by(position_reports.c.observed_on, position_reports.c.id)
    if party:
        stmt = stmt.where(position_reports.c.party_id == lookups.party(conn, party))
    return [dict(r._mapping) for r in conn.execute(stmt)]
