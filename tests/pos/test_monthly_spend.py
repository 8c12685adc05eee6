"""The monthly-spend bonus at a till (pos.loyalty.monthly_spend) with the shipped HDCRM
preset: ≥ 1,000 yuan of completed net spend in a calendar month → 200 points, ≥ 3,000
→ 800 more; once per threshold per member per month; a return that drops the month
below a threshold takes the bonus back under the debt policy (HDCRM: deduct_refund,
100 points = 1 yuan).

The goods are 烟酒 at 100 yuan (HDCRM's member discount leaves that category alone,
so the tier the member climbs to does not move the price; a basket under 200 yuan
gets no promotion): ten one-item sales are exactly 1,000 yuan."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.receipt_text import receipt_text
from pos.demo.store import ean13
from pos.loyalty import ledger
from pos.loyalty import monthly_spend as ms
from pos.rules import program
from pos.rules.program import MonthlySpendBonus
from pos.services import members, returns
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender, sale_by_receipt
from pos.store import program_store
from pos.store.models import PointsEntry

ROOT = Path(__file__).resolve().parents[2]
WINE = ean13("690888000001")  # 100 yuan
CATALOG = f"barcode,name,category,price_fen,kind\n{WINE},黄酒,烟酒,10000,regular\n"
HDCRM = program.preset("hdcrm")
R1000, R3000 = "monthly_spend:100000", "monthly_spend:300000"


@pytest.fixture
def store(db, tmp_path):
    program_store.install(db, HDCRM)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return db


def buy(db, mid, qty=1, redeem=0):
    co = Checkout(db)
    co.add(WINE, qty)
    co.attach_member_id(mid)
    co.redeem(redeem)
    return co.pay([Tender("cash", co.quote().net_fen)])


def balance(db, mid) -> int:
    with db.read() as s:
        assert ledger.find_drift(s) == []
        return ledger.points_balance(s, uuid.UUID(mid))


def bonus_rows(db, mid) -> list[tuple[str, int, str]]:
    with db.read() as s:
        return [(e.kind, e.points, e.reason) for e in s.scalars(
            select(PointsEntry).where(PointsEntry.member_id == uuid.UUID(mid), PointsEntry.reason.like("monthly_spend:%"))
            .order_by(PointsEntry.created_at, PointsEntry.id))]


def test_the_rule_is_one_award_per_threshold_reached():
    rules = HDCRM.bonuses.monthly_spend
    assert ms.reconcile(rules, 99_999, {}) == {}
    assert ms.reconcile(rules, 100_000, {}) == {R1000: 1}
    assert ms.reconcile(rules, 100_000, {R1000: 1}) == {}
    assert ms.reconcile(rules, 300_000, {R1000: 1}) == {R3000: 1}
    assert ms.reconcile(rules, 300_000, {R1000: 2, R3000: 1}) == {R1000: -1}  # two stores awarded it
    assert ms.reconcile(rules, 99_000, {R1000: 1}) == {R1000: -1}  # a return fell below
    assert ms.reconcile(rules, 150_000, {R1000: -1}) == {R1000: 2}  # taken back twice: given back
    # a rule the program no longer has is never given anew, only taken back below its threshold
    assert ms.reconcile([MonthlySpendBonus(min_fen=50_000, points=10)], 60_000, {R1000: 1}) == \
        {"monthly_spend:50000": 1, R1000: -1}
    assert ms.reconcile([], 200_000, {R1000: 1}) == {}
    assert ms.parse_reason("monthly_spend:100000@2026-12 sale S-1") == (R1000, "2026-12")
    assert ms.parse_reason("sign-up bonus") is None
    assert ms.month_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


def test_reaching_1000_yuan_in_a_month_gives_200_in_that_sale_once(store):
    db = store
    mid = members.register(db, "13900139001").id
    start = balance(db, mid)  # HDCRM's sign-up points, if the registration gave them
    for i in range(9):  # 900 yuan: nothing yet
        r = buy(db, mid)
        assert r.totals["net_fen"] == 10000 and r.points["bonuses"] == []
    earned = balance(db, mid) - start
    tenth = buy(db, mid)  # 1,000 yuan
    assert tenth.points["bonuses"] == [{"rule": R1000, "points": 200}]
    assert tenth.points["balance_after"] == start + earned + tenth.points["earned"] + 200 == balance(db, mid)
    assert buy(db, mid).points["bonuses"] == []  # 1,100: once a month
    assert [(k, p) for k, p, _ in bonus_rows(db, mid)] == [("bonus", 200)]
    assert bonus_rows(db, mid)[0][2].startswith(f"{R1000}@2026-11 sale ")
    # read again from the store (reprints), the sale says the same
    again = sale_by_receipt(db, tenth.receipt_no)
    assert again.points["bonuses"] == [{"rule": R1000, "points": 200}]
    # the receipt says it, in both languages
    zh = receipt_text(tenth.as_dict(), "店", "zh_CN", member_masked="139****9001")
    en = receipt_text(tenth.as_dict(), "Shop", "en", member_masked="139****9001")
    assert "月消费满1,000元奖励" in zh and "+200" in zh
    assert "Monthly spend 1,000 bonus" in en


def test_3000_gives_800_more_and_a_new_month_starts_again(store, clock):
    db = store
    mid = members.register(db, "13900139002").id
    for _ in range(10):
        buy(db, mid)
    big = buy(db, mid, 21)  # 2,100 yuan gross, 满500享95折: 1,995 — the month is at 2,995
    assert big.totals["net_fen"] == 199500 and big.points["bonuses"] == []
    r = buy(db, mid)  # 3,095
    assert r.points["bonuses"] == [{"rule": R3000, "points": 800}]
    assert sorted(p for _, p, _ in bonus_rows(db, mid)) == [200, 800]
    clock.set(dt.datetime(2026, 12, 5, 11, 0))  # December: the count starts again
    for _ in range(9):
        assert buy(db, mid).points["bonuses"] == []
    dec = buy(db, mid)
    assert dec.points["bonuses"] == [{"rule": R1000, "points": 200}]
    assert bonus_rows(db, mid)[-1][2].startswith(f"{R1000}@2026-12 ")


def test_a_return_below_the_threshold_takes_the_bonus_back(store, clock):
    db = store
    clock.set(dt.datetime(2026, 11, 28, 10, 0))  # the return below is within its 7-day window
    mid = members.register(db, "13900139003").id
    sales = [buy(db, mid) for _ in range(10)]
    assert sales[-1].points["bonuses"] == [{"rule": R1000, "points": 200}]
    before = balance(db, mid)
    plan = returns.plan(db, sales[0].receipt_no)  # 1,000 → 900
    assert [(b["rule"], b["points"]) for b in plan.bonuses_back] == [(R1000, 200)]
    assert plan.deduction_fen == 0 and plan.refund_fen == 10000  # the member still has the points
    clock.set(dt.datetime(2026, 12, 2, 10, 0))  # returned next month: it counts in November, its sale's month
    got = returns.return_sale(db, sales[0].receipt_no)
    assert got.sale.points["bonuses"] == [{"rule": R1000, "points": -200}]
    assert balance(db, mid) == before - 200 - sales[0].points["earned"]
    assert [(k, p) for k, p, _ in bonus_rows(db, mid)] == [("bonus", 200), ("reverse", -200)]
    # back to 1,000 in November (an exchange the same month): awarded again
    clock.set(dt.datetime(2026, 11, 30, 10, 0))
    assert buy(db, mid).points["bonuses"] == [{"rule": R1000, "points": 200}]
    # a return that leaves the month at or above 1,000 takes nothing back
    extra = buy(db, mid)  # 1,100
    assert returns.plan(db, extra.receipt_no).bonuses_back == []


def test_a_spent_bonus_is_deducted_from_the_refund_under_deduct_refund(store):
    """HDCRM deduct_refund (100 points = 1 yuan): what the member already spent of the
    bonus and the returned line's points is paid out of the refund instead."""
    db = store
    mid = members.register(db, "13900139004").id
    sales = [buy(db, mid) for _ in range(10)]
    with db.transaction() as s:  # the member spends all but 50 points
        ledger.debit(s, uuid.UUID(mid), "adjust", ledger.points_balance(s, uuid.UUID(mid)) - 50, now=db.clock.now(),
                     include_pending=True)
    back = 200 + sales[0].points["earned"]
    short = back - 50
    plan = returns.plan(db, sales[0].receipt_no)
    assert (plan.points_short, plan.deduction_fen, plan.debt_points) == (short, short, 0)  # 1 point = 1 fen
    got = returns.return_sale(db, sales[0].receipt_no)
    assert got.sale.points["bonuses"] == [{"rule": R1000, "points": -200}]
    assert got.sale.totals["paid_fen"] == -(10000 - short)
    assert balance(db, mid) == 0  # the 50 taken, the rest paid in money: no debt
    with db.read() as s:
        assert ledger.position(s, uuid.UUID(mid)).debt == 0
    # the take-back is on record even where the refund paid for it: the month can award it again
    assert buy(db, mid).points["bonuses"] == [{"rule": R1000, "points": 200}]


