"""Pure rules of eligibility: how a party's truce status meets the "has signed or applied" criterion,
and how the criteria's statuses make one result (no database, no clock)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def truce_status(status_on_day: str | None, c: dict[str, Any], applying: bool = False) -> tuple[str, dict[str, Any]]:
    """Passed when the party's status on the day is one of the accepted ones. A party that applies on
    that day is an applicant from that day (its application is the status change), so the criterion is
    judged the same at the application and by `truce eligibility` afterwards."""
    ok = set(c.get("statuses") or ["applicant", "signatory"])
    st = "applicant" if applying and status_on_day in (None, "applicant") else status_on_day
    ev: dict[str, Any] = {"status_on_day": st, "accepted": sorted(ok)}
    if applying and st != status_on_day:
        ev["applying_on_day"] = True
    return ("passed" if st in ok else "failed"), ev


def result(statuses: Iterable[str]) -> str:
    """not_eligible when any criterion failed, undetermined when none failed but some are unknown, else eligible."""
    s = list(statuses)
    return "not_eligible" if "failed" in s else ("undetermined" if "unknown" in s else "eligible")
