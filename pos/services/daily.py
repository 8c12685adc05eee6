"""The store's once-a-day jobs, so a till needs no cron to stay right.

`run_due(db)` runs, at most once per business date (setting `daily.ran_on`):

* points expiry (`pos.loyalty.expiry.run_expiry`) and the tier review
  (`pos.loyalty.tiers.review_due`, which also upgrades on shipped spend that matured) —
  on a standalone till only: an enrolled till leaves them to HQ, which sees
  every store (`hq expire`);
* the birthday gifts of the month (`pos.services.birthday`: `issuance.birthday` and the
  tier's `birthday_gift`, once a year per member) — standalone tills only; an enrolled
  till's come from HQ (`hq birthday`);
* the derived segment tags (`pos.analytics.segments.write_tags`), once they are in use.

Each job is idempotent on its own, so a run cut short by a power cut is simply
run again at the next start. The app calls this on a worker thread shortly
after it opens; `python main.py daily` does the same from a scheduler."""
from __future__ import annotations

import logging
from typing import Any

from pos.loyalty import expiry, tiers
from pos.store import program_store, settings
from pos.analytics import segments
from pos.services import birthday

log = logging.getLogger(__name__)
RAN_ON = settings.DAILY_RAN_ON.name


def due(db) -> bool:
    return settings.DAILY_RAN_ON.get(db) != db.clock.today().isoformat()


def run_due(db, *, force: bool = False) -> dict[str, Any]:
    """Run what is due today; returns what each job did (or why it was skipped)."""
    today = db.clock.today()
    out: dict[str, Any] = {"date": today.isoformat(), "ran": False}
    if not force and not due(db):
        return out
    program = program_store.active(db)
    if settings.enrolled(db):
        out["expiry"] = out["tiers"] = "at HQ"
    else:
        out["expiry"] = expiry.run_expiry(db, program, today).as_dict()
        changes = tiers.review_due(db, program, today)
        out["tiers"] = {"reviewed": len(changes), "changed": sum(1 for c in changes if c.from_tier != c.to_tier)}
    out["birthday"] = "at HQ" if settings.enrolled(db) else birthday.run(db, program, today).as_dict()
    if settings.SEGMENTS_TAGGED_ON.get(db) and segments.tags_stale(db):
        r = segments.write_tags(db, today)
        out["tags"] = {"added": r["added"], "removed": r["removed"]}
    settings.DAILY_RAN_ON.set(db, today.isoformat())
    from pos.store.backup import backup_quietly  # a copy a day (issue 19)
    out["backup"] = backup_quietly(db, "daily") is not None
    out["ran"] = True
    return out
