"""Checkout through the real commit (SPEC §3–§6): scanning, member
identification, the worked numbers of the Vancl preset, tenders, receipt
numbers, idempotent replay, the one-transaction rule, coupons, gifts,
suspend/resume, stored value and pending points.

Money in fen, points are integers. Vancl preset: regular 2 pts/yuan, special
0.5, none 0; gift card 1 pt/yuan; VIP pays 98 % ×1.5, SVIP 95 % ×2; 100 pts =
2 yuan, at most 50 % of the order; 满300减30 on every order ≥ 300 yuan (the
baskets below stay under 300 yuan unless said otherwise).
"""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, text

from pos.services import checkout, members
from pos.loyalty import coupons, ledger, tiers
from pos.store import program_store
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.demo.store import ean13
from pos.errors import DomainError
from pos.store.models import Basket, Coupon, CouponUse, Member, OutboxEvent, Payment, PointsEntry, ReceiptCounter, Sale, SaleLine, StoredValueEntry, TierChange

NMD = ean13("690123400001")  # 100 yuan regular, flagged no_member_discount
REG = ean13("690123400002")  # 100 yuan regular
SPECIAL = ean13("690123400003")  # 100 yuan special price
NONE = ean13("690123400004")  # 100 yuan, earns nothing
HALF = ean13("690123400005")  # 50 yuan regular
UNKNOWN = ean13("690123499999")  # valid check digit, not in the catalog
PRICE_BASE = ean13("231234500000")  # price-embedded label item, registered under the zeroed code
WEIGHT_BASE = ean13("215432100000")  # weight label item: 29.99 yuan per kg

CATALOG = f"""barcode,name,category,price_fen,kind,member_price_fen,no_member_discount
{NMD},衬衫,服装,10000,regular,,true
{REG},T恤,服装,10000,regular,,false
{SPECIAL},特价T恤,服装,10000,special,,false
{NONE},购物袋,日用,10000,none,,false
{HALF},袜子,服装,5000,regular,,false
{PRICE_BASE},熟食拼盘,生鲜,1000,regular,,false
{WEIGHT_BASE},苹果,生鲜,2999,regular,,false
"""

PHONE = "13800138000"
CARD = "9000000001"


@pytest.fixture
def store(db, tmp_path):
    program_store.ensure_default(db)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    report = import_csv(db, path)
    assert report.ok, report.errors
    return db


@pytest.fixture
def member(store):
    return members.register(store, PHONE, card_no=CARD, name="王小明")


def set_tier(db, member_id: str, tier: str) -> None:
    program = program_store.active(db)
    with db.transaction() as s:
        m = s.get(Member, uuid.UUID(member_id))
        tiers.change_tier(s, db, m, tier, "manual", 0, program.tiers, db.clock.now())


def give_points(db, member_id: str, points: int) -> None:
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(member_id), "adjust", points, now=db.clock.now(), expires_at=None)


def balance(db, member_id: str) -> int:
    with db.read() as s:
        return ledger.points_balance(s, uuid.UUID(member_id))


def available(db, member_id: str) -> int:
    with db.read() as s:
        return ledger.available_points(s, uuid.UUID(member_id), db.clock.now())


def sv(db, member_id: str) -> int:
    with db.read() as s:
        return ledger.sv_balance(s, uuid.UUID(member_id))


def counts(db) -> dict[str, int]:
    tables = {"sales": Sale, "sale_lines": SaleLine, "payments": Payment, "points_entries": PointsEntry,
              "sv": StoredValueEntry, "coupon_uses": CouponUse, "tier_changes": TierChange, "outbox": OutboxEvent}
    with db.read() as s:
        out = {k: s.scalar(select(func.count()).select_from(m)) for k, m in tables.items()}
        out["receipt_seq"] = s.scalar(select(func.coalesce(func.sum(ReceiptCounter.last_seq), 0)))
        out["allocations"] = s.scalar(text("SELECT count(*) FROM points_allocations"))
        return out


