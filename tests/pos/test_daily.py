"""The till's once-a-day jobs (pos/services/daily.py): a standalone till expires points and
reviews tiers by itself, once per business date; an enrolled one leaves both to HQ."""
from __future__ import annotations

import datetime as dt
import uuid

from pos.services import daily, members
from pos.loyalty import ledger
from pos.store import program_store


def test_standalone_till_runs_its_jobs_once_a_day(db, clock):
    program_store.ensure_default(db)  # Vancl: rolling expiry, 12 months without a purchase
    mid = members.register(db, "13900139000").id
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(mid), "adjust", 500, now=db.clock.now(), expires_at=None)
    clock.advance(days=400)  # no purchase for 13 months
    r = daily.run_due(db)
    assert r["ran"] and r["expiry"]["points"] == 500 and r["expiry"]["members"] == 1
    assert members.detail(db, mid).points == 0
    assert daily.run_due(db) == {"date": db.clock.today().isoformat(), "ran": False}  # once a day
    clock.advance(days=1)
    again = daily.run_due(db)
    assert again["ran"] and again["expiry"]["points"] == 0  # idempotent jobs, a new day


def test_enrolled_till_leaves_expiry_and_reviews_to_hq(db, clock):
    program_store.ensure_default(db)
    mid = members.register(db, "13900139001").id
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(mid), "adjust", 500, now=db.clock.now(), expires_at=None)
    db.settings.update({"sync.hq_url": "http://127.0.0.1:9", "sync.token": "t"})
    clock.advance(days=400)
    r = daily.run_due(db)
    assert r["expiry"] == "at HQ" and r["tiers"] == "at HQ"
    assert members.detail(db, mid).points == 500
