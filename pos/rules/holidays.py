"""Holidays that come back every year: a campaign's yearly window (pure, no clock).

A `Recur` (pos.rules.program) names the holiday by its date in a calendar —
Gregorian (6/18 = 618, 12/12 = Double 12) or the Chinese lunar calendar
(8th month 15th day = Mid-Autumn, 1st month 1st day = Spring Festival) — and
the window: from `offset_days` after the holiday (−1: the eve) for `days`
days. Whether a sale is in it is decided on the sale's business date in the
store's zone (the till's and HQ's repricing read the same date), so the
engine stays a pure function of its request.

The lunar calendar comes from `lunardate` (pure Python, 1900–2099): a lunar
day 30 in a month of 29 days is the month's last day (除夕 = 12/30 or 12/29),
and a leap month is never the holiday's month. A Gregorian 2/29 is 2/28 in
other years. A year outside the library's range has no occurrence.
"""
from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

from lunardate import LunarDate


@lru_cache(maxsize=4096)
def occurrence(cal: str, month: int, day: int, year: int) -> dt.date | None:
    """The holiday's Gregorian date in (Gregorian or lunar) year `year`; None if there is none."""
    if cal == "gregorian":
        return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
    for d in range(day, 28, -1) if day > 29 else (day,):  # 30 → 29 in a short lunar month
        try:
            return LunarDate(year, month, d).to_solar_date()
        except ValueError:
            continue
    return None


def window(cal: str, month: int, day: int, offset_days: int, days: int, year: int) -> tuple[dt.date, dt.date] | None:
    """[first day, day after the last) of the year's window, as business dates."""
    when = occurrence(cal, month, day, year)
    if when is None:
        return None
    start = when + dt.timedelta(days=offset_days)
    return start, start + dt.timedelta(days=days)


def active(recur, local_date: dt.date) -> bool:
    """Whether business date `local_date` is inside one of the holiday's yearly windows.
    A window may start in the year before its holiday (an eve) or run into the next year."""
    for year in (local_date.year - 1, local_date.year, local_date.year + 1):
        w = window(recur.calendar, recur.month, recur.day, recur.offset_days, recur.days, year)
        if w is not None and w[0] <= local_date < w[1]:
            return True
    return False


def next_window(recur, local_date: dt.date) -> tuple[dt.date, dt.date] | None:
    """The window in progress on `local_date`, else the next one (shown to people: when is the next 618)."""
    found = []
    for year in range(local_date.year - 1, local_date.year + 3):
        w = window(recur.calendar, recur.month, recur.day, recur.offset_days, recur.days, year)
        if w is not None and w[1] > local_date:
            found.append(w)
    return min(found) if found else None
