"""The entities a filter names, looked up before a list, an export or a bulletin runs: a filter that names
nothing (an unknown party, zone, P-code, organisation, user, incident or report) is refused as not found
(exit 3, HTTP 404, naming the field), never answered with an empty result that looks true. A filter naming
an existing entity that has no rows still gives an empty answer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from truce.auth.models import organisations, users
from truce.errors import NotFound
from truce.geo.models import admin_areas
from truce.incidents.models import incidents
from truce.parties.service import resolve_party
from truce.reports.models import reports
from truce.zones.models import zones


def _missing(conn: Connection, column: Any, value: object) -> bool:
    """No row of `column`'s table has `value` in it."""
    return conn.execute(select(column).where(column == value).limit(1)).first() is None


def party(conn: Connection, text: str, field: str = "party") -> str:
    """The id of the party named by an id, a name or an alias."""
    pid = resolve_party(conn, text)
    if pid is None:
        raise NotFound(f"{field}: no party '{text}'", field=field)
    return pid


def zone(conn: Connection, zone_id: str, field: str = "zone") -> str:
    if _missing(conn, zones.c.id, zone_id):
        raise NotFound(f"{field}: no zone '{zone_id}'", field=field)
    return zone_id


def pcode(conn: Connection, code: str, field: str = "adm") -> str:
    """An OCHA P-code of a loaded admin area (any level), upper-cased."""
    up = code.strip().upper()
    if _missing(conn, admin_areas.c.pcode, up):
        raise NotFound(f"{field}: no admin area '{code}'", field=field)
    return up


def org(conn: Connection, org_id: str, field: str = "org") -> str:
    if _missing(conn, organisations.c.id, org_id):
        known = ", ".join(r.id for r in conn.execute(select(organisations.c.id).order_by(organisations.c.id)))
        raise NotFound(f"{field}: no organisation '{org_id}' (known: {known})", field=field)
    return org_id


def user(conn: Connection, name: str, field: str = "user") -> str:
    if _missing(conn, users.c.name, name):
        raise NotFound(f"{field}: no user named '{name}'", field=field)
    return name


def incident(conn: Connection, incident_id: int, field: str = "incident") -> int:
    if _missing(conn, incidents.c.id, incident_id):
        raise NotFound(f"{field}: no incident {incident_id}", field=field)
    return incident_id


def report(conn: Connection, report_id: str, field: str = "report") -> str:
    if _missing(conn, reports.c.id, report_id):
        raise NotFound(f"{field}: no report {report_id}", field=field)
    return report_id
