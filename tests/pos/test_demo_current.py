"""The demo store is a store as it would be today: every daily job ran along its history
(points expiry under the program's model, tier reviews / window rechecks), so today's
jobs find nothing left to do, and the daily mark is set because they really ran."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from pos.services import daily
from pos.demo import store as demo
from pos.loyalty import expiry, ledger, tiers
from pos.store import program_store
from pos.clock import FixedClock
from pos.store.database import open_db
from pos.demo.sales import first_day_reaching
from pos.rules.program import preset
from pos.loyalty.tiers import add_months

NOW = dt.datetime(2026, 11, 23, 10, 0)  # store-local


def _build(tmp_path_factory, name: str, program=None, **kw):
    db = open_db(tmp_path_factory.mktemp(name) / "store.sqlite3", clock=FixedClock(NOW, tz="Asia/Shanghai"))
    if program is not None:
        program_store.install(db, program, source="preset")
    seen = []
    report = demo.build(db, kw.get("members", 200), kw.get("products", 30), seed=2, sales=kw.get("sales", 1200),
                        progress=lambda stage, done, total: seen.append((stage, done, total)))
    return db, report, seen


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db, report, seen = _build(tmp_path_factory, "vancl")  # rolling expiry, cumulative tiers: the first-run preset
    yield db, report, seen
    db.close()


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _posted(db) -> tuple:
    c = sqlite3.connect(db.path)
    try:
        return c.execute("SELECT (SELECT count(*) FROM points_entries), (SELECT count(*) FROM tier_changes)").fetchone()
    finally:
        c.close()


def _assert_current(db):
    """Nothing is due today: no tier past its validity, no points that should have expired."""
    program = program_store.active(db)
    today = db.clock.today()
    c = sqlite3.connect(db.path)
    base = program.tiers.levels[0].code
    for code, tier, expires in c.execute("SELECT member_code, tier_code, tier_expires FROM members"):
        if tier == base:
            assert expires is None, code
        else:
            assert expires is not None and dt.date.fromisoformat(expires) > today, (code, tier, expires)
    c.close()
    before = _posted(db)
    assert expiry.run_expiry(db, program, today).points == 0
    assert tiers.review_due(db, program, today) == []
    assert db.settings[daily.RAN_ON] == today.isoformat()
    again = daily.run_due(db, force=True)  # today's jobs are idempotent: a second run posts nothing
    assert again["ran"] and again["expiry"]["points"] == 0 and again["tiers"]["reviewed"] == 0
    assert _posted(db) == before
    with db.read() as s:
        assert ledger.find_drift(s) == []


def test_demo_store_is_marked_as_demo(db):
    assert not db.settings.get("demo_store")
    demo.build(db, members=20, products=10)
    assert db.settings["demo_store"] is True
    again = open_db(db.path, clock=db.clock)
    try:
        assert again.settings["demo_store"] is True  # stored, not only cached
    finally:
        again.close()


def test_demo_store_is_current_as_of_today(store):
    db, report, _ = store
    assert report.sales["expired_points"] > 0 and report.sales["tier_reviews"] > 0  # the jobs had work along the way
    assert report.daily["ran"] and report.daily["expiry"]["points"] == 0 and report.daily["tiers"]["reviewed"] == 0
    _assert_current(db)


def test_points_expired_on_the_day_the_rolling_model_says(store):
    """Every expiry was posted on the first business date the rolling model allows
    (12 months after the last purchase, or the opening balance), never later nor earlier."""
    db, _, _ = store
    months = program_store.active(db).expiry.months
    c = sqlite3.connect(db.path)
    expiries = c.execute("SELECT member_id, created_at, reason FROM points_entries WHERE kind = 'expire'").fetchall()
    assert expiries
    for mid, created, reason in expiries:
        day = dt.date.fromisoformat(reason.split()[-1])
        assert db.clock.local(_utc(created)).date() == day
        last = c.execute("SELECT max(created_at) FROM sales WHERE member_id = ? AND kind = 'sale' AND created_at < ?",
                         (mid, created)).fetchone()[0]
        last = last or c.execute("SELECT min(created_at) FROM points_entries WHERE member_id = ? AND points > 0",
                                 (mid,)).fetchone()[0]
        assert first_day_reaching(db.clock.local(_utc(last)).date(), months) == day, (mid, last, day)
    c.close()


def test_tiers_were_reviewed_on_the_day_their_validity_ended(store):
    db, _, _ = store
    validity = program_store.active(db).tiers.validity_months
    c = sqlite3.connect(db.path)
    joined = dict(c.execute("SELECT id, joined_at FROM members"))
    changes: dict[str, list] = {}
    for row in c.execute("SELECT member_id, reason, spend_fen, sale_id, at FROM tier_changes ORDER BY at"):
        changes.setdefault(row[0], []).append(row)
    reviewed = 0
    for mid, rows in changes.items():
        tied = {r[3] for r in rows if r[3]}
        prev = joined[mid]
        for _, reason, spend, _sale, at in rows:
            if reason.startswith("review_"):
                reviewed += 1
                assert db.clock.local(_utc(at)).date() == add_months(db.clock.local(_utc(prev)).date(), validity)
                spent = sum(v for sid, v in c.execute(
                    "SELECT id, spend_fen FROM sales WHERE member_id = ? AND created_at >= ? AND created_at < ?",
                    (mid, prev, at)) if sid not in tied)
                assert spend == spent, (mid, at)
            prev = at
    assert reviewed > 10
    c.close()


def test_progress_is_reported_stage_by_stage(store):
    _, _, seen = store
    stages = [s for s, *_ in seen]
    assert stages[0] == "members" and stages[-1] == "daily"
    order = ["members", "products", "sales", "tags", "daily"]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == order
    sales = [(d, t) for s, d, t in seen if s == "sales"]
    assert len(sales) > 10 and sales[-1] == (1200, 1200)
    assert all(a[0] <= b[0] for a, b in zip(sales, sales[1:]))


@pytest.mark.parametrize("model", ["year_end", "per_lot"])
def test_other_programs_end_current_too(tmp_path_factory, model):
    """hdcrm: window tiers with monthly rechecks, year-end clearing; and per-lot expiry."""
    if model == "year_end":
        doc = preset("hdcrm")
    else:
        vancl = preset("vancl")
        doc = vancl.model_copy(update={"version": "vancl-per-lot",
                                       "expiry": vancl.expiry.model_copy(update={"model": "per_lot", "months": 6})})
    db, report, _ = _build(tmp_path_factory, model, doc, members=100, products=20, sales=700)
    try:
        assert program_store.active(db).version == doc.version
        assert report.sales["expired_points"] > 0 and report.sales["tier_reviews"] > 0
        _assert_current(db)
    finally:
        db.close()
