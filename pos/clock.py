"""The one source of "now". Injected everywhere so tests can travel in time.

`POS_CLOCK` (an ISO datetime; naive means store-local time) fixes "now" for
every command; records made under it are flagged `test_clock` and the app
shows a TEST CLOCK banner.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
DEFAULT_TZ = "Asia/Shanghai"


class Clock:
    """Wall clock. Times are aware UTC; business dates are in the store's zone."""

    is_test = False

    def __init__(self, tz: str = DEFAULT_TZ):
        self.tz = ZoneInfo(tz)

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def today(self) -> dt.date:
        """The business date in the store's time zone."""
        return self.now().astimezone(self.tz).date()

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.tz)

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """UTC instant at which a store-local business day begins."""
        return dt.datetime.combine(day, dt.time(0), self.tz).astimezone(UTC)


class FixedClock(Clock):
    """A clock that stands still (or is moved by hand) — tests and POS_CLOCK."""

    is_test = True

    def __init__(self, when: dt.datetime, tz: str = DEFAULT_TZ):
        super().__init__(tz)
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        self._now = when.astimezone(UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, when: dt.datetime) -> None:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.tz)
        self._now = when.astimezone(UTC)

    def advance(self, **delta) -> None:
        self._now += dt.timedelta(**delta)


class ReplayClock(FixedClock):
    """A past business day replayed by a catch-up (`daily --since`): its records
    are dated then and are real ones — unless the clock it stands in for is a
    test clock."""

    def __init__(self, when: dt.datetime, tz: str = DEFAULT_TZ, is_test: bool = False):
        super().__init__(when, tz)
        self.is_test = is_test


def parse_when(text: str, tz: str = DEFAULT_TZ) -> dt.datetime:
    """Parse an ISO date or datetime; naive values are store-local."""
    text = text.strip()
    try:
        if len(text) == 10:
            when = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(12))
        else:
            when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    return when


def clock_from_env(tz: str = DEFAULT_TZ) -> Clock:
    value = os.environ.get("POS_CLOCK", "").strip()
    if not value:
        return Clock(tz)
    try:
        return FixedClock(parse_when(value, tz), tz)
    except ValueError as exc:
        raise ValueError(f"POS_CLOCK: {exc}") from None
