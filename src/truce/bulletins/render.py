"""The bulletin in the forms people read: Markdown (tables), HTML (one self-contained file, the charts
and the map embedded as data: URIs, no scripts, no outside resources) and PDF (A4, reportlab).

Everything shown is taken from the bulletin document (`compute`'s body, plus its signatures); the map
also draws the zone outlines valid that day, read from the database as the ledger stood at the
bulletin's sequence, and the OCHA governorate outlines bundled with Truce. Charts are drawn with
matplotlib (Agg, no pyplot state), so rendering is safe inside a web worker thread."""

from __future__ import annotations

import base64
import html
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from truce import i18n
from truce.bulletins.compute import zone_geometries
from truce.errors import ValidationFailed
from truce.geo.models import admin_areas
from truce.geo.queries import admin_names
from truce.i18n import _, label
from truce.parties.service import local_names
from truce.zones.queries import local_names as zone_local_names

VERDICT_COLOURS = {"verified": "#c0392b", "disputed": "#e67e22", "not_verified": "#7f8c8d", "pending": "#2e86c1"}
ZONE_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#e377c2"]
FORMATS = ("json", "md", "html", "pdf")


# --- what is shown: sections built once from the document ---------------------------------------------


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""
    empty: str = "None."
    numeric_from: int = 1  # columns from this index on (up to numeric_to) are right-aligned
    numeric_to: int = 99
    key: str = ""  # what the section is (for its column widths), whatever the language


@dataclass
class View:
    title: str
    subtitle: str
    facts: list[tuple[str, str]]
    summary: list[str]
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


def _long_date(day: str) -> str:
    d = date.fromisoformat(day)
    if i18n.current() == i18n.DEFAULT:
        return f"{d.day} {d.strftime('%B %Y')}"
    from babel.dates import format_date

    return format_date(d, format="long", locale=i18n.current())


def _num(n: Any) -> str:
    """A count in the reader's locale (Babel: Persian digits in Persian); English as it always was."""
    if i18n.current() == i18n.DEFAULT or not isinstance(n, int | float):
        return str(n)
    from babel.numbers import format_decimal

    return format_decimal(n, locale=i18n.current())


def _office_label(doc: dict[str, Any], org: str) -> str:
    g = (doc.get("offices") or {}).get(org, {}).get("guarantor")
    return _("%(guarantor)s office", guarantor=g) if g else org


