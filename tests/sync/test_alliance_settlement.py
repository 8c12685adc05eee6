"""Issue 17, slice 3: settlement. Random coin histories across four merchants (earn at one,
spend and refund at others, lots of several issuers, coupons funded by a merchant or the
alliance) settle into amounts that reconcile to the ledgers to the fen: each pair's total is
the value of the issuer's lots redeemed at the other merchant (refunds given back) plus the
funded coupons it took; fees are each pair's bps; nets sum to zero. A closed period refuses
to change; a late row goes to the next period as an adjustment (SQLite; PostgreSQL with
HQ_TEST_DATABASE_URL)."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import uuid
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from pos.loyalty import coins as coin_ledger
from pos.rules import program as pos_program
from sync.server import admin, alliance, settlement
from sync.server.alliance_models import ALLIANCE
from sync.server.db import HQDatabase
from sync.server.models import Coupon, CouponUse, Member

from .conftest import create_pg_db, drop_pg_db

MERCHANTS = ("bakery", "market", "pharmacy", "cafe")
RULES = pos_program.parse_alliance({"version": "a-1", "name": {"zh": "联盟", "en": "Alliance"},
                                    "coins": {"value_fen": 2}, "settlement": {"fee_bps": 150}})
ZONE = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    base = os.environ.get("HQ_TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp("settle")
    url = create_pg_db(base) if base else f"sqlite:///{tmp / 'hq.sqlite3'}"
    db = HQDatabase(url)
    path = tmp / "alliance.json"
    path.write_text(json.dumps(pos_program.alliance_json(RULES)), encoding="utf-8")
    alliance.alliance_program_publish(db, str(path))
    for m in MERCHANTS:
        alliance.merchant_add(db, m, m.title())
        admin.store_add(db, m[:3].upper() + "1", m, merchant=m)
    try:
        yield db
    finally:
        db.close()
        if base:
            drop_pg_db(url)


_days = itertools.count()


def new_member(s, now) -> uuid.UUID:
    mid = uuid.uuid4()
    s.add(Member(id=mid, member_code=f"M{mid.hex[:10]}", channel="store", tier_code="member", joined_at=now,
                 status="active", tags=[], field_times={}, created_at=now, updated_at=now))
    s.flush()
    return mid


def store(m: str) -> str:
    return m[:3].upper() + "1"


def fund_coupon(s, member_id, funder: str, at_merchant: str, amount: int, now) -> None:
    c = Coupon(id=uuid.uuid4(), code=f"C{uuid.uuid4().hex[:12]}", template="x", member_id=member_id, valid_from=now,
               valid_to=now + dt.timedelta(days=30), source="alliance", issued_at=now, funded_by=funder)
    s.add(c)
    s.flush()
    s.add(CouponUse(id=uuid.uuid4(), coupon_id=c.id, sale_id=uuid.uuid4(), member_id=member_id, amount_fen=amount,
                    used_at=now, store_code=store(at_merchant)))


merchant = st.sampled_from(MERCHANTS)
step = st.one_of(
    st.tuples(st.just("earn"), merchant, st.integers(1, 500)),
    st.tuples(st.just("spend"), merchant, st.integers(1, 400)),
    st.tuples(st.just("refund"), merchant, st.integers(1, 400)),
    st.tuples(st.just("coupon"), st.sampled_from(MERCHANTS + (ALLIANCE,)), merchant, st.integers(1, 3000)),
)


def expected(rows) -> dict[tuple[str, str], int]:
    """Independently of settlement.py: per (issuer/funder, redeemer) pair, the fen moved."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for debtor, creditor, fen in rows:
        if debtor != creditor:
            out[(debtor, creditor)] += fen
    return dict(out)


