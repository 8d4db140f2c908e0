"""Incidents: created from reports, placed in admin areas and zones at write time, and queried."""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Integer, and_, bindparam, func, insert, or_, select, update

from truce import lookups
from truce.agreements.rules import AFTER, BEFORE, period_verdict
from truce.agreements.service import period
from truce.auth.visibility import incident_scope, scope_clause
from truce.db import Prepared
from truce.errors import NotFound, ValidationFailed
from truce.incidents.models import INCIDENT_STATUSES, VERDICTS, incident_reports, incident_zones, incidents
from truce.incidents.rules import unjudged
from truce.ledger.chain import SYSTEM, ApplyContext
from truce.ledger.models import ledger_entries, ledger_head
from truce.reports.models import reports
from truce.times import check_day

INCIDENT_FIELDS = (
    "occurred_at",
    "occurred_precision",
    "lat",
    "lon",
    "location_precision",
    "place_name",
    "adm1_pcode",
    "adm2_pcode",
    "adm3_pcode",
    "violation_type",
    "alleged_party_id",
    "alleged_party_text",
    "simulated",
)


def next_id(conn: Connection) -> int:
    """The next incident number. Called inside the write transaction, so no one else takes it."""
    return int(conn.execute(select(func.coalesce(func.max(incidents.c.id), 0))).scalar_one()) + 1


def exists(conn: Connection, incident_id: int) -> bool:
    return conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first() is not None


def title_for(rec: dict[str, Any]) -> str:
    what = rec["violation_type"].replace("_", " ")
    where = rec.get("place_name") or (f"{rec['lat']:.4f}, {rec['lon']:.4f}" if rec.get("lat") is not None else "?")
    return f"{what.capitalize()} at {where}"


def create_from_reports(conn: Connection, pairs: list[tuple[int, dict[str, Any]]], ctx: ApplyContext) -> None:
    """Create one incident per (id, originating report) pair and place each in its zones."""
    if not pairs:
        return
    rows = []
    first, ends = period(conn)  # an incident outside the agreement's period is not judged, from the start
    for iid, rec in pairs:
        row = {k: rec.get(k) for k in INCIDENT_FIELDS}
        row.update(unjudged(period_verdict(first, ends, rec["occurred_at"])))
        row.update(
            id=iid,
            status="open",
            simulated=bool(rec.get("simulated")),
            title=title_for(rec),
            created_at=ctx.now,
            ledger_seq=ctx.seq,
        )
        rows.append(row)
    conn.execute(insert(incidents), rows)
    place(conn, rows)