def cash(fen: int) -> list[Tender]:
    return [Tender("cash", fen)]


def sell(db, codes, member_id=None, tenders=None, **kw) -> checkout.SaleResult:
    co = Checkout(db, **kw)
    for code in codes:
        co.add(code)
    if member_id:
        co.attach_member_id(member_id)
    q = co.quote()
    return co.pay(tenders or cash(q.net_fen))


# --- scanning --------------------------------------------------------------------


def test_scan_products_and_scale_labels(store):
    co = Checkout(store)
    line = co.add(REG)
    assert (line.kind, line.qty, line.unit_fen, line.name) == ("product", 1, 10000, "T恤")
    # the same product scanned again: one line, qty 2 (not two lines)
    again = co.add(REG)
    assert again is line and line.qty == 2 and len(co.lines) == 1
    co.add(REG, qty=3)
    assert line.qty == 5
    # price label 23 12345 01234 c: 012.34 yuan = 1234 fen, product found under 23 12345 00000 c
    label = ean13("231234501234")
    pl = co.add(label)
    assert (pl.kind, pl.code, pl.scanned, pl.qty, pl.unit_fen, pl.name) == ("price", PRICE_BASE, label, 1, 1234, "熟食拼盘")
    # weight label 21 54321 01500 c: 1.500 kg × 29.99 yuan/kg = 4498.5 fen -> 4499 half-up (banker's would give 4498)
    wl = co.add(ean13("215432101500"))
    assert (wl.kind, wl.code, wl.grams, wl.qty, wl.unit_fen) == ("weight", WEIGHT_BASE, 1500, 1, 4499)
    # 0.333 kg × 2999 = 998.667 -> 999
    assert co.add(ean13("215432100333")).unit_fen == 999
    # a second identical scale label is a new line (it is another piece), never a qty bump
    co.add(ean13("215432101500"))
    assert len(co.lines) == 5
    q = co.quote()
    # 5 × 10000 + 1234 + 4499 + 999 + 4499 = 61231 gross; no member, 满300减30 twice (≥ 600 yuan): 6000 off
    assert q.gross_fen == 61231
    assert q.net_fen == 61231 - 6000
    with pytest.raises(DomainError) as e:
        co.set_qty(1, 2)  # a price label's quantity is fixed
    assert e.value.code == "sale.fixed_qty"
    co.set_qty(0, 2)
    co.remove(4)
    assert [ln.qty for ln in co.lines] == [2, 1, 1, 1]


def test_scan_refusals(store, member):
    co = Checkout(store)
    bad = REG[:-1] + str((int(REG[-1]) + 1) % 10)
    with pytest.raises(DomainError) as e:
        co.add(bad)
    assert e.value.code == "scan.bad_barcode"
    bad_label = ean13("215432101500")[:-1] + str((int(ean13("215432101500")[-1]) + 3) % 10)
    with pytest.raises(DomainError) as e:  # a misread scale label is not sold as anything else
        co.add(bad_label)
    assert e.value.code == "scan.bad_barcode"
    with pytest.raises(DomainError) as e:
        co.add(UNKNOWN)
    assert e.value.code == "scan.unknown_product"
    with pytest.raises(DomainError) as e:  # the member's card code scanned into the basket
        co.add(member.member_code)
    assert e.value.code == "scan.not_product"
    with pytest.raises(DomainError) as e:
        co.add(CARD)
    assert e.value.code == "scan.not_product"
    with pytest.raises(DomainError) as e:
        co.add(REG, qty=0)
    assert e.value.code == "sale.bad_qty"
    assert co.lines == []


