"""Returns by receipt (SPEC §3): points used come back (full: with their
original expiry, lot by lot; partial: renewed to 12 months), points earned on
the returned lines are taken back (debt or a deduction from the refund when
already spent), money goes back by the original tenders, never more than was
paid, and an upgrade the sale earned is undone.

Vancl: regular 2 pts/yuan, 100 pts = 2 yuan, 满300减30 per 300 yuan.
HDCRM: regular 1 pt/yuan, 100 pts = 1 yuan, debt policy deduct_refund.
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from pos.services import checkout, members, returns
from pos.loyalty import ledger, tiers
from pos.rules import program
from pos.store import program_store
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.demo.store import ean13
from pos.errors import DomainError
from pos.store.models import Member, OutboxEvent, Payment, PointsAllocation, PointsEntry, Sale, SaleLine, StoredValueEntry, TierChange
from pos.rules.program import Expiry

REG = ean13("690777000001")  # 100 yuan regular
HALF = ean13("690777000002")  # 50 yuan regular
NONE = ean13("690777000003")  # 100 yuan, earns nothing
H150 = ean13("690777000004")  # 150 yuan regular
I2210 = ean13("690777000005")  # 2,210 yuan regular

CATALOG = f"""barcode,name,category,price_fen,kind
{REG},T恤,服装,10000,regular
{HALF},袜子,服装,5000,regular
{NONE},购物袋,日用,10000,none
{H150},衬衫,服装,15000,regular
{I2210},大衣,服装,221000,regular
"""

VANCL = program.preset("vancl")
PER_LOT = VANCL.model_copy(update={"version": "vancl-perlot",
                                   "expiry": Expiry(model="per_lot", months=12, warn_days=30)})


def setup_store(db, tmp_path, doc=None):
    program_store.install(db, doc or VANCL)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return program_store.active(db)


def join(db, n=0) -> str:
    return members.register(db, f"1390013{n:04d}").id


def buy(db, mid, *codes, redeem=0, gifts=(), tenders=None):
    co = Checkout(db)
    for c in codes:
        co.add(c)
    if mid:
        co.attach_member_id(mid)
    co.redeem(redeem)
    for g in gifts:
        co.add_gift(g)
    q = co.quote()
    return co.pay(tenders or [Tender("cash", q.net_fen)])


def credit(db, mid, points, expires_at=None):
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(mid), "adjust", points, now=db.clock.now(), expires_at=expires_at)


def balance(db, mid):
    with db.read() as s:
        return ledger.points_balance(s, uuid.UUID(mid))


def lots(db, mid):
    with db.read() as s:
        return [(lot.remaining, lot.kind, lot.expires_at) for lot in ledger.open_lots(s, uuid.UUID(mid))]


def entries(db, sale_id):
    with db.read() as s:
        rows = s.scalars(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(sale_id))
                         .order_by(PointsEntry.created_at, PointsEntry.id)).all()
        return [(e.kind, e.points, e.expires_at) for e in rows]


def payments(db, sale_id):
    with db.read() as s:
        return sorted((p.tender, p.amount_fen) for p in s.scalars(select(Payment).where(Payment.sale_id == uuid.UUID(sale_id))))


def day_start(clock, y, m, d):
    return clock.start_of_day(dt.date(y, m, d))


def test_full_return_refunds_used_points_lot_by_lot_with_original_expiry(db, clock, tmp_path):
    setup_store(db, tmp_path, PER_LOT)
    mid = join(db)
    buy(db, mid, REG)  # 200 pts, expire 2027-11-23
    clock.set(dt.datetime(2027, 1, 10, 10))
    buy(db, mid, REG)  # 200 pts, expire 2028-01-10
    clock.set(dt.datetime(2027, 2, 1, 10))
    sale = buy(db, mid, REG, redeem=300)
    # 300 pts = 6 yuan: paid 94 yuan, earned 94 × 2 = 188 (expire 2028-02-01); the 300 came from the lot that
    # expires first (200 of 2027-11-23, earned first) and then 100 of 2028-01-10
    assert (sale.totals["net_fen"], sale.points["redeemed"], sale.points["earned"]) == (9400, 300, 188)
    assert lots(db, mid) == [(100, "earn", day_start(clock, 2028, 1, 10)), (188, "earn", day_start(clock, 2028, 2, 1))]
    clock.set(dt.datetime(2027, 2, 5, 10))
    preview = returns.plan(db, sale.receipt_no)
    r = returns.return_sale(db, sale.receipt_no)
    assert r.plan == preview
    assert r.plan.full and r.plan.refund_fen == 9400
    assert (r.plan.points_refunded, r.plan.points_taken_back, r.plan.debt_points) == (300, 188, 0)
    assert entries(db, r.sale.sale_id) == [
        ("refund", 200, day_start(clock, 2027, 11, 23)),  # the original expiry, not renewed
        ("refund", 100, day_start(clock, 2028, 1, 10)),
        ("reverse", -188, None),
    ]
    assert balance(db, mid) == 400
    assert sorted(lots(db, mid), key=lambda x: (x[2], x[1])) == [
        (200, "refund", day_start(clock, 2027, 11, 23)),
        (100, "earn", day_start(clock, 2028, 1, 10)), (100, "refund", day_start(clock, 2028, 1, 10))]
    with db.read() as s:
        ret = s.get(Sale, uuid.UUID(r.sale.sale_id))
        assert (ret.kind, ret.net_fen, ret.paid_fen, ret.points_earned, ret.points_redeemed) == ("return", -9400, -9400, -188, -300)
        assert str(ret.original_sale_id) == sale.sale_id and ret.receipt_no == "S001-01-20270205-0001"
        assert ret.spend_fen == -9400
        assert ledger.find_drift(s) == []
    assert payments(db, r.sale.sale_id) == [("cash", -9400)]
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, sale.receipt_no)
    assert e.value.code == "return.nothing_left"


def test_partial_return_renews_used_points_and_takes_back_the_lines_points(db, clock, tmp_path):
    setup_store(db, tmp_path, PER_LOT)
    mid = join(db)
    credit(db, mid, 1000, expires_at=day_start(clock, 2027, 3, 1))
    sale = buy(db, mid, REG, HALF, redeem=300)
    # 6 yuan of points spread 400 / 200 over 100 / 50 yuan: nets 96 / 48; points 192 / 96
    assert [(ln["net_fen"], ln["points"]) for ln in sale.lines] == [(9600, 192), (4800, 96)]
    clock.set(dt.datetime(2027, 1, 5, 15))
    r = returns.return_sale(db, sale.receipt_no, {HALF: 1}, window_override="M001")  # after the window: a manager
    assert not r.plan.full
    assert (r.plan.refund_fen, r.plan.points_taken_back, r.plan.points_refunded) == (4800, 96, 100)  # 200 fen = 100 pts
    assert entries(db, r.sale.sale_id) == [("refund", 100, day_start(clock, 2028, 1, 5)),  # renewed: 12 months from today
                                           ("reverse", -96, None)]
    # the take-back starts with the sale's own lot
    with db.read() as s:
        earn = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(sale.sale_id), PointsEntry.kind == "earn"))
        rev = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(r.sale.sale_id), PointsEntry.kind == "reverse"))
        allocs = s.execute(select(PointsAllocation.lot_id, PointsAllocation.points).where(PointsAllocation.debit_id == rev.id)).all()
        assert allocs == [(earn.id, 96)]
        assert rev.reverses_id == earn.id
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, sale.receipt_no, {HALF: 1})
    assert e.value.code == "return.too_many"
    r2 = returns.return_sale(db, sale.receipt_no, window_override="M001")  # the rest
    assert not r2.plan.full
    assert (r2.plan.refund_fen, r2.plan.points_taken_back, r2.plan.points_refunded) == (9600, 192, 200)
    assert balance(db, mid) == 1000  # 1000 - 300 + 288, then +100 -96, then +200 -192
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, sale.receipt_no, {REG: 1})
    assert e.value.code == "return.too_many"
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, sale.receipt_no)
    assert e.value.code == "return.nothing_left"


def test_returns_one_by_one_lose_nothing_to_rounding(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    credit(db, mid, 1000)
    co = Checkout(db)
    co.add(REG, qty=3)
    co.attach_member_id(mid)
    co.redeem(100)
    sale = co.pay([Tender("cash", 30000)])
    # 300 yuan: 30 off (满300减30) and 2 yuan of points -> 268 yuan due (32 change from 300 cash); earned 268 × 2 = 536
    assert (sale.totals["net_fen"], sale.totals["change_fen"], sale.points["earned"]) == (26800, 3200, 536)
    with pytest.raises(DomainError) as e:
        returns.plan(db, sale.receipt_no, {REG: 4})
    assert e.value.code == "return.too_many" and e.value.params["left"] == 3
    got = []
    for _ in range(3):
        clock.advance(hours=1)
        r = returns.return_sale(db, sale.receipt_no, {REG: 1})
        got.append((r.plan.refund_fen, r.plan.points_refunded, r.plan.points_taken_back))
    # money 26800/3 -> 8933, then 17867/2 -> 8933, then the rest 8934
    # points value 200 fen: 66 -> 33 pts, 134/2 = 67 -> 33 pts, then exactly what is left: 100 - 66 = 34
    # points earned 536: 178, 179, 179
    assert got == [(8933, 33, 178), (8933, 33, 179), (8934, 34, 179)]
    assert sum(g[0] for g in got) == sale.totals["net_fen"]
    assert sum(g[1] for g in got) == sale.points["redeemed"]
    assert sum(g[2] for g in got) == sale.points["earned"]
    assert balance(db, mid) == 1000
    with db.read() as s:
        rets = s.scalars(select(Sale).where(Sale.original_sale_id == uuid.UUID(sale.sale_id))).all()
        assert sum(-x.paid_fen for x in rets) == 26800
        refunded = s.scalar(select(func.sum(Payment.amount_fen)).where(Payment.sale_id.in_([x.id for x in rets])))
        assert refunded == -26800  # the whole 268 yuan and not a fen more
        lines = s.scalars(select(SaleLine).where(SaleLine.sale_id.in_([x.id for x in rets]))).all()
        assert sum(ln.qty for ln in lines) == -3
    with pytest.raises(DomainError) as e:
        returns.return_sale(db, sale.receipt_no, {REG: 1})
    assert e.value.code == "return.too_many"


def test_debt_policy_negative_then_settled_by_a_later_sale(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    first = buy(db, mid, REG)  # earns 200
    buy(db, mid, NONE, redeem=200)  # spends them: 4 yuan off, earns nothing
    assert balance(db, mid) == 0
    clock.advance(days=1)
    r = returns.return_sale(db, first.receipt_no)
    assert (r.plan.points_taken_back, r.plan.points_short, r.plan.debt_points, r.plan.deduction_fen) == (200, 200, 200, 0)
    assert r.plan.refund_fen == 10000  # the money comes back in full; the points are owed
    assert balance(db, mid) == -200
    with db.read() as s:
        debts = ledger.open_debts(s, uuid.UUID(mid))
        assert [d.unpaid for d in debts] == [200]
        assert ledger.available_points(s, uuid.UUID(mid), clock.now()) == -200
    co = Checkout(db)
    co.add(HALF)
    co.attach_member_id(mid)
    co.redeem(100)
    q = co.quote()
    assert q.points_for_cash == 0 and "refusal.not_enough_points" in [x.code for x in q.refusals]
    co.redeem(0)
    co.pay([Tender("cash", 5000)])  # earns 100: half of the debt
    assert balance(db, mid) == -100
    buy(db, mid, REG)  # earns 200: settles the rest, 100 left
    assert balance(db, mid) == 100
    with db.read() as s:
        assert ledger.open_debts(s, uuid.UUID(mid)) == []
        assert ledger.available_points(s, uuid.UUID(mid), clock.now()) == 100
        assert ledger.find_drift(s) == []


def test_debt_policy_deduct_refund(db, clock, tmp_path):
    setup_store(db, tmp_path, program.preset("hdcrm"))
    mid = join(db)
    first = buy(db, mid, H150)  # 150 yuan (under 满200): 150 pts at 1 pt/yuan
    assert first.points["earned"] == 150
    second = buy(db, mid, NONE, redeem=100)  # 100 pts = 1 yuan
    assert second.totals["net_fen"] == 9900 and balance(db, mid) == 50
    clock.advance(days=2)
    r = returns.return_sale(db, first.receipt_no)
    # 150 to take back, 50 left: the 100 already spent are worth 1 yuan, kept from the refund
    assert (r.plan.points_taken_back, r.plan.points_short, r.plan.debt_points) == (150, 100, 0)
    assert (r.plan.deduction_fen, r.plan.refund_fen, r.plan.spend_back_fen) == (100, 14900, 15000)
    assert payments(db, r.sale.sale_id) == [("cash", -14900)]
    assert balance(db, mid) == 0
    with db.read() as s:
        assert ledger.open_debts(s, uuid.UUID(mid)) == []
        ret = s.get(Sale, uuid.UUID(r.sale.sale_id))
        assert (ret.net_fen, ret.paid_fen, ret.spend_fen) == (-15000, -14900, -15000)
        assert ledger.find_drift(s) == []


def test_stored_value_comes_back_and_tenders_in_proportion(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    checkout.topup(db, mid, 100000, [Tender("cash", 100000)])  # 1,000 + 100 bonus
    sale = buy(db, mid, REG, REG, tenders=[Tender("stored_value", 12345), Tender("cash", 7655)])
    with db.read() as s:
        assert ledger.sv_balance(s, uuid.UUID(mid)) == 110000 - 12345
    r1 = returns.return_sale(db, sale.receipt_no, {REG: 1})
    # 100 yuan over 123.45 / 76.55: 6172.5 / 3827.5 -> the tie goes to the first tender: 6173 / 3827
    assert payments(db, r1.sale.sale_id) == [("cash", -3827), ("stored_value", -6173)]
    assert r1.plan.stored_value_refund_fen == 6173
    r2 = returns.return_sale(db, sale.receipt_no)
    # what is left per tender: 6172 / 3828 — each tender gets back exactly what it paid
    assert payments(db, r2.sale.sale_id) == [("cash", -3828), ("stored_value", -6172)]
    with db.read() as s:
        assert ledger.sv_balance(s, uuid.UUID(mid)) == 110000
        refunds = s.scalars(select(StoredValueEntry.amount_fen).where(StoredValueEntry.kind == "refund")
                            .order_by(StoredValueEntry.created_at, StoredValueEntry.id)).all()
        assert refunds == [6173, 6172]
        assert ledger.find_drift(s) == []


def test_returning_a_gift_gives_its_points_back(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    credit(db, mid, 1000)
    sale = buy(db, mid, REG, gifts=["g-cup"])  # 800 pts + 19.90 yuan; earned 200 + 39 (19.90 × 2 = 39.8)
    assert (sale.points["redeemed"], sale.points["earned"]) == (800, 239)
    r = returns.return_sale(db, sale.receipt_no, {"GIFT-g-cup": 1})
    assert (r.plan.refund_fen, r.plan.points_refunded, r.plan.points_taken_back) == (1990, 800, 39)
    assert balance(db, mid) == 1000 - 800 + 239 + 800 - 39


def test_full_return_of_the_upgrading_sale_reverts_the_tier(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    clock.advance(hours=1)
    sale = buy(db, mid, I2210)  # 2,210 - 7 × 30 = 2,000 -> VIP
    assert sale.totals["net_fen"] == 200000 and sale.member["tier_after"] == "vip"
    clock.advance(days=1)
    r = returns.return_sale(db, sale.receipt_no)
    assert r.plan.tier_reverted_to == "member" and r.plan.spend_back_fen == 200000
    assert r.sale.member["tier_before"] == "vip" and r.sale.member["tier_after"] == "member"
    with db.read() as s:
        m = s.get(Member, uuid.UUID(mid))
        assert (m.tier_code, m.tier_expires) == ("member", None)
        rows = s.scalars(select(TierChange).where(TierChange.member_id == m.id).order_by(TierChange.at)).all()
        assert [(c.from_tier, c.to_tier, c.reason, c.spend_fen, str(c.sale_id)) for c in rows] == [
            ("member", "vip", "upgrade_spend", 200000, sale.sale_id),
            ("vip", "member", "return_revert", -200000, r.sale.sale_id)]
        # the returned sale made no qualifying spend, and the return does not leave the member 2,000 behind
        assert tiers.qualifying_spend(s, m) == 0
    clock.advance(days=1)
    again = buy(db, mid, I2210)
    assert again.member["tier_after"] == "vip"


def test_partial_returns_that_together_undo_an_upgrade_revert_it(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    co = Checkout(db)
    co.add(REG, qty=25)
    co.attach_member_id(mid)
    sale = co.pay([Tender("cash", 226000)])
    # 2,500 - 8 × 30 = 2,260 ≥ 2,000 -> VIP
    assert sale.member["tier_after"] == "vip"
    r1 = returns.return_sale(db, sale.receipt_no, {REG: 2})
    # 226000 × 2 // 25 = 18080: 2,079.20 still reaches 2,000
    assert r1.plan.refund_fen == 18080 and r1.plan.tier_reverted_to is None
    r2 = returns.return_sale(db, sale.receipt_no, {REG: 2})
    # 207920 × 2 // 23 = 18080 more: 2,260 - 361.60 = 1,898.40 < 2,000 -> the upgrade is undone
    assert r2.plan.refund_fen == 18080 and r2.plan.tier_reverted_to == "member"
    with db.read() as s:
        assert s.get(Member, uuid.UUID(mid)).tier_code == "member"


def test_return_refusals_and_replay(db, clock, tmp_path):
    setup_store(db, tmp_path)
    mid = join(db)
    sale = buy(db, mid, REG, HALF)
    for receipt, wanted, code in (
        ("S001-01-20261123-9999", None, "return.no_sale"),
        (sale.receipt_no, {NONE: 1}, "return.not_on_sale"),
        (sale.receipt_no, {REG: 0}, "sale.bad_qty"),
        (sale.receipt_no, {REG: 2}, "return.too_many"),
    ):
        with pytest.raises(DomainError) as e:
            returns.return_sale(db, receipt, wanted)
        assert e.value.code == code
    rid = uuid.uuid4()
    r = returns.return_sale(db, sale.receipt_no, {HALF: 1}, return_id=rid)
    with pytest.raises(DomainError) as e:  # a return receipt is not a sale to return
        returns.return_sale(db, r.sale.receipt_no)
    assert e.value.code == "return.no_sale"
    with db.read() as s:
        n = s.scalar(select(func.count()).select_from(Sale)), s.scalar(select(func.count()).select_from(PointsEntry))
    again = returns.return_sale(db, sale.receipt_no, {HALF: 1}, return_id=rid)
    assert again.sale.replayed and again.sale.receipt_no == r.sale.receipt_no
    assert again.plan.refund_fen == r.plan.refund_fen == 5000
    with db.read() as s:
        assert (s.scalar(select(func.count()).select_from(Sale)), s.scalar(select(func.count()).select_from(PointsEntry))) == n
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.returned")).all()
        assert [(e.payload["original_sale_id"], e.payload["sale"]["receipt_no"]) for e in events] == \
            [(sale.sale_id, r.sale.receipt_no)]
    assert balance(db, mid) == 200  # 300 earned, 100 taken back with the socks


def _wallet(db, mid):
    from pos.loyalty import coupons
    with db.read() as s:
        return [(c.code, c.template, c.source, c.valid_to) for c in coupons.wallet(s, uuid.UUID(mid), db.clock.now())]


def _issue(db, doc, mid, template="welcome-10"):
    from pos.loyalty import coupons
    with db.transaction() as s:
        c = coupons.issue(s, db, doc, template, member_id=uuid.UUID(mid), source="signup")
        return c.code, c.valid_to


def _sell_with_coupon(db, mid, code, *items):
    co = Checkout(db)
    for item in items:
        co.add(item)
    co.attach_member_id(mid)
    co.add_coupon(code)
    return co.pay([Tender("cash", co.quote().net_fen)])


def test_a_whole_sale_returned_gives_its_coupon_back(db, clock, tmp_path):
    doc = setup_store(db, tmp_path)
    mid = join(db)
    code, valid_to = _issue(db, doc, mid)
    sale = _sell_with_coupon(db, mid, code, REG)
    assert sale.totals["net_fen"] == 9000 and _wallet(db, mid) == []
    p = returns.plan(db, sale.receipt_no)
    assert [c["code"] for c in p.coupons_back] == [code] and p.refund_fen == 9000
    clock.advance(days=3)
    rid = uuid.uuid4()
    r = returns.return_sale(db, sale.receipt_no, return_id=rid)
    [(new, template, source, new_valid_to)] = _wallet(db, mid)
    assert (template, source) == ("welcome-10", "return") and new != code
    assert new_valid_to == valid_to  # the validity of the coupon it replaces, not a fresh 30 days
    with db.read() as s:
        ev = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "coupon.issued")).all()
        assert [e.payload["code"] for e in ev] == [code, new]  # HQ learns it like any coupon
        detail = s.get(Sale, uuid.UUID(r.sale.sale_id)).detail
    assert detail["coupons_back"] == [{"was": code, "code": new, "template": "welcome-10",
                                       "valid_to": new_valid_to.isoformat()}]
    assert r.coupons_given == detail["coupons_back"]
    # a replay of the same return gives nothing twice, and answers the same
    assert returns.return_sale(db, sale.receipt_no, return_id=rid).coupons_given == r.coupons_given
    assert len(_wallet(db, mid)) == 1
    # the replacement is usable, although welcome-10 allows one use per member
    co = Checkout(db)
    co.add(REG)
    co.attach_member_id(mid)
    co.add_coupon(new)
    assert co.quote().net_fen == 9000


def test_a_partial_return_keeps_the_coupon_used_until_the_last_unit_comes_back(db, clock, tmp_path):
    doc = setup_store(db, tmp_path)
    mid = join(db)
    code, _ = _issue(db, doc, mid)
    sale = _sell_with_coupon(db, mid, code, REG, HALF)
    first = returns.return_sale(db, sale.receipt_no, {HALF: 1})
    assert first.plan.coupons_back == [] and _wallet(db, mid) == []
    last = returns.return_sale(db, sale.receipt_no, {REG: 1})
    assert [c["code"] for c in last.plan.coupons_back] == [code]
    assert [w[2] for w in _wallet(db, mid)] == ["return"]


def test_an_expired_coupon_does_not_come_back(db, clock, tmp_path):
    doc = setup_store(db, tmp_path)
    mid = join(db)
    code, valid_to = _issue(db, doc, mid)
    sale = _sell_with_coupon(db, mid, code, REG)
    clock.advance(days=31)  # welcome-10 is valid 30 days
    r = returns.return_sale(db, sale.receipt_no, window_override="M001")  # after the 7-day window: a manager
    assert r.plan.coupons_back == [] and _wallet(db, mid) == []
    assert r.plan.refund_fen == 9000  # the money paid comes back all the same
