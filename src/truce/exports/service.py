"""Exports of incidents, streamed: CSV, HXL, GeoJSON and ACLED's format.

Rows are read by keyset pagination over ``incidents.id`` (one read transaction, pages of ``PAGE`` rows,
the same filters as ``truce incident list`` and the same visibility rules as every view), and written
page by page, so memory stays flat whatever the number of incidents. Each incident carries the
fields of its *primary report*: the newest version (origin or correction) of the report it began with,
if the viewer may see it: killed, injured, target, narrative, source and external id.

One statement per page gives every incident with its primary report, the number of its reports, its zones
and its party's name (`_Sources`); it runs on the driver's own cursor (`_Page`), without SQLAlchemy's
result objects. The primary report, in SQL: among the incident's links ``origin`` and ``correction``, the
reports the viewer may see that no other of those links supersedes, the newest by (ledger sequence, id);
an incident with a single link takes it without that search (the common case).

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

CSV and HXL are written without the csv module (which costs about 20 ns a character, a third of the time of
a million-row export), byte for byte as ``csv.writer(f, lineterminator="\\n")`` writes them: the database
formats the short fields of each row into comma-separated runs (``_RUNS``); Python puts between them the
floats (``repr``, as the csv module writes them), the admin areas' codes and names (looked up once per
combination), the title and the narrative, quoted when they need it. A run is taken as it comes only when
the page's runs hold nothing that needs quoting (comma, double quote, line break) besides their separators;
the rows whose runs do are written from their plain values (`PLAIN`) with the csv module instead.

Formulas: a spreadsheet runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(CSV injection). As OWASP recommends, such a text cell of the CSV, HXL and ACLED exports is written with a
single quote before it (``'=HYPERLINK(...)``), which spreadsheets show as text; a number (``-35.2``) is left
as it is. Title and narrative are checked in the hot loop (their first character); for the free-text fields
inside the runs the page statement itself adds a double quote to the first run when one of them begins so, which
sends the row to the plain path (as a field that needs quoting does), where every text cell is checked.
GeoJSON is not a spreadsheet format and is written unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import ClauseAdapter

from truce.auth.visibility import incident_clause, incident_scope, scope_clause, tiers_for
from truce.db import Prepared
from truce.errors import ValidationFailed
from truce.geo.models import admin_areas
from truce.incidents.models import incident_reports, incident_zones, incidents
from truce.incidents.service import IncidentFilter
from truce.ingest import acled
from truce.ledger.chain import SYSTEM
from truce.ledger.context import App
from truce.parties.models import parties
from truce.reports.models import VISIBILITY_TIERS, reports

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

PRIMARY_HOW = ("origin", "correction")  # the links whose report can be an incident's primary report
ALL_TIERS = frozenset(VISIBILITY_TIERS)
ZONE_SEP = "\x1f"  # between zone ids in a plain row (`PLAIN`): a character no zone id holds

# A plain row: the CSV columns in their order, as the csv module takes them (zones joined by ZONE_SEP,
# `simulated` a boolean or 0/1), then what GeoJSON and ACLED need besides.
PLAIN = (*HEADER, "created_at", "org_id")
(P_ID, P_AT, P_PREC, P_TYPE, P_PARTY_ID, P_PARTY, P_TARGET, P_KILLED, P_INJURED, P_LAT, P_LON, P_LPREC, P_PLACE,
 P_A1, P_A1N, P_A2, P_A2N, P_A3, P_A3N, P_ZONES, P_STATUS, P_VERDICT, P_ATTR, P_CLAUSE, P_BREACH, P_SEV, P_CONF,
 P_REPORTS, P_SIM, P_SOURCE, P_EXT, P_TITLE, P_NARRATIVE, P_CREATED, P_ORG) = range(len(PLAIN))

# The CSV row as the page statement gives it (`_Sources.csv`): runs of short fields that the database
# formats with the commas around them, and between them what Python writes (`_csv_page`): the floats,
# the admin areas (from a key of their three P-codes), the title and the narrative.
# (place in the statement's row, first and last CSV column, leading comma) of each run:
_RUNS = ((0, P_ID, P_INJURED, ""), (3, P_LPREC, P_PLACE, ","), (5, P_ZONES, P_SEV, ","), (7, P_REPORTS, P_EXT, ","))
_RUN_COMMAS = tuple(last - first + 1 + len(lead) for _, first, last, lead in _RUNS)  # when no field needs quoting
AREA_SEP = "\x1f"  # between the three P-codes of the areas' key


def _csv_quotes() -> tuple[str, ...]:
    """The characters that make the csv module quote a field (``lineterminator="\\n"``): comma, double quote,
    line feed, and carriage return on the Python versions that quote it too."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["a\rb"])
    return (",", '"', "\n") + (("\r",) if buf.getvalue().startswith('"') else ())


