"""Times as the ledger keeps them: UTC, ISO 8601, whole seconds ("YYYY-MM-DDTHH:MM:SSZ").

Whole seconds keep every stored time the same length, so that comparing the strings in SQL
compares the times on both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
    """``text`` as a day (YYYY-MM-DD; an ISO time gives its day), or a ValidationFailed naming the field: a date
    written another way (21/09/2017) or that does not exist (2017-13-45) is refused, never read as no rows."""
    if text is None or text == "":
        return None
    from truce.errors import ValidationFailed

    s = text.strip()
    try:
        if len(s) == 10:
            return date.fromisoformat(s).isoformat()
        return parse(s).date().isoformat()
    except ValueError:
        raise ValidationFailed(f"{field}: '{text}' is not a date (YYYY-MM-DD, e.g. 2017-09-21)", field=field) from None


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
