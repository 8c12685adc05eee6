"""Lots spent twice (two tills offline, their rows meeting by pull) become debt:
balance = Σ remaining − Σ unpaid with every remaining ≥ 0, and spendable never
exceeds the balance — with no ledger row rewritten (issue 12 §2)."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import select

from pos.loyalty import ledger
from pos.services import members
from pos.store import program_store
from pos.ids import uuid7
from pos.services.member_view import panel
from pos.store.models import MemberBalance, PointsAllocation, PointsEntry
from pos.services.sync_apply import apply_page

UTC = dt.timezone.utc
EXPIRES = dt.datetime(2030, 12, 31, 16, tzinfo=UTC)
_cursor = itertools.count(1)


def new_member(db) -> uuid.UUID:
    return uuid.UUID(members.register(db, "13800138000").id)


def snapshot(db) -> tuple[set, set]:
    """Every ledger row as it is (a rewrite would change one)."""
    with db.read() as s:
        entries = {(e.id, e.member_id, e.kind, e.points, e.available_at, e.expires_at)
                    for e in s.scalars(select(PointsEntry))}
        allocs = {(a.id, a.debit_id, a.lot_id, a.points) for a in s.scalars(select(PointsAllocation))}
    return entries, allocs


def foreign_spend(db, mid: uuid.UUID, lot_points: list[tuple[uuid.UUID, int]], store: str = "B01") -> uuid.UUID:
    """Another store's redemption of these lots arriving by pull, as HQ sends it."""
    now = db.clock.now()
    debit = uuid7()
    changes = [{"kind": "points_entry", "id": str(debit), "data": {
        "id": str(debit), "member_id": str(mid), "kind": "redeem", "points": -sum(p for _, p in lot_points),
        "available_at": now.isoformat(), "expires_at": None, "store_code": store, "created_at": now.isoformat(),
        "test_clock": False}}]
    for lot, p in lot_points:
        aid = uuid7()
        changes.append({"kind": "points_allocation", "id": str(aid),
                        "data": {"id": str(aid), "debit_id": str(debit), "lot_id": str(lot), "points": p}})
    apply_page(db, changes, f"c{next(_cursor)}")
    return debit


def check(db, mid: uuid.UUID) -> ledger.Position:
    """The invariant, as every till and HQ must keep it."""
    now = db.clock.now()
    with db.read() as s:
        pos = ledger.position(s, mid)
        assert pos.balance == ledger.points_balance(s, mid) == s.get(MemberBalance, mid).points
        assert all(lot.remaining > 0 for lot in pos.lots) and all(d.unpaid > 0 for d in pos.debts)
        assert sum(lot.remaining for lot in pos.lots) - pos.debt == pos.balance
        assert pos.spendable(now) <= pos.balance
        assert ledger.available_points(s, mid, now) == pos.spendable(now)
        assert ledger.find_drift(s) == []
    return pos


def test_a_lot_spent_here_and_at_another_store_becomes_debt(db):
    mid = new_member(db)
    now = db.clock.now()
    with db.transaction() as s:
        lot1 = ledger.credit(s, mid, "earn", 1000, now=now, expires_at=EXPIRES)
        lot2 = ledger.credit(s, mid, "earn", 500, now=now, expires_at=None)  # spent last
        ledger.debit(s, mid, "redeem", 800, now=now)  # here: from lot1
    other = foreign_spend(db, mid, [(lot1.id, 800)])  # there: the same lot1, offline
    pos = check(db, mid)
    assert pos.balance == -100
    # lot1 paid 800 here and 200 there; the other 600 of that redemption is debt
    assert [(x.id, x.remaining) for x in pos.lots] == [(lot2.id, 500)]
    assert [(d.id, d.unpaid) for d in pos.debts] == [(other, 600)]
    assert pos.spendable(now) == -100  # was 500: lot2, as if lot1 had not been spent twice
    p = panel(db, program_store.ensure_default(db), str(mid), with_suggestions=False)
    assert (p.points, p.points_available) == (-100, -100)
    with db.transaction() as s, pytest.raises(ledger.InsufficientPoints):
        ledger.debit(s, mid, "redeem", 1, now=now)

    before = snapshot(db)
    with db.transaction() as s:  # the next credit settles the debt first, by allocation
        ledger.credit(s, mid, "earn", 300, now=now, expires_at=EXPIRES)
    after = snapshot(db)
    assert before[0] < after[0] and before[1] < after[1]  # appended, nothing rewritten
    pos = check(db, mid)
    assert pos.balance == 200 and pos.debt == 300 and pos.spendable(now) == 200
    with db.transaction() as s, pytest.raises(ledger.InsufficientPoints):
        ledger.debit(s, mid, "redeem", 201, now=now)
    with db.transaction() as s:
        ledger.debit(s, mid, "redeem", 200, now=now)
    pos = check(db, mid)
    assert pos.balance == 0 and pos.spendable(now) == 0


def test_a_debt_settled_at_two_places_leaves_the_second_credit_spendable(db):
    mid = new_member(db)
    now = db.clock.now()
    with db.transaction() as s:
        owed = ledger.debit(s, mid, "reverse", 400, now=now, allow_debt=True)
        ledger.credit(s, mid, "earn", 400, now=now, expires_at=EXPIRES)  # settles it here
    # another store, not knowing, settled the same debt with its own lot
    now_s = now.isoformat()
    lot, aid = uuid7(), uuid7()
    apply_page(db, [
        {"kind": "points_entry", "id": str(lot), "data": {
            "id": str(lot), "member_id": str(mid), "kind": "earn", "points": 400, "available_at": now_s,
            "expires_at": EXPIRES.isoformat(), "store_code": "B01", "created_at": now_s, "test_clock": False}},
        {"kind": "points_allocation", "id": str(aid),
         "data": {"id": str(aid), "debit_id": str(owed.id), "lot_id": str(lot), "points": 400}},
    ], f"c{next(_cursor)}")
    pos = check(db, mid)
    assert pos.balance == 400 and pos.debts == []
    assert [(x.id, x.remaining) for x in pos.lots] == [(lot, 400)]  # the later allocation counts for nothing
    assert pos.spendable(now) == 400


def test_pending_and_expired_lots_never_lift_spendable_over_the_balance(db):
    mid = new_member(db)
    now = db.clock.now()
    with db.transaction() as s:
        live = ledger.credit(s, mid, "earn", 300, now=now, expires_at=EXPIRES)
        ledger.credit(s, mid, "earn", 700, now=now, expires_at=EXPIRES, available_at=now + dt.timedelta(days=30))
        ledger.debit(s, mid, "redeem", 300, now=now)
    foreign_spend(db, mid, [(live.id, 300)])
    pos = check(db, mid)
    assert pos.balance == 400 and pos.debt == 300
    assert pos.spendable(now) == -300  # nothing usable today: the pending lot does not pay the debt yet
    assert pos.spendable(now, include_pending=True) == 400


def test_counted_allocations_do_not_depend_on_the_order_rows_arrive_in():
    lot_a, lot_b, d1, d2, d3 = (uuid7() for _ in range(5))
    allocs = [(uuid7(), d1, lot_a, 600), (uuid7(), d2, lot_a, 600), (uuid7(), d2, lot_b, 100),
              (uuid7(), d3, lot_b, 400)]
    lots, debits = {lot_a: 1000, lot_b: 300}, {d1: 600, d2: 700, d3: 400}
    first = ledger._counted(allocs, lots, debits)
    for perm in itertools.permutations(allocs):
        assert ledger._counted(list(perm), lots, debits) == first
    assert [first[a[0]] for a in allocs] == [600, 400, 100, 200]