QUOTE_CHARS = _csv_quotes()
_NO_COMMA = QUOTE_CHARS[1:]

FORMULA_CHARS = frozenset("=+-@\t\r")  # OWASP's list of the characters that start a formula


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a single quote before it (OWASP); numbers
    and every other value unchanged."""
    if isinstance(value, str) and value[:1] in FORMULA_CHARS:
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def neutralise_row(row: Sequence[Any]) -> list[Any]:
    return [neutralise(v) for v in row]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValidationFailed(f"format: '{fmt}' is not one of {', '.join(FORMATS)}", field="format")
    return fmt


def count(conn: Connection, flt: IncidentFilter | None = None, viewer: Any = SYSTEM) -> int:
    stmt = (flt or IncidentFilter()).check(conn).apply(select(func.count()).select_from(incidents))
    stmt = stmt.where(incident_clause(viewer))
    return int(conn.execute(stmt).scalar_one())


# --- one statement per page ------------------------------------------------------------------------------


def _may_see(r: Any, viewer: Any) -> ColumnElement[bool] | None:
    """SQL of `may_see_report` on the reports alias `r`; None when the viewer sees every tier."""
    tiers = tiers_for(viewer)
    if tiers == ALL_TIERS:
        return None
    seen: list[ColumnElement[bool]] = [r.c.visibility.in_(sorted(tiers))]
    if viewer is not None and viewer.org:
        seen.append(r.c.org_id == viewer.org)
    return or_(*seen)


class _Sources:
    """The tables of a page and the expressions both kinds of row share."""

    def __init__(self, dialect: str, viewer: Any, zone_sep: str) -> None:
        i = incidents
        pir, pr = incident_reports.alias("pir"), reports.alias("pr")
        ir, r = incident_reports.alias("ir"), reports.alias("r")
        ir2, r2 = incident_reports.alias("ir2"), reports.alias("r2")
        ic = incident_reports.alias("ic")
        self.p = parties.alias("p")
        self.a1, self.a2, self.a3 = admin_areas.alias("a1"), admin_areas.alias("a2"), admin_areas.alias("a3")
        self.pr = pr
        pg = dialect == "postgresql"
        # The number of the incident's reports (every kind of link).
        self.reports = select(func.count()).select_from(ic).where(ic.c.incident_id == i.c.id).scalar_subquery()
        # The primary report when the incident has more than one link.
        superseded = (
            exists()
            .select_from(ir2.join(r2, r2.c.id == ir2.c.report_id))
            .where(ir2.c.incident_id == ir.c.incident_id, ir2.c.report_id != ir.c.report_id,
                   ir2.c.how.in_(PRIMARY_HOW), r2.c.supersedes == r.c.id)
        )
        seen_r, seen_pr = _may_see(r, viewer), _may_see(pr, viewer)
        newest = (
            select(ir.c.report_id)
            .select_from(ir.join(r, r.c.id == ir.c.report_id))
            .where(ir.c.incident_id == i.c.id, ir.c.how.in_(PRIMARY_HOW), ~superseded,
                   *([seen_r] if seen_r is not None else []))
            # Report ids compare as Python strings do (code points), whatever the database's collation.
            .order_by(r.c.ledger_seq.desc(), (r.c.id.collate("C") if pg else r.c.id).desc())
            .limit(1)
            .scalar_subquery()
        )
        # The incident's only link: no other link of any kind (on SQLite, read from the index alone).
        o = incident_reports.alias("o")
        other = o.c.report_id != pir.c.report_id if pg else literal_column("o.rowid") != literal_column("pir.rowid")
        only = ~exists().where(o.c.incident_id == i.c.id, other)
        self.source = (
            i.outerjoin(
                pir,
                and_(pir.c.incident_id == i.c.id, pir.c.how.in_(PRIMARY_HOW), or_(only, pir.c.report_id == newest)),
            )
            .outerjoin(pr, and_(pr.c.id == pir.c.report_id, *([seen_pr] if seen_pr is not None else [])))
            .outerjoin(self.p, self.p.c.id == i.c.alleged_party_id)
        )
        self.with_areas = self.source
        for a, code in ((self.a1, i.c.adm1_pcode), (self.a2, i.c.adm2_pcode), (self.a3, i.c.adm3_pcode)):
            self.with_areas = self.with_areas.outerjoin(a, and_(a.c.pcode == code, code != ""))
        # The party's name, else its id; the text as reported when there is no party id.
        self.party = case(
            (i.c.alleged_party_id != "", func.coalesce(self.p.c.name, i.c.alleged_party_id)),
            else_=i.c.alleged_party_text,
        )
        z = incident_zones
        if pg:
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            self.zones = (
                select(func.string_agg(z.c.zone_id, aggregate_order_by(literal_column(f"'{zone_sep}'"), z.c.zone_id)))
                .where(z.c.incident_id == i.c.id)
                .scalar_subquery()
            )
        else:
            # group_concat keeps the order of its rows (SQLite before 3.44 has no ORDER BY in aggregates).
            ordered = (
                select(z.c.zone_id).where(z.c.incident_id == i.c.id).order_by(z.c.zone_id).correlate(i).subquery("zo")
            )
            self.zones = select(func.group_concat(ordered.c.zone_id, zone_sep)).scalar_subquery()

    def plain(self) -> list[Any]:
        """The columns of `PLAIN`."""
        i, pr = incidents.c, self.pr.c
        cols = {
            "alleged_party": self.party, "target": pr.target, "killed": pr.killed, "injured": pr.injured,
            "adm1_name": self.a1.c.name_en, "adm2_name": self.a2.c.name_en, "adm3_name": self.a3.c.name_en,
            "zones": self.zones, "reports": self.reports, "source": pr.external_source,
            "external_id": pr.external_id, "narrative": pr.narrative, "org_id": pr.org_id,
        }
        return [cols[name] if name in cols else i[name] for name in PLAIN]

    def csv(self, dialect: str) -> list[Any]:
        """A CSV row in pieces (`_csv_page`): run, lat, lon, run, areas' key, run, confidence, run, title,
        narrative."""
        fmt = func.format if dialect == "postgresql" else func.printf
        plain = self.plain()
        plain[P_SIM] = case((incidents.c.simulated, "true"), else_="false")
        c = incidents.c
        runs = [
            [lead + ",".join(["%s"] * (last - first + 1)) + ",", *plain[first : last + 1]]
            for _, first, last, lead in _RUNS
        ]
        if dialect == "sqlite":
            # SQLite's printf ends a string at a NUL character, which only free text typed into a report can
            # hold (PostgreSQL refuses it): such a row gets a double quote after its run, so it is written
            # from its plain values (`_csv_page`).
            def nul(*cols: Any) -> Any:
                return case((or_(*(func.instr(col, "\x00") > 0 for col in cols)), '"'), else_="")

            runs[0] += [nul(c.alleged_party_text, self.pr.c.target)]
            runs[1] += [nul(c.place_name)]
            runs[0][0] += "%s"
            runs[1][0] += "%s"
        # A free-text field of the runs that a spreadsheet would run as a formula: a double quote after the first
        # run, so the row is written from its plain values, where it is neutralised (`neutralise_row`).
        texts = (self.party, self.pr.c.target, c.place_name, self.zones, c.alleged_party_id, c.attributed_party_id,
                 c.clause_id, self.pr.c.external_source, self.pr.c.external_id)
        runs[0] += [case((or_(*(func.substr(t, 1, 1).in_(sorted(FORMULA_CHARS)) for t in texts)), '"'), else_="")]
        runs[0][0] += "%s"
        areas = fmt(AREA_SEP.join(["%s"] * 3), c.adm1_pcode, c.adm2_pcode, c.adm3_pcode)
        a, b, d, e = (fmt(*run) for run in runs)
        return [a, c.lat, c.lon, b, areas, d, c.confidence, e, c.title, self.pr.c.narrative]


class _Page:
    """A page statement compiled once, run on the driver's own cursor: ``rows(after=...)`` gives the next
    page of incidents, those with ids above ``after``, as the driver's tuples."""

    def __init__(self, conn: Connection, stmt: Select[Any]) -> None:
        self.query = Prepared(stmt, conn.dialect)
        self.cursor = conn.connection.cursor()

    def rows(self, **values: Any) -> Sequence[Any]:
        self.query.execute(self.cursor, values)
        return self.cursor.fetchall()

    def close(self) -> None:
        self.cursor.close()


