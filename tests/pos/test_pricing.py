"""The pricing engine (SPEC §3–§7): worked numbers of the shipped presets,
promotions, coupons, gifts, campaigns, refusals, largest remainder, and
property tests of the invariants over random baskets.

Numbers in comments are worked by hand: amounts in fen, points per yuan, so
points = net_fen × rate × multiplier / 100.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.rules import program
from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, Quote, Tender, multiplier_for, price

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)  # 2026-01-01 10:00 in Shanghai
VANCL = program.preset("vancl")
HDCRM = program.preset("hdcrm")
RAW = {n: json.loads((program.PRESETS / f"{n}.json").read_text(encoding="utf-8")) for n in ("vancl", "hdcrm")}


def variant(name: str, edit) -> program.ProgramDoc:
    """A validated copy of a preset, edited as a JSON dict."""
    data = copy.deepcopy(RAW[name])
    edit(data)
    return program.parse(data)


def promo(data: dict, code: str) -> dict:
    return next(p for p in data["promotions"] if p["code"] == code)


def item(code: str = "A", unit: int = 10000, qty: int = 1, category: str = "服装", **kw) -> Item:
    return Item(code, f"商品{code}", category, qty, unit, **kw)


def member(tier: str = "svip", points: int = 0, id: str = "m1", birthday: dt.date | None = None) -> MemberCtx:
    return MemberCtx(id, tier, points, birthday)


def coupon(template: str, code: str | None = None, member_id: str | None = "m1",
           valid_from: dt.datetime = dt.datetime(2025, 12, 1, tzinfo=UTC),
           valid_to: dt.datetime = dt.datetime(2026, 2, 1, tzinfo=UTC), **kw) -> CouponCtx:
    return CouponCtx(code or f"C-{template}", template, valid_from, valid_to, member_id=member_id, **kw)


def check(q: Quote, prog: program.ProgramDoc = VANCL, req: PriceRequest | None = None) -> Quote:
    """Invariants every quote must hold (used on every quote of this module)."""
    assert sum(ln.net_fen for ln in q.lines) == q.net_fen == q.gross_fen - q.discount_fen
    for ln in q.lines:
        assert ln.net_fen >= 0, ln
        assert all(d.amount_fen > 0 for d in ln.discounts), ln
        assert ln.gross_fen - sum(d.amount_fen for d in ln.discounts) == ln.net_fen, ln
        assert ln.points >= 0
        if ln.item.reward is not None:
            assert not ln.discounts, "reward lines are never discounted"
    assert q.points_earned >= 0
    assert q.points_earned == sum(ln.points for ln in q.lines)
    assert q.points_value_fen == prog.redemption.fen_for(q.points_for_cash)
    assert sum(ln.discounted_by("points") for ln in q.lines) == q.points_value_fen
    if q.member_id is None:
        assert q.points_earned == 0 and q.points_redeemed == 0
    if req is not None and req.member is not None:
        assert q.points_redeemed <= req.member.points_available
    return q


def quote(*items: Item, prog: program.ProgramDoc = VANCL, **kw) -> Quote:
    kw.setdefault("now", NOW)
    req = PriceRequest(items=tuple(items), **kw)
    return check(price(req, prog), prog, req)


def refused(q: Quote, code: str):
    hits = [r for r in q.refusals if r.code == code]
    assert hits, f"no {code} in {q.refusals}"
    return hits[0]


def codes(q: Quote) -> list[str]:
    return [r.code for r in q.refusals]


def line_discount(q: Quote, kind: str) -> int:
    return sum(ln.discounted_by(kind) for ln in q.lines)


# =============================================================================
# SPEC §3/§4 worked numbers (vancl preset)
# =============================================================================

def test_svip_100_yuan_regular_earns_400_points_worth_8_yuan():
    # net 10,000 fen: a product without member discount keeps its 100 yuan
    q = quote(item(unit=10000, no_member_discount=True), member=member("svip"))
    assert q.net_fen == 10000
    assert q.points_earned == 400  # 100 × 2 pts/yuan × SVIP ×2
    assert VANCL.redemption.fen_for(400) == 800  # 400 pts at 100 pts = 2 yuan → 8 yuan
    # same with a tier-discounted price that comes to 100 yuan: 10526 × 95 % = 9999.7 → 10000
    q = quote(item(unit=10526), member=member("svip"))
    assert q.net_fen == 10000
    assert q.points_earned == 400


def test_redemption_value_100_points_is_2_yuan():
    r = VANCL.redemption
    assert r.fen_for(100) == 200
    assert r.fen_for(150) == 200  # whole units only
    assert r.fen_for(99) == 0
    assert r.fen_for(2500) == 5000


@pytest.mark.parametrize(
    ("tier", "net", "points"),
    [
        (None, 10000, 0),          # non-member: full price, no points
        ("member", 10000, 200),    # 100 yuan × 2
        ("vip", 9800, 294),        # 98 %; 98 yuan × 2 × 1.5
        ("svip", 9500, 380),       # 95 %; 95 yuan × 2 × 2
    ],
)
def test_tier_discount_and_multiplier_on_regular_items(tier, net, points):
    q = quote(item(unit=10000), member=member(tier) if tier else None)
    assert q.net_fen == net
    assert line_discount(q, "tier") == 10000 - net
    assert q.points_earned == points
    if tier in ("vip", "svip"):
        assert q.lines[0].discounts[0].kind == "tier" and q.lines[0].discounts[0].code == tier


def test_tier_discount_rounds_half_up_per_line():
    # 999 fen at 95 %: 949.05 → pays 949, discount 50
    q = quote(item(unit=999), member=member("svip"))
    assert q.net_fen == 949
    assert line_discount(q, "tier") == 50


def test_special_price_items_earn_half_a_point_and_get_no_member_discount():
    q = quote(item(unit=10000, points_class="special"), member=member("svip"))
    assert q.net_fen == 10000 and not q.lines[0].discounts
    assert q.points_earned == 100  # 100 yuan × 0.5 × 2
    q = quote(item(unit=10000, points_class="special"), member=member("vip"))
    assert q.points_earned == 75  # 100 × 0.5 × 1.5


def test_items_of_class_none_earn_nothing():
    q = quote(item(unit=10000, points_class="none"), member=member("svip"))
    assert q.net_fen == 9500  # still gets the tier discount
    assert q.points_earned == 0


def test_group_buy_category_gets_no_member_discount_but_earns():
    q = quote(item(unit=10000, category="团购"), member=member("svip"))
    assert q.net_fen == 10000 and not q.lines[0].discounts
    assert q.points_earned == 400


def test_product_with_no_member_discount_gets_none():
    q = quote(item("A", 10000, no_member_discount=True), item("B", 10000), member=member("vip"))
    assert [ln.net_fen for ln in q.lines] == [10000, 9800]


def test_excluded_product_in_program_gets_no_member_discount():
    prog = variant("vancl", lambda d: d["member_discount"].update(exclude_products=["A"]))
    q = quote(item("A", 10000), item("B", 10000), member=member("svip"), prog=prog)
    assert [ln.net_fen for ln in q.lines] == [10000, 9500]


def test_gift_card_part_earns_one_point_per_yuan_times_tier():
    # SVIP net 9500; 50 yuan by gift card: 45 yuan × 2 × 2 = 180 + 50 × 1 × 2 = 100 → 280
    q = quote(item(unit=10000), member=member("svip"), tenders=(Tender("gift_card", 5000),))
    assert q.points_earned == 280
    # all of it by gift card (more than due): 95 × 1 × 2 = 190
    q = quote(item(unit=10000), member=member("svip"), tenders=(Tender("gift_card", 20000),))
    assert q.points_earned == 190
    # other tenders earn the item rate: 95 × 2 × 2 = 380
    q = quote(item(unit=10000), member=member("svip"), tenders=(Tender("wechat", 9500),))
    assert q.points_earned == 380


def test_two_gift_cards_count_together():
    # 30 + 20 yuan of gift cards = 50 yuan by gift card: same 280 as one card of 50
    q = quote(item(unit=10000), member=member("svip"),
              tenders=(Tender("gift_card", 3000), Tender("gift_card", 2000), Tender("cash", 4500)))
    assert q.points_earned == 280


def test_gift_card_on_a_vip():
    # VIP net 9800, 98 yuan by gift card: 98 × 1 × 1.5 = 147
    q = quote(item(unit=10000), member=member("vip"), tenders=(Tender("gift_card", 9800),))
    assert q.points_earned == 147


# =============================================================================
# Points for cash (抵现)
# =============================================================================

def test_points_for_cash_and_the_paid_part_earns_nothing():
    # member tier (100 %), 100 yuan, 1000 pts = 20 yuan → pays 80, earns 80 × 2 = 160
    q = quote(item(unit=10000), member=member("member", points=5000), redeem_points=1000)
    assert q.points_for_cash == 1000 and q.points_redeemed == 1000
    assert q.points_value_fen == 2000
    assert q.net_fen == 8000
    assert line_discount(q, "points") == 2000
    assert q.points_earned == 160
    assert q.refusals == []


def test_points_for_cash_capped_at_half_the_order_and_the_refusal_names_the_cap():
    # cap: 50 % of 10000 = 5000 fen = 2500 pts
    q = quote(item(unit=10000), member=member("member", points=5000), redeem_points=3000)
    r = refused(q, "refusal.points_cap")
    assert dict(r.params) == {"cap": "2500", "value": "50.00", "pct": "50"}
    assert "2500" in r.reason("en") and "50.00" in r.reason("en") and "50%" in r.reason("en")
    assert "2500" in r.reason("zh_CN") and "50.00" in r.reason("zh_CN")
    assert q.points_for_cash == 2500 and q.points_value_fen == 5000
    assert q.net_fen == 5000


def test_points_cap_is_on_the_net_after_discounts():
    # SVIP: 9500 net → cap 4750 fen → 2300 pts (whole 2-yuan units) → 4600 fen
    q = quote(item(unit=10000), member=member("svip", points=9000), redeem_points=5000)
    assert refused(q, "refusal.points_cap").params[0] == ("cap", "2300")
    assert q.points_for_cash == 2300 and q.net_fen == 9500 - 4600


def test_not_enough_points():
    q = quote(item(unit=10000), member=member("member", points=250), redeem_points=300)
    r = refused(q, "refusal.not_enough_points")
    assert dict(r.params) == {"need": "300", "have": "250"}
    assert "300" in r.reason("en") and "250" in r.reason("en")
    # what is there, in whole steps, is used: 200 pts = 4 yuan
    assert q.points_for_cash == 200 and q.net_fen == 9600


def test_points_in_steps_of_100():
    q = quote(item(unit=10000), member=member("member", points=5000), redeem_points=150)
    assert dict(refused(q, "refusal.points_step").params) == {"step": "100"}
    assert q.points_for_cash == 0 and q.net_fen == 10000


def test_points_minimum_per_redemption():
    prog = variant("vancl", lambda d: d["redemption"].update(min_points=500))
    q = quote(item(unit=10000), member=member("member", points=5000), redeem_points=300, prog=prog)
    assert dict(refused(q, "refusal.points_min").params) == {"min": "500"}
    assert q.points_for_cash == 0


def test_non_member_cannot_redeem_points():
    q = quote(item(unit=10000), redeem_points=100)
    refused(q, "refusal.points_need_member")
    assert q.points_redeemed == 0 and q.net_fen == 10000 and q.points_earned == 0


def test_hdcrm_cap_is_30_percent_and_100_points_is_1_yuan():
    # 100 yuan at member tier: cap 3000 fen = 3000 pts (100 pts = 1 yuan)
    q = quote(item(unit=10000), member=member("member", points=9999), redeem_points=5000, prog=HDCRM)
    assert dict(refused(q, "refusal.points_cap").params) == {"cap": "3000", "value": "30.00", "pct": "30"}
    assert q.points_value_fen == 3000 and q.net_fen == 7000


# =============================================================================
# Item prices: member price, flash price, member vs non-member
# =============================================================================

def test_member_price_beats_the_tier_discount_no_double_discount():
    a = item(unit=10000, member_unit_fen=9000)
    for tier in ("member", "vip", "svip"):
        q = quote(a, member=member(tier))
        assert q.net_fen == 9000, tier  # not 9000 × 95 %
        assert [d.kind for d in q.lines[0].discounts] == ["member_price"]
    assert quote(a).net_fen == 10000  # non-member pays the regular price
    # quantity 3: 3 × 90 yuan
    assert quote(item(unit=10000, qty=3, member_unit_fen=9000), member=member("svip")).net_fen == 27000


def test_member_price_above_the_regular_price_is_ignored():
    q = quote(item(unit=10000, member_unit_fen=12000), member=member("svip"))
    assert q.net_fen == 9500 and [d.kind for d in q.lines[0].discounts] == ["tier"]


def _flash(prices: dict, code: str = "flash", **extra):
    def edit(d):
        d["promotions"].append({"code": code, "name": {"zh": "限时抢购", "en": "Flash sale"},
                                "kind": "flash_price", "flash_prices": prices, **extra})
    return edit


def test_flash_price_is_for_everyone_and_the_tier_discount_stacks_by_default():
    prog = variant("vancl", _flash({"A": 8000}))
    q = quote(item("A", 10000), prog=prog)
    assert q.net_fen == 8000 and line_discount(q, "flash_price") == 2000
    q = quote(item("A", 10000), member=member("svip"), prog=prog)
    assert q.net_fen == 7600  # 8000 × 95 %
    # a program that keeps the tier discount off flash items
    prog2 = variant("vancl", lambda d: (_flash({"A": 8000})(d), d["member_discount"].update(on_promotion_items=False)))
    q = quote(item("A", 10000), item("B", 10000), member=member("svip"), prog=prog2)
    assert [ln.net_fen for ln in q.lines] == [8000, 9500]


def test_flash_price_outside_its_window_does_not_apply():
    prog = variant("vancl", _flash({"A": 8000}, window={"start": "2026-03-01T00:00:00+08:00",
                                                         "end": "2026-03-02T00:00:00+08:00"}))
    assert quote(item("A", 10000), prog=prog).net_fen == 10000
    assert quote(item("A", 10000), prog=prog, now=dt.datetime(2026, 3, 1, 1, tzinfo=UTC)).net_fen == 8000


def test_two_overlapping_flash_sales_give_the_lowest_price_not_the_sum():
    # a chain-wide 80-yuan flash price and a store's 70-yuan one: the item costs 70,
    # never 100 − 20 − 30 = 50
    prog = variant("vancl", lambda d: (_flash({"A": 8000}, code="flash-a")(d),
                                       _flash({"A": 7000}, code="flash-b")(d)))
    q = quote(item("A", 10000, qty=2), prog=prog)
    assert q.net_fen == 14000
    # and never below zero: two sales at 30 and 20 yuan → 20, not 100 − 70 − 80
    prog = variant("vancl", lambda d: (_flash({"A": 3000}, code="flash-a")(d),
                                       _flash({"A": 2000}, code="flash-b")(d)))
    assert quote(item("A", 10000), prog=prog).net_fen == 2000


def test_member_flash_price_only_for_members():
    prog = variant("vancl", _flash({"A": 8000}, members_only=True))
    assert quote(item("A", 10000), prog=prog).net_fen == 10000
    assert quote(item("A", 10000), member=member("member"), prog=prog).net_fen == 8000


def test_member_pays_less_and_member_saved_is_non_member_net_minus_net_and_points():
    basket = (item("A", 10000), item("B", 5000))
    non = quote(*basket)
    assert non.net_fen == 15000 and non.member_saved_fen == 0
    q = quote(*basket, member=member("svip"))
    assert q.net_fen == 14250  # 9500 + 4750
    assert q.member_saved_fen == 750 == non.net_fen - q.net_fen
    # with 1000 pts for cash (20 yuan): net 12250, points worth 2000 → still saved 750
    q = quote(*basket, member=member("svip", points=1000), redeem_points=1000)
    assert q.net_fen == 12250 and q.points_value_fen == 2000
    assert q.member_saved_fen == non.net_fen - (q.net_fen + q.points_value_fen) == 750


def test_member_saved_does_not_count_the_cash_paid_for_a_gift():
    # SVIP 100 yuan → 95, plus the thermos (800 pts + 19.90): the cup is an extra
    # purchase, membership still saved 5 yuan on the goods
    q = quote(item("A", 10000), member=member("svip", points=800), gifts=("g-cup",))
    assert q.net_fen == 9500 + 1990
    assert q.member_saved_fen == 500


# =============================================================================
# Order promotions
# =============================================================================

@pytest.mark.parametrize(
    ("gross", "net"),
    [
        (29999, 29999),    # below 300
        (30000, 27000),    # 300 → 30 off
        (65000, 59000),    # 650 → 2 × 30 = 60 off
        (90000, 81000),    # 900 → 3 × 30
    ],
)
def test_full_reduction_300_minus_30_repeats(gross, net):
    q = quote(item(unit=gross))
    assert q.net_fen == net
    assert line_discount(q, "promotion") == gross - net
    assert q.promotions == (["mr-300-30"] if net < gross else [])


def test_full_reduction_is_spread_over_lines_by_largest_remainder():
    # 6000 over 40000 / 25000: 3692.31 / 2307.69 → 3692 / 2308
    q = quote(item("A", 40000), item("B", 25000))
    assert [ln.discounted_by("promotion") for ln in q.lines] == [3692, 2308]
    assert [ln.net_fen for ln in q.lines] == [36308, 22692]


def test_full_reduction_on_the_member_net():
    # SVIP 650 yuan: 617.50 after 95 %, still 2 × 300 → 60 off → 557.50
    q = quote(item(unit=65000), member=member("svip"))
    assert q.net_fen == 55750


def test_member_never_pays_more_when_the_tier_discount_drops_below_a_threshold():
    # non-member: 300 yuan → 满300减30 → 270. A VIP at 98 % has 294 < 300: with the
    # tier discount the promotion is missed; the engine must give the VIP at least 270.
    non = quote(item(unit=30000))
    assert non.net_fen == 27000
    q = quote(item(unit=30000), member=member("vip"))
    assert q.net_fen <= non.net_fen
    assert q.net_fen == 27000 and q.promotions == ["mr-300-30"]
    # 310 yuan SVIP: 294.50 with the tier discount vs 280 with the promotion
    q = quote(item(unit=31000), member=member("svip"))
    assert q.net_fen == 28000
    # where the tier discount is better it stays: SVIP 100 yuan
    assert quote(item(unit=10000), member=member("svip")).net_fen == 9500


def test_hdcrm_exclusive_group_picks_the_best_promotion():
    # 600 yuan: 满500享95折 = 30 off, 满200减20 = 20 off → 95折
    q = quote(item(unit=60000), prog=HDCRM)
    assert q.promotions == ["mz-500-95"] and q.net_fen == 57000
    # 300 yuan: only 满200减20 qualifies
    q = quote(item(unit=30000), prog=HDCRM)
    assert q.promotions == ["mr-200-20"] and q.net_fen == 28000
    # SVIP 600 yuan: 570 after 95 %; 95折 = 28.50 off vs 20 → 541.50
    q = quote(item(unit=60000), member=member("svip"), prog=HDCRM)
    assert q.promotions == ["mz-500-95"] and q.net_fen == 54150


def test_equal_offers_in_a_group_go_to_the_higher_priority():
    def lower_threshold(d):
        promo(d, "mz-500-95")["threshold_fen"] = 20000
    # 400 yuan: 95折 = 20 off, 满200减20 = 20 off → tie → priority 10 (满减) wins
    q = quote(item(unit=40000), prog=variant("hdcrm", lower_threshold))
    assert q.promotions == ["mr-200-20"] and q.net_fen == 38000

    def swapped(d):
        lower_threshold(d)
        promo(d, "mz-500-95")["priority"], promo(d, "mr-200-20")["priority"] = 10, 5
    q = quote(item(unit=40000), prog=variant("hdcrm", swapped))
    assert q.promotions == ["mz-500-95"] and q.net_fen == 38000


def test_promotions_without_a_group_apply_in_priority_order():
    def ungrouped(d):
        for p in d["promotions"]:
            p["exclusive_group"] = None
    # 满减 first (priority 10): 600 → 580; then 95折 on 580 → 551
    q = quote(item(unit=60000), prog=variant("hdcrm", ungrouped))
    assert q.promotions == ["mr-200-20", "mz-500-95"] and q.net_fen == 55100

    def swapped(d):
        ungrouped(d)
        promo(d, "mz-500-95")["priority"], promo(d, "mr-200-20")["priority"] = 10, 5
    # 95折 first: 600 → 570; then 满减 → 550
    q = quote(item(unit=60000), prog=variant("hdcrm", swapped))
    assert q.promotions == ["mz-500-95", "mr-200-20"] and q.net_fen == 55000


def test_promotion_without_member_discount_promotion_is_better():
    prog = variant("vancl", lambda d: promo(d, "mr-300-30").update(with_member_discount=False))
    # VIP, 300 yuan: tier 294 (promotion refused) vs no tier + 满减 270 → 270
    q = quote(item(unit=30000), member=member("vip"), prog=prog)
    assert q.net_fen == 27000
    assert q.promotions == ["mr-300-30"]
    assert line_discount(q, "tier") == 0
    assert "refusal.promotion_vs_member" not in codes(q)


def test_promotion_without_member_discount_tier_is_better():
    def edit(d):
        promo(d, "mr-300-30").update(with_member_discount=False, repeat=False)
    prog = variant("vancl", edit)
    # SVIP, 1000 yuan: tier 950 vs no tier + 30 off 970 → the tier discount, promotion refused
    q = quote(item(unit=100000), member=member("svip"), prog=prog)
    assert q.net_fen == 95000 and q.promotions == []
    assert refused(q, "refusal.promotion_vs_member").what == "mr-300-30"
    non = quote(item(unit=100000), prog=prog)
    assert non.net_fen == 97000 and q.net_fen < non.net_fen


def test_members_only_promotion_is_not_for_non_members():
    prog = variant("vancl", lambda d: promo(d, "mr-300-30").update(members_only=True))
    assert quote(item(unit=30000), prog=prog).net_fen == 30000
    q = quote(item(unit=30000), member=member("member"), prog=prog)
    assert q.net_fen == 27000 and q.promotions == ["mr-300-30"]


def test_promotion_time_window_start_inclusive_end_exclusive():
    prog = variant("vancl", lambda d: promo(d, "mr-300-30").update(
        window={"start": "2026-03-01T00:00:00+08:00", "end": "2026-03-08T00:00:00+08:00"}))
    at = lambda *a: quote(item(unit=30000), prog=prog, now=dt.datetime(*a, tzinfo=UTC)).net_fen  # noqa: E731
    assert at(2026, 2, 28, 15, 59, 59) == 30000  # 23:59:59 the day before, Shanghai time
    assert at(2026, 2, 28, 16, 0, 0) == 27000    # 00:00 on 1 March in Shanghai
    assert at(2026, 3, 5, 4, 0, 0) == 27000
    assert at(2026, 3, 7, 15, 59, 59) == 27000
    assert at(2026, 3, 7, 16, 0, 0) == 30000     # the end is exclusive


def test_promotion_for_other_stores_does_not_apply():
    prog = variant("vancl", lambda d: promo(d, "mr-300-30").update(scope={"stores": ["s2"]}))
    assert quote(item(unit=30000), prog=prog, store="s1").net_fen == 30000
    assert quote(item(unit=30000), prog=prog, store="s2").net_fen == 27000


def test_promotion_scope_excludes_categories_from_the_threshold():
    prog = variant("vancl", lambda d: promo(d, "mr-300-30").update(scope={"exclude_categories": ["团购"]}))
    # 200 yuan clothes + 200 yuan group-buy: only 200 counts → no 满300减30
    q = quote(item("A", 20000), item("B", 20000, category="团购"), prog=prog)
    assert q.net_fen == 40000
    # 300 + 200: 30 off, all of it on the clothes line
    q = quote(item("A", 30000), item("B", 20000, category="团购"), prog=prog)
    assert [ln.net_fen for ln in q.lines] == [27000, 20000]


def test_gift_with_purchase_adds_a_free_line():
    def edit(d):
        d["promotions"].append({"code": "gwp", "name": {"zh": "满200送袜", "en": "Socks over 200"},
                                "kind": "gift_with_purchase", "threshold_fen": 20000, "gift_product": "SOCK"})
    prog = variant("vancl", edit)
    q = quote(item(unit=20000), prog=prog, products={"SOCK": ("袜子", "配件")})
    gift = q.lines[-1]
    assert gift.item.reward == "promo:gwp" and gift.item.name == "袜子"
    assert gift.net_fen == gift.gross_fen == 0
    assert "gwp" in q.promotions
    assert len(quote(item(unit=19999), prog=prog).lines) == 1


# =============================================================================
# Coupons (vancl templates)
# =============================================================================

def test_welcome_voucher():
    q = quote(item(unit=10000), member=member("member"), coupons=(coupon("welcome-10", "W1"),))
    assert q.coupons == ["W1"] and q.net_fen == 9000
    assert line_discount(q, "coupon") == 1000
    assert q.points_earned == 180  # the coupon part earns nothing: 90 × 2


def test_coupon_threshold_not_met_says_how_much_more():
    q = quote(item(unit=25000), member=member("member"), coupons=(coupon("mj-300-30", "M1"),))
    r = refused(q, "refusal.threshold")
    assert r.what == "M1" and dict(r.params) == {"need": "300.00", "more": "50.00"}
    assert "50.00" in r.reason("en") and "300.00" in r.reason("en")
    assert "还差 50.00 元" in r.reason("zh_CN")
    assert q.net_fen == 25000 and q.coupons == []


def test_coupon_threshold_on_the_net_amount():
    # VIP 260 yuan → 254.80 net: 45.20 more needed
    q = quote(item(unit=26000), member=member("vip"), coupons=(coupon("mj-300-30", "M1"),))
    assert dict(refused(q, "refusal.threshold").params)["more"] == "45.20"


@pytest.mark.parametrize(
    ("kw", "now", "code", "params"),
    [
        ({}, dt.datetime(2026, 2, 1, tzinfo=UTC), "refusal.coupon_expired", {"date": "2026-02-01"}),
        ({"valid_from": dt.datetime(2026, 1, 2, tzinfo=UTC)}, NOW, "refusal.coupon_not_yet", {"date": "2026-01-02"}),
        ({"status": "used"}, NOW, "refusal.coupon_used", {}),
        ({"status": "void"}, NOW, "refusal.coupon_void", {}),
        ({"member_id": "m2"}, NOW, "refusal.coupon_other_member", {}),
        ({"member_uses": 1}, NOW, "refusal.coupon_limit", {"limit": "1"}),
    ],
)
def test_coupon_refusals(kw, now, code, params):
    q = quote(item(unit=10000), member=member("member"), coupons=(coupon("welcome-10", "W1", **kw),), now=now)
    r = refused(q, code)
    assert r.what == "W1" and dict(r.params) == params
    assert q.coupons == [] and q.net_fen == 10000


def test_coupon_valid_just_before_it_expires():
    q = quote(item(unit=10000), member=member("member"), coupons=(coupon("welcome-10"),),
              now=dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC))
    assert q.net_fen == 9000


def test_members_only_coupon_without_member():
    q = quote(item(unit=10000), coupons=(coupon("welcome-10", "W1", member_id=None),))
    refused(q, "refusal.coupon_members_only")
    assert q.net_fen == 10000


def test_bearer_coupon_of_an_open_template_works_for_anyone():
    prog = variant("vancl", lambda d: d["coupon_templates"][0].update(members_only=False))
    q = quote(item(unit=10000), coupons=(coupon("welcome-10", "W1", member_id=None),), prog=prog)
    assert q.net_fen == 9000 and q.coupons == ["W1"]


def test_two_coupons_that_do_not_stack():
    q = quote(item(unit=10000), member=member("member"),
              coupons=(coupon("welcome-10", "W1"), coupon("winback-20", "R1")))
    assert q.coupons == ["W1"] and q.net_fen == 9000
    assert refused(q, "refusal.coupon_not_stackable").what == "R1"


def test_stackable_coupons_stack():
    def edit(d):
        for t in d["coupon_templates"]:
            t["stackable"] = True
    q = quote(item(unit=10000), member=member("member"), prog=variant("vancl", edit),
              coupons=(coupon("welcome-10", "W1"), coupon("winback-20", "R1")))
    assert q.coupons == ["W1", "R1"] and q.net_fen == 7000


def test_unknown_coupons():
    q = quote(item(unit=10000), member=member("member"), unknown_coupons=("NOPE",),
              coupons=(coupon("no-such-template", "X1"),))
    assert [r.what for r in q.refusals if r.code == "refusal.coupon_unknown"] == ["NOPE", "X1"]
    assert q.net_fen == 10000


def test_percent_off_coupon_with_its_cap():
    prog = variant("vancl", lambda d: d.update(promotions=[]))
    # SVIP 500 yuan → 475, 9折 → 47.50 off → 427.50
    q = quote(item(unit=50000), member=member("svip"), coupons=(coupon("bday-svip", "B1"),), prog=prog)
    assert q.net_fen == 42750
    # SVIP 1500 yuan → 1425, 10 % = 142.50 capped at 100 → 1325
    q = quote(item(unit=150000), member=member("svip"), coupons=(coupon("bday-svip", "B1"),), prog=prog)
    assert q.net_fen == 132500 and line_discount(q, "coupon") == 10000


def test_coupon_vs_promotion_the_promotion_is_better():
    # SVIP 2000 yuan → 1900: 满300减30 × 6 = 180 off → 1720; the 9折 coupon would
    # be capped at 100 off → 1800. Promotion kept, coupon refused.
    q = quote(item(unit=200000), member=member("svip"), coupons=(coupon("bday-svip", "B1"),))
    assert q.net_fen == 172000 and q.promotions == ["mr-300-30"] and q.coupons == []
    r = refused(q, "refusal.coupon_vs_promotion")
    assert r.what == "B1" and dict(r.params) == {"promotion": "mr-300-30"}
    # the reason names the promotion in words, never its code (issue 11)
    assert r.reason("en") == "Not combined with promotion 30 off every 300" and "mr-300-30" not in r.reason("zh_CN")
    assert r.reason("zh_CN") == "不与促销 满300减30 同享" and r.name("zh_CN") == "SVIP生日券9折"


def test_coupon_vs_promotion_the_coupon_is_better():
    # SVIP 400 yuan → 380: 满300减30 → 350; 9折 coupon → 38 off → 342. Coupon kept.
    q = quote(item(unit=40000), member=member("svip"), coupons=(coupon("bday-svip", "B1"),))
    assert q.net_fen == 34200 and q.coupons == ["B1"] and q.promotions == []
    assert line_discount(q, "promotion") == 0


def test_coupon_vs_promotion_tie_keeps_the_promotion():
    # member 300 yuan: 满300减30 → 270, or the 满300减30 coupon → 270: promotion kept
    q = quote(item(unit=30000), member=member("member"), coupons=(coupon("mj-300-30", "M1"),))
    assert q.net_fen == 27000 and q.promotions == ["mr-300-30"]
    refused(q, "refusal.coupon_vs_promotion")


def test_coupon_that_combines_with_promotions():
    prog = variant("vancl", lambda d: d["coupon_templates"][1].update(with_promotions=True))
    # member 600 yuan: 2 × 30 off → 540, then the 满300减30 coupon on 540 → 510
    q = quote(item(unit=60000), member=member("member"), coupons=(coupon("mj-300-30", "M1"),), prog=prog)
    assert q.net_fen == 51000 and q.promotions == ["mr-300-30"] and q.coupons == ["M1"]


def test_coupon_scoped_to_a_category():
    prog = variant("vancl", lambda d: d["coupon_templates"][0].update(scope={"categories": ["鞋"]}))
    q = quote(item("A", 5000), item("B", 5000, category="鞋"), member=member("member"),
              coupons=(coupon("welcome-10", "W1"),), prog=prog)
    assert [ln.net_fen for ln in q.lines] == [5000, 4000]
    q = quote(item("A", 5000), member=member("member"), coupons=(coupon("welcome-10", "W1"),), prog=prog)
    refused(q, "refusal.coupon_no_items")


def test_coupon_spread_ties_go_to_the_earlier_line_and_points_add_up():
    # 10 yuan over three 10-yuan lines: 3.33 each, one fen left → first line: 334/333/333
    q = quote(item("A", 1000), item("B", 1000), item("C", 1000), member=member("member"),
              coupons=(coupon("welcome-10"),))
    assert [ln.discounted_by("coupon") for ln in q.lines] == [334, 333, 333]
    assert [ln.net_fen for ln in q.lines] == [666, 667, 667]
    # points: 13.32 + 13.34 + 13.34 = 40 → floors 39, +1 to the first .34
    assert q.points_earned == 40
    assert [ln.points for ln in q.lines] == [13, 14, 13]


# =============================================================================
# Gifts from the catalog
# =============================================================================

def test_gift_for_points():
    q = quote(item(unit=10000), member=member("svip", points=800), gifts=("g-towel",))
    assert q.gifts == ["g-towel"] and q.points_redeemed == 500 and q.points_for_cash == 0
    towel = q.lines[-1]
    assert towel.item.reward == "gift:g-towel" and towel.net_fen == 0 and towel.points == 0
    assert q.net_fen == 9500 and q.points_earned == 380


def test_points_plus_cash_gift_earns_on_its_cash_part():
    # SVIP: 95 yuan × 4 = 380, cup 19.90 × 2 × 2 = 79.6 → 459.6 → 459
    q = quote(item(unit=10000), member=member("svip", points=1000), gifts=("g-cup",))
    cup = q.lines[-1]
    assert cup.item.reward == "gift:g-cup"
    assert cup.gross_fen == cup.net_fen == 1990 and cup.discounts == []  # no tier discount
    assert q.points_redeemed == 800 and q.net_fen == 11490
    assert q.points_earned == 459
    assert [ln.points for ln in q.lines] == [380, 79]


def test_two_cups_are_floored_at_order_level():
    # VIP: 98 × 3 = 294; each cup 19.90 × 2 × 1.5 = 59.7 → 294 + 119.4 = 413.4 → 413
    # (flooring per line would give 412); lines 294 / 60 / 59
    q = quote(item(unit=10000), member=member("vip", points=1600), gifts=("g-cup", "g-cup"))
    assert q.points_redeemed == 1600 and q.net_fen == 9800 + 2 * 1990
    assert q.points_earned == 413
    assert [ln.points for ln in q.lines] == [294, 60, 59]


def test_gift_lines_get_no_discount_and_points_for_cash_stays_on_the_goods():
    # SVIP 9500 + cup; 1000 pts for cash = 20 yuan on the goods line only
    q = quote(item(unit=10000), member=member("svip", points=1800), gifts=("g-cup",), redeem_points=1000)
    assert [ln.net_fen for ln in q.lines] == [7500, 1990]
    assert q.lines[1].discounts == []
    assert q.points_redeemed == 1800
    # 75 × 4 = 300 + 79.6 → 379
    assert q.points_earned == 379


def test_gifts_and_points_for_cash_share_the_available_points():
    q = quote(item(unit=100000), member=member("svip", points=1000), gifts=("g-towel",), redeem_points=600)
    r = refused(q, "refusal.not_enough_points")
    assert dict(r.params) == {"need": "600", "have": "500"}
    assert q.points_for_cash == 500 and q.points_redeemed == 1000


def test_gift_refusals():
    q = quote(item(unit=10000), member=member("svip", points=400), gifts=("g-towel",))
    assert dict(refused(q, "refusal.not_enough_points").params) == {"need": "500", "have": "400"}
    assert q.gifts == [] and len(q.lines) == 1
    q = quote(item(unit=10000), member=member("svip", points=1000), gifts=("g-towel", "g-cup"))
    assert q.gifts == ["g-towel"]
    assert dict(refused(q, "refusal.not_enough_points").params) == {"need": "800", "have": "500"}
    q = quote(item(unit=10000), gifts=("g-towel",))
    refused(q, "refusal.points_need_member")
    q = quote(item(unit=10000), member=member("svip", points=9000), gifts=("g-nothing",))
    refused(q, "refusal.gift_unknown")


def test_gift_restricted_to_a_tier():
    prog = variant("vancl", lambda d: d["gifts"][2].update(tiers=["svip"]))
    q = quote(item(unit=10000), member=member("vip", points=9000), gifts=("g-umbrella",), prog=prog)
    refused(q, "refusal.gift_tier")
    q = quote(item(unit=10000), member=member("svip", points=9000), gifts=("g-umbrella",), prog=prog)
    assert q.gifts == ["g-umbrella"]


# =============================================================================
# Campaign multipliers (hdcrm: 618 ×2, birthday day ×3, birthday month ×2, max)
# =============================================================================

JUNE18 = dt.datetime(2026, 6, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BDAY = dt.date(1990, 3, 5)


def _hd(prog, tier, now, local_date=None, birthday=BDAY):
    return quote(item(unit=10000), member=member(tier, birthday=birthday), prog=prog, now=now,
                 local_date=local_date)


def test_campaigns_combine_by_max():
    # SVIP net 9500 at 1 pt/yuan: 95 × multiplier
    assert _hd(HDCRM, "svip", NOW, dt.date(2026, 1, 1)).points_earned == 190        # ×2 tier
    assert _hd(HDCRM, "svip", JUNE18, dt.date(2026, 6, 18)).points_earned == 190    # max(2, 2)
    assert _hd(HDCRM, "member", JUNE18, dt.date(2026, 6, 18)).points_earned == 200  # 100 × max(1, 2)
    on_bday = dt.datetime(2026, 3, 5, 2, tzinfo=UTC)
    assert _hd(HDCRM, "svip", on_bday, dt.date(2026, 3, 5)).points_earned == 285    # max(2, 3, 2)
    assert _hd(HDCRM, "member", on_bday, dt.date(2026, 3, 5)).points_earned == 300  # max(1, 3, 2)
    in_month = dt.datetime(2026, 3, 20, 2, tzinfo=UTC)
    assert _hd(HDCRM, "member", in_month, dt.date(2026, 3, 20)).points_earned == 200  # max(1, 2)
    assert _hd(HDCRM, "svip", in_month, dt.date(2026, 3, 20)).points_earned == 190    # max(2, 2)
    # a birthday on 18 June during 618: max(2, 2, 3, 2) = 3
    assert _hd(HDCRM, "svip", JUNE18, dt.date(2026, 6, 18), dt.date(1990, 6, 18)).points_earned == 285
    # 618 ends at midnight Shanghai time: 19 June 00:00 +08:00 is outside
    after = dt.datetime(2026, 6, 18, 16, 0, tzinfo=UTC)
    assert _hd(HDCRM, "member", after, dt.date(2026, 6, 19)).points_earned == 100


def test_campaigns_combine_by_multiply_in_a_variant():
    prog = variant("hdcrm", lambda d: d["earn"].update(multiplier_combine="multiply"))
    assert _hd(prog, "svip", JUNE18, dt.date(2026, 6, 18)).points_earned == 380              # 95 × 2 × 2
    on_bday = dt.datetime(2026, 3, 5, 2, tzinfo=UTC)
    assert _hd(prog, "svip", on_bday, dt.date(2026, 3, 5)).points_earned == 1140             # 95 × 2 × 3 × 2
    assert _hd(prog, "member", dt.datetime(2026, 3, 20, 2, tzinfo=UTC), dt.date(2026, 3, 20)).points_earned == 200
    assert _hd(prog, "svip", JUNE18, dt.date(2026, 6, 18), dt.date(1990, 6, 18)).points_earned == 2280  # 95 × 24
    req = PriceRequest(items=(item(),), member=member("svip", birthday=BDAY), now=on_bday, local_date=dt.date(2026, 3, 5))
    assert multiplier_for(prog, req, req.member, prog.tiers.level("svip"), item()) == Decimal(12)
    assert multiplier_for(HDCRM, req, req.member, HDCRM.tiers.level("svip"), item()) == Decimal(3)


def test_birthday_uses_the_local_business_date():
    # 2026-03-04 17:00 UTC is 5 March 01:00 in Shanghai: the birthday (×3)
    late = dt.datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
    assert _hd(HDCRM, "member", late, dt.date(2026, 3, 5)).points_earned == 300
    # without the local date the UTC date (4 March) is only the birthday month (×2)
    assert _hd(HDCRM, "member", late, None).points_earned == 200
    # no birthday on file: no birthday multiplier
    assert _hd(HDCRM, "member", late, dt.date(2026, 3, 5), birthday=None).points_earned == 100


def test_campaign_limited_to_tiers():
    # 618 at ×3, for SVIPs only
    prog = variant("hdcrm", lambda d: d["campaigns"][0].update(tiers=["svip"], multiplier="3"))
    assert _hd(prog, "member", JUNE18, dt.date(2026, 6, 18)).points_earned == 100  # 100 × 1
    assert _hd(prog, "vip", JUNE18, dt.date(2026, 6, 18)).points_earned == 147     # 98 × 1.5
    assert _hd(prog, "svip", JUNE18, dt.date(2026, 6, 18)).points_earned == 285    # 95 × max(2, 3)


# =============================================================================
# Refusal texts
# =============================================================================

def test_refusal_reasons_in_both_languages_contain_the_numbers():
    qs = [
        quote(item(unit=10000), member=member("member", points=5000), redeem_points=3000),
        quote(item(unit=10000), member=member("member", points=250), redeem_points=300),
        quote(item(unit=10000), member=member("member", points=5000), redeem_points=150),
        quote(item(unit=25000), member=member("member"), coupons=(coupon("mj-300-30"),)),
        quote(item(unit=10000), member=member("member"), coupons=(coupon("welcome-10", member_uses=1),)),
        quote(item(unit=10000), member=member("member"),
              coupons=(coupon("welcome-10"),), now=dt.datetime(2026, 3, 1, tzinfo=UTC)),
    ]
    refusals = [r for q in qs for r in q.refusals]
    assert {r.code for r in refusals} >= {"refusal.points_cap", "refusal.not_enough_points", "refusal.points_step",
                                          "refusal.threshold", "refusal.coupon_limit", "refusal.coupon_expired"}
    for r in refusals:
        en, zh = r.reason("en"), r.reason("zh_CN")
        assert en and zh and en != zh, r
        assert r.reason() == zh  # Chinese by default
        for _, value in r.params:
            assert value in en and value in zh, (r, value)


# =============================================================================
# Property tests
# =============================================================================

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOWS = [NOW, JUNE18, dt.datetime(2026, 3, 5, 2, tzinfo=UTC), dt.datetime(2026, 12, 12, 5, tzinfo=UTC)]


@st.composite
def requests(draw):
    prog = draw(st.sampled_from([VANCL, HDCRM]))
    n = draw(st.integers(1, 30))
    items = []
    for i in range(n):
        unit = draw(st.integers(1, 100000))
        items.append(Item(
            code=f"P{draw(st.integers(0, 9))}", name=f"商品{i}",
            category=draw(st.sampled_from(["服装", "鞋", "团购", "烟酒"])),
            qty=draw(st.integers(1, 5)), unit_fen=unit,
            member_unit_fen=draw(st.one_of(st.none(), st.integers(1, 100000))),
            points_class=draw(st.sampled_from(["regular", "special", "none"])),
            no_member_discount=draw(st.booleans()),
        ))
    tier = draw(st.sampled_from([None, "member", "vip", "svip"]))
    mem = None
    if tier:
        mem = MemberCtx("m1", tier, draw(st.integers(0, 30000)),
                        draw(st.one_of(st.none(), st.sampled_from([dt.date(1990, 3, 5), dt.date(1985, 6, 18)]))))
    redeem = draw(st.one_of(st.just(0), st.integers(1, 300).map(lambda x: x * 100), st.integers(-100, 30000)))
    coupons = []
    for k, t in enumerate(draw(st.lists(st.sampled_from([t.code for t in prog.coupon_templates]), max_size=3))):
        coupons.append(CouponCtx(
            code=f"C{k}", template=t,
            valid_from=draw(st.sampled_from([dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2026, 6, 1, tzinfo=UTC)])),
            valid_to=dt.datetime(2027, 1, 1, tzinfo=UTC),
            status=draw(st.sampled_from(["active", "active", "active", "used"])),
            member_id=draw(st.sampled_from([None, "m1", "m1", "m2"])),
            member_uses=draw(st.integers(0, 1)),
        ))
    gifts = tuple(draw(st.lists(st.sampled_from([g.code for g in prog.gifts]), max_size=2)))
    tenders = tuple(Tender("gift_card", a) for a in draw(st.lists(st.integers(1, 500000), max_size=2)))
    now = draw(st.sampled_from(NOWS))
    req = PriceRequest(items=tuple(items), member=mem, coupons=tuple(coupons), redeem_points=redeem, gifts=gifts,
                       tenders=tenders, now=now, local_date=(now + dt.timedelta(hours=8)).date())
    return prog, req


@PROPS
@given(requests())
def test_invariants_over_random_baskets(case):
    prog, req = case
    q = price(req, prog)
    check(q, prog, req)
    assert q.net_fen >= 0
    goods = [ln for ln in q.lines if ln.item.reward is None]
    goods_net = sum(ln.net_fen for ln in goods)
    # points-for-cash: whole steps, within the cap on the order net before points
    assert q.points_for_cash % prog.redemption.step_points == 0
    assert q.points_value_fen * 100 <= prog.redemption.cash_cap_pct * (goods_net + q.points_value_fen)
    assert q.points_redeemed == q.points_for_cash + sum(prog.gift(g).points for g in q.gifts)
    if req.member is None:
        assert q.points_earned == 0 and q.points_redeemed == 0
    else:
        assert q.points_redeemed <= req.member.points_available
    # the member is never worse off than a non-member with the same basket
    non = price(replace(req, member=None, redeem_points=0, gifts=()), prog)
    check(non, prog)
    if req.member is not None:
        assert goods_net + q.points_value_fen <= non.net_fen
        assert q.member_saved_fen == max(0, non.net_fen - (goods_net + q.points_value_fen))
    # deterministic
    assert price(req, prog) == q