def test_a_spent_bonus_becomes_debt_under_the_negative_policy(db, tmp_path):
    doc = HDCRM.model_copy(update={"version": "hdcrm-negative",
                                   "redemption": HDCRM.redemption.model_copy(update={"debt_policy": "negative"})})
    program_store.install(db, doc)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    mid = members.register(db, "13900139005").id
    sales = [buy(db, mid) for _ in range(10)]
    with db.transaction() as s:  # the member spends every point elsewhere
        ledger.debit(s, uuid.UUID(mid), "adjust", ledger.points_balance(s, uuid.UUID(mid)), now=db.clock.now(),
                     include_pending=True)
    assert balance(db, mid) == 0
    plan = returns.plan(db, sales[3].receipt_no)
    assert plan.deduction_fen == 0 and plan.debt_points == 200 + sales[3].points["earned"]
    got = returns.return_sale(db, sales[3].receipt_no)
    assert got.sale.points["bonuses"] == [{"rule": R1000, "points": -200}]
    assert got.sale.totals["paid_fen"] == -10000  # the whole refund
    assert balance(db, mid) == -(200 + sales[3].points["earned"])
    with db.read() as s:
        assert ledger.position(s, uuid.UUID(mid)).debt == 200 + sales[3].points["earned"]


def test_checkout_json_says_points_bonuses(store, tmp_path):
    """The CLI: `checkout --json` carries points.bonuses with the exact shape."""
    db = store
    mid = members.register(db, "13900139006").id
    for _ in range(9):
        buy(db, mid)
    basket = {"member": "13900139006", "lines": [{"code": WINE, "qty": 1}], "tenders": [{"type": "cash", "amount_fen": 10000}]}
    env = {**os.environ, "POS_LANG": "en", "POS_CLOCK": "2026-11-23T10:30:00"}
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "checkout", "--db", str(db.path), "--json"],
                       input=json.dumps(basket), capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert body["points"]["bonuses"] == [{"rule": R1000, "points": 200}]
