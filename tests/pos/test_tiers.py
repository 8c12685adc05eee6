"""Tiers (SPEC §4): the pure rules, immediate upgrades at the sale, the
end-of-validity review (cumulative, Vancl) and the monthly recheck (window,
HDCRM), every change recorded with its reason.

Vancl: VIP at 2,000 yuan qualifying spend, SVIP when a VIP spends 2,500
more; validity 12 months; review VIP <1,000 -> member, ≥1,000 keep, ≥2,500 ->
SVIP; SVIP <1,000 -> member, <2,500 -> VIP, ≥2,500 keep. Qualifying spend is
net of promotions, tier discounts, coupons and points; top-ups are not spend.
Vancl's order promotion: 每满300减30 (repeat).
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from pos.services import checkout, members
from pos.loyalty import coupons, ledger, tiers
from pos.rules import program
from pos.store import program_store
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.demo.store import ean13
from pos.store.models import Member, OutboxEvent, Sale, TierChange

VANCL = program.preset("vancl")
HDCRM = program.preset("hdcrm")

I1210 = ean13("690555000001")  # 1,210 yuan
I1000 = ean13("690555000002")  # 1,000 yuan
I2800 = ean13("690555000003")  # 2,800 yuan
REG = ean13("690555000004")  # 100 yuan
CHEAP = ean13("690555000005")  # 10 yuan
TWO = ean13("690555000006")  # 2 yuan
I850 = ean13("690555000007")  # 850 yuan
I750 = ean13("690555000008")  # 750 yuan
FLAT = {n: ean13(f"690556{n:06d}") for n in (99999, 100000, 249999, 250000)}  # no member discount, fen = n

CATALOG = "barcode,name,category,price_fen,kind,no_member_discount\n" + "".join(
    f"{code},{name},服装,{fen},regular,{nmd}\n" for code, name, fen, nmd in [
        (I1210, "大衣", 121000, "false"), (I1000, "西装", 100000, "false"), (I2800, "皮衣", 280000, "false"),
        (REG, "T恤", 10000, "false"), (CHEAP, "袜子", 1000, "false"), (TWO, "纽扣", 200, "false"),
        (I850, "羽绒服", 85000, "false"), (I750, "毛衣", 75000, "false"),
        *[(code, f"定价{n}", n, "true") for n, code in FLAT.items()],
    ])


def setup_store(db, tmp_path, doc=None):
    if doc is None:
        program_store.ensure_default(db)
    else:
        program_store.install(db, doc)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return program_store.active(db)


def join(db, n: int = 0) -> str:
    return members.register(db, f"1380013{n:04d}").id


def buy(db, mid, *codes, redeem=0, coupon=None):
    co = Checkout(db)
    for c in codes:
        co.add(c)
    co.attach_member_id(mid)
    if redeem:
        co.redeem(redeem)
    if coupon:
        co.add_coupon(coupon)
    q = co.quote()
    return co.pay([Tender("cash", q.net_fen)] if q.net_fen else [])


def member_row(db, mid):
    with db.read() as s:
        return s.get(Member, uuid.UUID(mid))


def changes(db, mid=None):
    with db.read() as s:
        q = select(TierChange).order_by(TierChange.at, TierChange.id)
        if mid:
            q = q.where(TierChange.member_id == uuid.UUID(mid))
        return [(c.from_tier, c.to_tier, c.reason, c.spend_fen) for c in s.scalars(q)]


def qualifying(db, mid) -> int:
    with db.read() as s:
        m = s.get(Member, uuid.UUID(mid))
        return tiers.qualifying_spend(s, m)


def set_tier(db, mid, tier, prog):
    with db.transaction() as s:
        tiers.change_tier(s, db, s.get(Member, uuid.UUID(mid)), tier, "manual", 0, prog.tiers, db.clock.now())


# --- pure rules -------------------------------------------------------------------


@pytest.mark.parametrize("tier, spend, expected", [
    ("vip", 0, "member"), ("vip", 99999, "member"), ("vip", 100000, "vip"), ("vip", 249999, "vip"),
    ("vip", 250000, "svip"), ("svip", 0, "member"), ("svip", 99999, "member"), ("svip", 100000, "vip"),
    ("svip", 249999, "vip"), ("svip", 250000, "svip"), ("svip", 10**9, "svip"),
    ("member", 10**9, "member"),  # the base tier has no review bands: keep
])
def test_review_bands(tier, spend, expected):
    assert tiers.review(VANCL.tiers, tier, spend) == expected


def test_pure_upgrade_rules():
    t = VANCL.tiers
    assert tiers.upgrade_after_spend(t, "member", 199999) is None
    assert tiers.upgrade_after_spend(t, "member", 200000) == "vip"
    assert tiers.upgrade_after_spend(t, "member", 10**8) == "vip"  # one step: SVIP needs spend *as* a VIP
    assert tiers.upgrade_after_spend(t, "vip", 249999) is None
    assert tiers.upgrade_after_spend(t, "vip", 250000) == "svip"
    assert tiers.upgrade_after_spend(t, "svip", 10**8) is None
    assert tiers.upgrade_after_spend(HDCRM.tiers, "member", 10**8) is None  # window mode upgrades elsewhere
    h = HDCRM.tiers
    assert [tiers.tier_for_window(h, x) for x in (0, 79999, 80000, 149999, 150000)] == \
        ["member", "member", "vip", "vip", "svip"]
    assert tiers.upgrade_by_topup(t, "member", 499999) is None
    assert tiers.upgrade_by_topup(t, "member", 500000) == "vip"
    assert tiers.upgrade_by_topup(t, "vip", 10**7) is None  # never sideways or down
    assert tiers.upgrade_by_topup(t, "svip", 10**7) is None
    assert tiers.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert tiers.add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)
    assert tiers.add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


# --- cumulative (Vancl) ----------------------------------------------------------------


def test_cumulative_upgrades_and_counter_reset(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    r1 = buy(db, mid, I1210)
    # 1,210 - 4 × 30 (满300减30) = 1,090 yuan
    assert r1.totals["net_fen"] == 109000 and member_row(db, mid).tier_code == "member"
    clock.advance(days=3)
    r2 = buy(db, mid, I1000)
    # 1,000 - 3 × 30 = 910; 1,090 + 910 = 2,000 -> VIP at once, on this very sale
    assert r2.totals["net_fen"] == 91000
    assert (r2.member["tier_before"], r2.member["tier_after"]) == ("member", "vip")
    m = member_row(db, mid)
    assert m.tier_code == "vip" and m.tier_since == clock.now()
    assert m.tier_expires == dt.date(2027, 11, 26)  # 12 months from the upgrade day
    assert qualifying(db, mid) == 0  # the counter starts again at zero
    assert changes(db, mid) == [("member", "vip", "upgrade_spend", 200000)]
    with db.read() as s:
        assert s.get(Sale, uuid.UUID(r2.sale_id)).tier_after == "vip"
        ev = s.scalar(select(OutboxEvent).where(OutboxEvent.kind == "member.tier"))
        assert (ev.payload["from"], ev.payload["to"], ev.payload["expires"]) == ("member", "vip", "2027-11-26")
    clock.advance(days=1)
    r3 = buy(db, mid, I2800)
    # VIP 98 %: 2,744; 9 × 30 off -> 2,474 < 2,500: still VIP (the 2,000 that made VIP do not count again)
    assert r3.totals["net_fen"] == 247400 and r3.member["tier_after"] == "vip"
    assert qualifying(db, mid) == 247400
    clock.advance(days=1)
    r4 = buy(db, mid, REG)
    # 98 more: 2,572 ≥ 2,500 -> SVIP
    assert r4.totals["net_fen"] == 9800 and r4.member["tier_after"] == "svip"
    assert changes(db, mid) == [("member", "vip", "upgrade_spend", 200000), ("vip", "svip", "upgrade_spend", 257200)]
    assert qualifying(db, mid) == 0
    buy(db, mid, I2800)  # the top tier goes no higher
    assert member_row(db, mid).tier_code == "svip" and len(changes(db, mid)) == 2


def test_points_coupons_and_topups_are_not_qualifying_spend(db, clock, tmp_path):
    prog = setup_store(db, tmp_path)
    mid = join(db)
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(mid), "adjust", 1000, now=clock.now(), expires_at=None)
        code = coupons.issue(s, db, prog, "welcome-10", member_id=uuid.UUID(mid), source="signup").code
    checkout.topup(db, mid, 100000, [Tender("cash", 100000)])  # 1,000 yuan (+100 bonus): not spend
    assert qualifying(db, mid) == 0
    buy(db, mid, I1000)  # 910
    r = buy(db, mid, I1210, redeem=100)  # 1,090 - 2 yuan paid with 100 points = 1,088
    assert r.totals["net_fen"] == 108800
    assert qualifying(db, mid) == 199800 and member_row(db, mid).tier_code == "member"
    r = buy(db, mid, CHEAP, coupon=code)  # 10 yuan, paid entirely by the 10-yuan voucher
    assert r.totals["net_fen"] == 0 and r.coupons == [code]
    assert qualifying(db, mid) == 199800 and member_row(db, mid).tier_code == "member"
    r = buy(db, mid, TWO)  # 2 more yuan of money: 1,998 + 2 = 2,000
    assert r.member["tier_after"] == "vip"
    assert changes(db, mid) == [("member", "vip", "upgrade_spend", 200000)]


def _nopromo():
    return VANCL.model_copy(update={"version": "vancl-nopromo", "promotions": []})


def test_review_at_end_of_validity(db, clock, tmp_path):
    # The Vancl tiers and review bands, without the order promotion so the spends are round numbers.
    prog = setup_store(db, tmp_path, _nopromo())
    plan = {  # (tier now, fen spent during the validity, expected tier, reason)
        0: ("vip", [], "member", "review_down"),
        1: ("vip", [99999], "member", "review_down"),
        2: ("vip", [100000], "vip", "review_keep"),
        3: ("svip", [99999], "member", "review_down"),
        4: ("svip", [100000], "vip", "review_down"),
        5: ("svip", [249999], "vip", "review_down"),
        6: ("svip", [250000], "svip", "review_keep"),
    }
    ids = {}
    for n, (tier, _, _, _) in plan.items():
        ids[n] = join(db, n)
        set_tier(db, ids[n], tier, prog)
    ids[7] = join(db, 7)
    set_tier(db, ids[7], "vip", prog)
    assert member_row(db, ids[0]).tier_expires == dt.date(2027, 11, 23)
    clock.advance(days=10)
    for n, (_, spends, _, _) in plan.items():
        for fen in spends:
            buy(db, ids[n], FLAT[fen])
    # a VIP whose ≥ 2,500 was recorded without the immediate upgrade (e.g. synced from another store)
    with db.transaction() as s:
        s.add(Sale(id=uuid.uuid4(), receipt_no="S009-01-20261203-0001", kind="sale", store_code="S009",
                   register_no="01", business_date=dt.date(2026, 12, 3), created_at=clock.now(),
                   member_id=uuid.UUID(ids[7]), net_fen=250000, paid_fen=250000, spend_fen=250000))
    assert [member_row(db, ids[n]).tier_code for n in range(8)] == ["vip", "vip", "vip", "svip", "svip", "svip", "svip", "vip"]
    # the day before the validity ends nothing is due
    clock.set(dt.datetime(2027, 11, 22, 9, 0))
    assert tiers.review_due(db, prog, clock.today()) == []
    clock.set(dt.datetime(2027, 11, 23, 9, 0))
    done = tiers.review_due(db, prog, clock.today())
    assert len(done) == 8
    for n, (tier, spends, expected, reason) in plan.items():
        m = member_row(db, ids[n])
        assert m.tier_code == expected, n
        assert changes(db, ids[n])[-1] == (tier, expected, reason, sum(spends)), n
        assert m.tier_since == clock.now()
        assert m.tier_expires == (dt.date(2028, 11, 23) if expected != "member" else None)
    assert changes(db, ids[7])[-1] == ("vip", "svip", "review_up", 250000)
    before = changes(db)
    assert tiers.review_due(db, prog, clock.today()) == []  # idempotent
    clock.advance(days=40)
    assert tiers.review_due(db, prog, clock.today()) == []  # nobody is due until next year
    assert changes(db) == before


def test_upgrade_sale_alone_does_not_keep_the_tier_at_review(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, _nopromo())
    mid = join(db)
    buy(db, mid, FLAT[250000])  # 2,500 yuan as a member -> VIP (one step)
    assert member_row(db, mid).tier_code == "vip" and qualifying(db, mid) == 0
    clock.set(dt.datetime(2027, 11, 24, 9, 0))
    tiers.review_due(db, prog, clock.today())
    # nothing was spent *as a VIP*: < 1,000 -> member
    assert changes(db, mid)[-1] == ("vip", "member", "review_down", 0)


# --- window (HDCRM) --------------------------------------------------------------------


def test_window_upgrade_at_sale_downgrade_at_recheck(db, clock, tmp_path):
    prog = setup_store(db, tmp_path, HDCRM)
    mid = join(db)
    r = buy(db, mid, I850)
    # 满500享95折 beats 满200减20: 850 × 95 % = 807.50 ≥ 800 in 3 months -> VIP at once
    assert r.totals["net_fen"] == 80750 and r.member["tier_after"] == "vip"
    assert r.points["earned"] == 807  # earned at the member rate (1 pt/yuan), before the upgrade
    assert changes(db, mid) == [("member", "vip", "window_upgrade", 80750)]
    clock.set(dt.datetime(2026, 12, 13, 15, 0))
    r = buy(db, mid, I750)
    # VIP 98 %: 735; 95 % of that = 698.25; window 807.50 + 698.25 = 1,505.75 ≥ 1,500 -> SVIP
    assert r.totals["net_fen"] == 69825 and r.member["tier_after"] == "svip"
    assert changes(db, mid)[-1] == ("vip", "svip", "window_upgrade", 150575)
    # first monthly recheck: both sales in [2026-10-10, 2027-01-11) -> keep SVIP
    clock.set(dt.datetime(2027, 1, 10, 9, 0))
    out = tiers.review_due(db, prog, clock.today())
    assert [(c.from_tier, c.to_tier, c.reason, c.spend_fen) for c in out] == [("svip", "svip", "window_recheck", 150575)]
    assert tiers.review_due(db, prog, clock.today()) == []  # once a month
    clock.set(dt.datetime(2027, 2, 5, 9, 0))
    assert tiers.review_due(db, prog, clock.today()) == []  # not a month yet
    # the November sale has left the window; a small sale does not downgrade
    clock.set(dt.datetime(2027, 2, 24, 9, 0))
    buy(db, mid, REG)
    assert member_row(db, mid).tier_code == "svip"
    out = tiers.review_due(db, prog, clock.today())
    # window [2026-11-24, 2027-02-25): 698.25 + SVIP 95 % of 100 = 793.25 < 800 -> member
    assert [(c.to_tier, c.reason, c.spend_fen) for c in out] == [("member", "window_recheck", 79325)]
    assert member_row(db, mid).tier_code == "member"
    assert tiers.review_due(db, prog, clock.today()) == []  # members at the base tier are not rechecked
    assert [c[2] for c in changes(db, mid)] == ["window_upgrade", "window_upgrade", "window_recheck", "window_recheck"]


def _shipped(db, mid, code):
    co = Checkout(db, channel="shipped")
    co.add(code)
    co.attach_member_id(mid)
    return co.pay([Tender("wechat", co.quote().net_fen)])


def test_shipped_spend_counts_for_the_tier_after_its_return_window(db, clock, tmp_path):
    """SPEC §3: tier spend, like points, waits out the return window — 30 days for shipped orders."""
    doc = setup_store(db, tmp_path)
    mid = join(db, 1)
    order = _shipped(db, mid, FLAT[250000])  # 2,500 yuan shipped: enough for VIP (2,000), but pending
    assert order.member["tier_after"] == "member"
    clock.advance(days=1)
    small = buy(db, mid, CHEAP)  # a store sale counts at once; the shipped order still waits
    assert small.member["tier_after"] == "member"
    with db.read() as s:
        m = s.get(Member, uuid.UUID(mid))
        assert tiers.qualifying_spend(s, m, now=db.clock.now(), shipped_days=30) == small.totals["net_fen"]
    clock.advance(days=28)  # 29 days after the order: still in its window
    assert tiers.review_due(db, doc, db.clock.today()) == []
    clock.advance(days=2)  # 31 days: the window has closed, the daily review job upgrades
    [change] = tiers.review_due(db, doc, db.clock.today())
    assert (change.from_tier, change.to_tier, change.reason) == ("member", "vip", "upgrade_spend")
    with db.read() as s:
        sale_spend = s.scalar(select(Sale.spend_fen).where(Sale.receipt_no == order.receipt_no))
        tc = s.scalars(select(TierChange).where(TierChange.member_id == uuid.UUID(mid))).all()
    assert change.spend_fen == sale_spend + small.totals["net_fen"]
    assert [str(t.sale_id) for t in tc] == [order.sale_id]  # tied to the order that matured
    assert tiers.review_due(db, doc, db.clock.today()) == []  # idempotent


def test_a_shipped_order_returned_in_its_window_never_counts(db, clock, tmp_path):
    from pos.services import returns

    doc = setup_store(db, tmp_path)
    mid = join(db, 2)
    order = _shipped(db, mid, FLAT[250000])
    clock.advance(days=10)
    returns.return_sale(db, order.receipt_no)
    with db.read() as s:
        m = s.get(Member, uuid.UUID(mid))
        # neither the pending order nor its return count (the return must not eat other spend)
        assert tiers.qualifying_spend(s, m, now=db.clock.now(), shipped_days=30) == 0
    clock.advance(days=25)
    assert tiers.review_due(db, doc, db.clock.today()) == []
    with db.read() as s:
        assert s.get(Member, uuid.UUID(mid)).tier_code == "member"
