"""Exports of incidents, streamed: CSV, HXL, GeoJSON and ACLED's format.

Rows are read by keyset pagination over ``incidents.id`` (one read transaction, pages of ``PAGE`` rows,
the same filters as ``truce incident list`` and the same visibility rules as every view), and written
page by page, so memory stays flat whatever the number of incidents. Each incident carries the
fields of its *primary report*: the newest version (origin or correction) of the report it began with,
if the viewer may see it: killed, injured, target, narrative, source and external id.

Formats:

- ``csv``: one row per incident, the columns of ``COLUMNS``.
- ``hxl``: the same CSV with the HXL hashtag row under the header (``#event+id``, ``#date+occurred``,
  ``#adm1+name``, ``#adm1+code``, ``#geo+lat``, ``#geo+lon``, ``#event+type``, ``#group+name+first``,
  ``#affected+killed``, …).
- ``geojson``: an RFC 7946 FeatureCollection, one Point feature per incident (``null`` geometry when the
  incident has no coordinates), the CSV columns as properties (zones as a list).
- ``acled``: ACLED's 31 columns (see :mod:`truce.ingest.acled`): ``event_id_cnty`` is the ACLED id for
  incidents that came from ACLED (the rest of their row comes back from the narrative's trailer), else
  ``TRUCE<id>``; what ACLED cannot say goes into ``truce:`` tags (violation type, time of day, time and
  location precision, simulated), so ``truce import acled`` of such a file loses none of the fields both
  formats share.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, func, select

from truce.auth.visibility import incident_clause, may_see_report, sees_all_incidents, tiers_for
from truce.errors import ValidationFailed
from truce.geo.models import admin_areas
from truce.incidents.models import incident_reports, incident_zones, incidents
from truce.incidents.service import IncidentFilter
from truce.ingest import acled
from truce.ledger.chain import SYSTEM
from truce.parties.models import parties
from truce.reports.models import reports

FORMATS = ("csv", "hxl", "geojson", "acled")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "hxl": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "acled": "text/csv; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "hxl": "hxl.csv", "geojson": "geojson", "acled": "acled.csv"}
PAGE = 20_000

# (column, HXL hashtag)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "#event+id"),
    ("occurred_at", "#date+occurred"),
    ("occurred_precision", "#date+precision"),
    ("violation_type", "#event+type"),
    ("alleged_party_id", "#group+code+first"),
    ("alleged_party", "#group+name+first"),
    ("target", "#group+name+second"),
    ("killed", "#affected+killed"),
    ("injured", "#affected+injured"),
    ("lat", "#geo+lat"),
    ("lon", "#geo+lon"),
    ("location_precision", "#geo+precision"),
    ("place_name", "#loc+name"),
    ("adm1_pcode", "#adm1+code"),
    ("adm1_name", "#adm1+name"),
    ("adm2_pcode", "#adm2+code"),
    ("adm2_name", "#adm2+name"),
    ("adm3_pcode", "#adm3+code"),
    ("adm3_name", "#adm3+name"),
    ("zones", "#loc+zone+code"),
    ("status", "#status+incident"),
    ("verdict", "#status+verdict"),
    ("attributed_party_id", "#group+code+attributed"),
    ("clause_id", "#meta+clause"),
    ("breach", "#meta+breach"),
    ("severity", "#severity"),
    ("confidence", "#indicator+confidence"),
    ("reports", "#indicator+reports+num"),
    ("simulated", "#meta+simulated"),
    ("source", "#meta+source"),
    ("external_id", "#meta+source+id"),
    ("title", "#description+title"),
    ("narrative", "#description+narrative"),
)
HEADER = [c for c, _ in COLUMNS]
HXL_TAGS = [t for _, t in COLUMNS]

INCIDENT_COLUMNS = (
    incidents.c.id,
    incidents.c.occurred_at,
    incidents.c.occurred_precision,
    incidents.c.violation_type,
    incidents.c.alleged_party_id,
    incidents.c.alleged_party_text,
    incidents.c.lat,
    incidents.c.lon,
    incidents.c.location_precision,
    incidents.c.place_name,
    incidents.c.adm1_pcode,
    incidents.c.adm2_pcode,
    incidents.c.adm3_pcode,
    incidents.c.status,
    incidents.c.verdict,
    incidents.c.attributed_party_id,
    incidents.c.clause_id,
    incidents.c.breach,
    incidents.c.severity,
    incidents.c.confidence,
    incidents.c.simulated,
    incidents.c.title,
    incidents.c.created_at,
)
(I_ID, I_AT, I_PREC, I_TYPE, I_PARTY, I_PARTY_TEXT, I_LAT, I_LON, I_LPREC, I_PLACE, I_A1, I_A2, I_A3, I_STATUS,
 I_VERDICT, I_ATTR, I_CLAUSE, I_BREACH, I_SEV, I_CONF, I_SIM, I_TITLE, I_CREATED) = range(len(INCIDENT_COLUMNS))


@dataclass
class Primary:
    killed: int | None = None
    injured: int | None = None
    target: str | None = None
    narrative: str | None = None
    source: str | None = None
    external_id: str | None = None
    org_id: str | None = None
    reports: int = 0


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed(f"format: '{fmt}' is not one of {', '.join(FORMATS)}", field="format")
    return fmt


def count(conn: Connection, flt: IncidentFilter | None = None, viewer: Any = SYSTEM) -> int:
    stmt = (flt or IncidentFilter()).apply(select(func.count()).select_from(incidents)).where(incident_clause(viewer))
    return int(conn.execute(stmt).scalar_one())


def iter_incidents(
    conn: Connection, flt: IncidentFilter | None = None, viewer: Any = SYSTEM, page: int = PAGE
) -> Iterator[list[tuple[Any, list[str], Primary]]]:
    """Pages of (incident row, zone ids, primary report) in id order."""
    flt = flt or IncidentFilter()
    seen = incident_clause(viewer)
    all_tiers = sees_all_incidents(viewer) and tiers_for(viewer) == tiers_for(SYSTEM)
    last = 0
    while True:
        rows = conn.execute(
            flt.apply(select(*INCIDENT_COLUMNS))
            .where(seen, incidents.c.id > last)
            .order_by(incidents.c.id)
            .limit(page)
        ).all()
        if not rows:
            return
        lo, hi = rows[0][I_ID], rows[-1][I_ID]
        last = hi
        zones: dict[int, list[str]] = {}
        for iid, zid in conn.execute(
            select(incident_zones.c.incident_id, incident_zones.c.zone_id)
            .where(incident_zones.c.incident_id.between(lo, hi))
            .order_by(incident_zones.c.incident_id, incident_zones.c.zone_id)
        ).all():
            zones.setdefault(iid, []).append(zid)
        prim = _primaries(conn, lo, hi, viewer, all_tiers)
        yield [(r, zones.get(r[I_ID], []), prim.get(r[I_ID]) or Primary()) for r in rows]


def _primaries(conn: Connection, lo: int, hi: int, viewer: Any, all_tiers: bool) -> dict[int, Primary]:
    """The primary report of each incident in [lo, hi]: the newest version of the report it began with."""
    best: dict[int, Any] = {}
    counts: dict[int, int] = {}
    superseded: set[str] = set()
    cands: list[Any] = []
    for r in conn.execute(
        select(
            incident_reports.c.incident_id,
            incident_reports.c.how,
            reports.c.id,
            reports.c.ledger_seq,
            reports.c.supersedes,
            reports.c.killed,
            reports.c.injured,
            reports.c.target,
            reports.c.narrative,
            reports.c.external_source,
            reports.c.external_id,
            reports.c.org_id,
            reports.c.visibility,
        )
        .join(reports, reports.c.id == incident_reports.c.report_id)
        .where(incident_reports.c.incident_id.between(lo, hi))
    ).all():
        counts[r[0]] = counts.get(r[0], 0) + 1
        if r[1] not in ("origin", "correction"):
            continue
        if r[4]:
            superseded.add(r[4])
        if not all_tiers and not may_see_report(viewer, {"org_id": r[11], "visibility": r[12]}):
            continue
        cands.append(r)
    for r in cands:
        if r[2] in superseded:
            continue
        cur = best.get(r[0])
        if cur is None or (r[3], r[2]) > (cur[3], cur[2]):
            best[r[0]] = r
    out = {iid: Primary(reports=n) for iid, n in counts.items()}
    for iid, r in best.items():
        p = out[iid]
        p.killed, p.injured, p.target, p.narrative = r[5], r[6], r[7], r[8]
        p.source, p.external_id, p.org_id = r[9], r[10], r[11]
    return out


class Names:
    """Admin-area and party names for the rows (loaded once: a few hundred rows)."""

    def __init__(self, conn: Connection) -> None:
        self.adm = dict(conn.execute(select(admin_areas.c.pcode, admin_areas.c.name_en)).all())
        self.party = dict(conn.execute(select(parties.c.id, parties.c.name)).all())


def _flat(r: Any, zones: list[str], p: Primary, names: Names) -> list[Any]:
    adm = names.adm
    party = r[I_PARTY]
    return [
        r[I_ID],
        r[I_AT],
        r[I_PREC],
        r[I_TYPE],
        party,
        names.party.get(party, party) if party else r[I_PARTY_TEXT],
        p.target,
        p.killed,
        p.injured,
        r[I_LAT],
        r[I_LON],
        r[I_LPREC],
        r[I_PLACE],
        r[I_A1],
        adm.get(r[I_A1]) if r[I_A1] else None,
        r[I_A2],
        adm.get(r[I_A2]) if r[I_A2] else None,
        r[I_A3],
        adm.get(r[I_A3]) if r[I_A3] else None,
        ";".join(zones),
        r[I_STATUS],
        r[I_VERDICT],
        r[I_ATTR],
        r[I_CLAUSE],
        r[I_BREACH],
        r[I_SEV],
        r[I_CONF],
        p.reports,
        "true" if r[I_SIM] else "false",
        p.source,
        p.external_id,
        r[I_TITLE],
        p.narrative,
    ]


def _csv_text(rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def acled_row(r: Any, zones: list[str], p: Primary, names: Names) -> list[Any]:
    """One incident as an ACLED row (31 columns)."""
    notes, extras = acled.split_narrative(p.narrative)
    vtype = r[I_TYPE]
    sub = extras.get("sub_event_type", "")
    if acled.ACLED_TYPES.get(sub, ("", ""))[1] == vtype:
        etype = acled.ACLED_TYPES[sub][0]
    else:
        etype, sub = acled.EXPORT_TYPES.get(vtype, acled.EXPORT_TYPES["other"])
    tags = [t for t in extras.get("tags", "").split("|") if t]
    if acled.ACLED_TYPES[sub][1] != vtype and acled.TYPE_TAG + vtype not in tags:
        tags = [t for t in tags if not t.startswith(acled.TYPE_TAG)] + [acled.TYPE_TAG + vtype]
    tp, gp = r[I_PREC], r[I_LPREC]
    tp_out = acled.TIME_PRECISION_OUT.get(tp, "1")
    gp_out = acled.GEO_PRECISION_OUT.get(gp, "3")
    tags = [t for t in tags if not t.startswith(("truce:time=", "truce:geo=", "truce:at="))]
    if acled.TIME_PRECISION.get(tp_out) != tp:
        tags.append(f"truce:time={tp}")
    clock = (r[I_AT] or "")[11:19]
    if clock and clock != "00:00:00":
        tags.append(f"truce:at={clock}")
    if acled.GEO_PRECISION.get(gp_out) != gp:
        tags.append(f"truce:geo={gp}")
    if r[I_SIM] and acled.SIMULATED_TAG not in tags:
        tags.append(acled.SIMULATED_TAG)
    party = r[I_PARTY]
    actor1 = extras.get("actor1") or (names.party.get(party, party) if party else r[I_PARTY_TEXT]) or ""
    syria = (r[I_A1] or "").startswith("SY")
    adm = names.adm
    day = (r[I_AT] or "")[:10]
    from_acled = p.source == "acled" and p.external_id
    dflt = acled.COUNTRY_DEFAULTS if syria else {}
    target = p.target or ""
    return [
        p.external_id if from_acled else f"TRUCE{r[I_ID]}",
        day,
        day[:4],
        tp_out,
        extras.get("disorder_type") or acled.DISORDER_TYPES[etype],
        etype,
        sub,
        actor1,
        extras.get("assoc_actor_1", ""),
        extras.get("inter1", ""),
        target,
        extras.get("assoc_actor_2", ""),
        extras.get("inter2", ""),
        extras.get("interaction", ""),
        extras.get("civilian_targeting") or ("Civilian targeting" if vtype == "attack_on_civilians" and not from_acled
                                             else ""),
        extras.get("iso") or dflt.get("iso", ""),
        extras.get("region") or dflt.get("region", ""),
        extras.get("country") or dflt.get("country", ""),
        extras.get("admin1") or (adm.get(r[I_A1], "") if r[I_A1] else ""),
        extras.get("admin2") or (adm.get(r[I_A2], "") if r[I_A2] else ""),
        extras.get("admin3") or (adm.get(r[I_A3], "") if r[I_A3] else ""),
        r[I_PLACE] or "",
        "" if r[I_LAT] is None else repr(float(r[I_LAT])),
        "" if r[I_LON] is None else repr(float(r[I_LON])),
        gp_out,
        extras.get("source") or ("Truce" + (f" ({p.org_id})" if p.org_id else "")),
        extras.get("source_scale", ""),
        notes,
        p.killed or 0,
        "|".join(tags),
        extras.get("timestamp") or acled.epoch(r[I_CREATED]),
    ]


def stream(
    conn: Connection,
    fmt: str,
    flt: IncidentFilter | None = None,
    viewer: Any = SYSTEM,
    progress: Callable[[int], None] | None = None,
    page: int = PAGE,
) -> Iterator[bytes]:
    """The export as chunks of UTF-8 bytes (one chunk per page of incidents)."""
    check_format(fmt)
    names = Names(conn)
    if fmt in ("csv", "hxl"):
        head = [HEADER] + ([HXL_TAGS] if fmt == "hxl" else [])
        yield _csv_text(head).encode("utf-8")
    elif fmt == "acled":
        yield _csv_text([list(acled.ACLED_COLUMNS)]).encode("utf-8")
    else:
        yield b'{"type":"FeatureCollection","features":[\n'
    first = True
    for chunk in iter_incidents(conn, flt, viewer, page):
        if fmt in ("csv", "hxl"):
            data = _csv_text([_flat(r, z, p, names) for r, z, p in chunk]).encode("utf-8")
        elif fmt == "acled":
            data = _csv_text([acled_row(r, z, p, names) for r, z, p in chunk]).encode("utf-8")
        else:
            feats = b",\n".join(_feature(r, z, p, names) for r, z, p in chunk)
            data = feats if first else b",\n" + feats
        first = False
        yield data
        if progress:
            progress(len(chunk))
    if fmt == "geojson":
        yield b"\n]}\n"


def _feature(r: Any, zones: list[str], p: Primary, names: Names) -> bytes:
    props = dict(zip(HEADER, _flat(r, zones, p, names), strict=True))
    props["zones"] = zones
    props["simulated"] = bool(r[I_SIM])
    del props["lat"], props["lon"]
    geom = None if r[I_LAT] is None or r[I_LON] is None else {"type": "Point", "coordinates": [r[I_LON], r[I_LAT]]}
    return orjson.dumps({"type": "Feature", "id": r[I_ID], "geometry": geom, "properties": props})


def export_incidents(
    app: Any,
    fmt: str,
    flt: IncidentFilter | None = None,
    viewer: Any = SYSTEM,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Open a read transaction and stream the export (for the CLI and the API)."""
    check_format(fmt)
    with app.read() as conn:
        yield from stream(conn, fmt, flt, viewer, progress)