def place(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Put new or moved incidents (id, lat, lon, location_precision, occurred_at) in the zones whose version
    in force covers them (`zones.service.assign_incidents`)."""
    from truce.zones.service import assign_incidents  # lazy: shapely and numpy (0.1 s), only to place incidents

    assign_incidents(conn, rows)


def mark_outside_period(conn: Connection, first_id: int, last_id: int) -> None:
    """Mark the new incidents first_id..last_id (no finding yet) that lie outside the agreement's period
    "before_agreement"/"after_agreement" (`rules.unjudged`): for the importers that write incidents in bulk."""
    first, ends = period(conn)
    if first is None:
        return
    ids = incidents.c.id.between(first_id, last_id)
    outside = [(BEFORE, incidents.c.occurred_at < first)]
    if ends:
        outside.append((AFTER, incidents.c.occurred_at >= ends[:10]))
    for word, where in outside:
        conn.execute(update(incidents).where(ids, where).values(**unjudged(word)))


def link(conn: Connection, report_id: str, incident_id: int, how: str, ctx: ApplyContext) -> None:
    conn.execute(
        insert(incident_reports).values(
            report_id=report_id, incident_id=incident_id, how=how, linked_at=ctx.now, linked_by=ctx.actor
        )
    )


def link_many(conn: Connection, links: list[tuple[str, int, str]], ctx: ApplyContext) -> None:
    if links:
        conn.execute(
            insert(incident_reports),
            [
                {"report_id": r, "incident_id": i, "how": h, "linked_at": ctx.now, "linked_by": ctx.actor}
                for r, i, h in links
            ],
        )


# --- queries ---------------------------------------------------------------------------------------


def require_incident(conn: Connection, incident_id: int) -> None:
    """A NotFound unless the incident exists (for the commands that list what hangs on one)."""
    if conn.execute(select(incidents.c.id).where(incidents.c.id == incident_id)).first() is None:
        raise NotFound(f"incident: no incident {incident_id}", field="incident")


@dataclass
class IncidentFilter:
    verdict: str | None = None
    status: str | None = None
    zone: str | None = None
    adm: str | None = None
    party: str | None = None
    violation_type: str | None = None
    since: str | None = None  # inclusive, date or ISO time
    until: str | None = None  # inclusive day
    simulated: bool | None = None

    def values(self) -> dict[str, Any]:
        """The filter's conditions as named, checked and normalised values: which names are present is the
        shape of the statement (`filter_clauses`), the values are its parameters."""
        v: dict[str, Any] = {}
        for name, allowed in (("verdict", VERDICTS), ("status", INCIDENT_STATUSES)):
            given = getattr(self, name)
            if given and given not in allowed:
                raise ValidationFailed(f"{name}: '{given}' is not one of {', '.join(allowed)}", field=name)
        if self.verdict:
            v["verdict"] = self.verdict
        if self.status:
            v["status"] = self.status
        if self.zone:
            v["zone"] = self.zone
        if self.adm:
            code = self.adm.upper()
            level = {4: "adm1", 6: "adm2", 8: "adm3"}.get(len(code))
            if level is None:
                raise ValidationFailed(
                    f"adm: '{self.adm}' is not an OCHA P-code (SYnn, SYnnnn or SYnnnnnn)", field="adm"
                )
            v[level] = code
        if self.party:
            v["party"] = self.party.upper()
        if self.violation_type:
            v["violation_type"] = self.violation_type
        since, until = check_day(self.since, "since"), check_day(self.until, "until")
        if since:
            v["since"] = since
        if until:
            v["until"] = _day_after(until)
        if self.simulated is not None:
            v["simulated"] = self.simulated
        return v

    def apply(self, stmt: Any) -> Any:
        return stmt.where(*filter_clauses(self.values()))

    def check(self, conn: Connection) -> IncidentFilter:
        """Refuse a filter that names nothing: a zone, an admin area (P-code) or a party that does not exist
        is not found (NotFound, naming the field), after the checks of `values`. A party named by its name
        or an alias is taken as its id."""
        self.values()
        if self.zone:
            lookups.zone(conn, self.zone)
        if self.adm:
            lookups.pcode(conn, self.adm)
        if self.party:
            self.party = lookups.party(conn, self.party)
        return self


def filter_clauses(values: dict[str, Any], bind: Callable[[str, Any], Any] = lambda _name, v: v) -> list[Any]:
    """WHERE clauses on `incidents` for `IncidentFilter.values()`; `bind(name, value)` gives what is compared
    (the value itself, or a named bind parameter for a statement compiled once)."""
    c = incidents.c
    conditions: dict[str, Callable[[Any], Any]] = {
        "verdict": lambda b: c.verdict == b,
        "status": lambda b: c.status == b,
        "zone": lambda b: c.id.in_(select(incident_zones.c.incident_id).where(incident_zones.c.zone_id == b)),
        "adm1": lambda b: c.adm1_pcode == b,
        "adm2": lambda b: c.adm2_pcode == b,
        "adm3": lambda b: c.adm3_pcode == b,
        "party": lambda b: c.alleged_party_id == b,
        "violation_type": lambda b: c.violation_type == b,
        "since": lambda b: c.occurred_at >= b,
        "until": lambda b: c.occurred_at < b,
        "simulated": lambda b: c.simulated == b,
    }
    out = [conditions[k](bind(k, v)) for k, v in values.items()]
    if "status" not in values:
        # An incident whose reports were all linked elsewhere is kept but not listed (incidents/linking.py).
        out.append(c.status != "merged")
    return out


def _day_after(day: str) -> str:
    from datetime import date, timedelta

    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError as e:
        raise ValidationFailed(f"until: '{day}' is not a date (YYYY-MM-DD)", field="until") from e


LIST_COLUMNS = (
    incidents.c.id,
    incidents.c.occurred_at,
    incidents.c.occurred_precision,
    incidents.c.violation_type,
    incidents.c.alleged_party_id,
    incidents.c.alleged_party_text,
    incidents.c.place_name,
    incidents.c.adm1_pcode,
    incidents.c.adm2_pcode,
    incidents.c.adm3_pcode,
    incidents.c.lat,
    incidents.c.lon,
    incidents.c.location_precision,
    incidents.c.status,
    incidents.c.verdict,
    incidents.c.simulated,
    incidents.c.title,
    incidents.c.attributed_party_id,
    incidents.c.severity,
    incidents.c.breach,
    incidents.c.confidence,
)
LIST_KEYS = (*(str(col.name) for col in LIST_COLUMNS), "zones", "reports", "simulated_reports")  # plain str (orjson)
ZONE_SEP = "\x1f"  # between the zone ids of an incident, as SQLite's group_concat returns them


class TotalCache:
    """Totals of the incident list, per (database, viewer's scope, filter), each kept with the ledger head
    (sequence and hash) it was counted under and served only under that same head. Every change to
    incidents, reports, their links and zones is a ledger command, which moves the head, so a write makes
    every earlier total unservable; the hash (over the whole chain) also tells apart two databases whose
    heads have the same sequence number.

    A total not yet known is counted once however many requests want it at the same time (`count_once`):
    right after a write, a burst of list requests would otherwise each count the same rows."""

    def __init__(self, size: int = 1024, wait: float = 30.0) -> None:
        self.size = size
        self.wait = wait
        self._totals: OrderedDict[tuple[Any, ...], tuple[tuple[int, str], int]] = OrderedDict()
        self._counting: dict[tuple[Any, ...], threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], head: tuple[int, str]) -> int | None:
        with self._lock:
            hit = self._totals.get(key)
            if hit is None or hit[0] != head:
                return None
            self._totals.move_to_end(key)
            return hit[1]

    def put(self, key: tuple[Any, ...], head: tuple[int, str], total: int) -> None:
        with self._lock:
            self._totals[key] = (head, total)
            self._totals.move_to_end(key)
            while len(self._totals) > self.size:
                self._totals.popitem(last=False)

    def count_once(self, key: tuple[Any, ...], head: tuple[int, str], count: Callable[[], int]) -> int:
        """The total for `key` under `head`: from the cache, or counted by `count`, or, when another thread is
        already counting it under the same head (so over the same rows), that thread's result. Should that
        thread fail, or take longer than `wait` seconds, this one counts for itself."""
        with self._lock:
            hit = self._totals.get(key)
            if hit is not None and hit[0] == head:
                return hit[1]
            flight = (key, head)
            done = self._counting.get(flight)
            if done is None:
                done = self._counting[flight] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            done.wait(self.wait)
            got = self.get(key, head)
            return count() if got is None else got
        try:
            n = count()
            self.put(key, head, n)
            return n
        finally:
            with self._lock:
                self._counting.pop(flight, None)
            done.set()

    def clear(self) -> None:
        with self._lock:
            self._totals.clear()


TOTALS = TotalCache()


@functools.lru_cache(maxsize=8)
def _head_query(dialect: Any) -> Prepared:
    """The ledger head (sequence, hash), as `truce.ledger.chain.head` reads it."""
    return Prepared(select(ledger_head.c.seq, ledger_head.c.hash).where(ledger_head.c.id == 1), dialect)


@functools.lru_cache(maxsize=512)
def _list_statements(
    dialect: Any, names: tuple[str, ...], scope: tuple[str, ...], paged: bool, limited: bool, offset: bool
) -> tuple[Prepared, Prepared]:
    """(page, count) of the incident list for a shape of query: the filter's condition names, the viewer's
    scope, a cursor, a limit, an offset. The page is one statement: the rows, their zones, the number of
    their reports and of their simulated reports (counted for the page's rows only)."""

    c = incidents.c
    flt = filter_clauses(dict.fromkeys(names), lambda name, _v: bindparam(f"f_{name}"))
    count = select(func.count()).select_from(incidents).where(*flt, scope_clause(scope))
    inner = (
        select(*LIST_COLUMNS)
        .where(*flt, scope_clause(scope, correlated=True, fence=dialect.name == "postgresql"))
        .order_by(c.occurred_at.desc(), c.id.desc())
    )
    if paged:
        at: Any = bindparam("before_at")
        iid: Any = bindparam("before_id")
        inner = inner.where(or_(c.occurred_at < at, and_(c.occurred_at == at, c.id < iid)))
    if limited:
        inner = inner.limit(bindparam("limit", type_=Integer))
    if offset:
        inner = inner.offset(bindparam("offset", type_=Integer))
    p = inner.subquery("p")
    z = incident_zones.alias("z")
    if dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        zone_list: Any = func.array_agg(aggregate_order_by(z.c.zone_id, z.c.zone_id))
    else:
        zone_list = func.group_concat(z.c.zone_id, ZONE_SEP)  # sorted in Python (SQLite's order is binary too)
    ir = incident_reports.alias("ir")
    r = reports.alias("r")
    page = select(
        *(p.c[col.name] for col in LIST_COLUMNS),
        select(zone_list).where(z.c.incident_id == p.c.id).scalar_subquery().label("zones"),
        select(func.count()).select_from(ir).where(ir.c.incident_id == p.c.id).scalar_subquery().label("reports"),
        select(func.count())
        .select_from(ir.join(r, r.c.id == ir.c.report_id))
        .where(ir.c.incident_id == p.c.id, r.c.simulated.is_(True))
        .scalar_subquery()
        .label("simulated_reports"),
    ).order_by(p.c.occurred_at.desc(), p.c.id.desc())
    return Prepared(page, dialect), Prepared(count, dialect)


class IncidentList:
    """One request for a page of the incident list, on the driver's own connection (DB-API: `dbapi_of`)
    inside a read transaction: its statements (compiled once per shape) and their parameters. In order:
    `cached_total` (reads the ledger head), `rows`, then `count` when the total was not cached."""

    def __init__(
        self,
        engine: Engine,
        flt: IncidentFilter | None = None,
        limit: int = 50,
        offset: int = 0,
        viewer: Any = SYSTEM,
        before: tuple[str, int] | None = None,
    ) -> None:

        if limit < 0 or offset < 0:
            raise ValidationFailed("limit and offset must be ≥ 0", field="limit" if limit < 0 else "offset")
        values = (flt or IncidentFilter()).values()
        self.scope = incident_scope(viewer)
        self.dialect = engine.dialect
        self.page_sql, self.count_sql = _list_statements(
            engine.dialect, tuple(values), self.scope, before is not None, bool(limit), bool(offset)
        )
        self.values = {f"f_{k}": v for k, v in values.items()}
        self.page_values = dict(self.values)
        if before is not None:
            self.page_values.update(before_at=before[0], before_id=int(before[1]))
        if limit:
            self.page_values["limit"] = limit
        if offset:
            self.page_values["offset"] = offset
        self.head: tuple[int, str] | None = None
        self.key = (engine.url, self.scope, tuple(values.items()))

    def cached_total(self, dbapi: Any, totals: TotalCache | None) -> int | None:
        """The total from `totals` if it was counted under the current ledger head (read here, first)."""
        if totals is None:
            return None
        found = _head_query(self.dialect).fetchall(dbapi)
        self.head = (int(found[0][0]), str(found[0][1])) if found else (0, "")
        return totals.get(self.key, self.head)

    def rows(self, dbapi: Any) -> list[dict[str, Any]]:
        out = [dict(zip(LIST_KEYS, row, strict=True)) for row in self.page_sql.fetchall(dbapi, self.page_values)]
        for r in out:
            r["simulated"] = bool(r["simulated"])
            zones = r["zones"]
            r["zones"] = sorted(zones.split(ZONE_SEP)) if isinstance(zones, str) else list(zones or [])
            r["reports"] = int(r["reports"])
            r["simulated_reports"] = int(r["simulated_reports"])
        return out

    def count(self, dbapi: Any, totals: TotalCache | None) -> int:
        """Count the total (and keep it in `totals` under the head that `cached_total` read before; counted once
        for all the requests that want it under that head at the same time)."""

        def counted() -> int:
            return int(self.count_sql.fetchall(dbapi, self.values)[0][0])

        if totals is not None and self.head is not None:
            return totals.count_once(self.key, self.head, counted)
        return counted()


def dbapi_of(conn: Connection) -> Any:
    """The driver's own connection under a SQLAlchemy connection (in the same transaction)."""
    return conn.connection.dbapi_connection


def list_incidents(
    conn: Connection,
    flt: IncidentFilter | None = None,
    limit: int = 50,
    offset: int = 0,
    viewer: Any = SYSTEM,
    before: tuple[str, int] | None = None,
    totals: TotalCache | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of incidents, newest first, and the total matching the filter. limit 0 = all.
    `viewer` (an Actor, or None for the public) limits the rows to what that viewer may see.
    `before` = (occurred_at, id) of the last row of the previous page: keyset (cursor) pagination.
    `totals` (e.g. TOTALS): reuse the total counted under the same ledger head. Not in a write transaction
    (its rows and head may be half-way through a command, or be rolled back): there it is always counted."""
    if flt is not None:
        flt.check(conn)
    if conn.get_execution_options().get("truce_write"):
        totals = None
    q = IncidentList(conn.engine, flt, limit, offset, viewer, before)
    dbapi = dbapi_of(conn)
    total = q.cached_total(dbapi, totals)
    rows = q.rows(dbapi)
    return rows, q.count(dbapi, totals) if total is None else total


def show_incident(conn: Connection, incident_id: int) -> dict[str, Any]:
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).mappings().first()
    if row is None:
        raise NotFound(f"no incident {incident_id}", field="incident")
    d = dict(row)
    d["zones"] = [
        dict(z)
        for z in conn.execute(
            select(incident_zones.c.zone_id, incident_zones.c.zone_version)
            .where(incident_zones.c.incident_id == incident_id)
            .order_by(incident_zones.c.zone_id)
        ).mappings()
    ]
    reps = conn.execute(
        select(
            reports.c.id,
            reports.c.source_kind,
            reports.c.org_id,
            reports.c.submitted_by,
            reports.c.received_at,
            reports.c.occurred_at,
            reports.c.violation_type,
            reports.c.place_name,
            reports.c.lat,
            reports.c.lon,
            reports.c.alleged_party_id,
            reports.c.alleged_party_text,
            reports.c.killed,
            reports.c.injured,
            reports.c.visibility,
            reports.c.simulated,
            reports.c.external_source,
            reports.c.external_id,
            reports.c.ledger_seq,
            incident_reports.c.how,
            incident_reports.c.linked_at,
        )
        .join(incident_reports, incident_reports.c.report_id == reports.c.id)
        .where(incident_reports.c.incident_id == incident_id)
        .order_by(reports.c.received_at, reports.c.id)
    ).mappings()
    d["reports"] = [dict(r) for r in reps]
    seqs = sorted({d["ledger_seq"], *[r["ledger_seq"] for r in d["reports"]]})
    d["ledger"] = [
        {"seq": e.seq, "at": e.at, "actor": e.actor, "org": e.org, "command": e.command, "hash": e.hash}
        for e in conn.execute(
            select(
                ledger_entries.c.seq,
                ledger_entries.c.at,
                ledger_entries.c.actor,
                ledger_entries.c.org,
                ledger_entries.c.command,
                ledger_entries.c.hash,
            )
            .where(ledger_entries.c.seq.in_(seqs))
            .order_by(ledger_entries.c.seq)
        )
    ]
    return d


def incidents_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    feats = []
    for r in rows:
        if r.get("lat") is None:
            continue
        props = {k: v for k, v in r.items() if k not in ("lat", "lon")}
        feats.append(
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                "properties": json.loads(json.dumps(props, default=str)),
            }
        )
    return {"type": "FeatureCollection", "features": feats}
