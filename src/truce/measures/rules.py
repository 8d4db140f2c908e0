"""Pure rules of the measures ladder: the window a party's points are counted in, and the points
that each verified breach and each access denial weighs (no database, no clock)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any


def window(as_of: str, window_days: int) -> tuple[str, str]:
    """The first day counted and the day after the last one ([start, stop)) for an evaluation as of a day."""
    end = date.fromisoformat(as_of[:10])
    return (end - timedelta(days=int(window_days) - 1)).isoformat(), (end + timedelta(days=1)).isoformat()


def breach_points(severity: str | None, weights: Mapping[str, Any]) -> int:
    """Points of one verified breach attributed to the party: the weight of its severity."""
    return int(weights.get(severity or "minor", 1))


def denial_points(weights: Mapping[str, Any]) -> int:
    """Points of one access denial recorded against the party."""
    return int(weights.get("access_denial", 2))
