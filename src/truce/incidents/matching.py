"""Corroboration: which incidents a new report may describe.

The rule (the README's "Corroboration" section says the same in words):

* **Type.** Same type scores 1.0. Types of one family score 0.7: *attacks* (shelling, airstrike,
  drone_strike, ground_attack, armed_clash, sniper_fire, ied, attack_on_civilians), *movements*
  (troop_movement, heavy_weapons_movement), *obstructions* (of humanitarian access, of monitors);
  chemical_weapons_use is also compatible with airstrike and shelling (0.7). "other" is compatible with
  anything at 0.4 (never enough for an automatic link). Anything else is incompatible: no candidate.
* **Party.** The same alleged party scores 1.0; one side unknown 0.5; two different known parties 0.0
  (no automatic link, but the pair can still be suggested). Unregistered party names compare as text.
* **Time.** Each report is an interval: "exact" is an instant, "day" the UTC day, "week" and
  "month" the 7 and 31 days from the day given (its start). Hours apart = the gap between the two
  intervals (0 when they overlap), so a day-precision report at 00:00 meets a same-day exact report.
  Within `match_window_hours` (W) the time agrees; up to 2·W is doubtful. Time score = (1 − gap/2W)
  times the vaguer side's precision factor (exact 1.0, day 0.9, week 0.6, month 0.4).
* **Place.** Reports placed at a point ("exact", or UCDP's "near") compare by haversine distance:
  within `match_radius_km` (R) the place agrees, up to 2·R is doubtful; place score = 1 − d/2R.
  A report placed only to an area (sub-district adm3, district adm2, governorate adm1) is compatible
  with what lies in the same area at the coarser of the two levels (same P-code), with a fixed place
  score (adm3 0.5, adm2 0.3, adm1 0.15), and is **never linked automatically**: an area's centroid is
  not a place. Country-only reports are not matched at all.
* **Same dataset.** Two rows of one external dataset (e.g. two UCDP events) are distinct events by
  that dataset's own coding: they are never matched to each other.
* **Score** = 0.25·type + 0.20·party + 0.30·time + 0.25·place, in [0, 1]. Pairs scoring below 0.40
  are dropped.
* **Decision.** A pair is *auto-grade* when every criterion is fully met: point locations within R,
  time gap within W, both times known to the day or better, type score ≥ 0.7, parties not in
  conflict. The report is linked automatically ("auto") when its best candidate is auto-grade and
  every other candidate scores at least 0.10 lower. Otherwise it starts a new incident ("origin") and
  its best candidates (at most 3) are queued as *suggested links* for a verifier. W and R are the
  settings of the agreement version in force on the report's day (else the defaults).

Candidates are incidents (their when/where/what are their origin report's). A batch is matched as if
its rows were submitted one after another: each row against the incidents already in the database
and the new incidents started by earlier rows. Both paths use the same scoring code; the batch path
finds pairs with a grid hash over (x, y, time bin) cells — never all pairs — and settles the
row-to-row dependencies by a vectorised fixed-point iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, bindparam, select, union_all

from truce.agreements.models import agreements
from truce.agreements.service import DEFAULT_SETTINGS
from truce.incidents.models import incident_reports, incidents
from truce.reports.models import VIOLATION_TYPES, reports

DAY = 86400
EARTH_KM = 6371.0088
KM_PER_DEG = EARTH_KM * math.pi / 180.0

FAMILY = {
    "shelling": "attack",
    "airstrike": "attack",
    "drone_strike": "attack",
    "ground_attack": "attack",
    "armed_clash": "attack",
    "sniper_fire": "attack",
    "ied": "attack",
    "attack_on_civilians": "attack",
    "troop_movement": "movement",
    "heavy_weapons_movement": "movement",
    "obstruction_of_humanitarian_access": "obstruction",
    "obstruction_of_monitors": "obstruction",
    "chemical_weapons_use": "chemical",
}
ALSO_COMPATIBLE = {frozenset({"chemical_weapons_use", "airstrike"}), frozenset({"chemical_weapons_use", "shelling"})}
SAME_TYPE, SAME_FAMILY, WITH_OTHER = 1.0, 0.7, 0.4
AUTO_MIN_TYPE = 0.7

SPAN = {"exact": 0, "day": DAY, "week": 7 * DAY, "month": 31 * DAY}
VAGUENESS = {"exact": 1.0, "day": 0.9, "week": 0.6, "month": 0.4}
POINT, NOWHERE = 4, 0
LEVEL = {"exact": POINT, "near": POINT, "adm3": 3, "adm2": 2, "adm1": 1, "country": NOWHERE}
AREA_PLACE_SCORE = np.array([0.0, 0.15, 0.3, 0.5, 0.0])  # by the coarser level of the pair
LEVEL_NAME = {1: "governorate", 2: "district", 3: "sub-district"}

W_TYPE, W_PARTY, W_TIME, W_PLACE = 0.25, 0.20, 0.30, 0.25
MIN_SCORE = 0.40
MARGIN = 0.10
MAX_SUGGESTIONS = 3
DOUBT = 2.0  # doubtful up to DOUBT x window and DOUBT x radius


# --- the pure rules --------------------------------------------------------------------------------


def type_score(a: str, b: str) -> float:
    """How compatible two violation types are: 1 same, 0.7 same family, 0.4 with "other", 0 incompatible."""
    if "other" in (a, b):
        return WITH_OTHER
    if a == b:
        return SAME_TYPE
    fa = FAMILY.get(a)
    if (fa is not None and fa == FAMILY.get(b)) or frozenset((a, b)) in ALSO_COMPATIBLE:
        return SAME_FAMILY
    return 0.0


def party_key(party_id: str | None, party_text: str | None) -> str | None:
    if party_id:
        return party_id
    if party_text and party_text.strip():
        return "~" + " ".join(party_text.lower().split())
    return None


def party_score(a: str | None, b: str | None) -> float:
    """1 same party, 0.5 when either is unknown, 0 when two known parties differ."""
    if a is None or b is None:
        return 0.5
    return 1.0 if a == b else 0.0


def to_epoch(text: str) -> int:
    s = text.strip().replace("z", "Z")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def from_epoch(t: float) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(t))).strftime("%Y-%m-%dT%H:%M:%SZ")


def interval(occurred_at: str, precision: str) -> tuple[int, int]:
    """The time a report covers, in epoch seconds [start, end]: an instant for "exact", else from the
    start of the UTC day given for a day, 7 days or 31 days."""
    t = to_epoch(occurred_at)
    if precision == "exact":
        return t, t
    t -= t % DAY
    return t, t + SPAN.get(precision, DAY)


def gap_hours(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Hours between two time intervals; 0 when they overlap or touch."""
    return max(0, b[0] - a[1], a[0] - b[1]) / 3600.0


