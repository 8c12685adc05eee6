"""The engine's shortcuts (issue 20) change no quote: prices with the shared steps 1–3
(`_prefix_key`) and the skipped pass (`_cannot_beat`) equal prices computed the long way,
on random baskets with flash prices, members-only and member-excluding promotions,
percent coupons, gifts and points."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from pos.rules import pricing, program
from pos.rules.money import pct_of, spread, spread_exact
from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, Tender, price
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

NOW = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)
CATS = ["洗护", "食品", "饮料", "家纺", "服装"]


def _program():
    doc = program.to_json(program.preset("vancl"))
    doc["promotions"] += [
        {"code": "flash-m", "name": {"zh": "会员秒杀", "en": "F"}, "kind": "flash_price", "members_only": True,
         "flash_prices": {"6900000000002": 90}},
        {"code": "nomd", "name": {"zh": "不与会员", "en": "N"}, "kind": "full_reduction", "threshold_fen": 10000,
         "off_fen": 1500, "with_member_discount": False, "scope": {"categories": ["饮料"]}},
        {"code": "mz", "name": {"zh": "满折", "en": "Z"}, "kind": "full_discount", "threshold_fen": 8000, "pay_pct": "93",
         "exclusive_group": "order", "priority": 3, "scope": {"exclude_categories": ["家纺"]}},
    ]
    doc["coupon_templates"] += [
        {"code": "pct", "name": {"zh": "折扣券", "en": "P"}, "kind": "percent_off", "pay_pct": "85", "max_off_fen": 3000,
         "stackable": True, "with_promotions": True, "scope": {"categories": ["服装"]}},
        {"code": "v5", "name": {"zh": "券", "en": "V"}, "kind": "voucher", "value_fen": 500, "stackable": True,
         "with_promotions": True},
    ]
    return program.parse(doc)


def _requests(doc, n, seed=20):
    rng = random.Random(seed)
    tiers = [lv.code for lv in doc.tiers.levels]
    tmpl = [t.code for t in doc.coupon_templates]
    for _ in range(n):
        items = tuple(Item(f"69{rng.randint(0, 5):011d}", "x", rng.choice(CATS), rng.randint(1, 3), rng.randint(100, 40000),
                           member_unit_fen=rng.choice([None, rng.randint(100, 30000)]),
                           points_class=rng.choice(["regular", "special"])) for _ in range(rng.choice([1, 3, 8, 20])))
        member = MemberCtx("m1", rng.choice(tiers), points_available=5000) if rng.random() < 0.8 else None
        wallet = tuple(CouponCtx(f"C{i}", rng.choice(tmpl), NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=9),
                                 member_id="m1") for i in range(rng.choice([0, 1, 3, 6])))
        yield PriceRequest(items, member, coupons=wallet, redeem_points=rng.choice([0, 1000]), now=NOW, store="S001",
                           tenders=(Tender("cash", 100),))


def test_shortcuts_change_no_quote(monkeypatch):
    doc = _program()
    reqs = list(_requests(doc, 300))
    fast = [repr(price(r, doc)) for r in reqs]
    monkeypatch.setattr(pricing, "_cannot_beat", lambda *a: False)
    monkeypatch.setattr(pricing, "_prefix_key", lambda *a: None)
    slow = [repr(price(r, doc)) for r in reqs]
    assert fast == slow


def test_money_fast_paths_match_decimal():
    rng = random.Random(5)
    for _ in range(20000):
        a, p = rng.randint(-10**7, 10**9), Decimal(rng.choice(["1", "33.33", "85", "92.5", "98", "99.99", "100"]))
        assert pct_of(a, p) == int((Decimal(a) * p / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    for _ in range(2000):
        w = [rng.choice([0, 1, rng.randint(1, 10**5)]) for _ in range(rng.randint(1, 40))]
        if not sum(w):
            continue
        t = rng.randint(0, sum(w))
        rema = sorted(((t * x % sum(w), -i) for i, x in enumerate(w)), reverse=True)  # the rule in words
        want = [t * x // sum(w) for x in w]
        for _, neg_i in rema[: t - sum(want)]:
            want[-neg_i] += 1
        assert spread(t, w) == want
        exact = [Decimal(rng.randint(0, 10**6)) / 7 for _ in w]
        total = int(sum(exact).to_integral_value(rounding=ROUND_FLOOR))
        out = spread_exact(total, exact)
        assert sum(out) == total