def _page_stmt(
    columns: list[Any], source: Any, flt: IncidentFilter, viewer: Any, page: int, dialect: str = "sqlite"
) -> Select[Any]:
    """The next page of incidents in id order (ids above the bound value ``after``), with ``columns``.

    On PostgreSQL the page's ids are chosen first, in a subquery of their own: given the whole statement,
    PostgreSQL's planner joined every incident above ``after`` with its reports and only then sorted and cut
    the page, so each page cost as much as the rest of the export (1.5 s a page over 200,000 incidents,
    quadratic in their number). The subquery checks who may see an incident per row, as the incident list
    does (`scope_clause`). SQLite's planner already walks the incidents in id order and stops at the page."""
    after = incidents.c.id > bindparam("after", 0, type_=BigInteger)
    if dialect == "postgresql":
        scope = scope_clause(incident_scope(viewer), correlated=True, fence=True)
        chosen = flt.apply(select(incidents)).where(scope, after).order_by(incidents.c.id).limit(page).subquery("i")
        # The same columns and joins, on the page's incidents instead of the table.
        on_page = ClauseAdapter(chosen)
        return (
            select(*(on_page.traverse(c) for c in columns))
            .select_from(on_page.traverse(source))
            .order_by(chosen.c.id)
        )
    return flt.apply(select(*columns).select_from(source)).where(incident_clause(viewer), after).order_by(
        incidents.c.id
    ).limit(page)


