"""Issue 14's stronger guard: every setting of the program has an effect, in both presets.

One row per leaf field of the schema (tests/pos/settings/schema.py): in each
shipped preset (vancl, hdcrm) the row edits the preset's JSON — first a `setup`
that makes the field live there when the preset lacks it (a test promotion, a
campaign, a prize table), then a `change` to that one field — and runs a probe
(tests/pos/settings/probes.py) on both documents; the outcome the row names
(points, a price, a refusal, an issued coupon, an expiry, a tier, a segment …)
must differ. A meta-test fails when a field of the schema has no row.

Rows marked `pending` are settings another change is still building (skipped,
with the reason); rows marked `no_effect` are settings nothing reads yet: they
are strict xfails, so the day one starts working the row must become a real one.

    QT_QPA_PLATFORM=offscreen python -m pytest tests/pos/settings -q
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from pos.errors import DomainError
from pos.rules import program
from tests.pos.settings import probes
from tests.pos.settings.probes import (basket_probe, coupon, item, member, on_store, priced, sale_probe, topped_up)
from tests.pos.settings.schema import LEAVES, PENDING

PRESETS = ("vancl", "hdcrm")
RAW = {n: json.loads((program.PRESETS / f"{n}.json").read_text(encoding="utf-8")) for n in PRESETS}
Tender = probes.Tender


@pytest.fixture(scope="module", autouse=True)
def stores(tmp_path_factory):
    probes.STORES = probes.Stores(tmp_path_factory.mktemp("settings"))
    probes.SEG_DB = probes.segment_store(tmp_path_factory.mktemp("segments"))
    yield
    probes.SEG_DB.close()
    probes.STORES = probes.SEG_DB = None


# --- the rows ----------------------------------------------------------------------------------

Edit = Callable[[dict], None]


@dataclass
class Row:
    field: str
    probe: Callable[[program.ProgramDoc], dict[str, Any]] | None
    change: Edit | None
    aspect: str = ""
    setup: Edit | None = None
    why: str = ""  # what the row shows, in words (failure messages)
    pending: str | None = None  # being built by another change: skipped
    no_effect: str | None = None  # read by nothing that shows: a strict xfail
    invalid: bool = False  # the change is refused by program.parse (identity fields)


def chain(*edits: Edit) -> Edit:
    def run(d):
        for e in edits:
            e(d)
    return run


def put(path: str, value, merge: bool = False) -> Edit:
    """Set `a.b.c` (dict keys; `key=value` selects a list element, e.g. `code=vip`; an int an index);
    `merge`: update the dict there with `value`."""
    def edit(d):
        *head, last = path.split(".")
        cur = d
        for key in head:
            cur = _step(cur, key)
        if isinstance(cur, list):
            cur[int(last)] = copy.deepcopy(value)
        elif merge:
            cur.setdefault(last, {}).update(copy.deepcopy(value))
        else:
            cur[last] = copy.deepcopy(value)
    return edit


def _step(cur, key):
    if isinstance(cur, list):
        if "=" in key:
            k, v = key.split("=", 1)
            return next(x for x in cur if x.get(k) == v)
        return cur[int(key)]
    return cur.setdefault(key, {})


def add(key: str, *elements: dict) -> Edit:
    def edit(d):
        d.setdefault(key, [])
        d[key] = [x for x in d[key] if x.get("code") not in {e["code"] for e in elements}] + copy.deepcopy(list(elements))
    return edit


def toggle(path: str, a, b) -> Edit:
    def edit(d):
        *head, last = path.split(".")
        cur = d
        for key in head:
            cur = _step(cur, key)
        cur[last] = b if cur.get(last, a) == a else a
    return edit


def rename_tier(old: str, new: str) -> Edit:
    def edit(d):
        t = d["tiers"]
        for lv in t["levels"]:
            if lv["code"] == old:
                lv["code"] = new
            for band in lv.get("review", []):
                band["to"] = new if band["to"] == old else band["to"]
        for up in [*t.get("upgrade_by_topup", []), *([t["upgrade_by_card"]] if t.get("upgrade_by_card") else [])]:
            up["to"] = new if up["to"] == old else up["to"]
        for x in [*d.get("campaigns", []), *d.get("gifts", [])]:
            x["tiers"] = [new if c == old else c for c in x.get("tiers", [])]
    return edit


def name(zh: str, en: str) -> dict:
    return {"zh": zh, "en": en}


VIP = "tiers.levels.code=vip"
PROMO = {"code": "t-promo", "name": name("测试满减", "Test off"), "kind": "full_reduction",
         "threshold_fen": 5000, "off_fen": 500, "pay_pct": "90"}
PROMO2 = {"code": "t-promo2", "name": name("测试满减二", "Test off 2"), "kind": "full_reduction",
          "threshold_fen": 6000, "off_fen": 1000, "exclusive_group": "x"}
WINDOW = {"start": "2025-12-20T00:00:00Z", "end": "2026-01-10T00:00:00Z"}  # around probes.NOW
CAMPAIGN = {"code": "t-camp", "name": name("测试倍数", "Test multiplier"), "kind": "dates", "multiplier": "2",
            "window": WINDOW}
TEMPLATE = {"code": "t-cpn", "name": name("测试券", "Test coupon"), "kind": "voucher", "value_fen": 1000,
            "pay_pct": "50", "max_off_fen": 5000, "gift_product": "G1"}
GIFT = {"code": "t-gift", "name": name("测试礼品", "Test gift"), "points": 100}
PRIZE = {"code": "t-p1", "name": name("测试奖", "Test prize"), "weight": 1, "points": 100}


def promo(**kw) -> Edit:
    return add("promotions", PROMO | kw)


def template(**kw) -> Edit:
    return add("coupon_templates", TEMPLATE | kw)


def campaign(**kw) -> Edit:
    return add("campaigns", CAMPAIGN | kw)


def thresholds(qualification: str) -> Edit:
    """Both kinds of tier thresholds on vip / svip, and the qualification mode."""
    def edit(d):
        d["tiers"]["qualification"] = qualification
        for lv, up, win in zip(d["tiers"]["levels"][1:], (100000, 250000), (50000, 150000)):
            lv["upgrade_spend_fen"], lv["window_spend_fen"] = up, win
    return edit


def review_bands(d):
    thresholds("cumulative")(d)
    lv = _step(d["tiers"]["levels"], "code=vip")
    lv["review"] = [{"min_spend_fen": 250000, "to": "svip"}, {"min_spend_fen": 100000, "to": "vip"},
                    {"min_spend_fen": 0, "to": "member"}]


def lottery(*prizes: dict, **extra) -> Edit:
    def edit(d):
        add("coupon_templates", TEMPLATE)(d)
        add("gifts", GIFT, GIFT | {"code": "t-gift2", "name": name("测试礼品二", "Test gift 2")})(d)
        d.setdefault("bonuses", {}).update({"lottery_cost": 50, "lottery_prizes": copy.deepcopy(list(prizes))})
    return edit


def monthly(d):
    d.setdefault("bonuses", {}).setdefault("monthly_spend", [{"min_fen": 100000, "points": 200}])


def segments(**abc) -> Edit:
    def edit(d):
        d["segments"] = {"abc_shares": {"a": 10, "b": 20, "c": 30, "d": 40} | abc}
    return edit


SALE, SALE_600, SALE_1100 = sale_probe(), sale_probe(qty=6), sale_probe(qty=11)  # shared: outcomes are memoized
TOPUP_200 = topped_up(20000)
REG, SPECIAL, CARD, UPCARD = probes.REG, probes.SPECIAL, probes.CARD, probes.UPCARD
UPGRADE_CARD = basket_probe(UPCARD, REG)
JOINED, REFERRED, REVIEWED, DRAWN = (on_store(f) for f in (probes.joined, probes.referred, probes.reviewed,
                                                          probes.lottery_draw))
GUEST = priced()  # a non-member buys one item of 150 yuan
VIP_BUYS = priced(member=member("vip"))
MEMBER_BUYS = priced(member=member())
WITH_COUPON = priced(member=member(), coupons=(coupon(),))
REDEEMING = priced(member=member(points=10000), redeem_points=1000)
GIFTED = priced(member=member(points=1000), gifts=("t-gift",))
ON_3_3 = dict(member=member("vip"), now=probes.dt.datetime(2026, 3, 3, 2, 0, tzinfo=probes.UTC),
              local_date=probes.dt.date(2026, 3, 3))  # no preset campaign runs on 3/3
RECUR = {"recur": {"calendar": "gregorian", "month": 3, "day": 3, "days": 1}, "window": {}}
# issue 17: at the bakery's till, a member who joined the alliance at the supermarket / at the bakery
GUEST_AT_BAKERY = priced(member=member(home="market"), merchant="bakery")
OWN_COUPON_AT_BAKERY = priced(member=member(home="bakery"), merchant="bakery", coupons=(coupon(),))

SCOPES = {  # a scope change that takes item A (服装) out of the rule
    "stores": ["S99"], "categories": ["食品"], "products": ["X"], "exclude_categories": ["服装"], "exclude_products": ["A"],
}

ROWS: list[Row] = [
    # --- the document ---
    Row("schema", None, put("schema", 2), invalid=True, why="only format 1 is understood: another is refused"),
    Row("version", GUEST, put("version", "t-9"), "version", why="each quote and sale records the version"),
    Row("name.zh", probes.checked, put("name.zh", "另一个方案"), "text", why="program check names the program"),
    Row("name.en", probes.checked, put("name.en", "Another program"), "text", why="program check names the program"),

    # --- membership ---
    Row("membership.mode", basket_probe(REG), put("membership.mode", "threshold"), "earned",
        setup=put("membership", {"threshold_fen": 30000, "card_price_fen": 2000, "card_product": CARD}, merge=True),
        why="open: a new member earns at once; threshold 300 yuan: a first 100-yuan sale earns nothing"),
    Row("membership.threshold_fen", basket_probe(REG, SPECIAL), put("membership.threshold_fen", 5000), "earned",
        setup=put("membership", {"mode": "threshold", "threshold_fen": 30000}, merge=True),
        why="the line after the crossing one gets the benefits"),
    Row("membership.card_price_fen", basket_probe(CARD, REG), put("membership.card_price_fen", 3000), "net",
        setup=put("membership", {"mode": "card", "card_price_fen": 2000, "card_product": CARD}, merge=True)),
    Row("membership.card_product", basket_probe(CARD, REG), put("membership.card_product", UPCARD), "earned",
        setup=put("membership", {"mode": "card", "card_price_fen": 2000, "card_product": CARD}, merge=True),
        why="the card bought activates membership for the same sale"),
    Row("membership.signup_points", JOINED, put("membership.signup_points", 50), "points"),
    Row("membership.profile_completion_points", on_store(probes.profile_full),
        put("membership.profile_completion_points", 77), "points"),
    Row("membership.profile_fields_required", on_store(probes.profile_named),
        put("membership.profile_fields_required", ["name"]), "points", why="a name alone completes the profile"),
    Row("membership.referral_points", REFERRED, put("membership.referral_points", 77), "points"),

    # --- tiers ---
    Row("tiers.qualification", SALE_600, toggle("tiers.qualification", "cumulative", "window"), "tier",
        setup=thresholds("cumulative"), why="a 600-yuan sale lifts to vip by window spend, not cumulatively"),
    Row("tiers.window_months", on_store(probes.window_sales), put("tiers.window_months", 1), "tier",
        setup=thresholds("window"), why="a sale two months ago counts in a 3-month window only"),
    Row("tiers.recheck_months", on_store(probes.recheck), put("tiers.recheck_months", 2), "tier",
        setup=thresholds("window"), why="rechecked 40 days ago: due again after one month, not two"),
    Row("tiers.validity_months", on_store(probes.validity), put("tiers.validity_months", 6), "expires"),
    Row("tiers.levels[].code", VIP_BUYS, rename_tier("vip", "silver"), "net",
        why="a member recorded as vip is no longer a tier of the program: lowest tier's price"),
    Row("tiers.levels[].name.zh", VIP_BUYS, put(f"{VIP}.name.zh", "白银"), "names"),
    Row("tiers.levels[].name.en", VIP_BUYS, put(f"{VIP}.name.en", "Argent"), "names"),
    Row("tiers.levels[].pay_pct", VIP_BUYS, put(f"{VIP}.pay_pct", "90"), "net"),
    Row("tiers.levels[].points_multiplier", VIP_BUYS, put(f"{VIP}.points_multiplier", "3"), "points"),
    Row("tiers.levels[].upgrade_spend_fen", SALE_600, put(f"{VIP}.upgrade_spend_fen", 50000), "tier",
        setup=thresholds("cumulative")),
    Row("tiers.levels[].window_spend_fen", SALE_600, put(f"{VIP}.window_spend_fen", 100000), "tier",
        setup=thresholds("window")),
    Row("tiers.levels[].review[].min_spend_fen", REVIEWED, put(f"{VIP}.review.1.min_spend_fen", 0),
        "tier", setup=review_bands, why="a vip with no spend keeps vip when the vip band starts at 0"),
    Row("tiers.levels[].review[].to", REVIEWED, put(f"{VIP}.review.2.to", "vip"), "tier",
        setup=review_bands),
    Row("tiers.levels[].member_prices", priced(item(member_unit_fen=12000), member=member("vip")),
        put(f"{VIP}.member_prices", False), "net"),
    Row("tiers.levels[].priority_service", probes.tier_shown("vip"), toggle(f"{VIP}.priority_service", False, True),
        "priority_service", why="the member panel shows priority service"),
    Row("tiers.levels[].return_window_days", on_store(probes.returned_late),
        put("tiers.levels.code=member.return_window_days", 30), "return", why="a return 10 days after the sale"),
    Row("tiers.levels[].birthday_gift", probes.birthday_gifts("svip"),
        put("tiers.levels.code=svip.birthday_gift", "pts-5"), "coupons", why="the daily job's gifts in the birthday month"),
    Row("tiers.upgrade_by_card.price_fen", UPGRADE_CARD, put("tiers.upgrade_by_card.price_fen", 19900), "net",
        setup=put("tiers.upgrade_by_card", {"price_fen": 9900, "to": "vip", "product": UPCARD})),
    Row("tiers.upgrade_by_card.to", UPGRADE_CARD, put("tiers.upgrade_by_card.to", "svip"), "tier",
        setup=put("tiers.upgrade_by_card", {"price_fen": 9900, "to": "vip", "product": UPCARD})),
    Row("tiers.upgrade_by_card.product", UPGRADE_CARD, put("tiers.upgrade_by_card.product", CARD), "tier",
        setup=put("tiers.upgrade_by_card", {"price_fen": 9900, "to": "vip", "product": UPCARD}),
        why="only the program's card product upgrades"),
    Row("tiers.upgrade_by_topup[].min_topup_fen", topped_up(200000), put("tiers.upgrade_by_topup.0.min_topup_fen", 100000),
        "tier", setup=put("tiers.upgrade_by_topup", [{"min_topup_fen": 500000, "to": "vip"}])),
    Row("tiers.upgrade_by_topup[].to", topped_up(600000), put("tiers.upgrade_by_topup.0.to", "svip"), "tier",
        setup=put("tiers.upgrade_by_topup", [{"min_topup_fen": 500000, "to": "vip"}])),

    # --- earning ---
    Row("earn.rates", MEMBER_BUYS, put("earn.rates.regular", "3"), "points"),
    Row("earn.tender_rates", priced(member=member(), tenders=(Tender("gift_card", 5000),)),
        put("earn.tender_rates.gift_card", "0.2"), "points"),
    Row("earn.rounding", priced(item(unit=10100, points_class="special"), member=member()),
        toggle("earn.rounding", "floor", "half_up"), "points", why="50.5 points"),
    Row("earn.multiplier_combine", VIP_BUYS, toggle("earn.multiplier_combine", "multiply", "max"), "points",
        setup=campaign(), why="vip ×1.5 and a ×2 campaign: ×3 or ×2"),
    Row("earn.pending_days.store", SALE, put("earn.pending_days.store", 3), "available_at"),
    Row("earn.pending_days.shipped", sale_probe(channel="shipped"), put("earn.pending_days.shipped", 10), "available_at"),

    # --- expiry ---
    Row("expiry.model", SALE, lambda d: d["expiry"].update(model="per_lot" if d["expiry"].get("model") != "per_lot"
                                                                  else "rolling"), "expires_at"),
    Row("expiry.months", on_store(probes.expired_after_a_year), put("expiry.months", 24), "expired",
        setup=put("expiry.model", "rolling"), why="no purchase for 13 months: expired after 12, not 24"),
    Row("expiry.clear_month", SALE, put("expiry.clear_month", 6), "expires_at", setup=put("expiry.model", "year_end")),
    Row("expiry.clear_day", SALE, put("expiry.clear_day", 15), "expires_at", setup=put("expiry.model", "year_end")),
    Row("expiry.min_age_months", SALE, toggle("expiry.min_age_months", 0, 3), "expires_at",
        setup=put("expiry.model", "year_end"), why="points earned on 11-23 survive the 12-31 clearing when younger than 3 months"),
    Row("expiry.warn_days", on_store(probes.warned), put("expiry.warn_days", 60), "warning",
        setup=chain(put("expiry.model", "rolling"), put("expiry.warn_days", 30))),
    Row("expiry.partial_return_renew_months", on_store(probes.partial_return_refund),
        put("expiry.partial_return_renew_months", 3), "refund_expires", setup=put("expiry.model", "per_lot")),

    # --- redemption ---
    Row("redemption.points_per_unit", REDEEMING, put("redemption.points_per_unit", 50), "redeemed"),
    Row("redemption.unit_fen", REDEEMING, put("redemption.unit_fen", 300), "redeemed"),
    Row("redemption.cash_cap_pct", REDEEMING, put("redemption.cash_cap_pct", 5), "redeemed"),
    Row("redemption.min_points", REDEEMING, put("redemption.min_points", 2000), "redeemed"),
    Row("redemption.step_points", REDEEMING, put("redemption.step_points", 300), "redeemed"),
    Row("redemption.offline_cap_points", on_store(probes.offline_cap), put("redemption.offline_cap_points", 500), "limit"),
    Row("redemption.debt_policy", on_store(probes.returned_after_spending),
        toggle("redemption.debt_policy", "negative", "deduct_refund"), "refund",
        why="points already spent: a negative balance, or less money back"),
    Row("redemption.to_stored_value", on_store(probes.converted), toggle("redemption.to_stored_value", True, False),
        "convert"),

    # --- bonuses ---
    Row("bonuses.checkin", on_store(probes.checked_in), put("bonuses.checkin", 7), "points"),
    Row("bonuses.review", on_store(probes.reviewed_sale), put("bonuses.review", 7), "points"),
    Row("bonuses.lottery_cost", DRAWN, put("bonuses.lottery_cost", 80), "cost",
        setup=lottery(PRIZE)),
    Row("bonuses.lottery_prizes[].code", DRAWN, put("bonuses.lottery_prizes.0.code", "t-p9"),
        "prize", setup=lottery(PRIZE)),
    Row("bonuses.lottery_prizes[].name.zh", DRAWN, put("bonuses.lottery_prizes.0.name.zh", "大奖"),
        "names", setup=lottery(PRIZE)),
    Row("bonuses.lottery_prizes[].name.en", DRAWN, put("bonuses.lottery_prizes.0.name.en", "Big"),
        "names", setup=lottery(PRIZE)),
    Row("bonuses.lottery_prizes[].weight", DRAWN,
        chain(put("bonuses.lottery_prizes.0.weight", 1_000_000), put("bonuses.lottery_prizes.1.weight", 1)), "prize",
        setup=lottery(PRIZE, PRIZE | {"code": "t-p2", "weight": 1_000_000, "points": 200}),
        why="weights 1 : 1,000,000 swapped (both rows' weights change; a draw against the odds: one in a million)"),
    Row("bonuses.lottery_prizes[].points", DRAWN, put("bonuses.lottery_prizes.0.points", 300),
        "award", setup=lottery(PRIZE)),
    Row("bonuses.lottery_prizes[].coupon", DRAWN, put("bonuses.lottery_prizes.0.coupon", "t-cpn"),
        "award", setup=lottery({k: v for k, v in PRIZE.items() if k != "points"} | {"coupon": "pts-5"})),
    Row("bonuses.lottery_prizes[].gift", DRAWN, put("bonuses.lottery_prizes.0.gift", "t-gift2"),
        "award", setup=lottery({k: v for k, v in PRIZE.items() if k != "points"} | {"gift": "t-gift"}),
        why="the gift handed over"),
    Row("bonuses.monthly_spend[].min_fen", SALE_1100, put("bonuses.monthly_spend.0.min_fen", 200000), "bonuses",
        setup=monthly, why="1,100 yuan in a month: +200 points at a 1,000-yuan threshold, none at 2,000"),
    Row("bonuses.monthly_spend[].points", SALE_1100, put("bonuses.monthly_spend.0.points", 300), "bonuses",
        setup=monthly),

    # --- campaigns (a vip buying while a ×2 campaign runs) ---
    Row("campaigns[].code", on_store(probes.campaign_drawn), put("campaigns.code=t-camp.code", "t-camp2"), "draw",
        setup=campaign(window={"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}),
        why="campaign draw t-camp names the campaign by its code"),
    Row("campaigns[].name.zh", VIP_BUYS, put("campaigns.code=t-camp.name.zh", "别的"), "names", setup=campaign(),
        why="the quote names the campaigns that raised its points (screen, receipt, checkout --json)"),
    Row("campaigns[].name.en", VIP_BUYS, put("campaigns.code=t-camp.name.en", "Other"), "names", setup=campaign(),
        why="the quote names the campaigns that raised its points (screen, receipt, checkout --json)"),
    Row("campaigns[].kind", VIP_BUYS, put("campaigns.code=t-camp.kind", "birthday_month"), "points", setup=campaign()),
    Row("campaigns[].multiplier", VIP_BUYS, put("campaigns.code=t-camp.multiplier", "4"), "points", setup=campaign()),
    Row("campaigns[].window.start", VIP_BUYS, put("campaigns.code=t-camp.window.start", "2026-01-05T00:00:00Z"), "points",
        setup=campaign()),
    Row("campaigns[].window.end", VIP_BUYS, put("campaigns.code=t-camp.window.end", "2025-12-31T00:00:00Z"), "points",
        setup=campaign()),
    Row("campaigns[].recur.calendar", priced(**ON_3_3), put("campaigns.code=t-camp.recur.calendar", "lunar"), "points",
        setup=campaign(**RECUR), why="gregorian 3/3, or lunar 3/3 (in April)"),
    Row("campaigns[].recur.month", priced(**ON_3_3), put("campaigns.code=t-camp.recur.month", 4), "points",
        setup=campaign(**RECUR)),
    Row("campaigns[].recur.day", priced(**ON_3_3), put("campaigns.code=t-camp.recur.day", 4), "points",
        setup=campaign(**RECUR)),
    Row("campaigns[].recur.days", priced(**(ON_3_3 | {"local_date": probes.dt.date(2026, 3, 4)})),
        put("campaigns.code=t-camp.recur.days", 2), "points", setup=campaign(**RECUR), why="3/4 is the second day"),
    Row("campaigns[].recur.offset_days", priced(**ON_3_3), put("campaigns.code=t-camp.recur.offset_days", 1), "points",
        setup=campaign(**RECUR)),
    Row("campaigns[].tiers", VIP_BUYS, put("campaigns.code=t-camp.tiers", ["svip"]), "points", setup=campaign()),
    *[Row(f"campaigns[].scope.{k}", VIP_BUYS, put(f"campaigns.code=t-camp.scope.{k}", v), "points", setup=campaign())
      for k, v in SCOPES.items()],

    # --- promotions (a non-member's 150-yuan basket; 满50减5 of the test) ---
    Row("promotions[].code", GUEST, put("promotions.code=t-promo.code", "t-promo9"), "discounts", setup=promo(),
        why="the discount line names the promotion by its code"),
    Row("promotions[].name.zh", GUEST, put("promotions.code=t-promo.name.zh", "别的"), "names", setup=promo()),
    Row("promotions[].name.en", GUEST, put("promotions.code=t-promo.name.en", "Other"), "names", setup=promo()),
    Row("promotions[].kind", GUEST, put("promotions.code=t-promo.kind", "full_discount"), "net", setup=promo()),
    Row("promotions[].threshold_fen", GUEST, put("promotions.code=t-promo.threshold_fen", 20000), "net", setup=promo()),
    Row("promotions[].off_fen", GUEST, put("promotions.code=t-promo.off_fen", 1000), "net", setup=promo()),
    Row("promotions[].repeat", GUEST, put("promotions.code=t-promo.repeat", True), "net", setup=promo()),
    Row("promotions[].max_repeats", GUEST, put("promotions.code=t-promo.max_repeats", 1), "net", setup=promo(repeat=True)),
    Row("promotions[].pay_pct", GUEST, put("promotions.code=t-promo.pay_pct", "80"), "net", setup=promo(kind="full_discount")),
    Row("promotions[].gift_product", GUEST, put("promotions.code=t-promo.gift_product", "G2"), "lines",
        setup=promo(kind="gift_with_purchase", gift_product="G1")),
    Row("promotions[].flash_prices", GUEST, put("promotions.code=t-promo.flash_prices", {"A": 11000}), "net",
        setup=promo(kind="flash_price", flash_prices={"A": 12000})),
    Row("promotions[].window.start", GUEST, put("promotions.code=t-promo.window.start", "2026-01-05T00:00:00Z"), "net",
        setup=promo(window=WINDOW)),
    Row("promotions[].window.end", GUEST, put("promotions.code=t-promo.window.end", "2025-12-31T00:00:00Z"), "net",
        setup=promo(window=WINDOW)),
    *[Row(f"promotions[].scope.{k}", GUEST, put(f"promotions.code=t-promo.scope.{k}", v), "net", setup=promo())
      for k, v in SCOPES.items()],
    Row("promotions[].members_only", GUEST, put("promotions.code=t-promo.members_only", True), "net", setup=promo()),
    Row("promotions[].exclusive_group", GUEST, put("promotions.code=t-promo.exclusive_group", "x"), "net",
        setup=chain(promo(), add("promotions", PROMO2)), why="in one group only the better of the two applies"),
    Row("promotions[].priority", GUEST, put("promotions.code=t-promo2.priority", 5), "discounts",
        setup=chain(promo(off_fen=1000, exclusive_group="x"), add("promotions", PROMO2)),
        why="two equal offers of one group: the higher priority is the one taken"),
    Row("promotions[].with_member_discount", VIP_BUYS, put("promotions.code=t-promo.with_member_discount", False),
        "discounts", setup=promo()),
    Row("promotions[].audience", GUEST_AT_BAKERY, put("promotions.code=t-promo.audience", "own_members"), "net",
        setup=promo(audience="alliance_guests"),
        why="the bakery's recruitment offer for the supermarket's members; for the bakery's own members it is not theirs"),

    # --- member discount (a vip) ---
    Row("member_discount.exclude_points_classes", priced(item(points_class="special"), member=member("vip")),
        put("member_discount.exclude_points_classes", []), "net"),
    Row("member_discount.exclude_categories", VIP_BUYS,
        lambda d: d["member_discount"].setdefault("exclude_categories", []).append("服装"), "net"),
    Row("member_discount.exclude_products", VIP_BUYS, put("member_discount.exclude_products", ["A"]), "net"),
    Row("member_discount.on_promotion_items", VIP_BUYS, toggle("member_discount.on_promotion_items", True, False), "net",
        setup=promo(kind="flash_price", flash_prices={"A": 12000})),

    # --- coupon templates (a member's coupon of the test template on a 150-yuan basket) ---
    Row("coupon_templates[].code", WITH_COUPON, put("coupon_templates.code=t-cpn.code", "t-cpn9"), "refusals",
        setup=template(), why="a coupon names its template by code"),
    Row("coupon_templates[].name.zh", WITH_COUPON, put("coupon_templates.code=t-cpn.name.zh", "别的"), "names",
        setup=template()),
    Row("coupon_templates[].name.en", WITH_COUPON, put("coupon_templates.code=t-cpn.name.en", "Other"), "names",
        setup=template()),
    Row("coupon_templates[].kind", WITH_COUPON, put("coupon_templates.code=t-cpn.kind", "percent_off"), "net",
        setup=template()),
    Row("coupon_templates[].value_fen", WITH_COUPON, put("coupon_templates.code=t-cpn.value_fen", 2000), "net",
        setup=template()),
    Row("coupon_templates[].pay_pct", WITH_COUPON, put("coupon_templates.code=t-cpn.pay_pct", "80"), "net",
        setup=template(kind="percent_off")),
    Row("coupon_templates[].max_off_fen", WITH_COUPON, put("coupon_templates.code=t-cpn.max_off_fen", 1000), "net",
        setup=template(kind="percent_off")),
    Row("coupon_templates[].gift_product", WITH_COUPON, put("coupon_templates.code=t-cpn.gift_product", "G2"), "lines",
        setup=template(kind="gift_item")),
    Row("coupon_templates[].min_spend_fen", WITH_COUPON, put("coupon_templates.code=t-cpn.min_spend_fen", 20000),
        "refusals", setup=template()),
    Row("coupon_templates[].validity_days", on_store(probes.issued_coupon),
        put("coupon_templates.code=t-cpn.validity_days", 10), "valid_to", setup=template()),
    *[Row(f"coupon_templates[].scope.{k}", WITH_COUPON, put(f"coupon_templates.code=t-cpn.scope.{k}", v), "refusals",
          setup=template()) for k, v in SCOPES.items()],
    Row("coupon_templates[].stackable", priced(member=member(), coupons=(coupon(), coupon(code="C-2"))),
        put("coupon_templates.code=t-cpn.stackable", True), "refusals", setup=template()),
    Row("coupon_templates[].with_member_discount", priced(member=member("vip"), coupons=(coupon(),)),
        put("coupon_templates.code=t-cpn.with_member_discount", False), "refusals", setup=template()),
    Row("coupon_templates[].with_promotions", WITH_COUPON, put("coupon_templates.code=t-cpn.with_promotions", True),
        "net", setup=chain(template(), promo())),
    Row("coupon_templates[].per_member_limit", priced(member=member(), coupons=(coupon(member_uses=1),)),
        put("coupon_templates.code=t-cpn.per_member_limit", 1), "refusals", setup=template()),
    Row("coupon_templates[].members_only", priced(coupons=(coupon(member_id=None),)),
        put("coupon_templates.code=t-cpn.members_only", False), "refusals", setup=template()),
    Row("coupon_templates[].audience", OWN_COUPON_AT_BAKERY, put("coupon_templates.code=t-cpn.audience", "alliance_guests"),
        "refusals", setup=template(audience="own_members"),
        why="a coupon for the bakery's own members, or one offered to the other merchants' members only"),
    Row("coupon_templates[].forwardable", probes.forward_offered, put("coupon_templates.code=pts-5.forwardable", True),
        "forwardable", why="the wallet may forward a coupon of a forwardable template (HQ's /m/forward)"),
    Row("coupon_templates[].points_cost", on_store(probes.exchanged), put("coupon_templates.code=pts-5.points_cost", 200),
        "balance", why="a coupon for points costs its points_cost"),

    # --- issuance ---
    Row("issuance.signup", JOINED, put("issuance.signup", []), "coupons"),
    Row("issuance.birthday", probes.birthday_gifts("member"), put("issuance.birthday", ["pts-5"]), "coupons",
        why="the daily job's gifts in the birthday month"),
    Row("issuance.referral", REFERRED, put("issuance.referral", ["pts-5"]), "coupons"),
    Row("issuance.pickup", on_store(probes.picked_up), put("issuance.pickup", "pts-5"), "coupons",
        why="collecting a parcel issues the pickup voucher"),
    Row("issuance.win_back.after_days", probes.churn_window, put("issuance.win_back.after_days", 120), "days",
        why="the churn report's window"),
    Row("issuance.win_back.template", on_store(probes.won_back), put("issuance.win_back.template", "pts-5"), "coupons"),

    # --- gifts (a member with 1,000 points takes the test gift) ---
    Row("gifts[].code", GIFTED, put("gifts.code=t-gift.code", "t-gift9"), "refusals", setup=add("gifts", GIFT)),
    Row("gifts[].name.zh", GIFTED, put("gifts.code=t-gift.name.zh", "别的"), "names", setup=add("gifts", GIFT)),
    Row("gifts[].name.en", GIFTED, put("gifts.code=t-gift.name.en", "Other"), "names", setup=add("gifts", GIFT)),
    Row("gifts[].points", GIFTED, put("gifts.code=t-gift.points", 200), "redeemed", setup=add("gifts", GIFT)),
    Row("gifts[].cash_fen", GIFTED, put("gifts.code=t-gift.cash_fen", 500), "net", setup=add("gifts", GIFT)),
    Row("gifts[].product", GIFTED, put("gifts.code=t-gift.product", "G9"), "lines", setup=add("gifts", GIFT)),
    Row("gifts[].tiers", GIFTED, put("gifts.code=t-gift.tiers", ["svip"]), "refusals", setup=add("gifts", GIFT)),

    # --- stored value ---
    Row("stored_value.topup_bonus[].min_fen", TOPUP_200, put("stored_value.topup_bonus.0.min_fen", 10000), "sv"),
    Row("stored_value.topup_bonus[].bonus_fen", topped_up(100000), put("stored_value.topup_bonus.0.bonus_fen", 20000), "sv"),
    Row("stored_value.min_topup_fen", TOPUP_200, put("stored_value.min_topup_fen", 50000), "topup"),
    Row("stored_value.max_balance_fen", TOPUP_200, put("stored_value.max_balance_fen", 10000), "topup"),

    # --- segments (the hand-worked history of test_segments_buyers.py) ---
    Row("segments.rfm_rule", probes.segmented, put("segments.rfm_rule", "distinct"), "members"),
    Row("segments.abc_shares.a", probes.segmented, chain(put("segments.abc_shares.a", 40), put("segments.abc_shares.d", 10)),
        "abc", setup=segments(), why="shares sum to 100: d gives what a takes"),
    Row("segments.abc_shares.b", probes.segmented, chain(put("segments.abc_shares.b", 40), put("segments.abc_shares.d", 20)),
        "abc", setup=segments(), why="shares sum to 100: d gives what b takes"),
    Row("segments.abc_shares.c", probes.segmented, chain(put("segments.abc_shares.c", 50), put("segments.abc_shares.d", 20)),
        "abc", setup=segments(), why="shares sum to 100: d gives what c takes"),
    Row("segments.abc_shares.d", probes.segmented, chain(put("segments.abc_shares.d", 60), put("segments.abc_shares.c", 10)),
        "abc", setup=segments(), why="shares sum to 100: c gives what d takes"),

    # --- the alliance's coins at this merchant (issue 17) ---
    Row("coins.earn_per_yuan", probes.coins_earned, put("coins", {"earn_per_yuan": 3}), "coins",
        why="a sale at an alliance store earns this merchant's coins per yuan"),
]
BY_FIELD = {r.field: r for r in ROWS}


# --- the tests ----------------------------------------------------------------------------------


def test_rows_cover_every_field_of_the_schema():
    fields = [r.field for r in ROWS]
    dupes = sorted({f for f in fields if fields.count(f) > 1})
    assert not dupes, f"two rows for {dupes}"
    missing = [f for f in LEAVES if f not in BY_FIELD]
    assert not missing, f"program fields with no row in the settings table (show what each changes): {missing}"
    stale = [f for f in BY_FIELD if f not in LEAVES]
    assert not stale, f"rows for fields the schema no longer has: {stale}"
    unmarked = [f for f in PENDING if f in BY_FIELD and not BY_FIELD[f].pending]
    assert not unmarked, f"real rows still listed in schema.PENDING (remove them there): {unmarked}"


def _docs(row: Row, preset: str) -> tuple[program.ProgramDoc, dict]:
    data = copy.deepcopy(RAW[preset])
    if row.setup:
        row.setup(data)
    base = program.parse(data)
    changed = copy.deepcopy(data)
    row.change(changed)
    assert changed != data, f"{row.field}: the change edits nothing in {preset}"
    return base, changed


_MEMO: dict[tuple[int, str], dict[str, Any]] = {}


def _outcome(row: Row, doc: program.ProgramDoc) -> dict[str, Any]:
    """The probe's outcome for a document (rows sharing a probe and a base document run it once)."""
    key = (id(row.probe), json.dumps(program.to_json(doc), sort_keys=True))
    if key not in _MEMO:
        _MEMO[key] = row.probe(doc)
    return _MEMO[key]


def _params():
    out = []
    for row in ROWS:
        for preset in PRESETS:
            marks = []
            if row.pending:
                marks.append(pytest.mark.skip(reason=f"pending: {row.pending}"))
            elif row.no_effect:
                marks.append(pytest.mark.xfail(strict=True, reason=f"no effect: {row.no_effect}"))
            out.append(pytest.param(row.field, preset, id=f"{row.field}-{preset}", marks=marks))
    return out


@pytest.mark.parametrize(("field", "preset"), _params())
def test_a_change_to_the_setting_changes_an_outcome(field, preset):
    row = BY_FIELD[field]
    base, changed = _docs(row, preset)
    if row.invalid:
        with pytest.raises(DomainError):
            program.parse(changed)
        return
    other = program.parse(changed)
    before, after = _outcome(row, base), _outcome(row, other)
    assert row.aspect in before, f"{field}: the probe {row.probe.__name__} has no outcome {row.aspect!r}"
    assert before[row.aspect] != after[row.aspect], (
        f"{field} ({preset}): changing it changes no {row.aspect} — {row.why or 'a setting that does nothing'}; "
        f"both give {before[row.aspect]!r}")