def with_local_names(conn: Connection | None, doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """The document to show in `lang`: a copy whose labels add its parties' and governorates' names in that
    language where the register, the zones and the boundaries have them (`parties_<lang>`, `zones_<lang>`,
    `governorates_<lang>`).
    The signed document itself is left as it is (and its JSON form is never shown with them)."""
    if conn is None or lang == i18n.DEFAULT:
        return doc
    labels = dict(doc.get("labels") or {})
    gov = labels.get("governorates") or {}
    labels[f"parties_{lang}"] = local_names(conn, lang, list(labels.get("parties") or {}))
    labels[f"zones_{lang}"] = zone_local_names(conn, lang, list(labels.get("zones") or {}))
    labels[f"governorates_{lang}"] = {k: v for k, v in admin_names(conn, list(gov), lang).items() if v != gov.get(k)}
    return {**doc, "labels": labels}


def _local_name(doc: dict[str, Any], kind: str, key: str) -> str | None:
    """The name of a zone, governorate or party in the reader's language where the data has it (the OCHA
    governorates carry Arabic names: shown to Arabic and Persian readers), else the English one."""
    labels = doc.get("labels") or {}
    local = (labels.get(f"{kind}_{i18n.current()}") or {}).get(key)
    if local:
        return str(local)
    if i18n.is_rtl():
        local = (labels.get(f"{kind}_ar") or {}).get(key)
        if not local and kind == "governorates":
            local = _arabic_governorates().get(key)
        if local:
            return str(local)
    n = labels.get(kind, {}).get(key)
    return str(n) if n else None


@lru_cache(maxsize=1)
def _arabic_governorates() -> dict[str, str]:
    """P-code -> Arabic name of the governorate, from the OCHA boundaries bundled with Truce."""
    from truce.geo.geometry import bundled_admin_features  # lazy: shapely, only for the Arabic bulletin

    out = {}
    for f in bundled_admin_features(1):
        p = f["properties"]
        if p.get("adm1_pcode") and p.get("adm1_name1"):
            out[str(p["adm1_pcode"])] = str(p["adm1_name1"])
    return out


def _name(doc: dict[str, Any], kind: str, key: str | None) -> str:
    if key is None:
        return "—"
    if key == "outside":
        return _("Outside every zone")
    if key == "unknown":
        return _("Unknown")
    if kind == "types":
        return label(key)
    n = _local_name(doc, kind, key)
    return f"{key} {n}" if n and kind != "parties" else (f"{n} ({key})" if n else key)


def _offices(doc: dict[str, Any]) -> list[str]:
    return sorted((doc.get("offices") or {}).keys())


def _dim_section(
    doc: dict[str, Any], dim: str, title: str, first: str, kind: str, keep_zero: bool = False
) -> Section:
    offices = _offices(doc)
    rows_in = doc["numbers"][dim]
    if keep_zero:  # the zones: in their order
        keys = sorted(rows_in, key=lambda k: (k in ("outside", "unknown"), k))
    else:
        keys = sorted(rows_in, key=lambda k: (k in ("outside", "unknown"), -rows_in[k]["all"]["reports"], k))
    rows = []
    for k in keys:
        r = rows_in[k]
        if not keep_zero and r["all"]["reports"] == 0:
            continue
        a = r["all"]
        rows.append(
            [_name(doc, kind, k)]
            + [_num(r[o]["reports"]) for o in offices]
            + [
                _num(a["reports"]),
                _num(a["confirmed_by_others"]),
                _num(a["disputed_by_others"]),
                _num(a["killed"]),
                _num(a["injured"]),
            ]
        )
    headers = (
        [first]
        + [_office_label(doc, o) for o in offices]
        + [_("All"), _("Confirmed by others"), _("Disputed by others"), _("Killed"), _("Injured")]
    )
    return Section(title, headers, rows, empty=_("No office reported a violation."), key="dim")


def build_view(doc: dict[str, Any]) -> View:
    n = doc["numbers"]
    day = doc["date"]
    ag = doc.get("agreement")
    offices = _offices(doc)
    led = doc["ledger"]
    facts = [
        (_("Date"), f"{day} (UTC)"),
        (
            _("Agreement"),
            f"{ag['title']} ({ag['id']} v{ag['version']}, {label(ag['decision_rule'])})" if ag else _("none in force"),
        ),
        (_("Computed at ledger entry"), str(led["seq"])),
        (_("Ledger head hash"), led["head_hash"]),
    ]
    if doc.get("published"):
        p = doc["published"]
        facts.append(
            (
                _("Published"),
                _(
                    "%(at)s by %(who)s (ledger entry %(seq)s)",
                    at=p["published_at"],
                    who=p["published_by"],
                    seq=p["ledger_seq"],
                ),
            )
        )
        facts.append((_("Body sha256"), p["sha256"]))
    tot = n["office_reports"]["total"]
    inc = n["incidents"]
    bv = inc["by_verdict"]
    breaches = sum(v["breaches"] for v in inc["verified_by_party"].values())
    grave = sum(v["grave"] for v in inc["verified_by_party"].values())
    per_office = ", ".join(
        f"{_office_label(doc, o)} {_num(n['office_reports']['by_office'][o]['reports'])}" for o in offices
    )
    others = ", ".join(f"{label(k)} {_num(v)}" for k, v in n["other_sources"].items()) or _("none")
    summary = [
        _(
            "Violations reported by the guarantor offices: %(reports)s (%(per_office)s); %(confirmed)s confirmed "
            "and %(disputed)s disputed by another guarantor; %(killed)s killed and %(injured)s injured reported.",
            reports=_num(tot["reports"]),
            per_office=per_office,
            confirmed=_num(tot["confirmed_by_others"]),
            disputed=_num(tot["disputed_by_others"]),
            killed=_num(tot["killed"]),
            injured=_num(tot["injured"]),
        ),
        _("Reports from other sources: %(others)s.", others=others),
        _(
            "Incidents of the day: %(total)s — verified %(verified)s, disputed %(disputed)s, not verified "
            "%(not_verified)s, pending %(pending)s; verified breaches %(breaches)s (grave %(grave)s).",
            total=_num(inc["total"]),
            verified=_num(bv["verified"]),
            disputed=_num(bv["disputed"]),
            not_verified=_num(bv["not_verified"]),
            pending=_num(bv["pending"]),
            breaches=_num(breaches),
            grave=_num(grave),
        ),
        *(
            [
                _(
                    "Incidents outside the agreement's period, not judged: %(n)s (%(word)s).",
                    n=_num(inc["outside_period"]),
                    word=label(next(v for v in ("before_agreement", "after_agreement") if bv.get(v))),
                )
            ]
            if inc.get("outside_period")
            else []
        ),
        _(
            "Status changes %(status)s; accessions applied %(applied)s, decided %(acc_decided)s; measures proposed "
            "%(proposed)s, decided %(decided)s, breached %(breached)s; investigations opened %(opened)s, closed "
            "%(closed)s; access denials %(denials)s.",
            status=_num(len(n["party_status"])),
            applied=_num(len(n["accessions"]["applied"])),
            acc_decided=_num(len(n["accessions"]["decided"])),
            proposed=_num(len(n["measures"]["proposed"])),
            decided=_num(len(n["measures"]["decided"])),
            breached=_num(len(n["measures"]["breached"])),
            opened=_num(len(n["investigations"]["opened"])),
            closed=_num(len(n["investigations"]["closed"])),
            denials=_num(n["access_denials"]["total"]),
        ),
    ]
    warnings = []
    sim = n.get("simulated") or {}
    if sim.get("office_reports") or sim.get("incidents"):
        warnings.append(
            _(
                "SIMULATED DATA: %(reports)s of the office reports and %(incidents)s of the incidents of this day "
                "are simulated (demo data), not real reports.",
                reports=_num(sim.get("office_reports", 0)),
                incidents=_num(sim.get("incidents", 0)),
            )
        )
    approx = (doc.get("labels") or {}).get("zones_approximate") or []
    if approx:
        warnings.append(
            _(
                "Zone outlines %(zones)s are approximations (the agreed outlines were not published).",
                zones=", ".join(approx),
            )
        )
    v = View(
        title=_("Daily bulletin — %(day)s", day=_long_date(day)),
        subtitle=_(
            "Violations of the truce as recorded by each guarantor's office, verification, accessions, "
            "measures and investigations"
        ),
        facts=facts,
        summary=summary,
        warnings=warnings,
    )
    # By office, with the other guarantors' findings.
    rows = []
    for o in offices:
        c = n["office_reports"]["by_office"][o]
        fo = "; ".join(
            _(
                "%(g)s: %(confirmed)s confirmed, %(disputed)s disputed, %(unverifiable)s unverifiable, "
                "%(none)s no finding",
                g=g,
                confirmed=_num(x["confirmed"]),
                disputed=_num(x["disputed"]),
                unverifiable=_num(x["unverifiable"]),
                none=_num(x["none"]),
            )
            for g, x in sorted(c["findings_by_others"].items())
        )
        rows.append(
            [
                _office_label(doc, o),
                _num(c["reports"]),
                _num(c["killed"]),
                _num(c["injured"]),
                _num(c["confirmed_by_others"]),
                _num(c["disputed_by_others"]),
                fo or "—",
            ]
        )
    v.sections.append(
        Section(
            _("Violations recorded by each guarantor office"),
            [
                _("Office"),
                _("Reports"),
                _("Killed"),
                _("Injured"),
                _("Confirmed by others"),
                _("Disputed by others"),
                _("The other guarantors' findings"),
            ],
            rows,
            note=_(
                "A report counts as confirmed (disputed) by others when a guarantor other than the reporting "
                "office's own has confirmed (disputed) the incident it describes."
            ),
            numeric_from=1,
            numeric_to=6,
            key="offices",
        )
    )
    v.sections.append(
        _dim_section(doc, "by_zone", _("Office reports by zone"), _("Zone"), "zones", keep_zero=True)
    )
    v.sections.append(
        _dim_section(doc, "by_governorate", _("Office reports by governorate"), _("Governorate"), "governorates")
    )
    v.sections.append(_dim_section(doc, "by_party", _("Office reports by alleged party"), _("Party"), "parties"))
    v.sections.append(_dim_section(doc, "by_type", _("Office reports by violation type"), _("Type"), "types"))
    zrows = [
        [_name(doc, "zones", z), _num(c["incidents"]), _num(c["verified"]), _num(c["breaches"])]
        for z, c in sorted(inc["by_zone"].items(), key=lambda kv: (kv[0] == "outside", kv[0]))
    ]
    v.sections.append(
        Section(
            _("Incidents of the day by zone (all sources)"),
            [_("Zone"), _("Incidents"), _("Verified"), _("Verified breaches")],
            zrows,
            note=_(
                "Verdicts: verified %(verified)s, disputed %(disputed)s, not verified %(not_verified)s, pending "
                "%(pending)s (decision rule of the agreement; a guarantor does not verify alone what only its "
                "office reported).",
                verified=_num(bv["verified"]),
                disputed=_num(bv["disputed"]),
                not_verified=_num(bv["not_verified"]),
                pending=_num(bv["pending"]),
            ),
        )
    )
    v.sections.append(
        Section(
            _("Verified incidents and their attribution"),
            [
                _("Incident"),
                _("Time"),
                _("Type"),
                _("Zone"),
                _("Governorate"),
                _("Attributed to"),
                _("Clause"),
                _("Breach"),
                _("Severity"),
                _("Confirmed by"),
            ],
            [
                [
                    str(x["incident"]),
                    x["occurred_at"][11:16]
                    if x.get("precision") == "exact"
                    else f"({label(x.get('precision') or '?')})",
                    label(x["type"]),
                    ", ".join(x["zones"]) or _("outside"),
                    (_arabic_governorates().get(x["adm1"], x["adm1"]) if i18n.is_rtl() else x["adm1"]) or "—",
                    x["attributed_party"] or label(x["attribution"]),
                    x["clause"] or "—",
                    label(x["breach"]) if x["breach"] else "—",
                    label(x["severity"], "severity") if x["severity"] else "—",
                    ", ".join(x["confirmed_by"]),
                ]
                for x in inc["verified"]
            ],
            empty=_("No incident of this day was verified."),
            numeric_from=99,
            key="verified",
        )
    )
    v.sections.append(
        Section(
            _("Verified incidents by attributed party"),
            [_("Party"), _("Verified"), _("Breaches"), _("Grave breaches")],
            [
                [
                    _name(doc, "parties", p) if p != "not_attributed" else _("Could not be attributed"),
                    _num(c["verified"]),
                    _num(c["breaches"]),
                    _num(c["grave"]),
                ]
                for p, c in sorted(inc["verified_by_party"].items())
            ],
            empty=_("None."),
        )
    )
    v.sections.append(
        Section(
            _("Truce status changes"),
            [_("Party"), _("Status"), _("Previous"), _("Reason"), _("Decision")],
            [
                [
                    _name(doc, "parties", x["party"]),
                    label(x["status"]),
                    label(x["previous"]) if x["previous"] else "—",
                    x["reason"],
                    x["decision"] or "—",
                ]
                for x in n["party_status"]
            ],
            empty=_("No party's status changed."),
            numeric_from=99,
        )
    )
    acc = n["accessions"]
    v.sections.append(
        Section(
            _("Accessions"),
            [_("Application"), _("Party"), _("Event")],
            [[str(x["id"]), _name(doc, "parties", x["party"]), _("applied")] for x in acc["applied"]]
            + [[str(x["id"]), _name(doc, "parties", x["party"]), label(x["outcome"])] for x in acc["decided"]],
            empty=_("No application was made or decided."),
            numeric_from=99,
        )
    )
    m = n["measures"]
    v.sections.append(
        Section(
            _("Measures"),
            [_("Measure"), _("Party"), _("Kind"), _("Event")],
            [
                [
                    str(x["id"]),
                    _name(doc, "parties", x["party"]),
                    label(x["kind"]),
                    _("proposed (rule %(rule)s)", rule=x["rule"]),
                ]
                for x in m["proposed"]
            ]
            + [
                [
                    str(x["id"]),
                    _name(doc, "parties", x["party"]),
                    label(x["kind"]),
                    label(x["outcome"])
                    + (_(", deadline %(deadline)s", deadline=x["deadline"]) if x.get("deadline") else ""),
                ]
                for x in m["decided"]
            ]
            + [
                [str(x["id"]), _name(doc, "parties", x["party"]), label(x["kind"]), _("breached")]
                for x in m["breached"]
            ],
            empty=_("No measure was proposed, decided or breached."),
            numeric_from=99,
        )
    )
    iv = n["investigations"]
    v.sections.append(
        Section(
            _("Investigations and denials of access"),
            [_("Investigation"), _("Incident"), _("Office"), _("Event")],
            [[str(x["id"]), str(x["incident"]), x["org"], _("opened")] for x in iv["opened"]]
            + [
                [str(x["id"]), str(x["incident"]), x["org"], _("closed: %(finding)s", finding=label(x["finding"]))]
                for x in iv["closed"]
            ]
            + [
                [str(x["investigation"]), str(x["incident"]), "—", _("access denied by %(party)s", party=x["party"])]
                for x in n["access_denials"]["list"]
            ],
            note=_(
                "Denials by party: %(list)s",
                list=", ".join(f"{k} {_num(c)}" for k, c in n["access_denials"]["by_party"].items()),
            )
            if n["access_denials"]["by_party"]
            else "",
            empty=_("No investigation was opened or closed, and no access was denied."),
            numeric_from=99,
        )
    )
    for s in doc.get("signatures") or []:
        line = _("%(org)s — key %(key)s", org=s.get("org"), key=s.get("key_id"))
        if s.get("signed_at"):
            line += _(", signed %(at)s", at=s["signed_at"])
        v.signatures.append(line)
    return v


# --- charts and map ------------------------------------------------------------------------------------


def _png(fig: Any, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def trend_png(doc: dict[str, Any], dpi: int = 110) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    trend = doc["numbers"]["trend"]
    days = trend["days"]
    zones = sorted(trend["zones"])
    n = max(len(zones), 1)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(9.0, 2.1 * rows + 0.4))
    x = list(range(len(days)))
    ticks = [i for i in x if (len(days) - 1 - i) % 7 == 0]
    ymax = max([max(trend["zones"][z]["incidents"] + trend["zones"][z]["office_reports"] + [1]) for z in zones] or [1])
    for k, z in enumerate(zones):
        ax = fig.add_subplot(rows, cols, k + 1)
        inc = trend["zones"][z]["incidents"]
        rep = trend["zones"][z]["office_reports"]
        colours = ["#9db4cf"] * (len(x) - 1) + ["#1f4e8c"]
        ax.bar(x, inc, color=colours, width=0.8, label=shaped(_("incidents (all sources)")))
        ax.plot(x, rep, color="#c0392b", linewidth=1.4, marker="o", markersize=2.2, label=shaped(_("office reports")))
        name = _local_name(doc, "zones", z) or ""
        ax.set_title(shaped(f"{z} {name}".strip()), fontsize=8.5, loc="left")
        ax.set_xticks(ticks)
        ax.set_xticklabels([days[i][5:] for i in ticks], fontsize=7)
        ax.set_ylim(0, ymax * 1.15)
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        if k == 0:
            fig.legend(fontsize=7.5, frameon=False, loc="upper right", ncols=2)
    fig.suptitle(
        shaped(_("30 days to %(day)s: incidents and office reports per zone", day=doc["date"])),
        fontsize=10,
        x=0.01,
        ha="left",
    )
    top = 1 - 0.5 / fig.get_figheight()
    fig.subplots_adjust(
        left=0.05,
        right=0.99,
        bottom=0.3 / fig.get_figheight(),
        top=top - 0.25 / fig.get_figheight(),
        hspace=0.55,
        wspace=0.12,
    )
    return _png(fig, dpi)


Shape = tuple[str, Any, tuple[float, float], str]  # name, geometry, label point, country


@lru_cache(maxsize=1)
def _bundled_adm1_shapes() -> list[Shape]:
    from shapely.geometry import shape

    from truce.geo.geometry import bundled_admin_features, repair  # lazy: shapely, only for the map image

    out = []
    for f in bundled_admin_features(1):
        g, _ = repair(shape(f["geometry"]))
        p = g.representative_point()
        g = g.simplify(0.004, preserve_topology=True)
        name = f["properties"].get("adm1_name") or ""
        out.append((str(name), g, (p.x, p.y), "SY"))
    return out


_SHAPES: dict[tuple[str, int], list[Shape]] = {}


def adm1_shapes(conn: Connection | None) -> list[Shape]:
    """The ADM1 outlines of every loaded country (the bundled Syrian ones without a database)."""
    if conn is None:
        return _bundled_adm1_shapes()
    from shapely import from_geojson
    from sqlalchemy import func, select

    n = conn.execute(select(func.count()).select_from(admin_areas).where(admin_areas.c.level == 1)).scalar_one()
    key = (str(conn.engine.url), int(n))  # areas are only ever added, by whole layers
    if key in _SHAPES:
        return _SHAPES[key]
    out = []
    for r in conn.execute(
        select(admin_areas.c.name_en, admin_areas.c.geojson, admin_areas.c.country)
        .where(admin_areas.c.level == 1)
        .order_by(admin_areas.c.country, admin_areas.c.name_en)
    ):
        g = from_geojson(r.geojson)
        p = g.representative_point()
        out.append((r.name_en, g.simplify(0.004, preserve_topology=True), (p.x, p.y), r.country))
    if len(_SHAPES) > 8:
        _SHAPES.clear()
    _SHAPES[key] = out
    return out


def map_extent(
    shapes: list[Shape], zone_geoms: list[dict[str, Any]], points: list[dict[str, Any]]
) -> tuple[float, float, float, float]:
    """(lon min, lon max, lat min, lat max) of the bulletin map: the countries its zones and incidents lie in
    (every loaded country when it has none), and any of them outside, with a small margin."""
    from shapely.geometry import shape

    boxes: dict[str, tuple[float, float, float, float]] = {}
    for _name, g, _point, country in shapes:
        b = g.bounds
        o = boxes.get(country)
        boxes[country] = b if o is None else (min(o[0], b[0]), min(o[1], b[1]), max(o[2], b[2]), max(o[3], b[3]))
    things = [shape(z["geometry"]).bounds for z in zone_geoms]
    things += [(p["lon"], p["lat"], p["lon"], p["lat"]) for p in points if p.get("lat") is not None]
    used: set[str] = set()
    extra: list[tuple[float, float, float, float]] = []
    for t in things:
        hit = [c for c, b in boxes.items() if t[0] <= b[2] and b[0] <= t[2] and t[1] <= b[3] and b[1] <= t[3]]
        used.update(hit)
        if not hit:
            extra.append(t)
    sel = [boxes[c] for c in sorted(used)] or list(boxes.values())
    sel += extra
    if not sel:
        return (-180.0, 180.0, -60.0, 75.0)
    minx, miny = min(b[0] for b in sel), min(b[1] for b in sel)
    maxx, maxy = max(b[2] for b in sel), max(b[3] for b in sel)
    padx, pady = max(0.015 * (maxx - minx), 0.05), max(0.015 * (maxy - miny), 0.05)
    return (minx - padx, maxx + padx, miny - pady, maxy + pady)


def _patch(geom: Any, **kw: Any) -> Any:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    polys = list(getattr(geom, "geoms", [geom]))
    verts: list[Any] = []
    codes: list[Any] = []
    for p in polys:
        if p.geom_type != "Polygon" or p.is_empty:
            continue
        for ring in [p.exterior, *p.interiors]:
            xy = list(ring.coords)
            verts += xy
            codes += [Path.MOVETO] + [Path.LINETO] * (len(xy) - 2) + [Path.CLOSEPOLY]
    if not verts:
        return None
    return PathPatch(Path(verts, codes), **kw)


def map_png(
    doc: dict[str, Any], zone_geoms: list[dict[str, Any]], dpi: int = 110, shapes: list[Shape] | None = None
) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from shapely.geometry import shape

    shapes = _bundled_adm1_shapes() if shapes is None else shapes
    extent = map_extent(shapes, zone_geoms, doc["numbers"]["incidents"]["map"])
    fig = Figure(figsize=(7.2, 6.2))
    ax = fig.add_subplot(1, 1, 1)
    for name, g, (px, py), _country in shapes:
        b = g.bounds
        if b[0] > extent[1] or b[2] < extent[0] or b[1] > extent[3] or b[3] < extent[2]:
            continue
        p = _patch(g, facecolor="#f4f4f1", edgecolor="#9a9a9a", linewidth=0.5)
        if p is not None:
            ax.add_artist(p)  # not add_patch: the limits are fixed, and updating them is slow
        if extent[0] < px < extent[1] and extent[2] < py < extent[3]:
            ax.text(px, py, name, fontsize=6, color="#8a8a8a", ha="center", va="center")
    handles = []
    for i, z in enumerate(zone_geoms):
        colour = ZONE_COLOURS[i % len(ZONE_COLOURS)]
        g = shape(z["geometry"])
        p = _patch(
            g.simplify(0.002, preserve_topology=True), facecolor=colour, alpha=0.18, edgecolor=colour, linewidth=1.2
        )
        if p is not None:
            ax.add_artist(p)
            rp = g.representative_point()
            ax.text(rp.x, rp.y, z["zone"], fontsize=8, fontweight="bold", color=colour, ha="center", va="center")
            zname = _local_name(doc, "zones", z["zone"]) or z["name"]
            handles.append(Line2D([], [], color=colour, linewidth=4, alpha=0.5, label=shaped(f"{z['zone']} {zname}")))
    pts = doc["numbers"]["incidents"]["map"]
    for verdict, colour in VERDICT_COLOURS.items():
        sel = [p for p in pts if p["verdict"] == verdict]
        if sel:
            ax.scatter(
                [p["lon"] for p in sel],
                [p["lat"] for p in sel],
                s=22,
                color=colour,
                edgecolors="white",
                linewidths=0.6,
                zorder=5,
            )
        handles.append(
            Line2D([], [], marker="o", linestyle="", color=colour, label=f"{verdict.replace('_', ' ')} ({len(sel)})")
        )
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect(1 / math.cos(math.radians((extent[2] + extent[3]) / 2)))
    ax.tick_params(labelsize=7)
    ax.set_title(f"Incidents on {doc['date']} by verdict, and the zones in force", fontsize=10, loc="left")
    ax.legend(handles=handles, fontsize=7, loc="lower right", framealpha=0.9)
    fig.text(
        0.01,
        0.005,
        "Boundaries: OCHA COD-AB (governorates). Zone outlines as the ledger records them.",
        fontsize=6,
        color="#777777",
    )
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.06, top=0.95)
    return _png(fig, dpi)