def iter_plain(
    conn: Connection, flt: IncidentFilter | None = None, viewer: Any = SYSTEM, page: int = PAGE
) -> Iterator[Sequence[Any]]:
    """Pages of plain rows (`PLAIN`) in id order."""
    dialect = conn.dialect.name
    src = _Sources(dialect, viewer, ZONE_SEP)
    stmt = _Page(conn, _page_stmt(src.plain(), src.with_areas, flt or IncidentFilter(), viewer, page, dialect))
    try:
        after = 0
        while rows := stmt.rows(after=after):
            after = rows[-1][P_ID]
            yield rows
    finally:
        stmt.close()


def plain_rows(conn: Connection, ids: list[int], viewer: Any) -> dict[int, Sequence[Any]]:
    """Plain rows of these incidents (whatever the filter), by id."""
    src = _Sources(conn.dialect.name, viewer, ZONE_SEP)
    rows = conn.execute(select(*src.plain()).select_from(src.with_areas).where(incidents.c.id.in_(ids))).all()
    return {int(r[P_ID]): tuple(r) for r in rows}


# --- formats -------------------------------------------------------------------------------------------


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _flat(r: Sequence[Any]) -> list[Any]:
    """A plain row as the CSV columns (what the csv module writes)."""
    out = list(r[: len(HEADER)])
    out[P_ZONES] = (r[P_ZONES] or "").replace(ZONE_SEP, ";")
    out[P_SIM] = "true" if r[P_SIM] else "false"
    return out


