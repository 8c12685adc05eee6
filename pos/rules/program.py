"""The loyalty program document: every rule of SPEC §3–§7 is a setting here.

One validated schema (pydantic). HQ publishes versions; presets ship in
`pos/resources/presets/`; each sale records the version it was priced with.
Money is integer fen; rates and multipliers are Decimals (exact, never float);
percentages are "percent paid" as on a Chinese price tag (98 = 98折).
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, field_validator, model_serializer,
                      model_validator)

from pos.rules import limits
from pos.errors import DomainError, echo

PRESETS = Path(__file__).resolve().parents[1] / "resources" / "presets"  # package data: a clone, the wheel, the frozen till
SCHEMA = 1



def _clean(text: str) -> str:
    """Texts of a program are shown to cashiers and stored at HQ: no controls (pos/rules/limits.py)."""
    ch = limits.bad_char(text)
    if ch is not None:
        raise ValueError(f"contains a control character (U+{ord(ch):04X})")
    return text


# Numbers are strict JSON integers (no true, "5" or 5.0) bounded so sums fit HQ's 32-bit columns.
Code = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,31}$")]
Fen = Annotated[int, Strict(), Field(ge=0, le=limits.SALE_MAX_FEN)]
Points = Annotated[int, Strict(), Field(ge=0, le=limits.POINTS_MAX)]
Label = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_clean)]  # a category, a group
Barcode = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_clean)]
MAX_ITEMS = 500  # promotions, coupon templates, scope lists ... of one document
Rate = Annotated[Decimal, Field(ge=0, le=1000, max_digits=8, decimal_places=4)]
Multiplier = Annotated[Decimal, Field(ge=0, le=100, max_digits=8, decimal_places=4)]
PayPct = Annotated[Decimal, Field(gt=0, le=100, max_digits=6, decimal_places=2)]
Pct = Annotated[int, Strict(), Field(ge=0, le=100)]
POINTS_CLASSES = ("regular", "special", "none")
TENDERS = ("cash", "bank_card", "wechat", "alipay", "stored_value", "gift_card", "points", "coupon")
# Who a promotion or coupon template is for (issue 17, the alliance card; pos.rules.pricing.audience_ok):
# everyone (as before); "alliance": any identified member, on a till of an alliance merchant;
# "alliance_guests": members whose home merchant (where they joined the alliance) is another merchant
# (cross-merchant recruitment); "own_members": members who joined at this till's merchant.
# A till of no alliance merchant (a chain alone) never matches the three alliance audiences.
AUDIENCES = ("everyone", "alliance", "alliance_guests", "own_members")
Audience = Literal["everyone", "alliance", "alliance_guests", "own_members"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_clean)]
    en: Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_clean)]


class Scope(_Model):
    """Where a rule applies; empty lists mean everywhere / everything."""

    stores: list[Annotated[str, Field(min_length=1, max_length=16), AfterValidator(_clean)]] = Field([], max_length=MAX_ITEMS)
    categories: list[Label] = Field([], max_length=MAX_ITEMS)
    products: list[Barcode] = Field([], max_length=MAX_ITEMS)  # barcodes
    exclude_categories: list[Label] = Field([], max_length=MAX_ITEMS)
    exclude_products: list[Barcode] = Field([], max_length=MAX_ITEMS)


class Window(_Model):
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


# --- membership --------------------------------------------------------------

class Membership(_Model):
    mode: Literal["open", "threshold", "card"] = "open"
    threshold_fen: Fen = 0  # "qualified membership" by spend
    card_price_fen: Fen = 0  # or by buying a membership card
    card_product: Barcode | None = None  # card mode: the catalog barcode of the card, sold at card_price_fen
    signup_points: Points = 0
    profile_completion_points: Points = 0
    profile_fields_required: list[Label] = Field(["name", "gender", "birthday", "region"], max_length=20)
    referral_points: Points = 0

    @model_validator(mode="after")
    def _mode(self):
        if self.mode == "threshold" and self.threshold_fen <= 0:
            raise ValueError("threshold mode needs threshold_fen > 0")
        if self.mode == "card" and self.card_price_fen <= 0:
            raise ValueError("card mode needs card_price_fen > 0")
        return self

    @model_serializer(mode="wrap")
    def _without_absent_card(self, handler):  # older documents dump as before (HQ compares published versions)
        d = handler(self)
        if self.card_product is None and isinstance(d, dict):
            d.pop("card_product", None)
        return d


# --- tiers -------------------------------------------------------------------

class ReviewBand(_Model):
    min_spend_fen: Fen
    to: Code


class TierLevel(_Model):
    code: Code
    name: Text
    pay_pct: PayPct = Decimal(100)  # 98 = the member pays 98 %
    points_multiplier: Multiplier = Decimal(1)
    upgrade_spend_fen: Fen | None = None  # cumulative mode: qualifying spend since the last change that lifts the tier below here
    window_spend_fen: Fen | None = None  # window mode: spend within the window that qualifies
    review: list[ReviewBand] = []  # at the end of validity, highest band first; empty = keep
    member_prices: bool = True
    priority_service: bool = False
    return_window_days: Annotated[int, Strict(), Field(ge=0, le=365)] = 7
    birthday_gift: Code | None = None


class UpgradeByTopup(_Model):
    min_topup_fen: Fen
    to: Code


class UpgradeByCard(_Model):
    """Buying the upgrade card at the till lifts the tier in that sale (pos.services.membership_mode)."""

    price_fen: Fen
    to: Code
    product: Barcode | None = None  # the catalog barcode of the upgrade card, sold at price_fen

    @model_serializer(mode="wrap")
    def _without_absent_product(self, handler):  # older documents dump as before
        d = handler(self)
        if self.product is None and isinstance(d, dict):
            d.pop("product", None)
        return d


class Tiers(_Model):
    qualification: Literal["cumulative", "window"] = "cumulative"
    window_months: Annotated[int, Strict(), Field(ge=1, le=24)] = 3
    recheck_months: Annotated[int, Strict(), Field(ge=1, le=12)] = 1
    validity_months: Annotated[int, Strict(), Field(ge=1, le=120)] = 12
    levels: list[TierLevel] = Field(min_length=1, max_length=20)
    upgrade_by_card: UpgradeByCard | None = None
    upgrade_by_topup: list[UpgradeByTopup] = []

    @model_validator(mode="after")
    def _consistent(self):
        codes = [lv.code for lv in self.levels]
        if len(set(codes)) != len(codes):
            raise ValueError(f"tier codes must be unique: {codes}")
        for lv in self.levels:
            for band in lv.review:
                if band.to not in codes:
                    raise ValueError(f"tier {lv.code}: review goes to unknown tier {band.to!r}")
            mins = [b.min_spend_fen for b in lv.review]
            if mins != sorted(mins, reverse=True):
                raise ValueError(f"tier {lv.code}: review bands must be listed highest first")
        for up in [*self.upgrade_by_topup, *([self.upgrade_by_card] if self.upgrade_by_card else [])]:
            if up.to not in codes:
                raise ValueError(f"upgrade goes to unknown tier {up.to!r}")
        if self.qualification == "cumulative":
            for lv in self.levels[1:]:
                if lv.upgrade_spend_fen is None:
                    raise ValueError(f"tier {lv.code}: cumulative qualification needs upgrade_spend_fen")
        else:
            spends = [lv.window_spend_fen for lv in self.levels[1:]]
            if any(s is None for s in spends):
                raise ValueError("window qualification needs window_spend_fen on every tier above the first")
            if spends != sorted(spends):
                raise ValueError("window_spend_fen must rise with the tier")
        return self

    def level(self, code: str) -> TierLevel:
        for lv in self.levels:
            if lv.code == code:
                return lv
        return self.levels[0]

    def rank(self, code: str) -> int:
        return next((i for i, lv in enumerate(self.levels) if lv.code == code), -1)


# --- points ------------------------------------------------------------------

class PendingDays(_Model):
    store: Annotated[int, Strict(), Field(ge=0, le=365)] = 0
    shipped: Annotated[int, Strict(), Field(ge=0, le=365)] = 30


class Earn(_Model):
    rates: dict[str, Rate]  # points per yuan by the product's points class
    tender_rates: dict[str, Rate] = {}  # e.g. gift_card: 1 — the part paid so earns this instead
    rounding: Literal["floor", "half_up"] = "floor"
    multiplier_combine: Literal["multiply", "max"] = "multiply"
    pending_days: PendingDays = PendingDays()

    @field_validator("rates")
    @classmethod
    def _classes(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        missing = [c for c in POINTS_CLASSES if c not in v]
        unknown = [c for c in v if c not in POINTS_CLASSES]
        if missing or unknown:
            raise ValueError(f"rates need exactly {', '.join(POINTS_CLASSES)} (missing {missing}, unknown {unknown})")
        return v

    @field_validator("tender_rates")
    @classmethod
    def _tenders(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = [t for t in v if t not in TENDERS]
        if unknown:
            raise ValueError(f"unknown tender(s) {unknown}; known: {', '.join(TENDERS)}")
        if "points" in v or "coupon" in v:
            raise ValueError("the part paid by points or coupons never earns points")
        return v


class Expiry(_Model):
    model: Literal["rolling", "per_lot", "year_end"] = "per_lot"
    months: Annotated[int, Strict(), Field(ge=1, le=120)] = 12  # rolling: inactivity; per_lot: lifetime of a lot
    clear_month: Annotated[int, Strict(), Field(ge=1, le=12)] = 12  # year_end: the clearing date
    clear_day: Annotated[int, Strict(), Field(ge=1, le=31)] = 31
    min_age_months: Annotated[int, Strict(), Field(ge=0, le=24)] = 0  # year_end: lots younger than this survive one more year
    warn_days: Annotated[int, Strict(), Field(ge=0, le=366)] = 30
    partial_return_renew_months: Annotated[int, Strict(), Field(ge=1, le=120)] = 12


class Redemption(_Model):
    points_per_unit: Annotated[int, Strict(), Field(gt=0, le=100000)] = 100  # 100 points ...
    unit_fen: Annotated[int, Strict(), Field(gt=0, le=100000)] = 200  # ... = 2 yuan
    cash_cap_pct: Pct = 50  # points-for-cash covers at most this share of the order
    min_points: Points = 100
    step_points: Annotated[int, Strict(), Field(gt=0, le=100000)] = 100
    offline_cap_points: Points = 2000  # per member, per till, while HQ is unreachable
    debt_policy: Literal["negative", "deduct_refund"] = "negative"
    to_stored_value: bool = True

    def fen_for(self, points: int) -> int:
        """Cash value of points, whole units only (integer arithmetic)."""
        return points // self.points_per_unit * self.unit_fen


class MonthlySpendBonus(_Model):
    min_fen: Fen
    points: Points


class LotteryPrize(_Model):
    """One row of the points lottery's prize table (pos.services.lottery): drawn with
    probability weight / Σ weights; gives points, a coupon of a template or a gift of
    the gift catalog — or, with none of them, nothing ("thank you")."""

    code: Code
    name: Text
    weight: Annotated[int, Strict(), Field(ge=1, le=1_000_000)]
    points: Annotated[int, Strict(), Field(ge=1, le=limits.POINTS_MAX)] | None = None
    coupon: Code | None = None  # a coupon template
    gift: Code | None = None  # a gift of `gifts`, handed over at the till

    @model_validator(mode="after")
    def _one(self):
        if sum(x is not None for x in (self.points, self.coupon, self.gift)) > 1:
            raise ValueError(f"lottery prize {self.code}: at most one of points, coupon, gift")
        return self

    @property
    def thanks(self) -> bool:
        return self.points is None and self.coupon is None and self.gift is None


class Bonuses(_Model):
    checkin: Points = 0
    review: Points = 0
    lottery_cost: Points = 0  # points per draw of the points lottery (0 = no lottery)
    lottery_prizes: list[LotteryPrize] = Field([], max_length=100)
    monthly_spend: list[MonthlySpendBonus] = []

    @model_validator(mode="after")
    def _lottery(self):
        codes = [p.code for p in self.lottery_prizes]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"lottery prize codes must be unique: {dupes}")
        if self.lottery_cost and not self.lottery_prizes:
            raise ValueError("lottery_cost needs lottery_prizes (a prize table, \"thank you\" rows included)")
        return self

    @model_serializer(mode="wrap")
    def _without_empty_prizes(self, handler):  # older documents dump as before (HQ compares published versions)
        d = handler(self)
        if not self.lottery_prizes and isinstance(d, dict):
            d.pop("lottery_prizes", None)
        return d


class Recur(_Model):
    """A holiday that comes back every year (pos.rules.holidays): its date in the Gregorian
    or the Chinese lunar calendar (Mid-Autumn: lunar 8/15; Spring Festival: lunar 1/1), and the
    window — from `offset_days` after it (-1: the eve) for `days` business days."""

    calendar: Literal["gregorian", "lunar"] = "gregorian"
    month: Annotated[int, Strict(), Field(ge=1, le=12)]
    day: Annotated[int, Strict(), Field(ge=1, le=31)]
    days: Annotated[int, Strict(), Field(ge=1, le=60)] = 1
    offset_days: Annotated[int, Strict(), Field(ge=-30, le=30)] = 0

    @model_validator(mode="after")
    def _real_date(self):
        most = 30 if self.calendar == "lunar" else (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[self.month - 1]
        if self.day > most:
            raise ValueError(f"{self.calendar} month {self.month} has no day {self.day}")
        return self


class Campaign(_Model):
    """A points multiplier: holidays (618, Double 12, …), birthday day/month.
    A dated campaign has a fixed window, or `recur` (every year; a window given too
    bounds the years it runs)."""

    code: Code
    name: Text
    kind: Literal["dates", "birthday_day", "birthday_month"]
    multiplier: Multiplier
    window: Window = Window()
    recur: Recur | None = None
    tiers: list[Code] = []
    scope: Scope = Scope()

    @model_validator(mode="after")
    def _dated(self):
        if self.kind == "dates" and self.recur is None and not (self.window.start and self.window.end):
            raise ValueError(f"campaign {self.code}: a dated campaign needs window.start and window.end, or recur")
        if self.recur is not None and self.kind != "dates":
            raise ValueError(f"campaign {self.code}: recur is for dated campaigns")
        return self

    @model_serializer(mode="wrap")
    def _without_absent_recur(self, handler):  # older documents dump as before (HQ compares published versions)
        d = handler(self)
        if self.recur is None and isinstance(d, dict):
            d.pop("recur", None)
        return d


# --- promotions and coupons -------------------------------------------------------


def _drop_default_audience(self, handler):
    """A promotion's or coupon template's `audience` left out when it is the default: older
    documents dump as before (HQ compares published versions)."""
    d = handler(self)
    if self.audience == "everyone" and isinstance(d, dict):
        d.pop("audience", None)
    return d

class Promotion(_Model):
    code: Code
    name: Text
    kind: Literal["full_reduction", "full_discount", "gift_with_purchase", "flash_price"]
    threshold_fen: Fen = 0  # 满 X …
    off_fen: Fen = 0  # … 减 Y (full_reduction)
    repeat: bool = False  # 每满 X 减 Y
    max_repeats: Annotated[int, Strict(), Field(ge=1, le=1000)] = 1000
    pay_pct: PayPct | None = None  # full_discount (满折): pay this percent
    gift_product: Barcode | None = None  # gift_with_purchase
    flash_prices: dict[Barcode, Fen] = Field({}, max_length=MAX_ITEMS)  # flash_price: barcode -> price
    window: Window = Window()
    scope: Scope = Scope()
    members_only: bool = False
    exclusive_group: Label | None = None  # at most one promotion of a group applies: the best one
    priority: Annotated[int, Strict(), Field(ge=-1000, le=1000)] = 0  # higher first
    with_member_discount: bool = True
    audience: Audience = "everyone"  # issue 17: everyone, or members of the alliance (see AUDIENCES)

    _without_default_audience = model_serializer(mode="wrap")(_drop_default_audience)

    @model_validator(mode="after")
    def _fields(self):
        k = self.kind
        if k == "full_reduction" and (self.off_fen <= 0 or self.threshold_fen <= 0):
            raise ValueError(f"promotion {self.code}: full_reduction needs threshold_fen and off_fen > 0")
        if k == "full_reduction" and self.off_fen >= self.threshold_fen:
            raise ValueError(f"promotion {self.code}: off_fen must be below threshold_fen")
        if k == "full_discount" and self.pay_pct is None:
            raise ValueError(f"promotion {self.code}: full_discount needs pay_pct")
        if k == "gift_with_purchase" and not self.gift_product:
            raise ValueError(f"promotion {self.code}: gift_with_purchase needs gift_product")
        if k == "flash_price" and not self.flash_prices:
            raise ValueError(f"promotion {self.code}: flash_price needs flash_prices")
        return self


class CouponTemplate(_Model):
    code: Code
    name: Text
    kind: Literal["amount_off", "voucher", "percent_off", "gift_item"]
    value_fen: Fen = 0  # amount_off / voucher
    pay_pct: PayPct | None = None  # percent_off
    max_off_fen: Fen | None = None  # percent_off cap
    gift_product: Barcode | None = None  # gift_item
    min_spend_fen: Fen = 0  # threshold on the net amount
    validity_days: Annotated[int, Strict(), Field(ge=1, le=3650)] = 30
    scope: Scope = Scope()
    stackable: bool = False  # more than one coupon per order
    with_member_discount: bool = True
    with_promotions: bool = False  # mutually exclusive with promotions by default
    per_member_limit: Annotated[int, Strict(), Field(ge=0, le=1000)] = 0  # 0 = no limit
    members_only: bool = True
    points_cost: Points = 0  # > 0: members can exchange points for it
    forwardable: bool = False  # a member may forward it to a friend from the wallet page (issue 16)
    audience: Audience = "everyone"  # issue 17: who may use it at this merchant's tills (see AUDIENCES)

    _without_default_audience = model_serializer(mode="wrap")(_drop_default_audience)

    @model_validator(mode="after")
    def _fields(self):
        k = self.kind
        if k == "amount_off" and (self.value_fen <= 0 or self.min_spend_fen <= self.value_fen):
            raise ValueError(f"coupon {self.code}: amount_off needs value_fen > 0 and min_spend_fen above it")
        if k == "voucher" and self.value_fen <= 0:
            raise ValueError(f"coupon {self.code}: voucher needs value_fen > 0")
        if k == "percent_off" and self.pay_pct is None:
            raise ValueError(f"coupon {self.code}: percent_off needs pay_pct")
        if k == "gift_item" and not self.gift_product:
            raise ValueError(f"coupon {self.code}: gift_item needs gift_product")
        return self


class WinBack(_Model):
    after_days: Annotated[int, Strict(), Field(ge=30, le=730)] = 90
    template: Code


class Issuance(_Model):
    signup: list[Code] = []
    birthday: list[Code] = []
    referral: list[Code] = []
    win_back: WinBack | None = None
    pickup: Code | None = None  # the pickup voucher: issued when a parcel is collected at a store (issue 18)

    @model_serializer(mode="wrap")
    def _without_absent_pickup(self, handler):  # older documents dump as before (HQ compares published versions)
        d = handler(self)
        if self.pickup is None and isinstance(d, dict):
            d.pop("pickup", None)
        return d


class Gift(_Model):
    code: Code
    name: Text
    points: Points
    cash_fen: Fen = 0  # > 0: points + cash (加价换购); the cash part earns points
    product: Barcode | None = None  # barcode of the gift item, if it is a catalog product
    tiers: list[Code] = []

    @model_validator(mode="after")
    def _costs(self):
        if self.points == 0 and self.cash_fen == 0:
            raise ValueError(f"gift {self.code}: needs points or cash_fen")
        return self


class TopupBonus(_Model):
    min_fen: Fen
    bonus_fen: Fen


class StoredValue(_Model):
    topup_bonus: list[TopupBonus] = []
    min_topup_fen: Fen = 100
    max_balance_fen: Fen = 5_000_000  # 50,000 yuan: prepaid card rules cap anonymous balances

    def bonus_for(self, amount_fen: int) -> int:
        best = [b.bonus_fen for b in self.topup_bonus if amount_fen >= b.min_fen]
        return max(best, default=0)


class MemberDiscount(_Model):
    """What the tier discount does not touch (SPEC §4 exclusions)."""

    exclude_points_classes: list[Literal["regular", "special", "none"]] = ["special"]
    exclude_categories: list[Label] = Field([], max_length=MAX_ITEMS)
    exclude_products: list[Barcode] = Field([], max_length=MAX_ITEMS)
    on_promotion_items: bool = True  # items in a flash sale


class AbcShares(_Model):
    """The ABC(D) pyramid's class shares, in per cent of buyers ranked by value
    (pos.analytics.segments): four positive integers summing to 100."""

    a: Annotated[int, Strict(), Field(ge=1, le=97)] = 10
    b: Annotated[int, Strict(), Field(ge=1, le=97)] = 20
    c: Annotated[int, Strict(), Field(ge=1, le=97)] = 30
    d: Annotated[int, Strict(), Field(ge=1, le=97)] = 40

    @model_validator(mode="after")
    def _sum(self):
        if self.a + self.b + self.c + self.d != 100:
            raise ValueError(f"abc_shares must sum to 100 (got {self.a + self.b + self.c + self.d})")
        return self


class Segments(_Model):
    """Member segments (SPEC §9; pos.analytics.segments). rfm_rule "buyers":
    RFM scores by quintile of buyers and the ABC(D) pyramid by these shares;
    "distinct": the former quintiles of the distinct values and F/M-score classes."""

    rfm_rule: Literal["buyers", "distinct"] = "buyers"
    abc_shares: AbcShares = AbcShares()


class Coins(_Model):
    """The merchant's own rule for the alliance's shopping coins (issue 17; pos.loyalty.coins):
    coins earned per yuan paid (coin tenders left out), within the alliance's
    `coins.earn_per_yuan_max` (HQ refuses a merchant program above it)."""

    earn_per_yuan: Annotated[int, Strict(), Field(ge=0, le=1000)] = 0


class ProgramDoc(_Model):
    schema_version: Literal[1] = Field(1, alias="schema")
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")]
    name: Text
    membership: Membership = Membership()
    tiers: Tiers
    earn: Earn
    expiry: Expiry = Expiry()
    redemption: Redemption = Redemption()
    bonuses: Bonuses = Bonuses()
    campaigns: list[Campaign] = Field([], max_length=MAX_ITEMS)
    promotions: list[Promotion] = Field([], max_length=MAX_ITEMS)
    member_discount: MemberDiscount = MemberDiscount()
    coupon_templates: list[CouponTemplate] = Field([], max_length=MAX_ITEMS)
    issuance: Issuance = Issuance()
    gifts: list[Gift] = Field([], max_length=MAX_ITEMS)
    stored_value: StoredValue = StoredValue()
    segments: Segments | None = None  # absent: Segments() (left out of to_json, so older documents dump as before)
    coins: Coins | None = None  # issue 17, the alliance's coins at this merchant; absent: none earned (left out of to_json)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_serializer(mode="wrap")
    def _without_absent_segments(self, handler):
        d = handler(self)
        if isinstance(d, dict):
            if self.segments is None:
                d.pop("segments", None)
            if self.coins is None:
                d.pop("coins", None)
        return d

    @property
    def coin_rate(self) -> int:
        """Coins earned per yuan paid at this merchant (0: none)."""
        return self.coins.earn_per_yuan if self.coins is not None else 0

    @property
    def segment_settings(self) -> Segments:
        return self.segments or Segments()

    @model_validator(mode="after")
    def _references(self):
        tiers = {lv.code for lv in self.tiers.levels}
        templates = {t.code for t in self.coupon_templates}
        gifts = {g.code for g in self.gifts}
        for kind, items in (("campaign", self.campaigns), ("promotion", self.promotions),
                            ("coupon template", self.coupon_templates), ("gift", self.gifts)):
            codes = [i.code for i in items]
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                raise ValueError(f"{kind} codes must be unique: {dupes}")
        for c in self.campaigns:
            bad = [t for t in c.tiers if t not in tiers]
            if bad:
                raise ValueError(f"campaign {c.code}: unknown tier(s) {bad}")
        for g in self.gifts:
            bad = [t for t in g.tiers if t not in tiers]
            if bad:
                raise ValueError(f"gift {g.code}: unknown tier(s) {bad}")
        for lv in self.tiers.levels:
            if lv.birthday_gift and lv.birthday_gift not in gifts | templates:
                raise ValueError(f"tier {lv.code}: birthday_gift {lv.birthday_gift!r} is neither a gift nor a coupon template")
        issued = [*self.issuance.signup, *self.issuance.birthday, *self.issuance.referral]
        if self.issuance.win_back:
            issued.append(self.issuance.win_back.template)
        if self.issuance.pickup:
            issued.append(self.issuance.pickup)
        bad = sorted({t for t in issued if t not in templates})
        if bad:
            raise ValueError(f"issuance names unknown coupon template(s) {bad}")
        for prize in self.bonuses.lottery_prizes:
            if prize.coupon and prize.coupon not in templates:
                raise ValueError(f"lottery prize {prize.code}: unknown coupon template {prize.coupon!r}")
            if prize.gift and prize.gift not in gifts:
                raise ValueError(f"lottery prize {prize.code}: unknown gift {prize.gift!r}")
        return self

    # convenience for the engines
    def template(self, code: str) -> CouponTemplate | None:
        return next((t for t in self.coupon_templates if t.code == code), None)

    def gift(self, code: str) -> Gift | None:
        return next((g for g in self.gifts if g.code == code), None)


def audience_warnings(doc: ProgramDoc, merchant: str | None = None) -> list[str]:
    """What `program check` says of the promotions and coupon templates for alliance audiences
    (issue 17): they apply only at the tills of an alliance merchant, so at a chain alone's tills
    they are inert. `merchant`: the store's alliance merchant ("" none; None: no store named —
    the warning then says where they do not apply)."""
    out: list[str] = []
    if merchant:
        return out
    for kind, items in (("promotion", doc.promotions), ("coupon template", doc.coupon_templates)):
        for x in items:
            if x.audience == "everyone":
                continue
            if merchant is None:
                out.append(f"{kind} {x.code} ({x.name.en}): audience {x.audience} applies only at the tills of an "
                           "alliance merchant; at a chain alone's tills (no merchant) it never applies")
            else:
                out.append(f"{kind} {x.code} ({x.name.en}): audience {x.audience} never applies at this store: "
                           "it belongs to no alliance merchant (a chain alone)")
    return out


# --- loading -----------------------------------------------------------------

def _format_errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ""
        for p in err["loc"]:
            loc += f"[{p}]" if isinstance(p, int) else (f".{p}" if loc else str(p))
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {echo(repr(got), 60)})"
        parts.append(f"{loc or 'program'}: {msg}{shown}")
    return "; ".join(parts)


def parse(data: dict[str, Any]) -> ProgramDoc:
    """Validate a program document; errors name the bad field and why."""
    if not isinstance(data, dict):
        raise DomainError("program.invalid", reason="the document must be an object")
    try:
        return ProgramDoc.model_validate(data)
    except ValidationError as exc:
        raise DomainError("program.invalid", reason=_format_errors(exc)) from None


def load_file(path: str | Path) -> ProgramDoc:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DomainError("program.invalid", reason=f"{path}: {exc.strerror or exc}") from None
    import tomllib  # only a file read loads it (a store's program is JSON)

    try:
        text = raw.decode("utf-8-sig")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DomainError("program.invalid", reason=f"{path.name}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {exc}") from None
    return parse(data)


def preset(name: str = "vancl") -> ProgramDoc:
    return load_file(PRESETS / f"{name}.json")


def to_json(doc: ProgramDoc) -> dict[str, Any]:
    return doc.model_dump(mode="json", by_alias=True, exclude_defaults=False)


# --- the alliance's shared rules (issue 17) -------------------------------------------------

class AllianceCoins(_Model):
    """Shopping coins (购物币): what one is worth, the bound on each merchant's earn rate, the
    share of a sale coins may pay, how long a lot lives, what a till may spend offline."""

    value_fen: Annotated[int, Strict(), Field(ge=1, le=10_000)] = 1
    earn_per_yuan_max: Annotated[int, Strict(), Field(ge=0, le=1000)] = 10
    pay_pct_max: Pct = 50
    expiry_days: Annotated[int, Strict(), Field(ge=1, le=3660)] = 365
    offline_cap_coins: Points = 5000


class AllianceSettlement(_Model):
    """The operator's fee: `fee_bps` (1/10,000) of each merchant pair's cross-merchant value
    of the period, paid by the merchant that owes it."""

    fee_bps: Annotated[int, Strict(), Field(ge=0, le=10_000)] = 100


class AllianceProgramDoc(_Model):
    schema_version: Literal[1] = Field(1, alias="schema")
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$")]
    name: Text
    coins: AllianceCoins = AllianceCoins()
    settlement: AllianceSettlement = AllianceSettlement()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def parse_alliance(data: dict[str, Any]) -> AllianceProgramDoc:
    """Validate an alliance program document; errors name the bad field and why."""
    if not isinstance(data, dict):
        raise DomainError("program.invalid", reason="the document must be an object")
    try:
        return AllianceProgramDoc.model_validate(data)
    except ValidationError as exc:
        raise DomainError("program.invalid", reason=_format_errors(exc)) from None


def load_alliance_file(path: str | Path) -> AllianceProgramDoc:
    path = Path(path)
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise DomainError("program.invalid", reason=f"{path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DomainError("program.invalid", reason=f"{path.name}: not valid JSON: {exc}") from None
    return parse_alliance(data)


def alliance_json(doc: AllianceProgramDoc) -> dict[str, Any]:
    return doc.model_dump(mode="json", by_alias=True, exclude_defaults=False)