def unit_vectors(lat: Any, lon: Any) -> tuple[Any, Any, Any]:
    p, lam = np.radians(lat), np.radians(lon)
    cp = np.cos(p)
    return cp * np.cos(lam), cp * np.sin(lam), np.sin(p)


def chord_km(ax: Any, ay: Any, az: Any, bx: Any, by: Any, bz: Any) -> Any:
    """Great-circle distance in km between points given as unit vectors (exact for any distance)."""
    c = np.sqrt((ax - bx) ** 2 + (ay - by) ** 2 + (az - bz) ** 2)
    return 2 * EARTH_KM * np.arcsin(np.minimum(c / 2, 1.0))


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance in km (scalars or numpy arrays), by the chord between unit vectors."""
    a = unit_vectors(np.asarray(lat1, dtype=float), np.asarray(lon1, dtype=float))
    b = unit_vectors(np.asarray(lat2, dtype=float), np.asarray(lon2, dtype=float))
    return chord_km(*a, *b)


@dataclass
class Assessment:
    """How well a report fits a candidate incident."""

    score: float
    auto: bool  # every criterion fully met
    type_score: float
    party_score: float
    hours_apart: float
    distance_km: float | None
    area_level: int | None  # the admin level compared when either side is an area


def assess(r: dict[str, Any], c: dict[str, Any], window_h: float, radius_km: float) -> Assessment | None:
    """Score a report `r` against a candidate `c` (dicts with the report/incident fields); None when
    they cannot describe the same event. The scalar twin of the vectorised code below."""
    ts = type_score(r["violation_type"], c["violation_type"])
    if ts <= 0:
        return None
    src = r.get("external_source")
    if src and src == c.get("external_source"):
        return None
    ri, ci = interval(r["occurred_at"], r["occurred_precision"]), interval(c["occurred_at"], c["occurred_precision"])
    gap = gap_hours(ri, ci)
    if gap > DOUBT * window_h:
        return None
    lr, lc = LEVEL.get(r["location_precision"], NOWHERE), LEVEL.get(c["location_precision"], NOWHERE)
    if r.get("lat") is None:
        lr = NOWHERE
    if c.get("lat") is None:
        lc = NOWHERE
    if NOWHERE in (lr, lc):
        return None
    dist: float | None = None
    if lr == POINT and lc == POINT:
        dist = float(haversine_km(r["lat"], r["lon"], c["lat"], c["lon"]))
        if dist > DOUBT * radius_km:
            return None
        place = 1.0 - dist / (DOUBT * radius_km)
        level = None
    else:
        level = min(lr, lc)
        code = r.get(f"adm{level}_pcode")
        if not code or code != c.get(f"adm{level}_pcode"):
            return None
        place = float(AREA_PLACE_SCORE[level])
    pk = party_score(
        party_key(r.get("alleged_party_id"), r.get("alleged_party_text")),
        party_key(c.get("alleged_party_id"), c.get("alleged_party_text")),
    )
    vag = min(VAGUENESS.get(r["occurred_precision"], 0.4), VAGUENESS.get(c["occurred_precision"], 0.4))
    time_s = (1.0 - gap / (DOUBT * window_h)) * vag
    score = W_TYPE * ts + W_PARTY * pk + W_TIME * time_s + W_PLACE * place
    fine = ri[1] - ri[0] <= DAY and ci[1] - ci[0] <= DAY
    auto = bool(dist is not None and dist <= radius_km and gap <= window_h and fine and ts >= AUTO_MIN_TYPE and pk > 0)
    if score < MIN_SCORE and not auto:
        return None
    return Assessment(score, auto, ts, pk, gap, dist, level)


# --- columnar items --------------------------------------------------------------------------------

TYPE_INDEX = {t: i for i, t in enumerate(VIOLATION_TYPES)}
TYPE_MATRIX = np.array([[type_score(a, b) for b in VIOLATION_TYPES] for a in VIOLATION_TYPES])


class Codes:
    """Strings (P-codes, party keys, source names) as small integers; -1 for none."""

    def __init__(self) -> None:
        self.of: dict[str, int] = {}

    def __call__(self, values: list[Any]) -> np.ndarray:
        of = self.of
        out = [(-1 if v is None else of.setdefault(v, len(of))) for v in values]
        return np.array(out, dtype=np.int64)


def _epochs(texts: list[Any]) -> np.ndarray:
    if not texts:
        return np.zeros(0, dtype=np.int64)
    try:
        return np.array([s[:19] for s in texts], dtype="datetime64[s]").astype(np.int64)
    except ValueError:
        return np.array([to_epoch(s) for s in texts], dtype=np.int64)


@dataclass
class Items:
    """Reports or incidents as columns, for the vectorised matcher."""

    t0: np.ndarray
    t1: np.ndarray
    vag: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    level: np.ndarray
    adm: np.ndarray  # (n, 4): column k = the admin level-k code (column 0 unused)
    vt: np.ndarray
    party: np.ndarray
    src: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t0.shape[0])

    @classmethod
    def build(
        cls,
        codes: Codes,
        occurred_at: list[Any],
        precision: list[Any],
        lat: list[Any],
        lon: list[Any],
        location_precision: list[Any],
        adm1: list[Any],
        adm2: list[Any],
        adm3: list[Any],
        violation_type: list[Any],
        party: list[Any],
        source: list[Any] | None = None,
    ) -> Items:
        n = len(occurred_at)
        t = _epochs(occurred_at)
        prec = np.array(precision, dtype=object) if n else np.zeros(0, dtype=object)
        exact = prec == "exact"
        t0 = np.where(exact, t, t - t % DAY)
        span = np.array([SPAN.get(p, DAY) for p in precision], dtype=np.int64)
        la = np.array([np.nan if v is None else v for v in lat], dtype=float)
        lo = np.array([np.nan if v is None else v for v in lon], dtype=float)
        level = np.array([LEVEL.get(p, NOWHERE) for p in location_precision], dtype=np.int8)
        level[np.isnan(la) | np.isnan(lo)] = NOWHERE
        adm = np.full((n, 4), -1, dtype=np.int64)
        if n:
            adm[:, 1], adm[:, 2], adm[:, 3] = codes(adm1), codes(adm2), codes(adm3)
        return cls(
            t0=t0,
            t1=t0 + span,
            vag=np.array([VAGUENESS.get(p, 0.4) for p in precision], dtype=float),
            lat=la,
            lon=lo,
            level=level,
            adm=adm,
            vt=np.array([TYPE_INDEX.get(v, TYPE_INDEX["other"]) for v in violation_type], dtype=np.int64),
            party=codes(party),
            src=codes(source) if source is not None else np.full(n, -1, dtype=np.int64),
        )

    @classmethod
    def from_records(cls, codes: Codes, recs: list[dict[str, Any]], source_field: bool = True) -> Items:
        g = [r.get for r in recs]
        return cls.build(
            codes,
            [f("occurred_at") for f in g],
            [f("occurred_precision") for f in g],
            [f("lat") for f in g],
            [f("lon") for f in g],
            [f("location_precision") for f in g],
            [f("adm1_pcode") for f in g],
            [f("adm2_pcode") for f in g],
            [f("adm3_pcode") for f in g],
            [f("violation_type") for f in g],
            [party_key(f("alleged_party_id"), f("alleged_party_text")) for f in g],
            [f("external_source") for f in g] if source_field else None,
        )

    @staticmethod
    def concat(a: Items, b: Items) -> Items:
        return Items(**{k: np.concatenate([getattr(a, k), getattr(b, k)]) for k in Items.__dataclass_fields__})


# --- pair search: a grid hash, never all pairs -----------------------------------------------------

HALF_OFFSETS = [(0, 0, 0)] + [
    (dx, dy, dt) for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dt in (-1, 0, 1) if (dx, dy, dt) > (0, 0, 0)
]


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated aranges [s, s+c) for each (s, c)."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return offs + np.arange(total, dtype=np.int64)


def argsort_ints(x: np.ndarray) -> np.ndarray:
    """A stable argsort of integers, by sorting (value, position) packed in one int64 — several times
    faster than numpy's stable argsort."""
    m = x.size
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(x.min()), int(x.max())
    if (hi - lo + 1) * m >= 2**62:
        return np.argsort(x, kind="stable")
    key = (x - lo) * m + np.arange(m, dtype=np.int64)
    key.sort()
    return key % m