def test_attach_member_by_phone_card_last4_and_code(store, member):
    for query in (PHONE, "138 0013 8000", CARD, "8000", member.member_code):
        co = Checkout(store)
        found = co.attach_member(query)
        assert found.id == member.id and co.member_id == member.id, query
        assert found.phone_masked == "138****8000"
    with pytest.raises(DomainError) as e:
        Checkout(store).attach_member("13700001234")
    assert e.value.code == "member.not_found"
    other = members.register(store, "13900138000")  # same last 4 digits
    co = Checkout(store)
    with pytest.raises(DomainError) as e:
        co.attach_member("8000")
    assert e.value.code == "member.ambiguous" and e.value.params["count"] == 2
    assert co.member_id is None
    assert co.attach_member("13900138000").id == other.id


# --- the worked numbers through the real commit ------------------------------------


def test_svip_earns_400_on_100_yuan_no_member_discount(store, member):
    set_tier(store, member.id, "svip")
    r = sell(store, [NMD], member.id)
    # no_member_discount: pays the full 100 yuan; 100 × 2 pts × SVIP ×2 = 400 (worth 8 yuan)
    assert r.totals["net_fen"] == 10000 and r.totals["paid_fen"] == 10000
    assert r.points["earned"] == 400
    assert balance(store, member.id) == 400
    assert r.member["points_balance"] == 400 and r.points["balance_after"] == 400
    assert r.member["tier_before"] == "svip" and r.member["tier_after"] == "svip"
    with store.read() as s:
        entry = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == uuid.UUID(r.sale_id)))
        assert (entry.kind, entry.points) == ("earn", 400)
        assert entry.expires_at is None  # vancl: rolling expiry, lots carry no date
        sale = s.get(Sale, uuid.UUID(r.sale_id))
        assert sale.program_version == "vancl-2026.1" and sale.spend_fen == 10000


@pytest.mark.parametrize("tier, net, earned", [
    ("member", 10000, 200),  # 100 × 2
    ("vip", 9800, 294),  # 98 % -> 98 yuan × 2 × 1.5
    ("svip", 9500, 380),  # 95 % -> 95 yuan × 2 × 2
])
def test_tier_discount_and_multiplier(store, member, tier, net, earned):
    if tier != "member":
        set_tier(store, member.id, tier)
    r = sell(store, [REG], member.id)
    assert (r.totals["net_fen"], r.points["earned"]) == (net, earned)
    assert r.member_saved_fen == 10000 - net
    assert balance(store, member.id) == earned


def test_special_price_earns_half_a_point_and_no_discount(store, member):
    set_tier(store, member.id, "vip")
    r = sell(store, [SPECIAL, NONE], member.id)
    # special: no member discount, 100 × 0.5 × 1.5 = 75; "none" item: 98 yuan, 0 points
    assert r.totals["net_fen"] == 10000 + 9800
    assert [ln["points"] for ln in r.lines] == [75, 0]
    assert r.points["earned"] == 75 and balance(store, member.id) == 75


def test_gift_card_tender_earns_one_point_per_yuan_times_multiplier(store, member):
    set_tier(store, member.id, "svip")
    r = sell(store, [NMD], member.id, tenders=[Tender("gift_card", 10000)])
    assert r.points["earned"] == 200  # 100 yuan × 1 × 2
    # split: 60 yuan gift card (60 × 1 × 2 = 120) + 40 yuan cash (40 × 2 × 2 = 160)
    r2 = sell(store, [NMD], member.id, tenders=[Tender("gift_card", 6000), Tender("cash", 4000)])
    assert r2.points["earned"] == 280
    assert balance(store, member.id) == 480
    assert sorted((p["tender"], p["amount_fen"]) for p in r2.payments) == [("cash", 4000), ("gift_card", 6000)]


