"""The points and stored-value ledgers on a real SQLite file: lots, allocations,
debt, pending points, and the balance cache that can always be rebuilt."""
import datetime as dt
import tempfile
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import members
from pos.clock import FixedClock
from pos.store.database import open_db
from pos.store.models import MemberBalance, PointsAllocation, PointsEntry, StoredValueEntry

UTC = dt.timezone.utc


def at(y, m, d):
    return dt.datetime(y, m, d, 16, 0, tzinfo=UTC)  # midnight the next day in Shanghai


def new_member(db, phone="13800138000") -> uuid.UUID:
    return uuid.UUID(members.register(db, phone).id)


def counts(db):
    with db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(PointsEntry)),
            s.scalar(select(func.count()).select_from(PointsAllocation)),
            s.scalar(select(func.count()).select_from(StoredValueEntry)),
        )


def cached(db, mid):
    with db.read() as s:
        bal = s.get(MemberBalance, mid)
        return bal.points, bal.stored_value_fen


def lots_of(db, mid):
    with db.read() as s:
        return [(lot.remaining, lot.expires_at) for lot in ledger.open_lots(s, mid)]


def test_new_member_has_zero_balances(db):
    mid = new_member(db)
    assert cached(db, mid) == (0, 0)
    with db.read() as s:
        assert ledger.points_balance(s, mid) == 0
        assert ledger.sv_balance(s, mid) == 0
        assert ledger.open_lots(s, mid) == []
        assert ledger.find_drift(s) == []