def _cells(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    order = argsort_ints(keys)
    sk = keys[order]
    if sk.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return order, e, e, e
    first = np.empty(sk.size, dtype=bool)
    first[0] = True
    np.not_equal(sk[1:], sk[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, sk.size))
    return order, sk[starts], starts, counts


def grid_pairs(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unordered pairs of entries (positions in `cells`, an (m, 3) int64 array of (x, y, t) cells) whose
    cells are neighbours (3x3x3), each pair once: unique cells, then 14 half-neighbourhood offsets."""
    if cells.shape[0] < 2:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    lo = cells.min(axis=0) - 1
    c = cells - lo
    dims = c.max(axis=0) + 2
    keys = (c[:, 0] * dims[1] + c[:, 1]) * dims[2] + c[:, 2]
    order, ukeys, starts, counts = _cells(keys)
    a_out, b_out = [], []
    for dx, dy, dt in HALF_OFFSETS:
        delta = (dx * dims[1] + dy) * dims[2] + dt
        if delta == 0:
            ca = cb = np.flatnonzero(counts > 1)
        else:
            target = ukeys + delta
            pos = np.searchsorted(ukeys, target)
            pos_c = np.minimum(pos, ukeys.size - 1)
            hit = ukeys[pos_c] == target
            ca, cb = np.flatnonzero(hit), pos_c[hit]
        if ca.size == 0:
            continue
        na, nb = counts[ca], counts[cb]
        sizes = na * nb
        rep = np.repeat(np.arange(ca.size), sizes)
        k = _ranges(np.zeros(ca.size, dtype=np.int64), sizes)
        nb_r = nb[rep]
        pa = starts[ca][rep] + k // nb_r
        pb = starts[cb][rep] + k % nb_r
        if delta == 0:
            keep = pa < pb
            pa, pb = pa[keep], pb[keep]
        a_out.append(order[pa])
        b_out.append(order[pb])
    if not a_out:
        e = np.zeros(0, dtype=np.int64)
        return e, e
    return np.concatenate(a_out), np.concatenate(b_out)


def _time_entries(t0: np.ndarray, t1: np.ndarray, bin_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """One entry per time bin an interval [t0, t1) covers: (owner index, bin), each owner's first bin, and
    whether any interval spans several bins."""
    b0 = np.floor_divide(t0, bin_s).astype(np.int64)
    b1 = np.floor_divide(np.maximum(t1 - 1, t0), bin_s).astype(np.int64)
    nb = b1 - b0 + 1
    if int(nb.max(initial=1)) == 1:
        return np.arange(t0.size, dtype=np.int64), b0, b0, False
    owner = np.repeat(np.arange(t0.size, dtype=np.int64), nb)
    return owner, _ranges(b0, nb), b0, True


def range_join(
    qcell: np.ndarray,
    qlo: np.ndarray,
    qhi: np.ndarray,
    qowner: np.ndarray,
    rcell: np.ndarray,
    rt: np.ndarray,
    rowner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (query owner, reference owner): same cell id and reference time in [qlo, qhi]. Cell ids and
    times are non-negative; a composite key makes it two binary searches per query."""
    e = np.zeros(0, dtype=np.int64)
    if qcell.size == 0 or rcell.size == 0:
        return e, e
    span = int(max(qhi.max(), rt.max())) + 1
    rk = rcell * span + rt
    order = argsort_ints(rk)
    rk = rk[order]
    left = np.searchsorted(rk, qcell * span + qlo, "left")
    cnt = np.searchsorted(rk, qcell * span + qhi, "right") - left
    a = np.repeat(qowner, cnt)
    b = rowner[order[_ranges(left, cnt)]]
    keep = a != b
    return a[keep], b[keep]


NEIGHBOURS = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def candidate_pairs(pool: Items, nd: int, radius_km: float, window_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, c) of pool indices with c < i and i ≥ nd (a batch row and an earlier item) that may be
    within DOUBT·radius and DOUBT·window (point pairs) or share an admin area (area pairs).

    Points known to the day or better: a grid hash over (x, y, time-bin) cells (side DOUBT·radius km, bins of
    DOUBT·window, an interval entered in each bin it covers), 14 half-neighbourhood offsets. Points known
    only to the week or month, and areas: range joins on (cell or P-code, start time)."""
    reach = int(DOUBT * window_h * 3600) + 1
    once_i, once_c, rep_a, rep_b = [], [], [], []  # pairs (later, earlier) found once / any pairs, maybe twice
    coarse = (pool.t1 - pool.t0) > DAY
    pts = pool.level == POINT
    tbase = int(pool.t0.min(initial=0)) - reach - SPAN["month"] - 1
    # Points: (x, y) cells of DOUBT*radius km (x shrunk by the largest |lat|, so cells never under-cover).
    if np.count_nonzero(pts) > 1:
        cell_km = DOUBT * radius_km * 1.01
        coslat = max(math.cos(math.radians(float(np.abs(pool.lat[pts]).max()))), 0.01)
        cx = np.zeros(pool.n, dtype=np.int64)
        cy = np.zeros(pool.n, dtype=np.int64)
        cx[pts] = np.floor(pool.lon[pts] * (KM_PER_DEG * coslat) / cell_km)
        cy[pts] = np.floor(pool.lat[pts] * KM_PER_DEG / cell_km)
        fp = np.flatnonzero(pts & ~coarse)
        if fp.size > 1:
            own, bins, first, rep = _time_entries(pool.t0[fp], pool.t1[fp], float(reach))
            pa, pb = grid_pairs(np.stack([cx[fp][own], cy[fp][own], bins], axis=1))
            oa, ob = own[pa], own[pb]
            swap = oa > ob  # a: the earlier item
            oa, ob = np.where(swap, ob, oa), np.where(swap, oa, ob)
            if rep:
                # Items in several time bins meet in several pairs of bins: keep the pair only from its first
                # pair of bins (x, y): x = max(fa, fb - 1), y = max(fb, x - 1).
                ba, bb = np.where(swap, bins[pb], bins[pa]), np.where(swap, bins[pa], bins[pb])
                x = np.maximum(first[oa], first[ob] - 1)
                keep = (oa != ob) & (ba == x) & (bb == np.maximum(first[ob], x - 1))
            else:
                keep = oa != ob
            if nd:
                keep &= fp[ob] >= nd
            once_i.append(fp[ob[keep]])
            once_c.append(fp[oa[keep]])
        cq = np.flatnonzero(pts & coarse)
        if cq.size:
            x0, y0 = int(cx[pts].min()) - 1, int(cy[pts].min()) - 1
            ny = int(cy[pts].max()) - y0 + 2

            def cell(k: np.ndarray, dx: int = 0, dy: int = 0) -> np.ndarray:
                return (cx[k] - x0 + dx) * ny + (cy[k] - y0 + dy)

            for ref, lookback in ((np.flatnonzero(pts & ~coarse), DAY), (np.flatnonzero(pts & coarse), SPAN["month"])):
                k = len(NEIGHBOURS)
                a, b = range_join(
                    np.concatenate([cell(cq, dx, dy) for dx, dy in NEIGHBOURS]),
                    np.tile(pool.t0[cq] - reach - lookback - tbase, k),
                    np.tile(pool.t1[cq] + reach - tbase, k),
                    np.tile(cq, k),
                    cell(ref),
                    pool.t0[ref] - tbase,
                    ref,
                )
                rep_a.append(a)
                rep_b.append(b)
    # Areas: an area row pairs with what lies in its area (same P-code at its level) at a compatible time.
    for lvl in (1, 2, 3):
        q = np.flatnonzero((pool.level == lvl) & (pool.adm[:, lvl] >= 0))
        if q.size == 0:
            continue
        members = (pool.level >= lvl) & (pool.adm[:, lvl] >= 0)
        for ref, lookback in (
            (np.flatnonzero(members & ~coarse), DAY),
            (np.flatnonzero(members & coarse), SPAN["month"]),
        ):
            a, b = range_join(
                pool.adm[q, lvl],
                pool.t0[q] - reach - lookback - tbase,
                pool.t1[q] + reach - tbase,
                q,
                pool.adm[ref, lvl],
                pool.t0[ref] - tbase,
                ref,
            )
            rep_a.append(a)
            rep_b.append(b)
    e = np.zeros(0, dtype=np.int64)
    i, c = np.concatenate([e, *once_i]), np.concatenate([e, *once_c])
    ra, rb = np.concatenate([e, *rep_a]), np.concatenate([e, *rep_b])
    if ra.size:
        ri, rc = np.maximum(ra, rb), np.minimum(ra, rb)
        later = ri >= nd
        key = unique_ints(ri[later] * pool.n + rc[later])
        i, c = np.concatenate([i, key // pool.n]), np.concatenate([c, key % pool.n])
    return i, c


def distinct_sorted(x: np.ndarray) -> np.ndarray:
    """The distinct values of an already sorted array."""
    if x.size == 0:
        return x
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def unique_ints(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (by sorting: numpy's hash-based unique is slow on large int arrays)."""
    if x.size == 0:
        return x
    x = np.sort(x)
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


# --- vectorised assessment and decision ------------------------------------------------------------


@dataclass
class Pairs:
    """Scored pairs: row i (0-based within the rows) and candidate c (a pool index). The details used only
    to explain a suggestion are filtered lazily (`sel` indexes the unfiltered arrays)."""

    i: np.ndarray
    c: np.ndarray
    score: np.ndarray
    auto: np.ndarray
    sel: np.ndarray
    all_hours: np.ndarray
    all_dist: np.ndarray  # nan for area pairs
    all_level: np.ndarray  # 0 for point pairs, else the admin level compared
    all_tscore: np.ndarray
    all_pscore: np.ndarray

    @cached_property
    def hours(self) -> np.ndarray:
        return self.all_hours[self.sel]

    @cached_property
    def dist(self) -> np.ndarray:
        return self.all_dist[self.sel]

    @cached_property
    def level(self) -> np.ndarray:
        return self.all_level[self.sel]

    @cached_property
    def tscore(self) -> np.ndarray:
        return self.all_tscore[self.sel]

    @cached_property
    def pscore(self) -> np.ndarray:
        return self.all_pscore[self.sel]


def assess_pairs(pool: Items, nd: int, qi: np.ndarray, ci: np.ndarray, window: np.ndarray, radius: np.ndarray) -> Pairs:
    """Score pool pairs (qi = nd + row, ci = candidate); `window`/`radius` are per row (hours/km).
    Cheap tests first (time, type, dataset), the distance only for what is left."""
    row = qi - nd
    w = window[row]
    gap = np.maximum(0, np.maximum(pool.t0[ci] - pool.t1[qi], pool.t0[qi] - pool.t1[ci])) / 3600.0
    k = np.flatnonzero(gap <= DOUBT * w)  # the time test rejects many candidates: do it first
    qi, ci, row, gap = qi[k], ci[k], row[k], gap[k]
    w, r = window[row], radius[row]
    fine_item = (pool.t1 - pool.t0) <= DAY
    fine = fine_item[qi] & fine_item[ci]
    ts = TYPE_MATRIX[pool.vt[qi], pool.vt[ci]]
    sq = pool.src[qi]
    lq, lc = pool.level[qi], pool.level[ci]
    pt = (lq == POINT) & (lc == POINT)
    ok = (ts > 0) & ~((sq >= 0) & (sq == pool.src[ci]))
    lvl = np.zeros(qi.size, dtype=np.intp)  # the admin level compared when either side is an area
    place = np.empty(qi.size)
    d = np.full(qi.size, np.nan)
    kp = np.flatnonzero(pt)
    ux, uy, uz = unit_vectors(pool.lat, pool.lon)
    a, b = qi[kp], ci[kp]
    d[kp] = chord_km(ux[a], uy[a], uz[a], ux[b], uy[b], uz[b])
    place[kp] = 1.0 - d[kp] / (DOUBT * r[kp])
    ka = np.flatnonzero(~pt)
    if ka.size:
        la = np.minimum(lq[ka], lc[ka]).astype(np.intp)
        aq = pool.adm[qi[ka], la]
        ok[ka] &= (la > NOWHERE) & (aq >= 0) & (aq == pool.adm[ci[ka], la])
        lvl[ka] = la
        place[ka] = AREA_PLACE_SCORE[la]
    pq, pc = pool.party[qi], pool.party[ci]
    ps = np.where((pq >= 0) & (pc >= 0), np.where(pq == pc, 1.0, 0.0), 0.5)
    vag = np.minimum(pool.vag[qi], pool.vag[ci])
    time_s = (1.0 - gap / (DOUBT * w)) * vag
    score = W_TYPE * ts + W_PARTY * ps + W_TIME * time_s + W_PLACE * place
    with np.errstate(invalid="ignore"):
        auto = pt & (d <= r) & (gap <= w) & fine & (ts >= AUTO_MIN_TYPE) & (ps > 0) & ok
        ok &= (~pt | (d <= DOUBT * r)) & ((score >= MIN_SCORE) | auto)
    k = np.flatnonzero(ok)
    return Pairs(row[k], ci[k], score[k], auto[k], k, gap, d, lvl, ts, ps)


@dataclass
class Decisions:
    """Per row: origin (starts an incident) or auto (linked to the candidate of pair `best`); for origin rows
    up to MAX_SUGGESTIONS suggested pairs in `top` (-1 = none). Pair numbers index `pairs`."""

    origin: np.ndarray
    best: np.ndarray  # the best valid pair of each row, -1 none
    top: np.ndarray  # (n, MAX_SUGGESTIONS)
    pairs: Pairs
    rounds: int = 0


def _best(s: np.ndarray, starts: np.ndarray, grp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group of pairs (contiguous, non-empty, candidates ascending within a group): the highest score and
    the position of the first pair holding it (so ties go to the smallest candidate); -inf and -1 when the
    group has no valid pair (all scores -inf)."""
    top = np.maximum.reduceat(s, starts)
    hit = np.flatnonzero(s == top[grp])
    g = grp[hit]
    first = np.empty(hit.size, dtype=bool)
    if hit.size:
        first[0] = True
        np.not_equal(g[1:], g[:-1], out=first[1:])
    at = np.full(starts.size, -1, dtype=np.int64)
    at[g[first]] = hit[first]
    at[top == -np.inf] = -1
    return top, at


def decide(n: int, nd: int, p: Pairs) -> Decisions:
    """Decide every row as if rows were submitted in order: a candidate that is an earlier row counts only
    if that row started an incident. Solved by iterating to the fixed point (rows only depend on earlier
    rows, so it exists, is unique, and is reached); each round revisits only the rows whose earlier
    candidates changed."""
    order = argsort_ints(p.i * (nd + n) + p.c)  # by row, then candidate
    i, c, sc, au = p.i[order], p.c[order], p.score[order], p.auto[order]
    isb = c >= nd
    j = np.where(isb, c - nd, 0)
    rows = np.arange(n)
    seg0 = np.searchsorted(i, rows, "left")
    seg1 = np.searchsorted(i, rows, "right")
    bidx = np.flatnonzero(isb)  # pairs whose candidate is an earlier row of the batch
    jb = j[bidx]
    origin = np.ones(n, dtype=bool)
    best = np.full(n, -1, dtype=np.int64)
    with_pairs = distinct_sorted(i)
    todo = with_pairs
    rounds = 0

    def gather(todo: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        cnt = seg1[todo] - seg0[todo]
        idx = np.arange(i.size) if todo.size == with_pairs.size else _ranges(seg0[todo], cnt)
        starts = np.cumsum(cnt) - cnt
        s = np.where(~isb[idx] | origin[j[idx]], sc[idx], -np.inf)
        return idx, starts, np.repeat(np.arange(todo.size), cnt), s

    while todo.size:
        rounds += 1
        if rounds > n + 2:  # cannot happen (the dependencies are acyclic); guard against a bug looping forever
            raise RuntimeError("matching did not settle")
        idx, starts, grp, s = gather(todo)
        b1, at = _best(s, starts, grp)
        has = at >= 0
        s[at[has]] = -np.inf
        second = np.maximum.reduceat(s, starts)
        auto_now = np.zeros(todo.size, dtype=bool)
        auto_now[has] = au[idx[at[has]]] & (b1[has] - second[has] >= MARGIN - 1e-12)
        best[todo] = np.where(has, order[idx[np.maximum(at, 0)]], -1)
        changed = todo[origin[todo] == auto_now]
        origin[todo] = ~auto_now
        if changed.size == 0:
            break
        flipped = np.zeros(n, dtype=bool)
        flipped[changed] = True
        todo = distinct_sorted(i[bidx[flipped[jb]]])  # the rows that have a flipped row as candidate
    # The settled state: the top few valid pairs of the rows that start an incident (their suggestions).
    top = np.full((n, MAX_SUGGESTIONS), -1, dtype=np.int64)
    todo = with_pairs[origin[with_pairs]]
    if todo.size:
        idx, starts, grp, s = gather(todo)
        for k in range(MAX_SUGGESTIONS):
            _, at = _best(s, starts, grp)
            has = at >= 0
            top[todo[has], k] = order[idx[at[has]]]
            s[at[has]] = -np.inf
    return Decisions(origin=origin, best=best, top=top, pairs=p, rounds=rounds)


def match_items(
    db: Items, rows: Items, window: np.ndarray, radius: np.ndarray, all_db_pairs: bool = False
) -> Decisions:
    """Match `rows` (in order) against the `db` incidents and against each other."""
    pool = Items.concat(db, rows)
    nd, n = db.n, rows.n
    if all_db_pairs and n == 1:
        qi = np.full(nd, nd, dtype=np.int64)
        ci = np.arange(nd, dtype=np.int64)
    else:
        qi, ci = candidate_pairs(pool, nd, float(radius.max(initial=0.0)) or 1.0, float(window.max(initial=0.0)) or 1.0)
    return decide(n, nd, assess_pairs(pool, nd, qi, ci, window, radius))


# --- settings ----------------------------------------------------------------------------------------


def match_settings(conn: Connection, days: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Window (hours) and radius (km) for each day: those of the agreement version in force that day
    (as `agreements.service.in_force` chooses it), else the defaults."""
    import json

    rows = conn.execute(
        select(agreements.c.effective, agreements.c.settings).order_by(agreements.c.effective, agreements.c.version)
    ).all()
    dw = float(DEFAULT_SETTINGS["match_window_hours"])
    dr = float(DEFAULT_SETTINGS["match_radius_km"])
    if not rows:
        return np.full(len(days), dw), np.full(len(days), dr)
    ws, rs = [dw], [dr]
    for r in rows:
        s = json.loads(r.settings)
        ws.append(_positive(s.get("match_window_hours"), dw))
        rs.append(_positive(s.get("match_radius_km"), dr))
    eff = np.array([r.effective for r in rows])
    k = np.searchsorted(eff, np.array([d[:10] for d in days], dtype=eff.dtype), side="right")
    return np.array(ws)[k], np.array(rs)[k]


def _positive(v: Any, default: float) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return default
    return f if f > 0 and math.isfinite(f) else default


# --- the single report path ------------------------------------------------------------------------

CANDIDATE_COLUMNS = (
    incidents.c.id,
    incidents.c.occurred_at,
    incidents.c.occurred_precision,
    incidents.c.lat,
    incidents.c.lon,
    incidents.c.location_precision,
    incidents.c.adm1_pcode,
    incidents.c.adm2_pcode,
    incidents.c.adm3_pcode,
    incidents.c.violation_type,
    incidents.c.alleged_party_id,
    incidents.c.alleged_party_text,
)
AREAS = ("adm3", "adm2", "adm1")
LIVE = incidents.c.status != "merged"  # an incident whose reports all went elsewhere describes nothing
FINE = ("exact", "day")
COARSE = ("week", "month")


@dataclass
class Suggestion:
    incident: int  # an incident id, or (batch) -1 - row for the incident an earlier row starts
    score: float
    distance_km: float | None
    hours_apart: float
    reason: str

    def to_payload(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "score": round(self.score, 3),
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
            "hours_apart": round(self.hours_apart, 2),
            "reason": self.reason,
        }


@dataclass
class Match:
    how: str  # "auto" | "origin"
    incident: int | None = None  # auto: the incident (or -1 - row in a batch)
    score: float | None = None
    suggestions: list[Suggestion] = field(default_factory=list)
    candidates: int = 0


def _bbox(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    dlat = km / KM_PER_DEG * 1.01
    coslat = max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 0.01)
    dlon = km / (KM_PER_DEG * coslat) * 1.01
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _point_query() -> Any:
    """One statement (built once, bound per report) for a report placed at a point: five index range scans."""
    c = incidents.c
    p = bindparam
    box = and_(c.lat.between(p("la0"), p("la1")), c.lon.between(p("lo0"), p("lo1")))
    area = and_(c.adm1_pcode == p("adm1"), c.location_precision.in_(AREAS))
    return union_all(
        # anything starting within reach of the report (index on time, then place)
        select(*CANDIDATE_COLUMNS).where(LIVE, c.occurred_at.between(p("lo"), p("hi")), box),
        # known to the day: may have started up to a day earlier (index on precision, time, place)
        select(*CANDIDATE_COLUMNS).where(
            LIVE, c.occurred_precision == "day", c.occurred_at >= p("lo_day"), c.occurred_at < p("lo"), box
        ),
        # known to the week or month: up to a month earlier
        select(*CANDIDATE_COLUMNS).where(
            LIVE, c.occurred_precision.in_(COARSE), c.occurred_at >= p("lo_coarse"), c.occurred_at < p("lo"), box
        ),
        # placed only to an area of this governorate (index on governorate, precision, time)
        select(*CANDIDATE_COLUMNS).where(
            LIVE, area, c.occurred_precision.in_(FINE), c.occurred_at.between(p("lo_day"), p("hi"))
        ),
        select(*CANDIDATE_COLUMNS).where(
            LIVE, area, c.occurred_precision.in_(COARSE), c.occurred_at.between(p("lo_coarse"), p("hi"))
        ),
    )


_POINT_QUERY: list[Any] = []


def fetch_candidates(conn: Connection, rec: dict[str, Any], window_h: float, radius_km: float) -> list[Any]:
    """The incidents a report could match, by index range scans: time then box (points), governorate then
    precision then time (areas); incidents known only to the day, week or month are looked for further back."""
    t0, t1 = interval(rec["occurred_at"], rec["occurred_precision"])
    reach = int(DOUBT * window_h * 3600) + 1
    level = LEVEL.get(rec["location_precision"], NOWHERE) if rec.get("lat") is not None else NOWHERE
    adm1 = rec.get("adm1_pcode")
    if level == NOWHERE or (level != POINT and not (adm1 and rec.get(f"adm{level}_pcode"))):
        return []
    bounds = {
        "hi": from_epoch(t1 + reach),
        "lo": from_epoch(t0 - reach),
        "lo_day": from_epoch(t0 - reach - DAY),
        "lo_coarse": from_epoch(t0 - reach - SPAN["month"]),
    }
    c = incidents.c
    if level == POINT:
        if not _POINT_QUERY:
            _POINT_QUERY.append(_point_query())
        la0, la1, lo0, lo1 = _bbox(rec["lat"], rec["lon"], DOUBT * radius_km)
        rows = conn.execute(
            _POINT_QUERY[0], {**bounds, "la0": la0, "la1": la1, "lo0": lo0, "lo1": lo1, "adm1": adm1 or ""}
        ).all()
    else:  # an area report: what lies in its governorate (the scoring keeps what lies in its area)
        rows = conn.execute(
            union_all(
                select(*CANDIDATE_COLUMNS).where(
                    LIVE, c.adm1_pcode == adm1, c.occurred_at.between(bounds["lo_day"], bounds["hi"])
                ),
                select(*CANDIDATE_COLUMNS).where(
                    LIVE,
                    c.adm1_pcode == adm1,
                    c.occurred_precision.in_(COARSE),
                    c.occurred_at >= bounds["lo_coarse"],
                    c.occurred_at < bounds["lo_day"],
                ),
            )
        ).all()
    out = {row[0]: row for row in rows}
    return [out[k] for k in sorted(out)]


def match_report(conn: Connection, rec: dict[str, Any]) -> Match:
    """Decide where a new report goes: auto-link to one clearly matching incident, or start a new
    incident with suggested links to the doubtful candidates."""
    window, radius = match_settings(conn, [rec["occurred_at"]])
    cands = fetch_candidates(conn, rec, float(window[0]), float(radius[0]))
    if not cands:
        return Match(how="origin")
    codes = Codes()
    (ids, occ, prec, lat, lon, lprec, a1, a2, a3, vt, pid, ptext) = (list(col) for col in zip(*cands, strict=True))
    db = Items.build(
        codes, occ, prec, lat, lon, lprec, a1, a2, a3, vt, [party_key(p, t) for p, t in zip(pid, ptext, strict=True)]
    )
    row = Items.from_records(codes, [rec])
    dec = match_items(db, row, window, radius, all_db_pairs=True)
    return _explain_row(
        dec, 0, lambda k: int(ids[k]), lambda k: dict(cands[k]._mapping), rec, window[0], radius[0], len(cands)
    )


def _explain_row(
    dec: Decisions,
    row: int,
    incident_of: Any,
    record_of: Any,
    rec: dict[str, Any],
    window_h: float,
    radius_km: float,
    n_candidates: int = 0,
) -> Match:
    p = dec.pairs
    if not dec.origin[row]:
        b = int(dec.best[row])
        return Match(how="auto", incident=incident_of(int(p.c[b])), score=float(p.score[b]), candidates=n_candidates)
    out = []
    tops = [int(k) for k in dec.top[row] if k >= 0]
    for rank, k in enumerate(tops):
        close = len(tops) > 1 and bool(p.auto[k]) and rank == 0
        out.append(
            Suggestion(
                incident=incident_of(int(p.c[k])),
                score=float(p.score[k]),
                distance_km=None if np.isnan(p.dist[k]) else float(p.dist[k]),
                hours_apart=float(p.hours[k]),
                reason=reason(rec, record_of(int(p.c[k])), p, k, window_h, radius_km, close),
            )
        )
    return Match(how="origin", suggestions=out, candidates=n_candidates)


def reason(
    rec: dict[str, Any], cand: dict[str, Any], p: Pairs, k: int, window_h: float, radius_km: float, close: bool
) -> str:
    """Why a pair is only a suggestion, in words a verifier can check."""
    parts = []
    ta, tb = rec["violation_type"], cand["violation_type"]
    ts = float(p.tscore[k])
    parts.append(f"same type ({ta})" if ts >= 1 else f"compatible types ({ta} / {tb})")
    pa = party_key(rec.get("alleged_party_id"), rec.get("alleged_party_text"))
    pb = party_key(cand.get("alleged_party_id"), cand.get("alleged_party_text"))
    ps = float(p.pscore[k])
    if ps >= 1:
        parts.append(f"same alleged party ({pa})")
    elif ps > 0:
        parts.append("alleged party unknown on one side")
    else:
        parts.append(f"different alleged parties ({(pa or '').lstrip('~')} / {(pb or '').lstrip('~')})")
    h = float(p.hours[k])
    t = f"{h:.1f} h apart" + (f" (beyond the {window_h:g} h window)" if h > window_h else "")
    coarse = [x for x in (rec["occurred_precision"], cand["occurred_precision"]) if x in COARSE]
    if coarse:
        t += f" (time known only to the {coarse[0]})"
    parts.append(t)
    lvl = int(p.level[k])
    if lvl:
        code = rec.get(f"adm{lvl}_pcode")
        parts.append(f"placed only to a {LEVEL_NAME[lvl]} (both in {code})")
    else:
        d = float(p.dist[k])
        parts.append(f"{d:.1f} km apart" + (f" (beyond the {radius_km:g} km radius)" if d > radius_km else ""))
    if close:
        parts.append(f"another candidate scores within {MARGIN:g}")
    return "; ".join(parts)


# --- the batch path ----------------------------------------------------------------------------------


def fetch_batch_candidates(
    conn: Connection, recs: list[dict[str, Any]], window_h: float, radius_km: float, source: str | None
) -> tuple[list[dict[str, Any]], set[int]]:
    """The incidents any row of a batch could match (one time range and box for the whole batch), and
    which of them already hold a report of the batch's own dataset."""
    located = [r for r in recs if r.get("lat") is not None and LEVEL.get(r["location_precision"], 0) != NOWHERE]
    if not located:
        return [], set()
    ivs = [interval(r["occurred_at"], r["occurred_precision"]) for r in located]
    reach = int(DOUBT * window_h * 3600) + 1
    lo = from_epoch(min(a for a, _ in ivs) - reach - SPAN["month"])
    hi = from_epoch(max(b for _, b in ivs) + reach)
    lats = [r["lat"] for r in located]
    lons = [r["lon"] for r in located]
    la0, _, lo0, _ = _bbox(min(lats), min(lons), DOUBT * radius_km)
    _, la1, _, lo1 = _bbox(max(lats), max(lons), DOUBT * radius_km)
    adm1s = sorted({r["adm1_pcode"] for r in located if r.get("adm1_pcode")})
    c = incidents.c
    where = and_(c.lat.between(la0, la1), c.lon.between(lo0, lo1))
    if adm1s:
        where = where | c.adm1_pcode.in_(adm1s)
    rows = [
        dict(r._mapping)
        for r in conn.execute(
            select(*CANDIDATE_COLUMNS).where(LIVE, c.occurred_at.between(lo, hi), where).order_by(c.id)
        )
    ]
    same: set[int] = set()
    if source and rows:
        same = {
            int(r.incident_id)
            for r in conn.execute(
                select(incident_reports.c.incident_id)
                .join(reports, reports.c.id == incident_reports.c.report_id)
                .where(reports.c.external_source == source, reports.c.occurred_at.between(lo, hi))
            )
        }
    return rows, same


@dataclass
class BatchMatch:
    matches: list[Match]  # per row; incident ids ≥ 0 are existing incidents, −1 − j the incident row j starts
    candidates: int
    rounds: int


def match_batch(conn: Connection, recs: list[dict[str, Any]], source: str | None = None) -> BatchMatch:
    """Match the rows of a batch, in order, against the database and against earlier rows."""
    if not recs:
        return BatchMatch([], 0, 0)
    window, radius = match_settings(conn, [r["occurred_at"] for r in recs])
    db_rows, same = fetch_batch_candidates(conn, recs, float(window.max()), float(radius.max()), source)
    codes = Codes()
    for r in db_rows:
        r["external_source"] = source if r["id"] in same else None
    db = Items.from_records(codes, db_rows)
    rows = Items.from_records(codes, recs)
    dec = match_items(db, rows, window, radius)
    nd = db.n

    def incident_of(c: int) -> int:
        return int(db_rows[c]["id"]) if c < nd else -1 - (c - nd)

    def record_of(c: int) -> dict[str, Any]:
        return db_rows[c] if c < nd else recs[c - nd]

    out = []
    has_pairs = np.zeros(len(recs), dtype=bool)
    has_pairs[dec.pairs.i] = True
    claimed: set[int] = set()
    for k, rec in enumerate(recs):
        if not has_pairs[k]:
            out.append(Match(how="origin"))
            continue
        m = _explain_row(dec, k, incident_of, record_of, rec, float(window[k]), float(radius[k]))
        target = m.incident
        if m.how == "auto" and source and target is not None:
            # Two rows of one dataset are two events: the first takes the incident, a later one only suggests.
            # (Rows of one dataset never pair with each other, so this changes no other row's decision.)
            if target in claimed:
                b = int(dec.best[k])
                p = dec.pairs
                m = Match(
                    how="origin",
                    suggestions=[
                        Suggestion(
                            incident=target,
                            score=float(p.score[b]),
                            distance_km=None if np.isnan(p.dist[b]) else float(p.dist[b]),
                            hours_apart=float(p.hours[b]),
                            reason=reason(rec, record_of(int(p.c[b])), p, b, float(window[k]), float(radius[k]), False)
                            + f"; an earlier {source} row of this batch was linked to it",
                        )
                    ],
                )
            else:
                claimed.add(target)
        out.append(m)
    return BatchMatch(out, nd, dec.rounds)
