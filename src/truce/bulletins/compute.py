"""The numbers of a daily bulletin, computed from the database as the ledger stood at one entry.

`compute(conn, day, upto)` is a pure function of the database: it reads only rows written by ledger
entries 1..upto (every projection row carries its `ledger_seq`), and never a column that a later
entry may have rewritten when the history is kept elsewhere: an incident's verdict, attribution,
clause and severity are derived again from the findings recorded up to `upto`, under the agreement
version in force that day as the ledger then knew it (the same rules, `incidents.rules`, that verification applies);
a measure counts as decided when the votes that decided it are at or before `upto`; breaches and
closures are dated by their own ledger entries. Run on a scratch database rebuilt from the ledger
up to `upto` it must give exactly what it gives on the live database: that is what
`truce bulletin verify` checks.

What is read as it stands (a later entry may have changed it, and `verify` then says so rather than
calling it a difference): which incident a report is linked to, the zones an incident lies in,
whether an incident was emptied into another ("merged"), and the period of a zone version.

Definitions (day D, UTC):
- an office report of D: a report whose organisation is a guarantor office (organisations.kind =
  guarantor_office) and whose occurred_at falls on D;
- "confirmed/disputed by others": the report's incident has a current finding (the latest of that
  guarantor, up to `upto`) confirmed/disputed by at least one guarantor other than the reporting
  office's own; a report may count under both;
- by zone: the zones of the report's incident ("outside" when none); an incident in two zones
  counts in both; by governorate: the report's ADM1 P-code; by party: the alleged party ("unknown");
  by type: the report's violation type;
- killed and injured: in an office's own cells, the sums over its reports, as reported; in the totals
  (office_reports.total and each breakdown's "all" column) each incident counts once, with the most
  that any of its office reports of D gives (a report not linked to an incident counts on its own);
- incidents of D: incidents (not emptied into another) whose occurred_at falls on D; on a day outside
  the agreement's period they are not judged: counted under their verdict ("before_agreement",
  "after_agreement") and in `outside_period`, in no total (`total`, `by_zone`, `verified`);
- accessions, status changes, measures, investigations and denials of D: those dated D
  (application day, effective day, proposal day `as_of`, decision day, breach day, opened/closed/denied day).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from truce.agreements import service as agreements_service
from truce.agreements.models import agreements
from truce.auth.models import organisations
from truce.errors import NotFound, ValidationFailed
from truce.geo.models import admin_areas
from truce.incidents import rules
from truce.incidents.models import (
    VERDICTS,
    access_denials,
    findings,
    incident_reports,
    incident_zones,
    incidents,
    investigations,
)
from truce.ledger.models import ledger_entries
from truce.measures.models import accessions, measures, votes
from truce.parties.models import parties, party_status_history
from truce.parties.service import resolve_party
from truce.reports.models import reports
from truce.zones.models import zone_versions, zones

FORMAT = 1
TREND_DAYS = 30
CHUNK = 500
OUTSIDE = "outside"
UNKNOWN = "unknown"


@lru_cache(maxsize=1)
def version() -> str:
    try:
        from importlib.metadata import version as _v

        return f"truce {_v('truce')}"
    except Exception:  # pragma: no cover - not installed as a distribution
        return "truce"


def parse_day(day: str) -> date:
    try:
        return date.fromisoformat(str(day)[:10])
    except ValueError as e:
        raise ValidationFailed(f"date: '{day}' is not a date (YYYY-MM-DD)", field="date") from e


def _chunks(ids: Iterable[Any], n: int = CHUNK) -> Iterator[list[Any]]:
    items = list(ids)
    for i in range(0, len(items), n):
        yield items[i : i + n]


def ledger_point(conn: Connection, upto: int | None) -> tuple[int, str, str]:
    """(seq, hash, at) of ledger entry `upto` (default: the newest)."""
    stmt = select(ledger_entries.c.seq, ledger_entries.c.hash, ledger_entries.c.at)
    if upto is None:
        row = conn.execute(stmt.order_by(ledger_entries.c.seq.desc()).limit(1)).first()
        if row is None:
            raise NotFound("the ledger is empty: there is nothing to report on", field="seq")
    else:
        row = conn.execute(stmt.where(ledger_entries.c.seq == int(upto))).first()
        if row is None:
            raise NotFound(f"seq: the ledger has no entry {upto}", field="seq")
    return int(row.seq), row.hash, row.at


CELL_FIELDS = ("reports", "killed", "injured", "confirmed_by_others", "disputed_by_others")


def _cell() -> dict[str, int]:
    return dict.fromkeys(CELL_FIELDS, 0)


def _agreement(conn: Connection, day: str, upto: int) -> dict[str, Any] | None:
    r = conn.execute(
        select(agreements)
        .where(agreements.c.effective <= day, agreements.c.ledger_seq <= upto)
        .order_by(agreements.c.effective.desc(), agreements.c.version.desc())
        .limit(1)
    ).first()
    if r is None:
        return None
    return {
        "id": r.id,
        "version": int(r.version),
        "title": r.title,
        "effective": r.effective,
        "decision_rule": r.decision_rule,
        "guarantors": json.loads(r.guarantors),
        "clauses": json.loads(r.clauses),
        "settings": json.loads(r.settings),
    }


def _zones_of(conn: Connection, ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(ids))):
        for r in conn.execute(
            select(incident_zones.c.incident_id, incident_zones.c.zone_id)
            .where(incident_zones.c.incident_id.in_(chunk))
            .order_by(incident_zones.c.incident_id, incident_zones.c.zone_id)
        ):
            out[int(r.incident_id)].append(r.zone_id)
    for v in out.values():
        v.sort()
    return out


def _current_findings(conn: Connection, ids: Iterable[int], upto: int) -> dict[int, dict[str, Any]]:
    """incident -> guarantor -> its latest finding recorded at or before `upto`."""
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for chunk in _chunks(sorted(set(ids))):
        for r in conn.execute(
            select(
                findings.c.id,
                findings.c.incident_id,
                findings.c.guarantor,
                findings.c.finding,
                findings.c.attributed_party_id,
            )
            .where(findings.c.incident_id.in_(chunk), findings.c.ledger_seq <= upto)
            .order_by(findings.c.id)
        ):
            out[int(r.incident_id)][r.guarantor] = r
    return out


def _day_range(column: Any, start: str, stop: str) -> Any:
    return and_(column >= start, column < stop)


def compute(conn: Connection, day: str, upto: int | None = None) -> dict[str, Any]:
    """The bulletin body for `day` as of ledger entry `upto` (default: the newest). Deterministic: the
    same database state and arguments give the same dict (serialise with sorted keys)."""
    d = parse_day(day)
    D = d.isoformat()
    D1 = (d + timedelta(days=1)).isoformat()
    seq, head_hash, at = ledger_point(conn, upto)

    ag = _agreement(conn, D, seq)
    office_rows = conn.execute(
        select(organisations.c.id, organisations.c.party_id, organisations.c.name)
        .where(organisations.c.kind == "guarantor_office", organisations.c.created_at <= at)
        .order_by(organisations.c.id)
    ).all()
    offices = {r.id: r.party_id for r in office_rows}
    guarantors: list[str] = list(ag["guarantors"]) if ag else sorted({p for p in offices.values() if p})

    # --- the day's reports -------------------------------------------------------------------------
    day_reports = conn.execute(
        select(
            reports.c.id,
            reports.c.org_id,
            reports.c.source_kind,
            reports.c.adm1_pcode,
            reports.c.alleged_party_id,
            reports.c.violation_type,
            reports.c.killed,
            reports.c.injured,
            reports.c.simulated,
            incident_reports.c.incident_id,
        )
        .select_from(reports.outerjoin(incident_reports, incident_reports.c.report_id == reports.c.id))
        .where(_day_range(reports.c.occurred_at, D, D1), reports.c.ledger_seq <= seq)
        .order_by(reports.c.id)
    ).all()
    office_reps = [r for r in day_reports if r.org_id in offices]
    other_sources = Counter(r.source_kind for r in day_reports if r.org_id not in offices)

    # --- the day's incidents -----------------------------------------------------------------------
    inc_rows = conn.execute(
        select(
            incidents.c.id,
            incidents.c.occurred_at,
            incidents.c.occurred_precision,
            incidents.c.lat,
            incidents.c.lon,
            incidents.c.adm1_pcode,
            incidents.c.violation_type,
            incidents.c.alleged_party_id,
            incidents.c.simulated,
        )
        .where(
            _day_range(incidents.c.occurred_at, D, D1),
            incidents.c.ledger_seq <= seq,
            incidents.c.status != "merged",
        )
        .order_by(incidents.c.id)
    ).all()
    day_inc_ids = [int(r.id) for r in inc_rows]
    rep_inc_ids = {int(r.incident_id) for r in office_reps if r.incident_id is not None}
    all_ids = set(day_inc_ids) | rep_inc_ids
    zmap = _zones_of(conn, all_ids)
    cur = _current_findings(conn, all_ids, seq)

    # --- office reports, and what the other guarantors found ---------------------------------------
    by_office: dict[str, dict[str, Any]] = {}
    for org in offices:
        cell: dict[str, Any] = _cell()
        cell["findings_by_others"] = {
            g: {"confirmed": 0, "disputed": 0, "unverifiable": 0, "none": 0} for g in guarantors if g != offices[org]
        }
        by_office[org] = cell
    rows_by: dict[str, dict[str, dict[str, dict[str, int]]]] = {
        "zone": {},
        "governorate": {},
        "party": {},
        "type": {},
    }
    valid_zones = _zones_valid_on(conn, D, seq)
    for z in valid_zones:
        rows_by["zone"][z] = {}
    # Sums of (reports, killed, injured, confirmed by others, disputed by others) per breakdown cell.
    acc: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    # Killed and injured in a total column count each incident once (the most any office reported for it),
    # however many offices reported it; an office's own cells keep what that office reported.
    once: dict[tuple[str, str, str], dict[tuple[str, Any], list[int]]] = defaultdict(dict)
    for r in office_reps:
        own = offices[r.org_id]
        f = cur.get(int(r.incident_id), {}) if r.incident_id is not None else {}
        found = {g: (f[g].finding if g in f else None) for g in guarantors if g != own}
        vec = (
            1,
            int(r.killed or 0),
            int(r.injured or 0),
            int("confirmed" in found.values()),
            int("disputed" in found.values()),
        )
        fbo = by_office[r.org_id]["findings_by_others"]
        for g, v in found.items():
            fbo[g][v or "none"] += 1
        zs = (zmap.get(int(r.incident_id)) if r.incident_id is not None else None) or [OUTSIDE]
        cells = [("office", r.org_id, ""), ("office", "total", "")]
        for z in zs:
            cells += [("zone", z, r.org_id), ("zone", z, "all")]
        for dim, k in (
            ("governorate", r.adm1_pcode or UNKNOWN),
            ("party", r.alleged_party_id or UNKNOWN),
            ("type", r.violation_type),
        ):
            cells += [(dim, k, r.org_id), (dim, k, "all")]
        event = ("incident", int(r.incident_id)) if r.incident_id is not None else ("report", r.id)
        for c in cells:
            t = acc[c]
            for i in (0, 3, 4):
                t[i] += vec[i]
            if c[2] in ("", "all") and c[:2] != ("office", r.org_id):  # a total: each incident once
                seen = once[c].setdefault(event, [0, 0])
                seen[0], seen[1] = max(seen[0], vec[1]), max(seen[1], vec[2])
            else:  # one office's own figures, as reported
                t[1] += vec[1]
                t[2] += vec[2]
    for c, events in once.items():
        acc[c][1] = sum(k for k, _ in events.values())
        acc[c][2] = sum(i for _, i in events.values())
    totals = _cell()
    for (dim, k, col), v in acc.items():
        target = (
            (totals if k == "total" else by_office[k])
            if dim == "office"
            else rows_by[dim].setdefault(k, {}).setdefault(col, _cell())
        )
        for name, x in zip(CELL_FIELDS, v, strict=True):
            target[name] += x
    for dim_rows in rows_by.values():
        for row in dim_rows.values():
            for col in [*offices, "all"]:
                row.setdefault(col, _cell())

    # --- verdicts of the day's incidents, as of `upto` ----------------------------------------------
    outside = agreements_service.period_verdict(conn, D, seq)  # the day lies before/after the agreement's period
    judged = _judge(conn, [r._mapping for r in inc_rows], zmap, cur, ag, offices, seq, outside)
    by_verdict = {v: 0 for v in VERDICTS}
    inc_by_zone: dict[str, dict[str, int]] = {z: {"incidents": 0, "verified": 0, "breaches": 0} for z in valid_zones}
    verified: list[dict[str, Any]] = []
    by_attr: dict[str, dict[str, int]] = {}
    points = []
    for ir in inc_rows:
        iid = int(ir.id)
        j = judged[iid]
        by_verdict[j["verdict"]] += 1
        if outside:  # not judged: counted under its verdict only, in no total
            continue
        for z in zmap.get(iid) or [OUTSIDE]:
            zc = inc_by_zone.setdefault(z, {"incidents": 0, "verified": 0, "breaches": 0})
            zc["incidents"] += 1
            zc["verified"] += int(j["verdict"] == "verified")
            zc["breaches"] += int(j.get("breach") == "breach")
        if ir.lat is not None and ir.lon is not None:
            points.append(
                {"incident": iid, "lat": ir.lat, "lon": ir.lon, "verdict": j["verdict"], "zones": zmap.get(iid, [])}
            )
        if j["verdict"] != "verified":
            continue
        verified.append(
            {
                "incident": iid,
                "occurred_at": ir.occurred_at,
                "precision": ir.occurred_precision,
                "type": ir.violation_type,
                "zones": zmap.get(iid, []),
                "adm1": ir.adm1_pcode,
                "alleged_party": ir.alleged_party_id,
                "attributed_party": j["attributed_party_id"],
                "attribution": j["attribution"],
                "clause": j["clause_id"],
                "breach": j["breach"],
                "severity": j["severity"],
                "confirmed_by": j["confirmed_by"],
            }
        )
        a = by_attr.setdefault(j["attributed_party_id"] or "not_attributed", {"verified": 0, "breaches": 0, "grave": 0})
        a["verified"] += 1
        a["breaches"] += int(j["breach"] == "breach")
        a["grave"] += int(j["breach"] == "breach" and j["severity"] == "grave")

    numbers: dict[str, Any] = {
        "office_reports": {"total": totals, "by_office": by_office},
        "by_zone": rows_by["zone"],
        "by_governorate": rows_by["governorate"],
        "by_party": rows_by["party"],
        "by_type": rows_by["type"],
        "other_sources": dict(sorted(other_sources.items())),
        "simulated": {
            "office_reports": sum(1 for r in office_reps if r.simulated),
            "incidents": sum(1 for r in inc_rows if r.simulated),
        },
        "incidents": {
            "total": 0 if outside else len(inc_rows),  # the incidents judged under the agreement
            "outside_period": len(inc_rows) if outside else 0,  # before/after the agreement: not judged
            "by_verdict": by_verdict,
            "by_zone": inc_by_zone,
            "verified": verified,
            "verified_by_party": by_attr,
            "map": points,
        },
        "party_status": _status_changes(conn, D, seq),
        "accessions": _accessions(conn, D, D1, seq),
        "measures": _measures(conn, D, seq),
        "investigations": _investigations(conn, D, D1, seq),
        "access_denials": _denials(conn, D, D1, seq),
        "trend": _trend(conn, d, seq, list(offices), valid_zones),
    }
    labels = _labels(conn, numbers, valid_zones, seq)
    return {
        "bulletin": "Truce daily bulletin",
        "format": FORMAT,
        "date": D,
        "ledger": {"seq": seq, "head_hash": head_hash},
        "agreement": (
            {k: ag[k] for k in ("id", "version", "title", "effective", "decision_rule", "guarantors")} if ag else None
        ),
        "offices": {r.id: {"guarantor": r.party_id, "name": r.name} for r in office_rows},
        "labels": labels,
        "numbers": numbers,
        "generated_with": version(),
    }


BULLETIN_JUDGMENT = ("verdict", "attributed_party_id", "attribution", "clause_id", "breach", "severity", "confirmed_by")

# --- verdicts ---------------------------------------------------------------------------------------


def _judge(
    conn: Connection,
    incs: list[Any],
    zmap: dict[int, list[str]],
    cur: dict[int, dict[str, Any]],
    ag: dict[str, Any] | None,
    offices: dict[str, str],
    upto: int,
    outside: str | None = None,
) -> dict[int, dict[str, Any]]:
    """Verdict, attribution, clause, breach and severity of each incident from the findings up to
    `upto`: the facts as the ledger knew them at `upto`, judged by `incidents.rules.judge` (the one rule)."""
    out: dict[int, dict[str, Any]] = {}
    if not incs:
        return out
    # Without any finding an incident is pending whatever the rule (before/after the agreement outside its
    # period): only the others need their reports.
    pending: dict[str, Any] = {k: v for k, v in rules.unjudged(outside).items() if k in BULLETIN_JUDGMENT}
    pending["confirmed_by"] = []
    for i in incs:
        if int(i["id"]) not in cur:
            out[int(i["id"])] = dict(pending)
    incs = [i for i in incs if int(i["id"]) in cur]
    if not incs:
        return out
    ids = [int(i["id"]) for i in incs]
    reps: dict[int, list[Any]] = defaultdict(list)
    for chunk in _chunks(ids):
        for r in conn.execute(
            select(
                incident_reports.c.incident_id,
                reports.c.id,
                reports.c.received_at,
                reports.c.org_id,
                reports.c.target,
                reports.c.killed_civilian,
            )
            .join(reports, reports.c.id == incident_reports.c.report_id)
            .where(incident_reports.c.incident_id.in_(chunk), reports.c.ledger_seq <= upto)
        ):
            reps[int(r.incident_id)].append(r)
    designated = frozenset(r.id for r in conn.execute(select(parties.c.id).where(parties.c.kind == "designated")))
    targets: dict[str, str | None] = {}
    for inc in incs:
        iid = int(inc["id"])
        rs = sorted(reps.get(iid, []), key=lambda x: (x.received_at, x.id))
        target = None
        for r in rs:
            if r.target:
                if r.target not in targets:
                    targets[r.target] = resolve_party(conn, r.target)
                target = targets[r.target]
                if target:
                    break
        f = cur.get(iid, {})
        j = rules.judge(
            rules.Facts(
                violation_type=inc["violation_type"],
                agreement=ag,
                offices=offices,
                sources=[rules.Source(r.org_id, killed_civilian=r.killed_civilian) for r in rs],
                findings={g: rules.Finding(x.finding, x.attributed_party_id) for g, x in f.items()},
                in_zone=bool(zmap.get(iid)),
                target_party=target,
                designated=designated,
                period=outside,
                adm1_pcode=inc.get("adm1_pcode"),
            )
        )
        out[iid] = {k: j[k] for k in BULLETIN_JUDGMENT}
    return out


# --- zones, labels, trend ---------------------------------------------------------------------------


def _zones_valid_on(conn: Connection, day: str, upto: int) -> list[str]:
    rows = conn.execute(
        select(zone_versions.c.zone_id)
        .where(
            zone_versions.c.valid_from <= day,
            or_(zone_versions.c.valid_to.is_(None), zone_versions.c.valid_to > day),
            zone_versions.c.ledger_seq <= upto,
        )
        .distinct()
    ).all()
    return sorted(r.zone_id for r in rows)


def zone_geometries(conn: Connection, day: str, upto: int) -> list[dict[str, Any]]:
    """The zone versions valid on `day` as the ledger knew them at `upto` (for the map)."""
    out = []
    for r in conn.execute(
        select(zone_versions.c.zone_id, zone_versions.c.version, zone_versions.c.geojson, zones.c.name)
        .join(zones, zones.c.id == zone_versions.c.zone_id)
        .where(
            zone_versions.c.valid_from <= day,
            or_(zone_versions.c.valid_to.is_(None), zone_versions.c.valid_to > day),
            zone_versions.c.ledger_seq <= upto,
        )
        .order_by(zone_versions.c.zone_id, zone_versions.c.version)
    ):
        out.append({"zone": r.zone_id, "version": int(r.version), "name": r.name, "geometry": json.loads(r.geojson)})
    return out


def _trend(conn: Connection, d: date, upto: int, office_ids: list[str], valid_zones: list[str]) -> dict[str, Any]:
    """Per zone, for each of the 30 days ending on D: incidents (all sources) and office reports."""
    first = d - timedelta(days=TREND_DAYS - 1)
    days = [(first + timedelta(days=i)).isoformat() for i in range(TREND_DAYS)]
    start, stop = days[0], (d + timedelta(days=1)).isoformat()
    pos = {x: i for i, x in enumerate(days)}
    out: dict[str, dict[str, list[int]]] = {
        z: {"incidents": [0] * TREND_DAYS, "office_reports": [0] * TREND_DAYS} for z in valid_zones
    }
    day_col = func.substr(incidents.c.occurred_at, 1, 10)
    for r in conn.execute(
        select(day_col.label("day"), incident_zones.c.zone_id, func.count().label("n"))
        .select_from(incidents.join(incident_zones, incident_zones.c.incident_id == incidents.c.id))
        .where(
            _day_range(incidents.c.occurred_at, start, stop),
            incidents.c.ledger_seq <= upto,
            incidents.c.status != "merged",
        )
        .group_by(day_col, incident_zones.c.zone_id)
    ):
        row = out.setdefault(r.zone_id, {"incidents": [0] * TREND_DAYS, "office_reports": [0] * TREND_DAYS})
        row["incidents"][pos[r.day]] += int(r.n)
    if office_ids:
        rday = func.substr(reports.c.occurred_at, 1, 10)
        for r in conn.execute(
            select(rday.label("day"), incident_zones.c.zone_id, func.count().label("n"))
            .select_from(
                reports.join(incident_reports, incident_reports.c.report_id == reports.c.id).join(
                    incident_zones, incident_zones.c.incident_id == incident_reports.c.incident_id
                )
            )
            .where(
                _day_range(reports.c.occurred_at, start, stop),
                reports.c.ledger_seq <= upto,
                reports.c.org_id.in_(office_ids),
            )
            .group_by(rday, incident_zones.c.zone_id)
        ):
            row = out.setdefault(r.zone_id, {"incidents": [0] * TREND_DAYS, "office_reports": [0] * TREND_DAYS})
            row["office_reports"][pos[r.day]] += int(r.n)
    return {"days": days, "zones": out}


def _labels(conn: Connection, numbers: dict[str, Any], valid_zones: list[str], upto: int) -> dict[str, Any]:
    zone_ids = set(valid_zones) | set(numbers["by_zone"]) | set(numbers["trend"]["zones"])
    zone_ids.discard(OUTSIDE)
    zrows = (
        conn.execute(
            select(zones.c.id, zones.c.name, zones.c.approximate).where(zones.c.id.in_(sorted(zone_ids)))
        ).all()
        if zone_ids
        else []
    )
    zn = {r.id: r.name for r in zrows}
    pcodes = sorted(set(numbers["by_governorate"]) - {UNKNOWN})
    gn = (
        {
            r.pcode: r.name_en
            for r in conn.execute(
                select(admin_areas.c.pcode, admin_areas.c.name_en).where(admin_areas.c.pcode.in_(pcodes))
            )
        }
        if pcodes
        else {}
    )
    pids: set[str] = set(numbers["by_party"]) - {UNKNOWN}
    inc = numbers["incidents"]
    pids |= {p for p in inc["verified_by_party"] if p != "not_attributed"}
    for v in inc["verified"]:
        pids |= {p for p in (v["alleged_party"], v["attributed_party"]) if p}
    for key in ("party_status",):
        pids |= {x["party"] for x in numbers[key]}
    for x in numbers["accessions"]["applied"] + numbers["accessions"]["decided"]:
        pids.add(x["party"])
    for k in ("proposed", "decided", "breached"):
        pids |= {x["party"] for x in numbers["measures"][k]}
    pids |= set(numbers["access_denials"]["by_party"])
    pn = (
        {r.id: r.name for r in conn.execute(select(parties.c.id, parties.c.name).where(parties.c.id.in_(sorted(pids))))}
        if pids
        else {}
    )
    return {
        "zones": zn,
        "zones_approximate": sorted(r.id for r in zrows if r.approximate),
        "governorates": gn,
        "parties": pn,
    }


# --- status, accessions, measures, investigations -----------------------------------------------------


def _status_changes(conn: Connection, day: str, upto: int) -> list[dict[str, Any]]:
    return [
        {
            "party": r.party_id,
            "status": r.status,
            "previous": r.previous,
            "reason": r.reason,
            "decision": r.decision,
            "ledger_seq": int(r.ledger_seq),
        }
        for r in conn.execute(
            select(party_status_history)
            .where(party_status_history.c.effective == day, party_status_history.c.ledger_seq <= upto)
            .order_by(party_status_history.c.ledger_seq, party_status_history.c.party_id)
        )
    ]


def _decision_seqs(conn: Connection, subject: str, ids: list[int]) -> dict[int, int]:
    """The ledger entry of the last vote on each measure or accession (the vote that decided it)."""
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        for r in conn.execute(
            select(votes.c.subject_id, func.max(votes.c.ledger_seq))
            .where(votes.c.subject == subject, votes.c.subject_id.in_(chunk))
            .group_by(votes.c.subject_id)
        ):
            out[int(r[0])] = int(r[1])
    return out


def _decided_by(seqs: dict[int, int], sid: int, upto: int) -> bool:
    """Decided at or before `upto`: its deciding vote is. A decision with no vote at all cannot come from
    the ledger; it is counted, so that a database changed by hand shows in `bulletin verify`."""
    s = seqs.get(sid)
    return s is None or s <= upto


def _accessions(conn: Connection, day: str, day1: str, upto: int) -> dict[str, list[dict[str, Any]]]:
    applied = [
        {"id": int(r.id), "party": r.party_id, "ledger_seq": int(r.ledger_seq)}
        for r in conn.execute(
            select(accessions)
            .where(_day_range(accessions.c.applied_at, day, day1), accessions.c.ledger_seq <= upto)
            .order_by(accessions.c.id)
        )
    ]
    rows = conn.execute(
        select(accessions)
        .where(
            accessions.c.status.in_(("accepted", "rejected")),
            _day_range(accessions.c.decided_at, day, day1),
            accessions.c.ledger_seq <= upto,
        )
        .order_by(accessions.c.id)
    ).all()
    seqs = _decision_seqs(conn, "accession", [int(r.id) for r in rows])
    decided = [
        {"id": int(r.id), "party": r.party_id, "outcome": r.status, "ledger_seq": seqs.get(int(r.id))}
        for r in rows
        if _decided_by(seqs, int(r.id), upto)
    ]
    return {"applied": applied, "decided": decided}


def _entries(conn: Connection, commands: tuple[str, ...], upto: int) -> list[tuple[int, str, dict[str, Any]]]:
    return [
        (int(r.seq), r.command, json.loads(r.payload))
        for r in conn.execute(
            select(ledger_entries.c.seq, ledger_entries.c.command, ledger_entries.c.payload)
            .where(ledger_entries.c.command.in_(commands), ledger_entries.c.seq <= upto)
            .order_by(ledger_entries.c.seq)
        )
    ]


def _measures(conn: Connection, day: str, upto: int) -> dict[str, list[dict[str, Any]]]:
    proposed = [
        {
            "id": int(r.id),
            "party": r.party_id,
            "step": int(r.step),
            "kind": r.kind,
            "rule": r.rule_id,
            "ledger_seq": int(r.ledger_seq),
        }
        for r in conn.execute(
            select(measures).where(measures.c.as_of == day, measures.c.ledger_seq <= upto).order_by(measures.c.id)
        )
    ]
    rows = conn.execute(
        select(measures)
        .where(
            measures.c.status.in_(("approved", "rejected")),
            func.substr(measures.c.decided_at, 1, 10) == day,
            measures.c.ledger_seq <= upto,
        )
        .order_by(measures.c.id)
    ).all()
    seqs = _decision_seqs(conn, "measure", [int(r.id) for r in rows])
    decided = [
        {
            "id": int(r.id),
            "party": r.party_id,
            "kind": r.kind,
            "outcome": r.status,
            "deadline": r.deadline,
            "ledger_seq": seqs.get(int(r.id)),
        }
        for r in rows
        if _decided_by(seqs, int(r.id), upto)
    ]
    # Breaches are dated by the entries that recorded them: a missed deadline found by an evaluation
    # (its as_of day) or a compliance record (its day); the measure's row must say breached too.
    when: dict[int, tuple[int, str]] = {}
    for s, cmd, p in _entries(conn, ("measures.evaluate", "measure.compliance"), upto):
        if cmd == "measures.evaluate":
            for b in p.get("breached") or []:
                when.setdefault(int(b["measure_id"]), (s, str(p.get("as_of", ""))[:10]))
        elif p.get("compliance") == "breached":
            when.setdefault(int(p["measure_id"]), (s, str(p.get("on", ""))[:10]))
    ids = sorted(m for m, (_, dd) in when.items() if dd == day)
    breached = []
    for chunk in _chunks(ids):
        for r in conn.execute(
            select(measures)
            .where(measures.c.id.in_(chunk), measures.c.compliance == "breached")
            .order_by(measures.c.id)
        ):
            breached.append({"id": int(r.id), "party": r.party_id, "kind": r.kind, "ledger_seq": when[int(r.id)][0]})
    return {"proposed": proposed, "decided": decided, "breached": breached}


def _investigations(conn: Connection, day: str, day1: str, upto: int) -> dict[str, list[dict[str, Any]]]:
    opened = [
        {"id": int(r.id), "incident": int(r.incident_id), "org": r.org_id, "ledger_seq": int(r.ledger_seq)}
        for r in conn.execute(
            select(investigations)
            .where(_day_range(investigations.c.opened_at, day, day1), investigations.c.ledger_seq <= upto)
            .order_by(investigations.c.id)
        )
    ]
    rows = conn.execute(
        select(investigations)
        .where(
            investigations.c.status == "closed",
            _day_range(investigations.c.closed_at, day, day1),
            investigations.c.ledger_seq <= upto,
        )
        .order_by(investigations.c.id)
    ).all()
    closed = []
    if rows:
        # The entry that closed each: a closure recorded after `upto` did not happen yet.
        closing = {int(p["id"]): s for s, _, p in _entries(conn, ("investigation.close",), 1 << 62)}
        for r in rows:
            s = closing.get(int(r.id))
            if s is not None and s > upto:
                continue
            closed.append(
                {
                    "id": int(r.id),
                    "incident": int(r.incident_id),
                    "org": r.org_id,
                    "finding": r.finding,
                    "ledger_seq": s,
                }
            )
    return {"opened": opened, "closed": closed}


def _denials(conn: Connection, day: str, day1: str, upto: int) -> dict[str, Any]:
    rows = conn.execute(
        select(access_denials)
        .where(_day_range(access_denials.c.denied_at, day, day1), access_denials.c.ledger_seq <= upto)
        .order_by(access_denials.c.id)
    ).all()
    return {
        "total": len(rows),
        "by_party": dict(sorted(Counter(r.party_id for r in rows).items())),
        "list": [
            {
                "id": int(r.id),
                "investigation": int(r.investigation_id),
                "incident": int(r.incident_id),
                "party": r.party_id,
                "ledger_seq": int(r.ledger_seq),
            }
            for r in rows
        ],
    }
