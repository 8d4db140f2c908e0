"""Times as the ledger keeps them: UTC, ISO 8601, whole seconds ("YYYY-MM-DDTHH:MM:SSZ").

Whole seconds keep every stored time the same length, so that comparing the strings in SQL
compares the times on both engines.

**Business time.** :func:`today` and :func:`now` are the deployment's clock: every default as-of and
decision date reads them. With the setting ``TRUCE_TODAY=YYYY-MM-DD`` (the demo runs "as of" the last day
of its 2017 story) the clock stands on that day: :func:`today` is that day and :func:`now` that day at the
current UTC time of day (so that an investigation's clock still runs within the day). Unset, both follow the
real clock. When the write happened (a ledger entry's time, sessions, tokens, idempotency keys) is
:func:`real_now`, never the business clock."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta

from truce.errors import ValidationFailed

FMT = "%Y-%m-%dT%H:%M:%SZ"
#: the setting that makes a deployment run "as of" a day
TODAY_ENV = "TRUCE_TODAY"


#: a business time pinned by :func:`standing_at` (the demo's story plays each step at its own time)
_PINNED: ContextVar[str | None] = ContextVar("truce_business_time", default=None)


@contextmanager
def standing_at(when: str) -> Iterator[None]:
    """Inside the block the business clock stands at `when` (a day, taken at noon UTC, or an ISO 8601 time):
    :func:`today`, :func:`now` and the business time stamped on ledger entries are that time."""
    at = normalise(when if len(when) > 10 else when + "T12:00:00Z")
    token = _PINNED.set(at)
    try:
        yield
    finally:
        _PINNED.reset(token)


#: the clock a database keeps (truce.clock: a demo's last day), in force for this process while TRUCE_TODAY is unset
_STORED: list[str | None] = [None]


def use_stored_day(day: str | None) -> None:
    """Run this process as of `day` (the clock kept by the database it opened), or the real clock (None); the
    setting TRUCE_TODAY, when set, still wins."""
    _STORED[0] = day


def stored_day() -> str | None:
    """The database's clock in force (:func:`use_stored_day`) when TRUCE_TODAY is unset, else None."""
    return _STORED[0] if not os.environ.get(TODAY_ENV, "").strip() and _PINNED.get() is None else None


def business_clock() -> bool:
    """Whether business time differs from the real clock (``TRUCE_TODAY`` is set, or a time is pinned): then
    each ledger entry keeps its business time in its payload (see truce.ledger.chain.record)."""
    return _PINNED.get() is not None or clock_day() is not None


def clock_day() -> str | None:
    """The day the deployment runs as of (a pinned time's day, else ``TRUCE_TODAY``, else the clock the opened
    database keeps), or None for the real clock. A value that is not a day (YYYY-MM-DD) is refused naming the
    setting."""
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned[:10]
    value = os.environ.get(TODAY_ENV, "").strip()
    if not value:
        return _STORED[0]
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else _bad_clock(value)
    except ValueError:
        return _bad_clock(value)


def _bad_clock(value: str) -> str:
    raise ValidationFailed(f"{TODAY_ENV}: '{value[:40]}' is not a date (YYYY-MM-DD)", field=TODAY_ENV)


def today() -> str:
    """The business day (YYYY-MM-DD): ``TRUCE_TODAY`` when set, else today's UTC date."""
    return clock_day() or datetime.now(UTC).date().isoformat()


def today_date() -> date:
    return date.fromisoformat(today())


def now_dt() -> datetime:
    """The business present as an aware datetime: the clock day at the current UTC time of day."""
    pinned = _PINNED.get()
    if pinned is not None:
        return parse(pinned)
    real = datetime.now(UTC)
    day = clock_day()
    if day is None:
        return real
    return datetime.combine(date.fromisoformat(day), real.time().replace(microsecond=0), tzinfo=UTC)


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
    """The business present (see the module's note): what a decision, a reply or an investigation's clock
    defaults to."""
    return fmt(now_dt())


def real_now() -> str:
    """The real present, whatever the business clock says: sessions, tokens, expiries."""
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