def images(doc: dict[str, Any], conn: Connection | None, dpi: int = 110) -> dict[str, bytes]:

    zg = zone_geometries(conn, doc["date"], int(doc["ledger"]["seq"])) if conn is not None else []
    return {"map": map_png(doc, zg, dpi, adm1_shapes(conn)), "trend": trend_png(doc, dpi)}


# --- Markdown ----------------------------------------------------------------------------------------------


def _recompute(doc: dict[str, Any], code: str) -> str:
    """The paragraph that tells how to check the bulletin (`code`: how a hash or a command is marked)."""
    return _(
        "Every number above was computed from the ledger up to entry %(seq)s (hash %(hash)s). Anyone holding a "
        "copy of the ledger can recompute it and check the signatures: %(command)s.",
        seq=doc["ledger"]["seq"],
        hash=code % doc["ledger"]["head_hash"],
        command=code % "truce bulletin verify FILE.json",
    )


def _md_cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_md(doc: dict[str, Any]) -> str:
    v = build_view(doc)
    out = [f"# {v.title}", "", f"_{v.subtitle}_", ""]
    for w in v.warnings:
        out += [f"> **{w}**", ""]
    out += ["| | |", "|---|---|"] + [f"| {k} | {_md_cell(val)} |" for k, val in v.facts] + [""]
    out += [f"## {_('Summary')}", ""] + [f"- {s}" for s in v.summary] + [""]
    for s in v.sections:
        out += [f"## {s.title}", ""]
        if s.rows:
            out.append("| " + " | ".join(_md_cell(h) for h in s.headers) + " |")
            out.append(
                "|"
                + "|".join("---:" if s.numeric_from <= i < s.numeric_to else "---" for i in range(len(s.headers)))
                + "|"
            )
            out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in s.rows]
        else:
            out.append(s.empty)
        if s.note:
            out += ["", f"_{s.note}_"]
        out.append("")
    trend = doc["numbers"]["trend"]
    heads = [
        _("Zone"),
        _("Incidents %(first)s..%(last)s", first=trend["days"][0], last=trend["days"][-1]),
        _("Office reports"),
        _("Busiest day"),
    ]
    out += [f"## {_('30-day trend per zone')}", "", "| " + " | ".join(heads) + " |", "|---|---:|---:|---|"]
    for z, t in sorted(trend["zones"].items()):
        top = max(range(len(t["incidents"])), key=lambda i: (t["incidents"][i], i))
        busiest = f"{trend['days'][top]} ({_num(t['incidents'][top])})" if t["incidents"][top] else "—"
        out.append(
            f"| {_md_cell(_name(doc, 'zones', z))} | {_num(sum(t['incidents']))} | {_num(sum(t['office_reports']))} "
            f"| {busiest} |"
        )
    out += ["", f"_{_('The charts and the map are in the HTML and PDF forms.')}_", ""]
    out += _md_ledger(doc, v)
    return "\n".join(out) + "\n"