def test_debit_takes_earliest_expiry_not_earliest_earned(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        late = ledger.credit(s, mid, "earn", 300, now=now, expires_at=at(2027, 12, 31))  # earned first
        never = ledger.credit(s, mid, "bonus", 50, now=now, expires_at=None)
    clock.advance(days=1)
    with db.transaction() as s:
        soon = ledger.credit(s, mid, "earn", 100, now=clock.now(), expires_at=at(2027, 3, 31))  # earned last
    with db.read() as s:
        assert [lot.id for lot in ledger.open_lots(s, mid)] == [soon.id, late.id, never.id]
    with db.transaction() as s:
        deb = ledger.debit(s, mid, "redeem", 150, now=clock.now())
        deb_id = deb.id
    with db.read() as s:
        allocs = {a.lot_id: a.points for a in s.scalars(select(PointsAllocation).where(PointsAllocation.debit_id == deb_id))}
        entry = s.get(PointsEntry, deb_id)
        assert entry.points == -150
    assert allocs == {soon.id: 100, late.id: 50}
    assert lots_of(db, mid) == [(250, at(2027, 12, 31)), (50, None)]
    # the never-expiring lot is spent last
    with db.transaction() as s:
        ledger.debit(s, mid, "redeem", 260, now=clock.now())
    assert lots_of(db, mid) == [(40, None)]
    assert cached(db, mid) == (40, 0)


def test_lots_with_the_same_expiry_spend_oldest_available_first(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        first = ledger.credit(s, mid, "earn", 10, now=now, expires_at=at(2027, 6, 30), available_at=now - dt.timedelta(days=3))
        second = ledger.credit(s, mid, "earn", 10, now=now, expires_at=at(2027, 6, 30))
        ledger.debit(s, mid, "redeem", 15, now=now)
    with db.read() as s:
        assert {lot.id: lot.remaining for lot in ledger.open_lots(s, mid)} == {second.id: 5}
        assert first.id not in {lot.id for lot in ledger.open_lots(s, mid)}


def test_insufficient_points_raise_and_write_nothing(db, clock):
    mid = new_member(db)
    with db.transaction() as s:
        ledger.credit(s, mid, "earn", 100, now=clock.now(), expires_at=at(2027, 12, 31))
    before = counts(db)
    with db.transaction() as s:
        with pytest.raises(ledger.InsufficientPoints) as exc:
            ledger.debit(s, mid, "redeem", 101, now=clock.now())
        assert exc.value.wanted == 101 and exc.value.available == 100
        s.flush()  # even inside the still-open transaction nothing was staged
        assert s.scalar(select(func.count()).select_from(PointsEntry)) == before[0]
    assert counts(db) == before
    assert cached(db, mid) == (100, 0)
    assert lots_of(db, mid) == [(100, at(2027, 12, 31))]


@pytest.mark.parametrize("fn,amount", [("credit", 0), ("credit", -5), ("debit", 0), ("debit", -5)])
def test_non_positive_amounts_refused(db, clock, fn, amount):
    mid = new_member(db)
    with db.transaction() as s:
        with pytest.raises(ValueError):
            if fn == "credit":
                ledger.credit(s, mid, "earn", amount, now=clock.now(), expires_at=None)
            else:
                ledger.debit(s, mid, "redeem", amount, now=clock.now(), allow_debt=True)
    assert counts(db) == (0, 0, 0)


def test_allow_debt_creates_debt_settled_by_a_later_credit(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        lot = ledger.credit(s, mid, "earn", 100, now=now, expires_at=at(2027, 12, 31))
        deb = ledger.debit(s, mid, "return", 250, now=now, allow_debt=True)
    with db.read() as s:
        debts = ledger.open_debts(s, mid)
        assert [(d.id, d.unpaid) for d in debts] == [(deb.id, 150)]
        assert ledger.open_lots(s, mid) == []
        assert ledger.points_balance(s, mid) == -150
        assert ledger.available_points(s, mid, now) == -150
    assert cached(db, mid) == (-150, 0)
    with db.transaction() as s:  # a further spend without allow_debt is refused
        with pytest.raises(ledger.InsufficientPoints):
            ledger.debit(s, mid, "redeem", 1, now=now)

    clock.advance(days=2)
    with db.transaction() as s:
        small = ledger.credit(s, mid, "earn", 100, now=clock.now(), expires_at=at(2028, 1, 31))
    with db.read() as s:
        assert [d.unpaid for d in ledger.open_debts(s, mid)] == [50]
        assert ledger.open_lots(s, mid) == []  # the whole credit went to the debt
    with db.transaction() as s:
        big = ledger.credit(s, mid, "earn", 200, now=clock.now(), expires_at=at(2028, 2, 29))
    with db.read() as s:
        assert ledger.open_debts(s, mid) == []
        lots = ledger.open_lots(s, mid)
        assert [(x.id, x.remaining, x.points) for x in lots] == [(big.id, 150, 200)]
        allocs = sorted((a.lot_id, a.points) for a in s.scalars(
            select(PointsAllocation).where(PointsAllocation.debit_id == deb.id)))
        assert sorted(allocs) == sorted([(lot.id, 100), (small.id, 100), (big.id, 50)])
        assert ledger.points_balance(s, mid) == 150
        assert ledger.find_drift(s) == []
    assert cached(db, mid) == (150, 0)


def test_pending_lots_are_not_spendable_until_available(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        ledger.credit(s, mid, "earn", 200, now=now, expires_at=at(2027, 12, 31), available_at=now + dt.timedelta(days=30))
        ledger.credit(s, mid, "earn", 50, now=now, expires_at=at(2028, 12, 31))
    with db.read() as s:
        assert ledger.points_balance(s, mid) == 250
        assert ledger.available_points(s, mid, now) == 50
    with db.transaction() as s:
        with pytest.raises(ledger.InsufficientPoints) as exc:
            ledger.debit(s, mid, "redeem", 100, now=now)
        assert exc.value.available == 50
    # the pending lot expires first but must not be touched by a normal spend
    with db.transaction() as s:
        ledger.debit(s, mid, "redeem", 50, now=now)
    assert lots_of(db, mid) == [(200, at(2027, 12, 31))]
    later = now + dt.timedelta(days=30)
    with db.read() as s:
        assert ledger.available_points(s, mid, later) == 200
    with db.transaction() as s:
        ledger.debit(s, mid, "redeem", 200, now=later)
    assert lots_of(db, mid) == []


def test_debt_is_not_spendable_once_a_pending_lot_matures(db, clock):
    """Debt made while a lot was pending: when the lot becomes available, only
    lots − debt may be spent (a spend must never exceed available_points)."""
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        ledger.credit(s, mid, "earn", 400, now=now, expires_at=at(2027, 12, 31), available_at=now + dt.timedelta(days=30))
        ledger.credit(s, mid, "earn", 100, now=now, expires_at=at(2027, 6, 30))
        ledger.debit(s, mid, "return", 150, now=now, allow_debt=True)
    later = now + dt.timedelta(days=31)
    with db.read() as s:
        assert ledger.points_balance(s, mid) == 350
        assert ledger.available_points(s, mid, later) == 350
    before = counts(db)
    with db.transaction() as s:
        with pytest.raises(ledger.InsufficientPoints) as exc:
            ledger.debit(s, mid, "redeem", 400, now=later)
        assert exc.value.available == 350
    assert counts(db) == before
    with db.transaction() as s:
        ledger.debit(s, mid, "redeem", 350, now=later)
        assert ledger.available_points(s, mid, later) == 0
        assert ledger.points_balance(s, mid) == 0


def test_explicit_lots_are_used_in_the_given_order(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        a = ledger.credit(s, mid, "earn", 100, now=now, expires_at=at(2027, 1, 31))
        b = ledger.credit(s, mid, "earn", 100, now=now, expires_at=at(2027, 12, 31))
        lots = {lot.id: lot for lot in ledger.open_lots(s, mid)}
        ledger.debit(s, mid, "gift", 30, now=now, lots=[lots[b.id]])
    assert lots_of(db, mid) == [(100, a.expires_at), (70, b.expires_at)]


def test_stored_value_entries_and_balance(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        ledger.sv_post(s, mid, "topup", 100_000, now=now)
        ledger.sv_post(s, mid, "bonus", 10_000, now=now)
        ledger.sv_post(s, mid, "pay", -25_050, now=now, reason="sale")
        with pytest.raises(ValueError):
            ledger.sv_post(s, mid, "pay", 0, now=now)
    with db.read() as s:
        assert ledger.sv_balance(s, mid) == 84_950
        assert ledger.find_drift(s) == []
        kinds = s.scalars(select(StoredValueEntry.kind).order_by(StoredValueEntry.id)).all()
        assert kinds == ["topup", "bonus", "pay"]
    assert cached(db, mid) == (0, 84_950)


def test_entries_record_test_clock_and_times(db, clock):
    mid = new_member(db)
    now = clock.now()
    with db.transaction() as s:
        e = ledger.credit(s, mid, "earn", 10, now=now, expires_at=at(2027, 12, 31), test_clock=True, store_code="S001")
    with db.read() as s:
        row = s.get(PointsEntry, e.id)
        assert row.test_clock is True
        assert row.created_at == now and row.created_at.tzinfo is not None
        assert row.available_at == now
        assert row.expires_at == at(2027, 12, 31)
        assert row.store_code == "S001"


def test_rebuild_balances_repairs_a_tampered_cache(db, clock):
    mid = new_member(db)
    other = new_member(db, "13900139000")
    now = clock.now()
    with db.transaction() as s:
        ledger.credit(s, mid, "earn", 500, now=now, expires_at=at(2027, 12, 31))
        ledger.sv_post(s, mid, "topup", 30_000, now=now)
        ledger.credit(s, other, "earn", 7, now=now, expires_at=None)
    raw = db.raw()
    try:
        raw.execute("UPDATE member_balances SET points = points + 999, stored_value_fen = 1 WHERE member_id = ?",
                    (mid.hex,))
        raw.commit()
    finally:
        raw.close()
    assert cached(db, mid) == (1499, 1)
    with db.read() as s:
        drift = ledger.find_drift(s)
    assert drift == [ledger.Drift(mid, 1499, 500, 1, 30_000)]
    clock.advance(hours=1)
    with db.transaction() as s:
        assert ledger.rebuild_balances(s, clock.now()) == 1
    assert cached(db, mid) == (500, 30_000)
    assert cached(db, other) == (7, 0)
    with db.read() as s:
        assert ledger.find_drift(s) == []
        assert s.get(MemberBalance, mid).updated_at == clock.now()
    with db.transaction() as s:
        assert ledger.rebuild_balances(s, clock.now()) == 0


def test_rebuild_balances_recreates_a_missing_cache_row(db, clock):
    mid = new_member(db)
    with db.transaction() as s:
        ledger.credit(s, mid, "earn", 42, now=clock.now(), expires_at=None)
    raw = db.raw()
    try:
        raw.execute("DELETE FROM member_balances WHERE member_id = ?", (mid.hex,))
        raw.commit()
    finally:
        raw.close()
    with db.read() as s:
        assert ledger.find_drift(s) == [ledger.Drift(mid, 0, 42, 0, 0)]
    with db.transaction() as s:
        assert ledger.rebuild_balances(s, clock.now()) == 1
    assert cached(db, mid) == (42, 0)


# --- property: the ledger never drifts ---------------------------------------------

credit_op = st.tuples(
    st.just("credit"), st.integers(0, 1), st.integers(1, 500),
    st.one_of(st.none(), st.integers(1, 720)),  # expiry in days (None = never)
    st.sampled_from([0, 0, 0, 7, 30]),  # pending days
)
debit_op = st.tuples(st.just("debit"), st.integers(0, 1), st.integers(1, 600), st.booleans(), st.none())
advance_op = st.tuples(st.just("advance"), st.just(0), st.integers(1, 40), st.none(), st.none())
ops_strategy = st.lists(st.one_of(credit_op, credit_op, debit_op, debit_op, advance_op), min_size=1, max_size=25)


def _check_invariants(s, mids, now):
    for mid in mids:
        lots = ledger.open_lots(s, mid)
        debts = ledger.open_debts(s, mid)
        balance = ledger.points_balance(s, mid)
        assert balance == sum(x.remaining for x in lots) - sum(d.unpaid for d in debts)
        assert s.get(MemberBalance, mid).points == balance
        assert all(x.remaining > 0 for x in lots) and all(d.unpaid > 0 for d in debts)
    # no lot is over-allocated, no debit is paid more than its amount, allocations are positive
    over_lot = s.execute(
        select(PointsEntry.id).join(PointsAllocation, PointsAllocation.lot_id == PointsEntry.id)
        .group_by(PointsEntry.id).having(func.sum(PointsAllocation.points) > func.max(PointsEntry.points))
    ).all()
    assert over_lot == []
    over_debit = s.execute(
        select(PointsEntry.id).join(PointsAllocation, PointsAllocation.debit_id == PointsEntry.id)
        .group_by(PointsEntry.id).having(func.sum(PointsAllocation.points) > -func.min(PointsEntry.points))
    ).all()
    assert over_debit == []
    wrong_side = s.execute(
        select(func.count()).select_from(PointsAllocation)
        .join(PointsEntry, PointsEntry.id == PointsAllocation.lot_id).where(PointsEntry.points < 0)
    ).scalar()
    assert wrong_side == 0
    assert ledger.find_drift(s) == []


def _check_spent_first_expiring(s, mid, deb, now):
    """No available lot left open by a debit comes before a lot the debit used."""
    used = s.scalars(select(PointsEntry).join(PointsAllocation, PointsAllocation.lot_id == PointsEntry.id)
                     .where(PointsAllocation.debit_id == deb.id)).all()
    if not used:
        return
    key = lambda e: (e.expires_at or ledger.FAR_FUTURE, e.available_at, e.id.bytes)  # noqa: E731
    last_used = max(key(e) for e in used)
    still_open = [lot for lot in ledger.open_lots(s, mid) if lot.available_at <= now and not lot.expired(now)]
    assert all(ledger._spend_order(lot) >= last_used for lot in still_open)
    assert all(lot.available_at <= now for lot in used)  # pending lots never pay a spend


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_strategy)
def test_property_balance_is_lots_minus_debt_and_never_drifts(ops):
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0))
        db = open_db(Path(tmp) / "store.sqlite3", clock=clock)
        try:
            mids = [new_member(db, "13800138000"), new_member(db, "13900139000")]
            expected = {mid: 0 for mid in mids}
            for kind, who, amount, extra, pending in ops:
                now = clock.now()
                mid = mids[who]
                if kind == "advance":
                    clock.advance(days=amount)
                    continue
                if kind == "credit":
                    with db.transaction() as s:
                        ledger.credit(
                            s, mid, "earn", amount, now=now,
                            expires_at=None if extra is None else now + dt.timedelta(days=extra),
                            available_at=now + dt.timedelta(days=pending),
                        )
                    expected[mid] += amount
                else:
                    allow_debt = extra
                    with db.transaction() as s:
                        spendable = ledger.available_points(s, mid, now)
                        try:
                            deb = ledger.debit(s, mid, "redeem", amount, now=now, allow_debt=allow_debt)
                        except ledger.InsufficientPoints:
                            assert not allow_debt and amount > spendable
                        else:
                            assert allow_debt or amount <= spendable
                            expected[mid] -= amount
                            _check_spent_first_expiring(s, mid, deb, now)
                with db.read() as s:
                    assert ledger.points_balance(s, mid) == expected[mid]
                    _check_invariants(s, mids, clock.now())
        finally:
            db.close()