def test_points_for_cash_and_cap(store, member):
    give_points(store, member.id, 10000)
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.redeem(2000)  # 2000 pts = 40 yuan, under the cap of 50 yuan
    q = co.quote()
    assert (q.points_for_cash, q.points_value_fen, q.net_fen) == (2000, 4000, 6000)
    co.redeem(5000)  # 100 yuan: over the 50 % cap -> cut to 2500 pts = 50 yuan, with a refusal that says so
    q = co.quote()
    assert (q.points_for_cash, q.points_value_fen, q.net_fen) == (2500, 5000, 5000)
    assert [r.code for r in q.refusals] == ["refusal.points_cap"]
    r = co.pay(cash(5000))
    # the 50 yuan paid with points earns nothing: 50 × 2 = 100 pts
    assert (r.points["redeemed"], r.points["earned"]) == (2500, 100)
    assert balance(store, member.id) == 10000 - 2500 + 100
    with store.read() as s:
        sale = s.get(Sale, uuid.UUID(r.sale_id))
        assert sale.spend_fen == 5000  # the part paid by points is not qualifying spend
        line = s.scalar(select(SaleLine).where(SaleLine.sale_id == sale.id))
        assert (line.net_fen, line.points_value_fen) == (5000, 5000)


def test_redeem_more_than_balance_is_cut_to_what_is_available(store, member):
    give_points(store, member.id, 250)
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.redeem(300)
    q = co.quote()
    # 250 available -> 200 (whole steps of 100) = 4 yuan
    assert q.points_for_cash == 200 and q.net_fen == 9600
    assert "refusal.not_enough_points" in [r.code for r in q.refusals]
    co.pay(cash(9600))
    assert balance(store, member.id) == 250 - 200 + 192  # 96 × 2


# --- tenders -------------------------------------------------------------------------


def test_cash_change_and_refused_tenders(store, member):
    co = Checkout(store)
    co.add(REG)
    for tenders, code in (
        ([Tender("wechat", 10001)], "tender.over"),  # only cash gives change
        ([Tender("wechat", 5000), Tender("bank_card", 5001)], "tender.over"),
        ([Tender("cash", 9999)], "tender.short"),
        ([Tender("wechat", 4000), Tender("cash", 5999)], "tender.short"),
        ([Tender("stored_value", 10000)], "tender.sv_member"),
        ([Tender("bitcoin", 10000)], "tender.unknown"),
        ([Tender("cash", 0), Tender("cash", 10000)], "tender.bad_amount"),
    ):
        with pytest.raises(DomainError) as e:
            co.pay(tenders)
        assert e.value.code == code, tenders
    assert counts(store)["sales"] == 0
    r = co.pay([Tender("wechat", 3000), Tender("cash", 10000)])
    # due 100, wechat 30, cash 100: change 30 yuan, the drawer keeps 70
    assert (r.totals["paid_fen"], r.totals["change_fen"]) == (13000, 3000)
    assert sorted((p["tender"], p["amount_fen"]) for p in r.payments) == [("cash", 7000), ("wechat", 3000)]


def test_stored_value_needs_member_and_balance(store, member):
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    with pytest.raises(DomainError) as e:
        co.pay([Tender("stored_value", 10000)])
    assert e.value.code == "tender.sv_short"
    checkout.topup(store, member.id, 5000, cash(5000))  # 50 yuan: no bonus below 500
    assert sv(store, member.id) == 5000
    with pytest.raises(DomainError) as e:
        co.pay([Tender("stored_value", 6000), Tender("cash", 4000)])
    assert e.value.code == "tender.sv_short"
    r = co.pay([Tender("stored_value", 5000), Tender("cash", 5000)])
    assert sv(store, member.id) == 0
    assert r.points["earned"] == 200  # stored value earns the normal rate
    with store.read() as s:
        pay = s.scalar(select(StoredValueEntry).where(StoredValueEntry.sale_id == uuid.UUID(r.sale_id)))
        assert (pay.kind, pay.amount_fen) == ("pay", -5000)
        assert ledger.find_drift(s) == []


# --- receipts, replay, one transaction ------------------------------------------------