def _zones(r: Sequence[Any]) -> list[str]:
    return r[P_ZONES].split(ZONE_SEP) if r[P_ZONES] else []


class _Floats(dict[Any, str]):
    """A float as the csv module writes it (``repr``; None as nothing), remembered: coordinates repeat. The
    columns are floats on both databases (never ints, which would share keys with equal floats)."""

    def __init__(self) -> None:
        super().__init__({None: ""})

    def __missing__(self, x: Any) -> str:
        text = repr(x)
        if x != 0 and len(self) < 100_000:  # 0.0 and -0.0 are equal keys but print differently
            self[x] = text
        return text


class _Areas(dict[str, str]):
    """The six CSV columns of an incident's admin areas (P-code and name of ADM1, ADM2, ADM3), as the csv
    module writes them, from the key of the three P-codes; remembered (a few thousand combinations)."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, key: str) -> str:
        codes = key.split(AREA_SEP)
        if len(codes) != 3:  # a P-code holding the separator: the row is written from its plain values
            return ""
        fields = [x for code in codes for x in (code, self.names.get(code) if code else None)]
        text = _csv_text([neutralise_row(fields)])[:-1]
        if len(self) < 100_000:
            self[key] = text
        return text


def _row_id(row: Sequence[Any]) -> int:
    """The incident id of a `_Sources.csv` row: the first field of its first run (digits only)."""
    return int(row[0].split(",", 1)[0])


def _run_ok(run: str, commas: int) -> bool:
    return run.count(",") == commas and not any(ch in run for ch in _NO_COMMA)


def _csv_page(
    rows: Sequence[Any],
    floats: _Floats,
    areas: _Areas,
    plain: Callable[[list[int]], dict[int, Sequence[Any]]],
) -> str:
    """A page of `_Sources.csv` rows as CSV text (the bytes the csv module would write)."""
    n = len(rows)
    redo: set[int] = set()
    for (col, *_), commas in zip(_RUNS, _RUN_COMMAS, strict=True):
        joined = "".join(map(itemgetter(col), rows))
        if joined.count(",") != commas * n or any(ch in joined for ch in _NO_COMMA):
            redo.update(k for k, r in enumerate(rows) if not _run_ok(r[col], commas))
    if "".join(map(itemgetter(4), rows)).count(AREA_SEP) != 2 * n:
        redo.update(k for k, r in enumerate(rows) if r[4].count(AREA_SEP) != 2)
    f, adm = floats.__getitem__, areas.__getitem__
    cr = "\r" in QUOTE_CHARS
    trig = FORMULA_CHARS
    lines: list[str] = []
    line = lines.append
    for a, lat, lon, b, key, d, conf, e, title, text in rows:  # the hot loop: kept flat
        if title is None:
            title = ""
        else:
            if title[:1] in trig:
                title = neutralise(title)
            if "," in title or '"' in title or "\n" in title or (cr and "\r" in title):
                title = '"' + title.replace('"', '""') + '"'
        if text is None:
            text = ""
        else:
            if text[:1] in trig:
                text = neutralise(text)
            if "\n" in text or "," in text or '"' in text or (cr and "\r" in text):
                text = '"' + text.replace('"', '""') + '"'
        line(f"{a}{f(lat)},{f(lon)}{b}{adm(key)}{d}{f(conf)}{e}{title},{text}\n")
    if redo:  # a field that needs quoting: those rows from their plain values, with the csv module
        at = sorted(redo)
        ids = [_row_id(rows[k]) for k in at]
        by_id = plain(ids)
        for k, iid in zip(at, ids, strict=True):
            lines[k] = _csv_text([neutralise_row(_flat(by_id[iid]))])
    return "".join(lines)


def acled_countries(conn: Connection) -> dict[str, dict[str, str]]:
    """ACLED's iso, region and country of each loaded ADM1 P-code: the country of its boundaries (the
    name from `acled.ACLED_COUNTRIES`, else from the boundaries' ADM0 name)."""
    out: dict[str, dict[str, str]] = {}
    for pcode, iso2, names in conn.execute(
        select(admin_areas.c.pcode, admin_areas.c.country, admin_areas.c.names).where(admin_areas.c.level == 1)
    ):
        try:
            adm0 = (orjson.loads(names) or {}).get("adm0") or {} if names else {}
        except orjson.JSONDecodeError:
            adm0 = {}
        out[str(pcode)] = acled.country_columns(str(iso2), adm0.get("en") if isinstance(adm0, dict) else None)
    return out


