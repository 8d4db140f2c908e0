"""The deployment's stored clock: `truce demo` keeps the last day of its story here, and `truce serve` runs as of
that day when the setting TRUCE_TODAY is unset (see truce.times). An operational setting, not a decision: it is
not in the ledger, and a live deployment never has it."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from truce import times
from truce.ledger.models import deployment_settings

TODAY = "today"


def stored_today(conn: Connection) -> str | None:
    row = conn.execute(select(deployment_settings.c.value).where(deployment_settings.c.name == TODAY)).first()
    return row[0] if row else None


def store_today(conn: Connection, day: str | None) -> None:
    """Keep `day` (YYYY-MM-DD) as the deployment's clock, or forget it (None: the real clock)."""
    conn.execute(delete(deployment_settings).where(deployment_settings.c.name == TODAY))
    if day is not None:
        conn.execute(insert(deployment_settings).values(name=TODAY, value=times.day(day, "today")))


def use_stored_clock(app: Any) -> str | None:
    """Before serving: when TRUCE_TODAY is unset and the database keeps a clock (a demo), run as of that day
    (the setting is put in this process's environment, which uvicorn's workers inherit). Returns the day in
    force, or None for the real clock."""
    if times.clock_day() is not None:
        return times.clock_day()
    with app.read() as conn:
        day = stored_today(conn)
    if day:
        os.environ[times.TODAY_ENV] = day
    return day