def test_receipt_numbers_per_store_local_business_day(store, clock):
    assert sell(store, [REG]).receipt_no == "S001-01-20261123-0001"
    assert sell(store, [REG]).receipt_no == "S001-01-20261123-0002"
    clock.set(dt.datetime(2026, 11, 23, 23, 59))
    assert sell(store, [REG]).receipt_no == "S001-01-20261123-0003"
    # 00:30 in Shanghai is still 2026-11-23 16:30 UTC: the business day is the local one
    clock.set(dt.datetime(2026, 11, 24, 0, 30))
    r = sell(store, [REG])
    assert r.receipt_no == "S001-01-20261124-0001"
    with store.read() as s:
        assert s.get(Sale, uuid.UUID(r.sale_id)).business_date == dt.date(2026, 11, 24)
    assert sell(store, [REG]).receipt_no == "S001-01-20261124-0002"


def test_paying_twice_replays_and_writes_nothing(store, member):
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    first = co.pay(cash(10000))
    before = counts(store)
    assert before["sales"] == 1 and before["points_entries"] == 1
    again = co.pay(cash(20000))  # even with other tenders: the sale is already in the store
    assert again.replayed is True and first.replayed is False
    assert counts(store) == before
    assert (again.sale_id, again.receipt_no, again.totals, again.points["earned"]) == \
        (first.sale_id, first.receipt_no, first.totals, first.points["earned"])
    # a new Checkout object for the same basket (e.g. resumed after a crash) replays too
    co2 = Checkout.from_document(store, co.document())
    assert co2.pay(cash(10000)).replayed is True
    assert counts(store) == before
    assert balance(store, member.id) == 200


@pytest.mark.parametrize("target", ["pos.loyalty.coupons.use", "pos.loyalty.tiers.after_sale", "pos.services.checkout.emit"])
def test_a_commit_that_fails_halfway_leaves_nothing(store, member, monkeypatch, target):
    give_points(store, member.id, 1000)
    with store.transaction() as s:
        code = coupons.issue(s, store, program_store.active(store), "welcome-10", member_id=uuid.UUID(member.id),
                             source="signup").code
    before = counts(store)
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.add_coupon(code)
    co.redeem(1000)
    q = co.quote()
    # 100 - 10 coupon = 90, then 1000 pts = 20 yuan (cap 45): 70 yuan due
    assert q.net_fen == 7000 and q.coupons == [code]

    def boom(*a, **kw):
        raise RuntimeError("power cut")

    module, name = target.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", boom)
    with pytest.raises(RuntimeError):
        co.pay(cash(7000))
    assert counts(store) == before  # no sale, lines, payments, ledger entries, coupon use, outbox, receipt number
    assert balance(store, member.id) == 1000
    with store.read() as s:
        assert ledger.find_drift(s) == []
    monkeypatch.undo()
    r = co.pay(cash(7000))  # the same basket commits once the fault is gone, with the first receipt number
    assert r.receipt_no == "S001-01-20261123-0001"
    assert balance(store, member.id) == 1000 - 1000 + 140  # 70 × 2


def test_one_sale_committed_event_per_sale(store, member):
    r1 = sell(store, [REG], member.id)
    r2 = sell(store, [HALF])
    with store.read() as s:
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "sale.committed").order_by(OutboxEvent.seq)).all()
    assert [e.payload["sale"]["sale_id"] for e in events] == [r1.sale_id, r2.sale_id]
    assert events[0].payload["store"] == "S001"
    assert events[0].payload["sale"]["points"]["earned"] == 200
    assert all(e.status == "pending" for e in events)


# --- coupons and gifts ----------------------------------------------------------------