def acled_row(r: Sequence[Any], countries: dict[str, dict[str, str]] | None = None) -> list[Any]:
    """One incident (a plain row) as an ACLED row (31 columns); `countries`: `acled_countries`, by ADM1
    P-code (an incident outside the loaded boundaries has blank iso, region and country)."""
    notes, extras = acled.split_narrative(r[P_NARRATIVE])
    vtype = r[P_TYPE]
    sub = extras.get("sub_event_type", "")
    if acled.ACLED_TYPES.get(sub, ("", ""))[1] == vtype:
        etype = acled.ACLED_TYPES[sub][0]
    else:
        etype, sub = acled.EXPORT_TYPES.get(vtype, acled.EXPORT_TYPES["other"])
    tags = [t for t in extras.get("tags", "").split("|") if t]
    if acled.ACLED_TYPES[sub][1] != vtype and acled.TYPE_TAG + vtype not in tags:
        tags = [t for t in tags if not t.startswith(acled.TYPE_TAG)] + [acled.TYPE_TAG + vtype]
    tp, gp = r[P_PREC], r[P_LPREC]
    tp_out = acled.TIME_PRECISION_OUT.get(tp, "1")
    gp_out = acled.GEO_PRECISION_OUT.get(gp, "3")
    tags = [t for t in tags if not t.startswith(("truce:time=", "truce:geo=", "truce:at="))]
    if acled.TIME_PRECISION.get(tp_out) != tp:
        tags.append(f"truce:time={tp}")
    clock = (r[P_AT] or "")[11:19]
    if clock and clock != "00:00:00":
        tags.append(f"truce:at={clock}")
    if acled.GEO_PRECISION.get(gp_out) != gp:
        tags.append(f"truce:geo={gp}")
    if r[P_SIM] and acled.SIMULATED_TAG not in tags:
        tags.append(acled.SIMULATED_TAG)
    actor1 = extras.get("actor1") or r[P_PARTY] or ""
    day = (r[P_AT] or "")[:10]
    source, external_id, org = r[P_SOURCE], r[P_EXT], r[P_ORG]
    from_acled = source == "acled" and external_id
    dflt = (countries or {}).get(r[P_A1] or "", {})
    return [
        external_id if from_acled else f"TRUCE{r[P_ID]}",
        day,
        day[:4],
        tp_out,
        extras.get("disorder_type") or acled.DISORDER_TYPES[etype],
        etype,
        sub,
        actor1,
        extras.get("assoc_actor_1", ""),
        extras.get("inter1", ""),
        r[P_TARGET] or "",
        extras.get("assoc_actor_2", ""),
        extras.get("inter2", ""),
        extras.get("interaction", ""),
        extras.get("civilian_targeting") or ("Civilian targeting" if vtype == "attack_on_civilians" and not from_acled
                                             else ""),
        extras.get("iso") or dflt.get("iso", ""),
        extras.get("region") or dflt.get("region", ""),
        extras.get("country") or dflt.get("country", ""),
        extras.get("admin1") or r[P_A1N] or "",
        extras.get("admin2") or r[P_A2N] or "",
        extras.get("admin3") or r[P_A3N] or "",
        r[P_PLACE] or "",
        "" if r[P_LAT] is None else repr(float(r[P_LAT])),
        "" if r[P_LON] is None else repr(float(r[P_LON])),
        gp_out,
        extras.get("source") or ("Truce" + (f" ({org})" if org else "")),
        extras.get("source_scale", ""),
        notes,
        r[P_KILLED] or 0,
        "|".join(tags),
        extras.get("timestamp") or acled.epoch(r[P_CREATED]),
    ]