def _md_ledger(doc: dict[str, Any], v: View) -> list[str]:
    out = [f"## {_('Signatures')}", ""]
    out += [f"- {s}" for s in v.signatures] or [_("Not signed.")]
    out += ["", f"## {_('Recompute it')}", "", _recompute(doc, "`%s`"), ""]
    return out


# --- HTML ----------------------------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans","Noto Sans",Arial,sans-serif;color:#1b1b1b;max-width:60rem;margin:1.5rem auto;
padding:0 1rem;line-height:1.4}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #d9d9d9;
padding-bottom:.15rem}.sub{color:#5b5b5b;margin:0 0 1rem}.note{color:#5b5b5b;font-size:.85rem}
.warn{background:#fff4d6;padding:.4rem .6rem;border-radius:.25rem;margin:.4rem 0}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.3rem 0}
th,td{text-align:start;padding:.22rem .4rem;border-bottom:1px solid #e2e2e2;vertical-align:top}
th{background:#f3f5f8}td.n,th.n{text-align:end}dl.facts{display:grid;grid-template-columns:max-content 1fr;
gap:.15rem 1rem;font-size:.9rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0;word-break:break-all}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{color:#5b5b5b;font-size:.85rem}
code{font-size:.85rem}
@media print{body{margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
"""


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html_fragment(doc: dict[str, Any], imgs: dict[str, bytes], table_class: str = "") -> str:
    e = html.escape
    v = build_view(doc)
    tc = f' class="{e(table_class)}"' if table_class else ""
    out = [f"<h1>{e(v.title)}</h1>", f'<p class="sub">{e(v.subtitle)}</p>']
    out += [f'<p class="warn sim-banner">{e(w)}</p>' for w in v.warnings]
    out.append('<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{e(val)}</dd>" for k, val in v.facts) + "</dl>")
    out.append(f"<h2>{e(_('Summary'))}</h2><ul>" + "".join(f"<li>{e(s)}</li>" for s in v.summary) + "</ul>")
    if imgs.get("map"):
        alt = _("Map of the incidents of %(day)s", day=doc["date"])
        caption = _("The day's incidents coloured by verdict, the zones in force and the governorates.")
        out.append(
            f'<figure><img src="{_data_uri(imgs["map"])}" alt="{e(alt)}"><figcaption>{e(caption)}</figcaption></figure>'
        )
    for s in v.sections:
        out.append(f"<h2>{e(s.title)}</h2>")
        if s.rows:
            head = "".join(
                f"<th{' class=n' if s.numeric_from <= i < s.numeric_to else ''}>{e(h)}</th>"
                for i, h in enumerate(s.headers)
            )
            body = "".join(
                "<tr>"
                + "".join(
                    f"<td{' class=n' if s.numeric_from <= i < s.numeric_to else ''}>{e(c)}</td>"
                    for i, c in enumerate(r)
                )
                + "</tr>"
                for r in s.rows
            )
            out.append(
                f'<div class="table-wrap"><table{tc}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
            )
        else:
            out.append(f"<p>{e(s.empty)}</p>")
        if s.note:
            out.append(f'<p class="note">{e(s.note)}</p>')
    if imgs.get("trend"):
        alt = _("Incidents and office reports per zone, 30 days to %(day)s", day=doc["date"])
        out.append(
            f'<h2>{e(_("30-day trend per zone"))}</h2><figure><img src="{_data_uri(imgs["trend"])}" '
            f'alt="{e(alt)}"></figure>'
        )
    out.append(f"<h2>{e(_('Signatures'))}</h2>")
    out.append(
        "<ul>" + "".join(f"<li>{e(s)}</li>" for s in v.signatures) + "</ul>"
        if v.signatures
        else f"<p>{e(_('Not signed.'))}</p>"
    )
    recompute = e(_recompute(doc, "\x00%s\x01")).replace("\x00", "<code>").replace("\x01", "</code>")
    out.append(f"<h2>{e(_('Recompute it'))}</h2><p>{recompute}</p>")
    return "\n".join(out)


def render_html(doc: dict[str, Any], imgs: dict[str, bytes]) -> str:
    """A self-contained page: styles inline, images as data: URIs, no scripts, nothing fetched."""
    title = html.escape(_("Truce daily bulletin %(day)s", day=doc["date"]))
    lang = i18n.current()
    return (
        f'<!doctype html>\n<html lang="{lang}" dir="{i18n.direction(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
        "style-src 'unsafe-inline'\">\n"
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + render_html_fragment(doc, imgs)
        + "\n</body>\n</html>\n"
    )


# --- PDF --------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _pdf_fonts() -> tuple[str, str, str]:
    """DejaVu Sans from matplotlib's data (wide Unicode coverage), else the PDF base fonts."""
    import os

    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    d = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf")
    try:
        pdfmetrics.registerFont(TTFont("TruceSans", os.path.join(d, "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("TruceSans-Bold", os.path.join(d, "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFont(TTFont("TruceMono", os.path.join(d, "DejaVuSansMono.ttf")))
        return "TruceSans", "TruceSans-Bold", "TruceMono"
    except Exception:  # pragma: no cover - matplotlib always ships them
        return "Helvetica", "Helvetica-Bold", "Courier"


def shaped(text: str) -> str:
    """Arabic and Persian text as drawn by a renderer that neither joins letters nor reorders (reportlab,
    matplotlib): letters in their joined forms (arabic-reshaper), then in visual order (python-bidi). Other
    text is returned as it is."""
    if not text or not any("\u0600" <= ch <= "\u06ff" for ch in text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(text), base_dir="R" if i18n.is_rtl() else "L"))


def _rtl_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """A right-to-left paragraph broken into lines that fit `width` in logical order (so that the first
    line holds the start of the text), each then shaped: reportlab would otherwise wrap the visual string
    and put the end of the text on the first line."""
    import arabic_reshaper
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    cur = ""
    for word in text.split():
        cand = f"{cur} {word}" if cur else word
        if cur and stringWidth(arabic_reshaper.reshape(cand), font, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    if cur:
        lines.append(cur)
    return [shaped(line) for line in lines] or [""]


def render_pdf(doc: dict[str, Any], imgs: dict[str, bytes]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold, mono = _pdf_fonts()
    v = build_view(doc)
    rtl = i18n.is_rtl()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.6, leading=11, alignment=TA_RIGHT if rtl else TA_LEFT)
    small = ParagraphStyle("small", parent=base, fontSize=7.4, leading=9.2, textColor=colors.HexColor("#555555"))
    cell = ParagraphStyle("cell", parent=base, fontSize=7.4, leading=9)
    cellb = ParagraphStyle("cellb", parent=cell, fontName=bold)
    cellr = ParagraphStyle("cellr", parent=cell, alignment=TA_LEFT if rtl else TA_RIGHT)
    cellbr = ParagraphStyle("cellbr", parent=cellb, alignment=TA_LEFT if rtl else TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=2)
    h2 = ParagraphStyle(
        "h2",
        parent=base,
        fontName=bold,
        fontSize=11,
        leading=14,
        spaceBefore=9,
        spaceAfter=4,
        textColor=colors.HexColor("#1f4e8c"),
    )
    warn = ParagraphStyle("warn", parent=base, backColor=colors.HexColor("#fff4d6"), borderPadding=3, spaceAfter=4)
    monos = ParagraphStyle("mono", parent=small, fontName=mono)
    e = html.escape
    width = A4[0] - 30 * mm

    def P(text: str, style: Any, avail: float) -> Any:  # noqa: N802  (a Paragraph, shaped when right to left)
        if not rtl:
            return Paragraph(e(text), style)
        lines = _rtl_lines(text, style.fontName, style.fontSize, max(avail - 8, 20))
        return Paragraph("<br/>".join(e(x) for x in lines), style)

    def para(text: str, style: Any = base) -> Any:
        return P(text, style, width)

    def row(cells: list[Any]) -> list[Any]:  # a table row, laid out from the right when right to left
        return cells[::-1] if rtl else cells

    story: list[Any] = [para(v.title, h1), para(v.subtitle, small), Spacer(1, 4)]
    for w in v.warnings:
        story.append(para(w, warn))
    facts = [
        row([P(k, cellb, 40 * mm), P(val, monos if re.fullmatch(r"[0-9a-f]{40,}", val) else cell, width - 40 * mm)])
        for k, val in v.facts
    ]
    ft = Table(facts, colWidths=row([40 * mm, width - 40 * mm]))
    ft.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    story += [ft, para(_("Summary"), h2)]
    story += [para("• " + s if not rtl else s + " •", base) for s in v.summary]
    if imgs.get("map"):
        story.append(CondPageBreak(120 * mm))
        story.append(para(_("Map of the day"), h2))
        story.append(_image(Image, imgs["map"], width * 0.86))
    for s in v.sections:
        block: list[Any] = [para(s.title, h2)]
        if s.rows:
            cw = _col_widths(s, width)
            data = [
                row(
                    [
                        P(h, cellbr if s.numeric_from <= i < s.numeric_to else cellb, cw[i])
                        for i, h in enumerate(s.headers)
                    ]
                )
            ] + [
                row([P(c, cellr if s.numeric_from <= i < s.numeric_to else cell, cw[i]) for i, c in enumerate(r)])
                for r in s.rows
            ]
            t = Table(data, repeatRows=1, colWidths=row(cw))
            style = [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d0d0d0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.6),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
            t.setStyle(TableStyle(style))
            block.append(t)
        else:
            block.append(para(s.empty))
        if s.note:
            block.append(Spacer(1, 2))
            block.append(para(s.note, small))
        story.append(KeepTogether(block) if len(s.rows) < 25 else block[0])
        if len(s.rows) >= 25:
            story += block[1:]
    if imgs.get("trend"):
        story.append(CondPageBreak(90 * mm))
        story.append(para(_("30-day trend per zone"), h2))
        story.append(_image(Image, imgs["trend"], width))
    story.append(para(_("Signatures"), h2))
    story += [para("• " + s) for s in v.signatures] or [para(_("Not signed."))]
    story.append(para(_("Recompute it"), h2))
    story.append(para(_recompute(doc, "%s"), small))

    footer = shaped(
        _(
            "Truce daily bulletin %(day)s · ledger entry %(seq)s · %(hash)s…",
            day=doc["date"],
            seq=doc["ledger"]["seq"],
            hash=doc["ledger"]["head_hash"][:16],
        )
    )

    def on_page(canvas: Any, pdoc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        page = shaped(_("page %(n)s", n=pdoc.page))
        if rtl:
            canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, footer)
            canvas.drawString(15 * mm, 9 * mm, page)
        else:
            canvas.drawString(15 * mm, 9 * mm, footer)
            canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, page)
        canvas.restoreState()

    buf = io.BytesIO()
    pdf = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=_("Truce daily bulletin %(day)s", day=doc["date"]),
        author="Truce",
        subject="Daily bulletin",
        creator=str(doc.get("generated_with") or "truce"),
    )
    pdf.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _image(image_cls: Any, png: bytes, width: float) -> Any:
    from reportlab.lib.utils import ImageReader

    iw, ih = ImageReader(io.BytesIO(png)).getSize()
    return image_cls(io.BytesIO(png), width=width, height=width * ih / iw)


def _col_widths(s: Section, width: float) -> list[float]:
    n = len(s.headers)
    if s.key == "verified":
        return [width * f for f in (0.08, 0.08, 0.14, 0.08, 0.12, 0.11, 0.08, 0.1, 0.08, 0.13)]
    if s.key == "offices":
        fixed = [0.13, 0.08, 0.08, 0.08, 0.1, 0.1]
        return [width * f for f in fixed] + [width * (1 - sum(fixed))]
    if s.key == "dim":
        tail = [0.06, 0.1, 0.095, 0.065, 0.08]
        offices = [0.075] * (n - 6)
        return [width * (1 - sum(tail) - sum(offices))] + [width * f for f in offices + tail]
    if s.numeric_from == 1 and n > 2:
        first = 0.4
        rest = (1 - first) / (n - 1)
        return [width * first] + [width * rest] * (n - 1)
    return [width / n] * n


# --- one entry point ----------------------------------------------------------------------------------------


def render(
    doc: dict[str, Any],
    fmt: str,
    conn: Connection | None = None,
    imgs: dict[str, bytes] | None = None,
    lang: str | None = None,
) -> bytes:
    """The document in one of FORMATS, as bytes (`imgs`: the charts and map, when drawn already), with its
    labels in `lang` (default: the language of the moment). The JSON form is the signed document itself."""
    if fmt != "json":
        doc = with_local_names(conn, doc, lang or i18n.current())
    if lang is None:
        return _render(doc, fmt, conn, imgs)
    with i18n.using(lang):
        return _render(doc, fmt, conn, imgs)


def _render(doc: dict[str, Any], fmt: str, conn: Connection | None, imgs: dict[str, bytes] | None) -> bytes:
    import json

    if fmt == "json":
        return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "md":
        return render_md(doc).encode("utf-8")
    if fmt == "html":
        return render_html(doc, imgs or images(doc, conn)).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(doc, imgs or images(doc, conn, dpi=130))

    raise ValidationFailed(f"format: '{fmt}' is not one of {', '.join(FORMATS)}", field="format")