def test_coupon_issued_used_once_and_leaves_the_wallet(store, member, clock):
    mid = uuid.UUID(member.id)
    program = program_store.active(store)
    with store.transaction() as s:
        code = coupons.issue(s, store, program, "welcome-10", member_id=mid, source="signup").code
    with store.read() as s:
        assert [c.code for c in coupons.wallet(s, mid, clock.now())] == [code]
        c = s.scalar(select(Coupon).where(Coupon.code == code))
        # valid 30 days, to the start of the 31st local day
        assert c.valid_to == clock.start_of_day(dt.date(2026, 12, 23))
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.add_coupon(code.lower())  # typed in lower case
    r = co.pay(cash(9000))
    assert r.coupons == [code]
    assert r.totals["net_fen"] == 9000 and r.points["earned"] == 180  # the coupon's 10 yuan earns nothing
    with store.read() as s:
        assert coupons.wallet(s, mid, clock.now()) == []
        use = s.scalar(select(CouponUse))
        assert (use.amount_fen, str(use.sale_id), use.member_id) == (1000, r.sale_id, mid)
        assert s.get(Sale, uuid.UUID(r.sale_id)).spend_fen == 9000
    co2 = Checkout(store)
    co2.add(REG)
    co2.attach_member_id(member.id)
    co2.add_coupon(code)
    q = co2.quote()
    assert q.coupons == [] and q.net_fen == 10000
    assert [(x.what, x.code) for x in q.refusals] == [(code, "refusal.coupon_used")]
    r2 = co2.pay(cash(10000))
    assert r2.coupons == []
    assert counts(store)["coupon_uses"] == 1


def test_gifts_for_points_and_points_plus_cash(store, member):
    give_points(store, member.id, 2000)
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.add_gift("g-towel")
    co.add_gift("g-cup")
    q = co.quote()
    # towel: 500 pts, 0 cash; cup: 800 pts + 19.90 yuan
    assert q.gifts == ["g-towel", "g-cup"] and q.points_redeemed == 1300
    assert q.net_fen == 10000 + 1990
    # earned: 100 × 2 = 200 exact + cup cash 19.90 × 2 = 39.8 -> 239.8, floor 239 (towel line earns nothing)
    assert q.points_earned == 239
    r = co.pay(cash(11990))
    assert [(ln["name"], ln["net_fen"], ln["reward"]) for ln in r.lines[1:]] == [
        ("毛巾", 0, "gift:g-towel"), ("保温杯（积分+现金）", 1990, "gift:g-cup")]
    assert [ln["points"] for ln in r.lines] == [200, 0, 39]
    assert balance(store, member.id) == 2000 - 1300 + 239
    co2 = Checkout(store)
    co2.add(REG)
    co2.attach_member_id(member.id)
    co2.add_gift("g-umbrella")  # 1500 pts: only 939 left
    q2 = co2.quote()
    assert q2.gifts == [] and [x.code for x in q2.refusals] == ["refusal.not_enough_points"]


# --- suspend, resume, crash -------------------------------------------------------------


def test_suspend_resume_and_void(store, member):
    co = Checkout(store, cashier="c01")
    co.add(REG)
    co.add(REG)
    co.add(HALF)
    co.attach_member_id(member.id)
    co.redeem(0)
    basket_id = co.suspend()
    listed = checkout.suspended(store)
    assert [(b["id"], b["lines"]) for b in listed] == [(basket_id, 2)]
    other = Checkout(store)  # the register serves the next customer meanwhile
    other.add(NONE)
    r_other = other.pay(cash(10000))
    back = checkout.resume(store, basket_id)
    assert str(back.sale_id) == basket_id and back.member_id == member.id and back.cashier == "c01"
    assert [(ln.code, ln.qty) for ln in back.lines] == [(REG, 2), (HALF, 1)]
    assert checkout.suspended(store) == []
    r = back.pay(cash(25000))
    assert r.totals["net_fen"] == 25000 and r.receipt_no != r_other.receipt_no
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Basket)) == 0
    v = Checkout(store)
    v.add(REG)
    v.attach_member_id(member.id)
    v.suspend()
    v.void()
    assert v.lines == [] and v.member_id is None
    assert checkout.suspended(store) == [] and checkout.resume(store) is None
    assert counts(store)["sales"] == 2


