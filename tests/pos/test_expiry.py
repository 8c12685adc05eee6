"""Points over time (SPEC §3): the three expiry models, the expiry job, and
the advance notice ("200 pts expire on 2027-11-22" = the last day they can be
used).

The job `run_expiry(db, program, day)` posts what can no longer be used on
`day` (store-local): a lot whose expiry instant is at or before the start of
that day. It runs with day = today, so it never takes points that are still
usable today, and all three models agree on the day.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from pos.loyalty import expiry, ledger
from pos.services import members, returns
from pos.rules import program
from pos.store import program_store
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.demo.store import ean13
from pos.loyalty.expiry import Expiring
from pos.store.models import PointsAllocation, PointsEntry
from pos.rules.program import Expiry

REG = ean13("690888000001")  # 100 yuan regular
H150 = ean13("690888000002")  # 150 yuan regular
CATALOG = f"barcode,name,category,price_fen,kind\n{REG},T恤,服装,10000,regular\n{H150},衬衫,服装,15000,regular\n"

VANCL = program.preset("vancl")
HDCRM = program.preset("hdcrm")
PER_LOT = VANCL.model_copy(update={"version": "vancl-perlot", "expiry": Expiry(model="per_lot", months=12, warn_days=30)})


def setup_store(db, tmp_path, doc):
    program_store.install(db, doc)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return program_store.active(db)


def join(db, n=0) -> uuid.UUID:
    return uuid.UUID(members.register(db, f"1370013{n:04d}").id)


def buy(db, mid, code=REG, redeem=0):
    co = Checkout(db)
    co.add(code)
    co.attach_member_id(str(mid))
    co.redeem(redeem)
    return co.pay([Tender("cash", co.quote().net_fen)])


def bal(db, mid):
    with db.read() as s:
        return ledger.points_balance(s, mid)


def avail(db, mid):
    with db.read() as s:
        return ledger.available_points(s, mid, db.clock.now())


def soon(db, mid, prog):
    with db.read() as s:
        return expiry.expiring_soon(s, mid, prog, db.clock, db.clock.now())


def expiries(db):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "expire"))


def run(db, prog, y, m, d):
    return expiry.run_expiry(db, prog, dt.date(y, m, d)).as_dict()


NOTHING = {"members": 0, "lots": 0, "points": 0}


def test_per_lot_expiry_day_by_day(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, PER_LOT)
    mid = join(db)
    buy(db, mid)  # 2026-11-23: 200 pts, expire 12 months later
    with db.read() as s:
        (lot,) = ledger.open_lots(s, mid)
    assert lot.expires_at == clock.start_of_day(dt.date(2027, 11, 23))
    assert expiry.lot_expiry(prog, clock.now(), clock) == lot.expires_at
    clock.set(dt.datetime(2027, 10, 23, 9))
    assert soon(db, mid, prog) is None  # 31 days ahead: outside the 30-day warning
    clock.set(dt.datetime(2027, 11, 1, 9))
    assert soon(db, mid, prog) == Expiring(200, dt.date(2027, 11, 22))
    clock.set(dt.datetime(2027, 11, 22, 23, 59))
    assert avail(db, mid) == 200  # the last day: still usable
    assert run(db, prog, 2027, 11, 22) == NOTHING  # the day before: nothing
    assert avail(db, mid) == 200
    clock.set(dt.datetime(2027, 11, 23, 0, 1))
    # expired by date before the job has run: no longer spendable, still in the balance
    assert (avail(db, mid), bal(db, mid)) == (0, 200)
    assert soon(db, mid, prog) is None
    assert run(db, prog, 2027, 11, 23) == {"members": 1, "lots": 1, "points": 200}
    assert bal(db, mid) == 0
    with db.read() as s:
        e = s.scalar(select(PointsEntry).where(PointsEntry.kind == "expire"))
        assert (e.points, e.source_lot_id) == (-200, lot.id)
        assert s.execute(select(PointsAllocation.lot_id, PointsAllocation.points)
                         .where(PointsAllocation.debit_id == e.id)).all() == [(lot.id, 200)]
        assert ledger.find_drift(s) == []
    assert run(db, prog, 2027, 11, 23) == NOTHING  # twice: nothing new
    assert run(db, prog, 2027, 12, 31) == NOTHING
    assert expiries(db) == 1


def test_redemption_takes_the_lot_that_expires_first(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, PER_LOT)
    mid = join(db)
    with db.transaction() as s:  # earned first, expires last
        ledger.credit(s, mid, "adjust", 500, now=clock.now(), expires_at=clock.start_of_day(dt.date(2028, 6, 30)))
    clock.set(dt.datetime(2026, 12, 1, 10))
    buy(db, mid)  # earned later: 200, expires 2027-12-01
    clock.set(dt.datetime(2027, 1, 5, 10))
    sale = buy(db, mid, redeem=100)
    with db.read() as s:
        debit = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(sale.sale_id), PointsEntry.kind == "redeem"))
        got = s.execute(select(PointsEntry.kind, PointsEntry.expires_at, PointsAllocation.points)
                        .join(PointsAllocation, PointsAllocation.lot_id == PointsEntry.id)
                        .where(PointsAllocation.debit_id == debit.id)).all()
    assert got == [("earn", clock.start_of_day(dt.date(2027, 12, 1)), 100)]
    # 500 + 200 - 100 + 196 (98 × 2); on 2027-12-01 the 100 left of the December lot expire
    assert bal(db, mid) == 796
    clock.set(dt.datetime(2027, 11, 5, 10))
    assert soon(db, mid, prog) == Expiring(100, dt.date(2027, 11, 30))
    clock.set(dt.datetime(2027, 12, 1, 3))
    assert run(db, prog, 2027, 12, 1) == {"members": 1, "lots": 1, "points": 100}
    assert bal(db, mid) == 696
    clock.set(dt.datetime(2028, 1, 5, 3))
    assert run(db, prog, 2028, 1, 5) == {"members": 1, "lots": 1, "points": 196}
    clock.set(dt.datetime(2028, 6, 30, 3))
    assert run(db, prog, 2028, 6, 30) == {"members": 1, "lots": 1, "points": 500}
    assert bal(db, mid) == 0


def test_rolling_a_purchase_renews_the_whole_balance(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, VANCL)
    mid, quiet = join(db, 1), join(db, 2)
    buy(db, mid)  # 2026-11-23: 200
    buy(db, quiet)  # 2026-11-23: 200, then no purchase
    clock.set(dt.datetime(2027, 6, 1, 10))
    buy(db, mid)  # renews: 400, all good until 12 months after 2027-06-01
    clock.set(dt.datetime(2027, 11, 1, 10))
    assert soon(db, quiet, prog) == Expiring(200, dt.date(2027, 11, 22))
    assert soon(db, mid, prog) is None
    clock.set(dt.datetime(2027, 11, 22, 9))
    assert run(db, prog, 2027, 11, 22) == NOTHING
    clock.set(dt.datetime(2027, 11, 23, 9))
    assert run(db, prog, 2027, 11, 23) == {"members": 1, "lots": 1, "points": 200}
    assert (bal(db, quiet), bal(db, mid)) == (0, 400)
    assert run(db, prog, 2027, 11, 23) == NOTHING
    clock.set(dt.datetime(2028, 5, 10, 9))
    assert soon(db, mid, prog) == Expiring(400, dt.date(2028, 5, 31))
    clock.set(dt.datetime(2028, 5, 31, 9))
    assert run(db, prog, 2028, 5, 31) == NOTHING
    clock.set(dt.datetime(2028, 6, 1, 9))
    # the whole balance goes, the lot of 2026 too
    assert run(db, prog, 2028, 6, 1) == {"members": 1, "lots": 2, "points": 400}
    assert bal(db, mid) == 0
    assert run(db, prog, 2028, 6, 2) == NOTHING
    with db.read() as s:
        assert ledger.find_drift(s) == []


def test_rolling_without_any_purchase_counts_from_the_first_points(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, VANCL)
    mid = join(db)
    with db.transaction() as s:
        ledger.credit(s, mid, "signup", 100, now=clock.now(), expires_at=None)
    clock.set(dt.datetime(2027, 11, 22, 9))
    assert run(db, prog, 2027, 11, 22) == NOTHING
    clock.set(dt.datetime(2027, 11, 23, 9))
    assert run(db, prog, 2027, 11, 23) == {"members": 1, "lots": 1, "points": 100}


def test_rolling_return_does_not_renew(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, VANCL)
    mid = join(db)
    buy(db, mid)
    sale = buy(db, mid)
    clock.set(dt.datetime(2027, 6, 1, 10))
    # takes 200 back; the other 200 keep the old date (after the 7-day return window: a manager approved)
    returns.return_sale(db, sale.receipt_no, window_override="M001")
    assert bal(db, mid) == 200
    clock.set(dt.datetime(2027, 11, 23, 9))
    assert run(db, prog, 2027, 11, 23) == {"members": 1, "lots": 1, "points": 200}
    assert bal(db, mid) == 0


def test_year_end_clearing_with_minimum_age(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, HDCRM)
    mid = join(db)
    clock.set(dt.datetime(2026, 3, 15, 10))
    buy(db, mid, H150)  # 150 pts at 1 pt/yuan: old enough for this year's clearing
    clock.set(dt.datetime(2026, 11, 23, 10))
    buy(db, mid, H150)  # 150 pts: younger than 3 months on Dec 31 -> survives to next year's clearing
    with db.read() as s:
        got = sorted((lot.remaining, lot.expires_at) for lot in ledger.open_lots(s, mid))
    assert got == [(150, clock.start_of_day(dt.date(2027, 1, 1))), (150, clock.start_of_day(dt.date(2028, 1, 1)))]
    # warn_days 45: from 2026-11-23 the clearing of Dec 31 is 38 days away
    assert soon(db, mid, prog) == Expiring(150, dt.date(2026, 12, 31))
    assert expiry.lot_expiry(prog, clock.local(clock.now()).replace(month=9, day=30), clock) == \
        clock.start_of_day(dt.date(2027, 1, 1))  # 3 months before Dec 31: this year
    assert expiry.lot_expiry(prog, clock.local(clock.now()).replace(month=10, day=1), clock) == \
        clock.start_of_day(dt.date(2028, 1, 1))  # a day younger: next year
    clock.set(dt.datetime(2026, 12, 31, 21))
    assert avail(db, mid) == 300  # Dec 31 is the last day to use them
    assert run(db, prog, 2026, 12, 31) == NOTHING
    clock.set(dt.datetime(2027, 1, 1, 2))
    assert avail(db, mid) == 150
    assert run(db, prog, 2027, 1, 1) == {"members": 1, "lots": 1, "points": 150}
    assert run(db, prog, 2027, 1, 1) == NOTHING
    assert bal(db, mid) == 150
    clock.set(dt.datetime(2027, 12, 1, 9))
    assert soon(db, mid, prog) == Expiring(150, dt.date(2027, 12, 31))
    clock.set(dt.datetime(2028, 1, 1, 2))
    assert run(db, prog, 2028, 1, 1) == {"members": 1, "lots": 1, "points": 150}
    assert bal(db, mid) == 0 and expiries(db) == 2


def test_expiring_soon_picks_the_next_batch(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, PER_LOT)
    mid = join(db)
    at = lambda y, m, d: clock.start_of_day(dt.date(y, m, d))  # noqa: E731
    with db.transaction() as s:
        for pts, day in ((300, at(2026, 12, 10)), (200, at(2026, 12, 10)), (1000, at(2026, 12, 20)), (50, None)):
            ledger.credit(s, mid, "adjust", pts, now=clock.now(), expires_at=day)
    # both lots of 2026-12-10 together; last day 2026-12-09
    assert soon(db, mid, prog) == Expiring(500, dt.date(2026, 12, 9))
    clock.set(dt.datetime(2026, 12, 10, 8))
    assert soon(db, mid, prog) == Expiring(1000, dt.date(2026, 12, 19))
    assert run(db, prog, 2026, 12, 10) == {"members": 1, "lots": 2, "points": 500}
    clock.set(dt.datetime(2026, 12, 21, 8))
    assert soon(db, mid, prog) is None  # only the never-expiring lot is left in date
    assert soon(db, join(db, 5), prog) is None  # no points at all
