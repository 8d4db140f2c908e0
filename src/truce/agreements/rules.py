"""Pure rules of an agreement: its default settings and the period it covers.

No database here: the functions take plain values, so the services, the bulletin, the exports and
`ledger verify` apply the one same rule."""

from __future__ import annotations

from datetime import date
from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    # Corroboration: a report matches an incident within this time window and radius.
    "match_window_hours": 6,
    "match_radius_km": 5.0,
    # Right of reply: days a party has to answer an attribution.
    "reply_window_days": 7,
    # Severity: grave when at least this many civilians were killed, when one of the heavy types
    # happens inside a zone, or when one of the always-grave types happens anywhere; else minor.
    "severity": {
        "grave_if_civilians_killed_at_least": 1,
        "grave_types_in_zone": ["shelling", "airstrike", "drone_strike", "heavy_weapons_movement"],
        "grave_types_anywhere": ["chemical_weapons_use"],
    },
}


def settings_of(agreement: dict[str, Any] | None) -> dict[str, Any]:
    """The settings that apply under an agreement version (the defaults when there is none)."""
    return agreement["settings"] if agreement else DEFAULT_SETTINGS


def add_months(day: str, months: int) -> str:
    """`day` (YYYY-MM-DD) plus whole months, clamped to the month's last day."""
    d = date.fromisoformat(day[:10])
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    last = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return date(y, m, min(d.day, last[m - 1])).isoformat()


BEFORE = "before_agreement"
AFTER = "after_agreement"


def period_verdict(first_effective: str | None, ends: str | None, day: str) -> str | None:
    """"before_agreement" for a day before the first version took effect, "after_agreement" for a day
    on or after the agreement's end (`ends`, when it has one), else None (inside the period: judged).
    With no agreement at all there is no period (None): incidents are judged by the guarantors' offices."""
    if first_effective is None:
        return None
    d = day[:10]
    if d < first_effective:
        return BEFORE
    if ends and d >= ends[:10]:
        return AFTER
    return None