def _feature(r: Sequence[Any]) -> bytes:
    props: dict[str, Any] = dict(zip(HEADER, _flat(r), strict=True))
    props["zones"] = _zones(r)
    props["simulated"] = bool(r[P_SIM])
    del props["lat"], props["lon"]
    lat, lon = r[P_LAT], r[P_LON]
    geom = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    return orjson.dumps({"type": "Feature", "id": r[P_ID], "geometry": geom, "properties": props})


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
    flt = flt or IncidentFilter()
    if fmt in ("csv", "hxl"):
        head = [HEADER] + ([HXL_TAGS] if fmt == "hxl" else [])
        yield _csv_text(head).encode("utf-8")
        yield from _stream_csv(conn, flt, viewer, progress, page)
        return
    if fmt == "acled":
        yield _csv_text([list(acled.ACLED_COLUMNS)]).encode("utf-8")
    else:
        yield b'{"type":"FeatureCollection","features":[\n'
    first = True
    countries = acled_countries(conn) if fmt == "acled" else {}
    for rows in iter_plain(conn, flt, viewer, page):
        if fmt == "acled":
            data = _csv_text([neutralise_row(acled_row(r, countries)) for r in rows]).encode("utf-8")
        else:
            feats = b",\n".join(_feature(r) for r in rows)
            data = feats if first else b",\n" + feats
        first = False
        yield data
        if progress:
            progress(len(rows))
    if fmt == "geojson":
        yield b"\n]}\n"


def _stream_csv(
    conn: Connection, flt: IncidentFilter, viewer: Any, progress: Callable[[int], None] | None, page: int
) -> Iterator[bytes]:
    dialect = conn.dialect.name
    src = _Sources(dialect, viewer, ";")
    stmt = _Page(conn, _page_stmt(src.csv(dialect), src.source, flt, viewer, page, dialect))
    floats = _Floats()
    areas = _Areas({str(k): str(v) for k, v in conn.execute(select(admin_areas.c.pcode, admin_areas.c.name_en))})
    try:
        after = 0
        while rows := stmt.rows(after=after):
            after = _row_id(rows[-1])
            yield _csv_page(rows, floats, areas, lambda ids: plain_rows(conn, ids, viewer)).encode("utf-8")
            if progress:
                progress(len(rows))
    finally:
        stmt.close()


def export_incidents(
    app: App,
    fmt: str,
    flt: IncidentFilter | None = None,
    viewer: Any = SYSTEM,
    progress: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """Open a read transaction and stream the export (for the CLI and the API)."""
    check_format(fmt)
    with app.read() as conn:
        if flt is not None:
            flt.check(conn)  # a filter naming nothing is not found, not an empty export
        yield from stream(conn, fmt, flt, viewer, progress)