@settings(max_examples=int(os.environ.get("SETTLEMENT_EXAMPLES", "15")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=25))
def test_settlement_totals_equal_the_ledgers(hq, steps):
    day = dt.date(2027, 1, 1) + dt.timedelta(days=next(_days))
    t0 = dt.datetime.combine(day, dt.time(10), ZONE).astimezone(dt.timezone.utc)
    moved = []  # (debtor, creditor, fen), from the ledger rows as written
    with hq.transaction() as s:
        mid = new_member(s, t0)
        spends = []
        for i, st_ in enumerate(steps):
            now = t0 + dt.timedelta(seconds=i)
            if st_[0] == "earn":
                coin_ledger.earn(s, mid, st_[2], RULES, now=now, merchant=st_[1], store=store(st_[1]))
            elif st_[0] == "spend":
                n = min(st_[2], coin_ledger.spendable(s, mid, now))
                if n:
                    e = coin_ledger.spend(s, mid, n, RULES, now=now, merchant=st_[1], store=store(st_[1]))
                    spends.append(e)
            elif st_[0] == "refund" and spends:
                e = spends[st_[2] % len(spends)]
                left = -e.coins - sum(-r for r in _refunded(s, e))
                if left > 0:
                    coin_ledger.refund(s, e, min(left, st_[2]), now=now, store=e.store_code)
            elif st_[0] == "coupon":
                fund_coupon(s, mid, st_[1], st_[2], st_[3], now)
                moved.append((st_[1], st_[2], st_[3]))
            s.flush()
        for lot_merchant, debit_merchant, coins, value, dcoins in s.execute(text(
                "SELECT l.merchant_code, d.merchant_code, a.coins, d.value_fen, d.coins FROM coin_allocations a "
                "JOIN coin_entries d ON d.id = a.debit_id JOIN coin_entries l ON l.id = a.lot_id "
                "WHERE d.member_id = :m AND d.kind IN ('spend', 'refund')"), {"m": mid if hq.is_pg else mid.hex}):
            moved.append((lot_merchant, debit_merchant, coins * (value // dcoins)))
        balance = coin_ledger.balance(s, mid)
        lots_left = sum(max(0, lot.remaining) for lot in coin_ledger.lots(s, mid))
    assert balance == lots_left  # every debit paid by lots; refunds restored them
    doc = settlement.settle(hq, day, day, "Asia/Shanghai")
    want = expected(moved)
    got = {(p["debtor"], p["creditor"]): p["total_fen"] for p in doc["pairs"]}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    for p in doc["pairs"]:
        assert p["fee_fen"] == (0 if p["debtor"] == ALLIANCE else settlement._fee(p["total_fen"], 150))
    assert doc["totals"]["net_sum_fen"] == 0
    for m, b in doc["merchants"].items():
        receives = sum(v for (d, c), v in want.items() if c == m)
        pays = sum(v for (d, c), v in want.items() if d == m)
        fees = sum(p["fee_fen"] for p in doc["pairs"] if p["debtor"] == m) if m != ALLIANCE else 0
        extra = sum(p["fee_fen"] for p in doc["pairs"]) if m == ALLIANCE else 0
        assert b["net_fen"] == receives - pays - fees + extra, m


def _refunded(s, spend_entry):
    from sqlalchemy import select

    from sync.server.alliance_models import CoinEntry

    return [-r for r in s.scalars(select(CoinEntry.coins).where(CoinEntry.reverses_id == spend_entry.id,
                                                               CoinEntry.kind == "refund"))]


def test_a_closed_period_never_changes_and_late_rows_are_next_periods_adjustments(hq):
    day = dt.date(2028, 3, 1)
    t = dt.datetime.combine(day, dt.time(12), ZONE).astimezone(dt.timezone.utc)
    with hq.transaction() as s:
        mid = new_member(s, t)
        coin_ledger.earn(s, mid, 1000, RULES, now=t, merchant="bakery", store="BAK1")
        coin_ledger.spend(s, mid, 400, RULES, now=t, merchant="market", store="MAR1")
        fund_coupon(s, mid, "pharmacy", "cafe", 1000, t)
    march = settlement.settle(hq, day, dt.date(2028, 3, 31))
    pairs = {(p["debtor"], p["creditor"]): (p["total_fen"], p["fee_fen"]) for p in march["pairs"]}
    assert pairs == {("bakery", "market"): (800, 12), ("pharmacy", "cafe"): (1000, 15)}  # 400 coins x 2 fen; 1.5%
    assert march["merchants"]["bakery"]["net_fen"] == -812 and march["merchants"]["market"]["net_fen"] == 800
    assert march["merchants"][ALLIANCE]["net_fen"] == 27 and march["totals"]["net_sum_fen"] == 0
    # the same period again: the statement as closed; an overlapping one: refused
    again = settlement.settle(hq, day, dt.date(2028, 3, 31))
    assert again["already_closed"] and again["id"] == march["id"] and again["pairs"] == march["pairs"]
    with pytest.raises(settlement.SettlementError, match="overlaps the closed period 2028-03-01..2028-03-31"):
        settlement.settle(hq, dt.date(2028, 3, 15), dt.date(2028, 4, 15))
    # the database refuses to rewrite it
    with pytest.raises(Exception, match="closed settlement period cannot change"):
        with hq.transaction() as s:
            s.execute(text("UPDATE settlement_periods SET tz = 'UTC'"))
    with pytest.raises(Exception, match="closed settlement period cannot change"):
        with hq.transaction() as s:
            s.execute(text("DELETE FROM settlement_items"))
    # an offline till's spend of March 20 reaches HQ in April: settled in April, as an adjustment
    late = dt.datetime.combine(dt.date(2028, 3, 20), dt.time(9), ZONE).astimezone(dt.timezone.utc)
    with hq.transaction() as s:
        coin_ledger.spend(s, mid, 100, RULES, now=late, merchant="cafe", store="CAF1")
    april = settlement.settle(hq, dt.date(2028, 4, 1), dt.date(2028, 4, 30))
    assert [(p["debtor"], p["creditor"], p["total_fen"], p["adjustments_fen"]) for p in april["pairs"]] == \
        [("bakery", "cafe", 200, 200)]
    assert settlement.settle(hq, day, dt.date(2028, 3, 31))["pairs"] == march["pairs"]  # March unchanged
    st_ = settlement.statement(hq, "bakery", day, dt.date(2028, 4, 30))
    assert [(p["period"]["from"], p["account"]["net_fen"], len(p["entries"])) for p in st_["periods"]] == \
        [("2028-03-01", -812, 1), ("2028-04-01", -203, 1)]
    assert st_["open"] is None
