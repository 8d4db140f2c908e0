"""Vectorised P-code and zone assignment for many points at once (bulk imports).

Same rule as :class:`truce.geo.service.AdminIndex` and :class:`truce.zones.service.ZoneIndex` (a point is
in an area when it *intersects* it; with several sub-districts, the first by P-code), computed faster:

- P-codes: the STRtree gives bounding-box candidates, then ``shapely.intersects_xy`` against the
  *prepared* sub-district polygons decides (no point-in-polygon test runs unprepared).
- Zones: each zone version is compared once with every sub-district: a sub-district inside the zone
  puts its points in the zone, one disjoint from the zone's interior keeps them out, and only points in
  sub-districts the zone boundary crosses (or in none) are tested against the zone polygon itself.
  Zones made of whole sub-districts (the Astana scenario's) thus cost one array look-up per point.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Connection

from truce.geo.service import AdminIndex, admin_index
from truce.zones.service import ZONE_PRECISIONS, ZoneIndex, zone_index

OUTSIDE, INSIDE, CROSSES = 0, 1, 2


@dataclass
class _Cells:
    tree: shapely.STRtree
    geoms: np.ndarray  # prepared
    adm1: np.ndarray
    adm2: np.ndarray
    adm3: np.ndarray


@dataclass
class _Zones:
    keys: list[tuple[str, int]]
    geoms: np.ndarray  # prepared
    state: np.ndarray  # (zone version, cell + 1) → OUTSIDE / INSIDE / CROSSES; column 0 = no cell
    valid_from: np.ndarray  # day ordinals
    valid_to: np.ndarray  # day ordinals, a large number when open


_lock = threading.Lock()
_CELLS: dict[int, tuple[AdminIndex, _Cells]] = {}
_ZONES: dict[tuple[int, int], tuple[AdminIndex, ZoneIndex, _Zones]] = {}
OPEN_END = 10**7


def _cells(idx: AdminIndex) -> _Cells:
    with _lock:
        hit = _CELLS.get(id(idx))
        if hit and hit[0] is idx:
            return hit[1]
    geoms = np.array(idx.geoms, dtype=object)
    geoms = shapely.from_wkb(shapely.to_wkb(geoms))  # own copies: preparing them leaves the shared index alone
    shapely.prepare(geoms)
    c = _Cells(
        tree=shapely.STRtree(geoms),
        geoms=geoms,
        adm1=np.array(idx.adm1, dtype=object),
        adm2=np.array(idx.adm2, dtype=object),
        adm3=np.array(idx.adm3 if idx.adm3 is not None else idx.pcodes, dtype=object),
    )
    with _lock:
        if len(_CELLS) > 8:
            _CELLS.clear()
        _CELLS[id(idx)] = (idx, c)
    return c


def _ordinal(day: str | None) -> int:
    return date.fromisoformat(day[:10]).toordinal() if day else OPEN_END


def _zones(aidx: AdminIndex, zidx: ZoneIndex, cells: _Cells) -> _Zones:
    key = (id(aidx), id(zidx))
    with _lock:
        hit = _ZONES.get(key)
        if hit and hit[0] is aidx and hit[1] is zidx:
            return hit[2]
    zgeoms = shapely.from_wkb(shapely.to_wkb(np.asarray(zidx.tree.geometries, dtype=object)))
    shapely.prepare(zgeoms)
    state = np.full((len(zgeoms), len(cells.geoms) + 1), CROSSES, dtype=np.int8)
    for v, g in enumerate(zgeoms):
        touches = shapely.intersects(g, cells.geoms)
        inside = np.zeros(len(cells.geoms), dtype=bool)
        inside[touches] = shapely.covers(g, cells.geoms[touches])
        row = np.where(inside, INSIDE, OUTSIDE).astype(np.int8)
        edge = np.flatnonzero(touches & ~inside)
        if len(edge):
            # Interiors that meet: the zone boundary crosses the sub-district; a shared edge alone does not.
            crossing = shapely.relate_pattern(g, cells.geoms[edge], "T********")
            row[edge[crossing]] = CROSSES
        state[v, 1:] = row
    z = _Zones(
        keys=list(zidx.keys),
        geoms=zgeoms,
        state=state,
        valid_from=np.array([_ordinal(d) for d in zidx.valid_from], dtype=np.int64),
        valid_to=np.array([_ordinal(d or None) for d in zidx.valid_to], dtype=np.int64),
    )
    with _lock:
        if len(_ZONES) > 8:
            _ZONES.clear()
        _ZONES[key] = (aidx, zidx, z)
    return z


def day_ordinals(days: list[str]) -> np.ndarray:
    """Proleptic ordinals of YYYY-MM-DD… strings (one parse per distinct day)."""
    seen: dict[str, int] = {}

    def parse(d: str) -> int:
        o = seen[d] = _ordinal(d)
        return o

    get = seen.get
    return np.array([get(d) or parse(d) for d in days], dtype=np.int64)


class BulkLocator:
    """P-codes and zones for arrays of points, built from the cached admin and zone indexes."""

    def __init__(self, conn: Connection) -> None:
        self._admin = admin_index(conn)
        self._zidx = zone_index(conn)
        self._cells = _cells(self._admin) if self._admin is not None else None

    def cells(self, lons: Any, lats: Any) -> np.ndarray:
        """Index of the sub-district each point lies in (the first by P-code), -1 outside them all."""
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        out = np.full(len(x), -1, dtype=np.int64)
        if self._cells is None or not len(x):
            return out
        inp, idx = self._cells.tree.query(shapely.points(x, y))
        hit = shapely.intersects_xy(self._cells.geoms[idx], x[inp], y[inp])
        inp, idx = inp[hit], idx[hit]
        if not len(inp):
            return out
        # Several sub-districts for one point (it lies on their shared edge): keep the lowest index.
        order = np.lexsort((idx, inp))
        inp, idx = inp[order], idx[order]
        first = np.ones(len(inp), dtype=bool)
        first[1:] = inp[1:] != inp[:-1]
        out[inp[first]] = idx[first]
        return out

    def pcodes(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ADM1, ADM2, ADM3 P-codes (object arrays, None where outside) of the cells."""
        n = len(cells)
        if self._cells is None:
            none = np.full(n, None, dtype=object)
            return none, none.copy(), none.copy()
        ok = cells >= 0
        a1 = np.full(n, None, dtype=object)
        a2 = np.full(n, None, dtype=object)
        a3 = np.full(n, None, dtype=object)
        a1[ok] = self._cells.adm1[cells[ok]]
        a2[ok] = self._cells.adm2[cells[ok]]
        a3[ok] = self._cells.adm3[cells[ok]]
        return a1, a2, a3

    def zones(
        self, cells: np.ndarray, lons: Any, lats: Any, days: list[str], precisions: list[str]
    ) -> list[tuple[int, str, int]]:
        """(row, zone id, zone version) for every row whose point lies in a zone version valid on its day,
        for rows located finely enough to be placed in zones (exact, near, adm3). Sorted by row, zone."""
        n = len(cells)
        if not n or not self._zidx.keys:
            return []
        if self._cells is None:
            z = self._zones_without_admin()
        else:
            assert self._admin is not None
            z = _zones(self._admin, self._zidx, self._cells)
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        eligible = np.fromiter((p in ZONE_PRECISIONS for p in precisions), dtype=bool, count=n)
        ords = day_ordinals(days)
        col = cells + 1
        rows: list[np.ndarray] = []
        zs: list[np.ndarray] = []
        for v in range(len(z.keys)):
            st = z.state[v, col]
            inside = (st == INSIDE) & eligible
            check = np.flatnonzero((st == CROSSES) & eligible)
            if len(check):
                inside[check] = shapely.intersects_xy(z.geoms[v], x[check], y[check])
            inside &= (ords >= z.valid_from[v]) & (ords < z.valid_to[v])
            hit = np.flatnonzero(inside)
            if len(hit):
                rows.append(hit)
                zs.append(np.full(len(hit), v, dtype=np.int64))
        if not rows:
            return []
        r = np.concatenate(rows)
        zv = np.concatenate(zs)
        keys = z.keys
        order = np.lexsort(([keys[i][0] for i in zv.tolist()], r)) if len(r) > 1 else np.arange(len(r))
        return [(int(r[i]), keys[zv[i]][0], keys[zv[i]][1]) for i in order.tolist()]

    def _zones_without_admin(self) -> _Zones:
        zgeoms = np.asarray(self._zidx.tree.geometries, dtype=object)
        return _Zones(
            keys=list(self._zidx.keys),
            geoms=zgeoms,
            state=np.full((len(zgeoms), 1), CROSSES, dtype=np.int8),
            valid_from=np.array([_ordinal(d) for d in self._zidx.valid_from], dtype=np.int64),
            valid_to=np.array([_ordinal(d or None) for d in self._zidx.valid_to], dtype=np.int64),
        )