def test_saved_basket_survives_a_crash(store, member):
    co = Checkout(store)
    co.add(REG)
    co.add(ean13("215432101500"))
    co.attach_member_id(member.id)
    co.save()
    sale_id = co.sale_id
    del co  # the till loses power; a new process opens the store
    back = checkout.resume(store)
    assert back is not None and back.sale_id == sale_id
    assert [(ln.kind, ln.unit_fen, ln.grams) for ln in back.lines] == [("product", 10000, None), ("weight", 4499, 1500)]
    r = back.pay(cash(14499))
    assert r.totals["net_fen"] == 14499 and r.points["earned"] == 289  # 100 × 2 + 44.99 × 2 = 289.98, floor 289
    assert checkout.resume(store) is None  # committed: the basket row is gone
    # the resumed object paying again (the cashier presses Pay twice) replays
    assert checkout.Checkout.from_document(store, back.document()).pay(cash(14499)).replayed


# --- stored value and pending points ------------------------------------------------------


def test_topup_bonus_ledger_and_not_tier_spend(store, member):
    r = checkout.topup(store, member.id, 100000, [Tender("wechat", 100000)])
    assert r.kind == "topup" and r.receipt_no == "S001-01-20261123-0001"
    assert sv(store, member.id) == 110000  # 1000 yuan + 100 bonus
    with store.read() as s:
        entries = s.scalars(select(StoredValueEntry).order_by(StoredValueEntry.amount_fen.desc())).all()
        assert [(e.kind, e.amount_fen) for e in entries] == [("topup", 100000), ("bonus", 10000)]
        assert s.get(Sale, uuid.UUID(r.sale_id)).spend_fen == 0
        m = s.get(Member, uuid.UUID(member.id))
        assert m.tier_code == "member"
        assert tiers.spend_since(s, m.id, m.tier_since) == 0
        assert ledger.points_balance(s, m.id) == 0  # a top-up earns no points
        assert ledger.find_drift(s) == []
    with pytest.raises(DomainError) as e:
        checkout.topup(store, member.id, 50, cash(50))
    assert e.value.code == "topup.min"
    with pytest.raises(DomainError) as e:
        checkout.topup(store, member.id, 100000, [Tender("stored_value", 100000)])
    assert e.value.code == "tender.unknown"
    # 5,000 yuan at once lifts to VIP (upgrade_by_topup) — but is still not qualifying spend
    checkout.topup(store, member.id, 500000, cash(500000))
    with store.read() as s:
        m = s.get(Member, uuid.UUID(member.id))
        assert m.tier_code == "vip"
        assert s.scalar(select(TierChange.reason).where(TierChange.member_id == m.id)) == "topup"
        assert tiers.qualifying_spend(s, m) == 0
    assert sv(store, member.id) == 110000 + 500000 + 10000


def test_shipped_sale_points_pending_for_30_days(store, member, clock):
    r = sell(store, [REG], member.id, channel="shipped")
    assert r.points["earned"] == 200
    assert balance(store, member.id) == 200 and available(store, member.id) == 0
    co = Checkout(store)
    co.add(REG)
    co.attach_member_id(member.id)
    co.redeem(100)
    q = co.quote()
    assert q.points_for_cash == 0 and "refusal.not_enough_points" in [x.code for x in q.refusals]
    clock.advance(days=29, hours=23)
    assert available(store, member.id) == 0
    clock.advance(hours=1)
    assert available(store, member.id) == 200
    q = co.quote()
    assert q.points_for_cash == 100 and q.net_fen == 9800
    co.pay(cash(9800))
    assert balance(store, member.id) == 200 - 100 + 196
    # an in-store sale's points are usable at once
    sell(store, [REG], member.id)
    assert available(store, member.id) == 296 + 200
