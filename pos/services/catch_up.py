"""Catch-up of the daily jobs over the past (issue 15 §3): `daily --since DATE`.

After members and history are imported, the store must be what it would be had
its daily jobs run all along: points expiry under the program's model and the
tier reviews, day by day from DATE to today, each day's jobs dated at that day's
job time (08:30 store time, before opening) by a `ReplayClock` — real records,
not test-clock ones. Each job is idempotent (an expired lot has nothing left; a
reviewed member has a new validity), and the last day replayed is kept
(`daily.caught_up_to`), so a stopped catch-up resumes where it stopped and a
second run finds nothing to do.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from pos.clock import ReplayClock
from pos.errors import DomainError
from pos.loyalty import expiry, tiers
from pos.services import birthday
from pos.store import program_store
from pos.store import settings

JOBS_AT = dt.time(8, 30)


def catch_up(db, since: dt.date, progress: Callable[[dt.date, int, int], None] | None = None) -> dict[str, Any]:
    today = db.clock.today()
    if since > today:
        raise DomainError("daily.since", since=since.isoformat(), today=today.isoformat())
    if settings.enrolled(db):  # a chain's expiry and reviews are HQ's (they see every store)
        return {"since": since.isoformat(), "days": 0, "at": "HQ"}
    done = settings.CAUGHT_UP_TO.get(db)
    start = since
    if done and dt.date.fromisoformat(done) >= since:
        start = dt.date.fromisoformat(done) + dt.timedelta(days=1)
    program = program_store.active(db)
    real = db.clock
    out = {"since": since.isoformat(), "from": start.isoformat(), "to": today.isoformat(), "days": 0,
           "expired_lots": 0, "expired_points": 0, "reviewed": 0, "changed": 0}
    total = max((today - start).days + 1, 0)
    day = start
    try:
        while day <= today:
            at = min(dt.datetime.combine(day, JOBS_AT, real.tz), real.now())  # never later than now
            db.clock = ReplayClock(at, tz=str(real.tz), is_test=real.is_test)
            e = expiry.run_expiry(db, program, day)
            changes = tiers.review_due(db, program, day)
            db.clock = real
            out["expired_lots"] += e.lots
            out["expired_points"] += e.points
            out["reviewed"] += len(changes)
            out["changed"] += sum(1 for c in changes if c.from_tier != c.to_tier)
            out["days"] += 1
            settings.CAUGHT_UP_TO.set(db, day.isoformat())
            if progress:
                progress(day, out["days"], total)
            day += dt.timedelta(days=1)
    finally:
        db.clock = real
    # today's birthday gifts (the month's; past birthdays get nothing), as today's daily job would give
    out["birthday"] = birthday.run(db, program, today).as_dict()
    settings.DAILY_RAN_ON.set(db, today.isoformat())  # today's jobs ran with the rest
    return out
