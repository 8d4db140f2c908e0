"""Times as the ledger keeps them: UTC, ISO 8601, whole seconds ("YYYY-MM-DDTHH:MM:SSZ").

Whole seconds keep every stored time the same length, so that comparing the strings in SQL
compares the times on both engines."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from truce.errors import ValidationFailed

FMT = "%Y-%m-%dT%H:%M:%SZ"


def parse(text: str) -> datetime:
    """An aware UTC datetime from an ISO 8601 time or date (naive times are taken as UTC)."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def check_day(text: str | None, field: str) -> str | None:
    """``text`` as a day (YYYY-MM-DD) by the strict rule of :func:`day`, or None when absent or empty."""
    if text is None or text == "":
        return None
    return day(text, field)


def fmt(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime(FMT)


def now() -> str:
    return fmt(datetime.now(UTC))


def normalise(text: str) -> str:
    return fmt(parse(text))


def add_days(text: str, days: float) -> str:
    return fmt(parse(text) + timedelta(days=days))


def seconds_between(start: str, end: str) -> float:
    return (parse(end) - parse(start)).total_seconds()


_DAY_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?")


def day(value: str, field: str) -> str:
    """The day (YYYY-MM-DD) of a date filter, parsed strictly: a date, or an ISO 8601 time whose date is taken;
    anything else (`21/09/2017`, `2017-13-45`, `2017-01-01' OR 1=1--`) is refused naming the field."""
    text = value.strip()
    ok = _DAY_OR_TIME.fullmatch(text) is not None
    if ok:
        try:
            date.fromisoformat(text[:10])
            if len(text) > 10:
                parse(text)
        except ValueError:
            ok = False
    if not ok:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ValidationFailed(f"{field}: '{shown}' is not a date (YYYY-MM-DD) or an ISO 8601 time", field=field)
    return text[:10]
