"""Seeded synthetic reports over Syria for the benchmarks (not real data, not used by the product).

Events happen at localities (most of them around ~40 towns, the rest scattered), more often on some
days than others; each event is reported by 1-5 sources with noise in place (~1 km), time (~1.5 h),
type, alleged party and precision, the way guarantor offices, media and datasets report the same
shelling differently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

LAT0, LAT1, LON0, LON1 = 32.3, 37.3, 35.7, 42.4
YEAR0 = int(datetime(2017, 1, 1, tzinfo=UTC).timestamp())
DAY = 86400
KM = 1 / 111.195  # degrees of latitude per km

TYPES = np.array(
    [
        "shelling",
        "airstrike",
        "ground_attack",
        "armed_clash",
        "sniper_fire",
        "drone_strike",
        "ied",
        "attack_on_civilians",
        "troop_movement",
        "heavy_weapons_movement",
        "obstruction_of_humanitarian_access",
        "chemical_weapons_use",
        "other",
    ]
)
TYPE_P = np.array([0.25, 0.17, 0.12, 0.14, 0.06, 0.05, 0.04, 0.06, 0.04, 0.02, 0.015, 0.005, 0.03])
SIBLING = {  # a source's different reading of the same event
    "shelling": "airstrike",
    "airstrike": "shelling",
    "ground_attack": "armed_clash",
    "armed_clash": "ground_attack",
    "sniper_fire": "ground_attack",
    "drone_strike": "airstrike",
    "ied": "attack_on_civilians",
    "attack_on_civilians": "shelling",
    "troop_movement": "heavy_weapons_movement",
    "heavy_weapons_movement": "troop_movement",
    "obstruction_of_humanitarian_access": "obstruction_of_monitors",
    "chemical_weapons_use": "airstrike",
    "other": "other",
}
PARTIES = np.array(["SYR", "RUS", "IRN_MIL", "NUSRA", "ISIL", "FAYLAQ", "AHRAR", "JAISH_ISLAM", "SDF"])
TIME_PREC, TIME_P = np.array(["exact", "day", "week", "month"]), np.array([0.88, 0.09, 0.02, 0.01])
LOC_PREC = np.array(["exact", "near", "adm3", "adm2", "adm1", "country"])
LOC_P = np.array([0.80, 0.10, 0.05, 0.03, 0.015, 0.005])


@dataclass
class Synth:
    """Columns of synthetic reports (or incidents), sorted by time."""

    t: np.ndarray  # epoch seconds
    tprec: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    lprec: np.ndarray
    adm1: np.ndarray
    adm2: np.ndarray
    adm3: np.ndarray
    vtype: np.ndarray
    party: np.ndarray  # "" = unknown
    event: np.ndarray  # the synthetic event each row reports

    @property
    def n(self) -> int:
        return int(self.t.size)

    def occurred_at(self) -> list[str]:
        return [s + "Z" for s in self.t.astype("datetime64[s]").astype(str).tolist()]


def _localities(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    towns = 40
    tlat = rng.uniform(LAT0 + 0.3, LAT1 - 0.3, towns)
    tlon = rng.uniform(LON0 + 0.3, LON0 + 4.5, towns)  # most of the fighting is in the west
    near = rng.random(n) < 0.7
    which = rng.integers(0, towns, n)
    lat = np.where(near, tlat[which] + rng.normal(0, 0.12, n), rng.uniform(LAT0, LAT1, n))
    lon = np.where(near, tlon[which] + rng.normal(0, 0.12, n), rng.uniform(LON0, LON1, n))
    w = 1.0 / np.arange(1, n + 1) ** 0.9
    return np.clip(lat, LAT0, LAT1), np.clip(lon, LON0, LON1), w / w.sum()


def generate(n_reports: int, seed: int = 2017, sources: bool = True) -> Synth:
    """`n_reports` rows; with sources=False one row per event (an incident table), else 1-5 per event."""
    rng = np.random.default_rng(seed)
    per_event = (1 + np.minimum(rng.poisson(1.5, n_reports), 4)) if sources else np.ones(n_reports, dtype=np.int64)
    n_events = int(np.searchsorted(np.cumsum(per_event), n_reports)) + 1
    per_event = per_event[:n_events]
    per_event[-1] -= int(per_event.sum()) - n_reports
    loc_lat, loc_lon, loc_w = _localities(rng, 3000)
    where = rng.choice(loc_lat.size, n_events, p=loc_w)
    elat = loc_lat[where] + rng.normal(0, 1.5 * KM, n_events)
    elon = loc_lon[where] + rng.normal(0, 1.5 * KM / np.cos(np.radians(loc_lat[where])), n_events)
    intensity = np.exp(np.convolve(rng.normal(0, 1, 365 + 30), np.ones(15) / 4, "same")[15:380])
    day = rng.choice(365, n_events, p=intensity / intensity.sum())
    et = YEAR0 + day * DAY + rng.integers(0, DAY, n_events)
    etype = rng.choice(TYPES, n_events, p=TYPE_P)
    eparty = rng.choice(PARTIES, n_events)

    ev = np.repeat(np.arange(n_events), per_event)
    first = np.zeros(ev.size, dtype=bool)
    first[np.cumsum(per_event) - per_event] = True
    noise = ~first
    m = ev.size
    lat = elat[ev] + noise * rng.normal(0, 0.8 * KM, m)
    lon = elon[ev] + noise * rng.normal(0, 0.8 * KM / np.cos(np.radians(elat[ev])), m)
    t = et[ev] + (noise * rng.normal(0, 1.5 * 3600, m)).astype(np.int64)
    t = np.minimum(t, YEAR0 + 365 * DAY - 1)
    tprec = rng.choice(TIME_PREC, m, p=TIME_P)
    t = np.where(tprec == "exact", t, t - t % DAY)
    lprec = rng.choice(LOC_PREC, m, p=LOC_P)
    vtype = etype[ev].copy()
    flip = noise & (rng.random(m) < 0.15)
    vtype[flip] = [SIBLING[x] for x in vtype[flip]]
    party = eparty[ev].copy()
    r = rng.random(m)
    party[r < 0.15] = ""
    other = (r >= 0.15) & (r < 0.25)
    party[other] = rng.choice(PARTIES, int(other.sum()))
    # Admin areas: a synthetic grid (governorate ~1°, district ~0.33°, sub-district ~0.1°).
    a1 = (lat // 1.0).astype(int) * 100 + (lon // 1.0).astype(int)
    a2 = (lat // 0.33).astype(int) * 1000 + (lon // 0.33).astype(int)
    a3 = (lat // 0.1).astype(int) * 1000 + (lon // 0.1).astype(int)
    adm1 = np.char.add("A", a1.astype(str))
    adm2 = np.char.add("B", a2.astype(str))
    adm3 = np.char.add("C", a3.astype(str))
    # Rows placed only to an area carry the area's centre, as a gazetteer gives it.
    for lvl, size in (("adm3", 0.1), ("adm2", 0.33), ("adm1", 1.0)):
        sel = lprec == lvl
        lat[sel] = (lat[sel] // size + 0.5) * size
        lon[sel] = (lon[sel] // size + 0.5) * size
    nowhere = lprec == "country"
    lat[nowhere] = np.nan
    lon[nowhere] = np.nan
    order = np.argsort(t, kind="stable")
    return Synth(
        t=t[order],
        tprec=tprec[order],
        lat=lat[order],
        lon=lon[order],
        lprec=lprec[order],
        adm1=adm1[order],
        adm2=adm2[order],
        adm3=adm3[order],
        vtype=vtype[order],
        party=party[order],
        event=ev[order],
    )
