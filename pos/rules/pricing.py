"""The pricing engine: a pure function of (basket, member, program version,
coupons, points to redeem, gifts, tenders) -> a quote. No database, no clock
of its own: HQ recomputes a store's sale with the very same code.

Fixed order (issue 3): item prices (flash price, member price) → tier
discount with its exclusions → order promotions (满减 / 满折 / gift with
purchase; exclusivity groups, priorities) → coupons (thresholds on the net
amount, stacking) → gifts from the catalog → points-for-cash (capped) →
points earned. Every discount is a line entry with its reason; every order-
level amount is spread over lines by largest remainder, so lines add up.
Anything that did not apply comes back as a refusal a cashier can read.

Who a promotion or coupon is for (issue 17, the alliance card): everyone, or by
`audience` the alliance's members at this till — its merchant and the member's
home merchant come in as plain values of the request (`audience_ok`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple, Sequence

from pos.errors import MESSAGES
from pos.rules import holidays
from pos.rules.money import pct_of, round_points, spread, spread_exact, yuan
from pos.rules.program import Campaign, CouponTemplate, ProgramDoc, Promotion, Scope

# --- inputs -------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One basket line as the catalog knows it (plain values)."""

    code: str
    name: str
    category: str
    qty: int
    unit_fen: int  # regular unit price; scale lines: qty 1 and the label's price
    member_unit_fen: int | None = None
    points_class: str = "regular"
    no_member_discount: bool = False
    reward: str | None = None  # gift:CODE / promo:CODE / coupon:CODE — added by the engine
    manual_pct: int = 0  # a cashier's line discount in percent (approved above the cashier's limit)


@dataclass(frozen=True)
class MemberCtx:
    id: str
    tier: str
    points_available: int = 0
    birthday: dt.date | None = None
    # qualified membership (pos.services.membership_mode): basket lines before this index are
    # priced and earn as for a non-member (threshold mode: the lines up to the one that crosses)
    benefits_from: int = 0
    home_merchant: str | None = None  # issue 17: the merchant where the member joined the alliance (None: not known)


@dataclass(frozen=True)
class CouponCtx:
    """A coupon instance as the store knows it; the checkout resolves codes."""

    code: str
    template: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    status: str = "active"  # active / used / void
    member_id: str | None = None  # None = bearer coupon
    member_uses: int = 0  # this member's earlier uses of the template (per-member limit)


@dataclass(frozen=True)
class Tender:
    type: str
    amount_fen: int


@dataclass(frozen=True)
class PriceRequest:
    items: tuple[Item, ...]
    member: MemberCtx | None = None
    coupons: tuple[CouponCtx, ...] = ()
    unknown_coupons: tuple[str, ...] = ()  # codes the store could not find
    redeem_points: int = 0
    gifts: tuple[str, ...] = ()
    tenders: tuple[Tender, ...] = ()
    store: str = ""
    merchant: str = ""  # issue 17: the alliance merchant this till belongs to ("": none, a chain alone)
    now: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    local_date: dt.date | None = None  # business date in the store's zone (birthdays)
    products: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # barcode -> (name, category) for reward lines


# --- outputs ------------------------------------------------------------------


class Discount(NamedTuple):  # a tuple: thousands are made per quote, and cheaply
    kind: str  # flash_price / member_price / tier / promotion / coupon / points
    code: str
    amount_fen: int


@dataclass
class QuoteLine:
    index: int
    item: Item
    gross_fen: int
    net_fen: int
    discounts: list[Discount] = field(default_factory=list)
    points: int = 0

    @property
    def code(self) -> str:
        return self.item.code

    def add(self, kind: str, code: str, amount: int) -> None:
        if amount:
            self.discounts.append(Discount(kind, code, amount))
            self.net_fen -= amount

    def discounted_by(self, kind: str) -> int:
        return sum(d.amount_fen for d in self.discounts if d.kind == kind)


Name = tuple[str, str]  # a display name: (Chinese, English)


@dataclass(frozen=True)
class Refusal:
    what: str
    code: str
    params: tuple[tuple[str, str], ...] = ()
    named: tuple[tuple[str, Name], ...] = ()  # params that are display names, in both languages
    label: Name | None = None  # the display name of `what` (set by `price`)

    def reason(self, lang: str = "zh_CN") -> str:
        en, zh = MESSAGES.get(self.code, (self.code, self.code))
        values = dict(self.params)
        values.update((k, v[1] if lang.startswith("en") else v[0]) for k, v in self.named)
        try:
            return (en if lang.startswith("en") else zh).format(**values)
        except (KeyError, IndexError):
            return en

    def name(self, lang: str = "zh_CN") -> str:
        """What was not applied, in words (a promotion's or coupon's name, not its code)."""
        if self.label is None:
            return self.what
        return self.label[1] if lang.startswith("en") else self.label[0]


@dataclass
class Quote:
    lines: list[QuoteLine]
    program_version: str
    member_id: str | None
    tier: str | None
    promotions: list[str]
    coupons: list[str]
    gifts: list[str]
    points_redeemed: int  # points-for-cash + gifts
    points_for_cash: int
    points_value_fen: int
    points_earned: int
    refusals: list[Refusal]
    member_saved_fen: int = 0
    names: dict[str, Name] = field(default_factory=dict)  # code -> display name (promotions, coupons, tiers, gifts)
    priced_as_guest: bool = False  # the member's item discounts were given up for a better price (SPEC §7)
    campaigns: list[str] = field(default_factory=list)  # points campaigns that raised a line's points (named in `names`)

    def name(self, code: str, lang: str = "zh_CN") -> str:
        """The display name of a promotion, coupon, tier or gift code in this quote (the code if it has none)."""
        n = self.names.get(code)
        if n is None:
            return code
        return n[1] if lang.startswith("en") else n[0]

    @property
    def gross_fen(self) -> int:
        return sum(line.gross_fen for line in self.lines)

    @property
    def net_fen(self) -> int:
        return sum(line.net_fen for line in self.lines)

    @property
    def discount_fen(self) -> int:
        return self.gross_fen - self.net_fen

    def spend_fen(self) -> int:
        """Qualifying (tier) spend: what was paid in money for the goods —
        net of coupons and points, which are already discounts here."""
        return self.net_fen


def refusal(what: str, code: str, named: Mapping[str, Name] | None = None, **params) -> Refusal:
    return Refusal(what, code, tuple((k, str(v)) for k, v in params.items()), tuple((named or {}).items()))


def _joined(names: Sequence[Name]) -> Name:
    return "、".join(n[0] for n in names), ", ".join(n[1] for n in names)


# --- rule helpers -----------------------------------------------------------------


def _in_window(w, now: dt.datetime) -> bool:
    return (w.start is None or w.start <= now) and (w.end is None or now < w.end)


def _in_scope(scope: Scope, item: Item) -> bool:
    if item.code in scope.exclude_products or item.category in scope.exclude_categories:
        return False
    if scope.products or scope.categories:
        return item.code in scope.products or item.category in scope.categories
    return True


def _store_ok(scope: Scope, store: str) -> bool:
    return not scope.stores or store in scope.stores


def audience_ok(audience: str, member: MemberCtx | None, merchant: str) -> bool:
    """Whether a promotion's or coupon template's `audience` (issue 17) takes this customer at a
    till of `merchant` ("": a till of no alliance merchant, a chain alone). "everyone": anyone;
    the alliance audiences need an identified member on an alliance merchant's till — "alliance"
    any such member, "own_members" one whose home merchant (where they joined the alliance) is
    this merchant, "alliance_guests" one whose home is another merchant of the alliance. A member
    whose home merchant is not known (None) is neither own nor a guest."""
    if audience == "everyone":
        return True
    if member is None or not merchant:
        return False
    if audience == "alliance":
        return True
    home = member.home_merchant
    if home is None:
        return False
    return (home == merchant) == (audience == "own_members")


def _for_members(p: Promotion) -> bool:
    """A promotion only (some) members get: members_only, or an alliance audience."""
    return p.members_only or p.audience != "everyone"


def _member_discount_excluded(program: ProgramDoc, item: Item) -> bool:
    md = program.member_discount
    return (item.no_member_discount or item.points_class in md.exclude_points_classes
            or item.category in md.exclude_categories or item.code in md.exclude_products)


class _ProgramIndex(NamedTuple):
    """What the engine looks up in a program on every pricing, made once per program."""

    templates: dict[str, CouponTemplate]  # code -> template (the first of a code, as ProgramDoc.template)
    members_only_promotions: frozenset[str]  # members_only or an alliance audience (`_for_members`)
    members_flash: frozenset[str]  # members-only flash prices (or an alliance audience's)
    members_only_order_promotions: bool


_PROGRAMS: dict[int, tuple[ProgramDoc, _ProgramIndex]] = {}


def _index(program: ProgramDoc) -> _ProgramIndex:
    """The program's index. Safe to keep: a ProgramDoc is frozen (pydantic frozen=True) and
    never changed once parsed (a new version is a new object); the entry holds its program,
    so its id cannot be reused while the entry is here."""
    hit = _PROGRAMS.get(id(program))
    if hit is None:
        if len(_PROGRAMS) > 64:  # versions and test programs come and go: stay small
            _PROGRAMS.clear()
        templates: dict[str, CouponTemplate] = {}
        for t in program.coupon_templates:
            templates.setdefault(t.code, t)
        promos = program.promotions
        index = _ProgramIndex(
            templates,
            frozenset(p.code for p in promos if _for_members(p)),
            frozenset(p.code for p in promos if p.kind == "flash_price" and _for_members(p)),
            any(_for_members(p) and p.kind != "flash_price" for p in promos))
        hit = _PROGRAMS[id(program)] = (program, index)
    return hit[1]


class _ScopeSets(NamedTuple):
    products: frozenset[str]
    categories: frozenset[str]
    exclude_products: frozenset[str]
    exclude_categories: frozenset[str]


_SCOPE_SETS: dict[int, tuple[Scope, _ScopeSets | None]] = {}


def _scope_sets(scope: Scope) -> _ScopeSets | None:
    """A scope's lists as sets (None: the scope covers everything), made once per scope
    of a program rather than on every pricing. Safe to keep: a Scope is frozen
    (pydantic frozen=True) and a program is never changed once parsed — a new version is
    a new object; the entry holds its scope, so the id cannot be reused while it is here."""
    hit = _SCOPE_SETS.get(id(scope))
    if hit is None:
        if len(_SCOPE_SETS) > 4096:  # programs come and go (versions, tests): stay small
            _SCOPE_SETS.clear()
        sets = _ScopeSets(frozenset(scope.products), frozenset(scope.categories),
                          frozenset(scope.exclude_products), frozenset(scope.exclude_categories))
        hit = _SCOPE_SETS[id(scope)] = (scope, sets if any(sets) else None)
    return hit[1]


class _Scopes:
    """Which basket lines each rule's scope covers, worked out once per scope
    and pricing (shared by every pass: line indexes are the basket's); most
    scopes are empty (everything), which costs no per-line test."""

    def __init__(self):
        self._memo: dict[int, tuple[Scope, tuple[int, ...] | None]] = {}
        self._by_category: dict[str, list[int]] | None = None
        self._by_code: dict[str, list[int]] = {}
        # Steps 1–3 of the passes priced without the member's item benefits, by `_prefix_key`
        # (the non-member pass, the member at regular prices, the member priced as a guest).
        self.prefixes: dict[tuple, _Prefix] = {}

    def covered(self, scope: Scope, lines: Sequence[QuoteLine]) -> tuple[int, ...] | None:
        """The indexes of the basket lines in `scope` (None: every line), in line order."""
        hit = self._memo.get(id(scope))
        if hit is None:
            sets = _scope_sets(scope)
            covered = None if sets is None else self._match(sets, lines)
            hit = self._memo[id(scope)] = (scope, covered)  # holding the scope keeps its id unique
        return hit[1]

    def _match(self, sets: "_ScopeSets", lines: Sequence[QuoteLine]) -> tuple[int, ...]:
        prods, cats, xp, xc = sets
        if self._by_category is None:  # the basket's lines by category and by code, once per pricing
            self._by_category, self._by_code = {}, {}
            for ln in lines:
                if ln.item.reward is None:
                    self._by_category.setdefault(ln.item.category, []).append(ln.index)
                    self._by_code.setdefault(ln.item.code, []).append(ln.index)
        if prods or cats:
            found = {i for c in cats for i in self._by_category.get(c, ())}
            found.update(i for c in prods for i in self._by_code.get(c, ()))
        else:
            found = {i for group in self._by_category.values() for i in group}
        if xp or xc:
            found = {i for i in found if lines[i].item.code not in xp and lines[i].item.category not in xc}
        return tuple(sorted(found))

    def of(self, scope: Scope, lines: Sequence[QuoteLine]) -> list[QuoteLine]:
        covered = self.covered(scope, lines)
        if covered is None:
            return [ln for ln in lines if ln.item.reward is None and ln.net_fen > 0]
        # Covered lines are basket lines (reward None); the lines a pass appends
        # later are all rewards, so the indexes still point at the same lines.
        return [ln for ln in map(lines.__getitem__, covered) if ln.net_fen > 0]


def _goods(lines: Iterable[QuoteLine]) -> list[QuoteLine]:
    """Lines discounts can touch: not rewards, something left to discount."""
    return [ln for ln in lines if ln.item.reward is None and ln.net_fen > 0]


_new_discount = tuple.__new__  # Discount(kind, code, amount) without the NamedTuple's Python-level __new__


def _apply_spread(lines: Sequence[QuoteLine], total: int, kind: str, code: str) -> None:
    """`QuoteLine.add` of each line's share, inlined: this runs for every line of
    every coupon, promotion and points amount of every pass (the engine's hot loop)."""
    if not total:
        return  # every share is 0 and `add` records nothing
    shares = spread(total, [ln.net_fen for ln in lines])
    new, cls = _new_discount, Discount  # locals: looked up once, not per line
    for ln, share in zip(lines, shares):
        if share:
            ln.discounts.append(new(cls, (kind, code, share)))
            ln.net_fen -= share


def _promo_off(p: Promotion, base: int) -> int:
    if base < p.threshold_fen or base <= 0:
        return 0
    if p.kind == "full_reduction":
        times = min(base // p.threshold_fen, p.max_repeats) if p.repeat else 1
        return min(p.off_fen * times, base)
    if p.kind == "full_discount":
        return base - pct_of(base, p.pay_pct)
    return 0


def _coupon_off(t: CouponTemplate, base: int) -> int:
    if t.kind in ("amount_off", "voucher"):
        return min(t.value_fen, base)
    if t.kind == "percent_off":
        off = base - pct_of(base, t.pay_pct)
        return min(off, t.max_off_fen) if t.max_off_fen is not None else off
    return 0


# --- the engine ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    member_benefits: bool = True  # False: price as a non-member (for "membership saved")
    drop_promotions: frozenset[str] = frozenset()  # tried when a coupon excludes promotions
    no_tier_on_promos: bool = False  # tried when a promotion excludes the member discount
    item_benefits: bool = True  # False: item prices as a non-member (member prices / tier discount can miss a threshold)
    as_guest: bool = False  # discounts exactly as a non-member gets them; points as the member (SPEC §7 guarantee)


def price(req: PriceRequest, program: ProgramDoc) -> Quote:
    """Price the basket as a member would pay, choosing the combination that is
    best for the customer where rules exclude each other, and report what
    membership saved against the same basket at non-member prices.

    SPEC §7, a member never pays more than a non-member for the same basket:
    the member's item discounts (tier discount, member prices) can take a
    basket under a 满减 threshold or a repeat of it, so the member's basket is
    priced at regular item prices too and the cheaper one wins; should rules
    still interact against the member, the non-member's discounts are taken
    as they are. Either way the member keeps earning and redeeming points,
    and a reason says why the member discount was not used."""
    scopes = _Scopes()  # shared by every scenario: line indexes are the basket's
    plain = plain_opt = None
    if req.member is not None:  # the same basket as a non-member pays it, best combination included
        plain, plain_opt, _ = _best(replace(req, member=None, redeem_points=0, gifts=()), program, scopes)
    quote, _, first = _best(req, program, scopes, plain)
    if plain is not None:
        if _cost(quote) > plain.net_fen:  # rules that work against the member: take the non-member's discounts
            quote = _price(req, program, replace(plain_opt, as_guest=True), scopes)
            quote.refusals += [r for r in plain.refusals if r.code == "refusal.promotion_vs_coupon"]
            quote.priced_as_guest = True
        if quote.priced_as_guest:
            quote.refusals.append(_as_guest_reason(req, program, quote, _item_benefits(program, first)))
        quote.member_saved_fen = max(0, plain.net_fen - _cost(quote))
    _name(req, program, quote)
    return quote


def _best(req: PriceRequest, program: ProgramDoc, scopes: "_Scopes", plain: Quote | None = None):
    """The cheapest of the combinations worth trying: (quote, its options, the first quote)."""
    opt = _Options()
    quote = first = _price(req, program, opt, scopes)
    for alt in _alternatives(req, program, first, plain):
        if _cannot_beat(req, program, alt, scopes, _cost(quote)):
            continue
        other = _price(req, program, alt, scopes)
        if _cost(other) < _cost(quote):
            dropped = [p for p in quote.promotions if p in alt.drop_promotions]
            why = ", ".join(other.coupons)
            named = {"coupon": _joined([_coupon_name(program, req, c) for c in other.coupons])}
            other.refusals += [refusal(p, "refusal.promotion_vs_coupon", named, coupon=why) for p in dropped]
            other.priced_as_guest = not alt.item_benefits
            quote, opt = other, alt
    return quote, opt, first


def _cannot_beat(req: PriceRequest, program: ProgramDoc, alt: _Options, scopes: "_Scopes", best: int) -> bool:
    """Whether pass `alt` surely costs at least `best`, so pricing it is wasted work.

    Exact, not a guess: when an earlier pass left the same steps 1–3 (`_prefix_key`),
    the goods' net after them is known, and after step 3 only coupons lower the
    cost — gifts add reward lines, which `_cost` leaves out, and points lower the net
    by exactly the `points_value_fen` that `_cost` adds back. No coupon takes off more
    than its bound (`_coupon_bound`), nor all together more than the goods' net."""
    key = _prefix_key(req, program, alt)
    prefix = scopes.prefixes.get(key) if key is not None else None
    if prefix is None:
        return False
    net = sum(net for item, _, net, _ in prefix.lines if item.reward is None)
    templates = _index(program).templates
    off = sum(_coupon_bound(templates.get(c.template), net) for c in req.coupons)
    return net - min(off, net) >= best


def _coupon_bound(t: CouponTemplate | None, net: int) -> int:
    """The most coupon `t` can take off goods whose net is `net` (see `_coupon_off`)."""
    if t is None:
        return 0  # refused as unknown
    if t.kind in ("amount_off", "voucher"):
        return t.value_fen
    if t.kind == "percent_off":
        return t.max_off_fen if t.max_off_fen is not None else net
    return 0  # gift_item: a reward line, no amount


def _cost(q: Quote) -> int:
    """What the customer gives for the goods: money and the points' value (not the cash for a gift)."""
    return sum(ln.net_fen for ln in q.lines if ln.item.reward is None) + q.points_value_fen


def _alternatives(req: PriceRequest, program: ProgramDoc, quote: Quote, plain: Quote | None) -> list[_Options]:
    alts = []
    # The member's item discounts can push the basket under a promotion's or coupon's
    # threshold, or under a repeat of 满减 (610 yuan, 满300减30 twice, is 597.80 for a VIP
    # at 98 %: once). Then the member's basket at regular item prices may be cheaper.
    # Tried only when the basket lost a threshold or the open promotions gave less than they give
    # a non-member (a third more work per quote otherwise); the guarantee itself is in `price`.
    if plain is not None and (any(r.code == "refusal.threshold" for r in quote.refusals)
                              or _open_promo_off(program, plain) > _open_promo_off(program, quote)):
        alts.append(_Options(item_benefits=False))
    if any(r.code == "refusal.coupon_vs_promotion" for r in quote.refusals):
        alts.append(_Options(drop_promotions=frozenset(quote.promotions)))
    if any(r.code == "refusal.promotion_vs_member" for r in quote.refusals):
        alts.append(_Options(no_tier_on_promos=True))
    return alts


def _open_promo_off(program: ProgramDoc, q: Quote) -> int:
    """What the promotions open to everyone took off this quote."""
    members_only = _index(program).members_only_promotions
    return sum(d.amount_fen for ln in q.lines for d in ln.discounts
               if d.kind == "promotion" and d.code not in members_only)


def _item_benefits(program: ProgramDoc, q: Quote) -> int:
    """What the member's own item prices took off: tier discount, member prices, member flash prices."""
    members_flash = _index(program).members_flash
    return sum(d.amount_fen for ln in q.lines for d in ln.discounts
               if d.kind in ("tier", "member_price") or (d.kind == "flash_price" and d.code in members_flash))


def _as_guest_reason(req: PriceRequest, program: ProgramDoc, q: Quote, gave_up: int) -> Refusal:
    """Why the member discount is not on the receipt, naming the offers that beat it."""
    offers = [_promo_name(program, p) for p in q.promotions] + [_coupon_name(program, req, c) for c in q.coupons]
    if offers and gave_up:
        return refusal(req.member.tier, "refusal.member_discount_vs_offers", {"offers": _joined(offers)})
    return refusal(req.member.tier, "refusal.member_priced_as_guest")


# --- display names (issue 11: words, never internal codes) ------------------------------------


def _promo_name(program: ProgramDoc, code: str) -> Name:
    p = next((p for p in program.promotions if p.code == code), None)
    return (p.name.zh, p.name.en) if p is not None else (code, code)


def _coupon_name(program: ProgramDoc, req: PriceRequest, code: str) -> Name:
    c = next((c for c in req.coupons if c.code == code), None)
    t = _index(program).templates.get(c.template) if c is not None else None
    return (t.name.zh, t.name.en) if t is not None else (code, code)


_POINTS_NAME: Name = ("积分", "Points")


def _name(req: PriceRequest, program: ProgramDoc, q: Quote) -> None:
    """Display names of every code the quote mentions, and of what each refusal is about."""
    names: dict[str, Name] = {}
    codes = set(q.promotions) | {r.what for r in q.refusals}
    codes |= {d.code for ln in q.lines for d in ln.discounts}
    for p in program.promotions:
        if p.code in codes:
            names[p.code] = (p.name.zh, p.name.en)
    for c in req.coupons:
        t = _index(program).templates.get(c.template)
        if t is not None and c.code in codes | set(q.coupons):
            names[c.code] = (t.name.zh, t.name.en)
    for g in program.gifts:
        if g.code in codes or g.code in q.gifts:
            names[g.code] = (g.name.zh, g.name.en)
    for lv in program.tiers.levels:
        if lv.code in codes or lv.code == q.tier:
            names[lv.code] = (lv.name.zh, lv.name.en)
    for c in program.campaigns:
        if c.code in q.campaigns:
            names[c.code] = (c.name.zh, c.name.en)
    if "points" in codes:
        names["points"] = _POINTS_NAME
    q.names = names
    q.refusals = [r if r.label is not None or r.what not in names else replace(r, label=names[r.what])
                  for r in q.refusals]


class _Pass:
    """One pass of the engine over a basket: what the steps read, and the lines
    and refusals they add to, in order."""

    __slots__ = ("req", "program", "opt", "scopes", "member", "pm", "tier", "lines", "refusals")

    def __init__(self, req: PriceRequest, program: ProgramDoc, opt: _Options, scopes: _Scopes):
        self.req, self.program, self.opt, self.scopes = req, program, opt, scopes
        self.member = req.member if opt.member_benefits else None  # whose points: redeeming, earning
        self.tier = program.tiers.level(self.member.tier) if self.member else None
        self.pm = None if opt.as_guest else self.member  # whom the discounts (steps 1–4) are for
        self.lines = [QuoteLine(i, it, it.qty * it.unit_fen, it.qty * it.unit_fen) for i, it in enumerate(req.items)]
        self.refusals: list[Refusal] = []


class _Prefix(NamedTuple):
    """The basket after steps 1–3 (item prices, manual and tier discounts, order
    promotions) of one pass: the lines as (item, gross, net, discounts), its refusals, the promotions applied."""

    lines: tuple[tuple[Item, int, int, tuple[Discount, ...]], ...]
    refusals: tuple[Refusal, ...]
    promotions: tuple[str, ...]

    @classmethod
    def take(cls, b: _Pass, promotions: list[str]) -> "_Prefix":
        return cls(tuple((ln.item, ln.gross_fen, ln.net_fen, tuple(ln.discounts)) for ln in b.lines),
                   tuple(b.refusals), tuple(promotions))

    def restore(self, b: _Pass) -> list[str]:
        b.lines = [QuoteLine(i, item, gross, net, list(ds)) for i, (item, gross, net, ds) in enumerate(self.lines)]
        b.refusals = list(self.refusals)
        return list(self.promotions)


def _prefix_key(req: PriceRequest, program: ProgramDoc, opt: _Options) -> tuple | None:
    """What steps 1–3 depend on in a pass without the member's item benefits
    (None: the pass has them, and is priced afresh). Within one `price` call the
    basket, time, store, merchant and products are the same for every pass; with item
    benefits off, the tier, member prices and members-only flash prices take no
    part, and the member only counts for members-only order promotions (and those
    of an alliance audience, by the member's home merchant: one member per call) — so
    passes with equal keys reach exactly the same lines, refusals and promotions."""
    pm = None if opt.as_guest or not opt.member_benefits else req.member  # as `_Pass` has it
    if pm is not None and opt.item_benefits:
        return None
    members_only_open = (pm is not None and pm.benefits_from < len(req.items)
                         and _index(program).members_only_order_promotions)
    return opt.drop_promotions, opt.no_tier_on_promos, members_only_open


def _price(req: PriceRequest, program: ProgramDoc, opt: _Options, scopes: "_Scopes | None" = None) -> Quote:
    """One pricing of the basket under `opt`, step by step in the fixed order."""
    b = _Pass(req, program, opt, scopes or _Scopes())
    key = _prefix_key(req, program, opt)
    prefix = b.scopes.prefixes.get(key) if key is not None else None
    if prefix is not None:  # steps 1–3 as an earlier pass of this call made them (see `_prefix_key`)
        applied_promos = prefix.restore(b)
    else:
        flash_items = _item_prices(b)
        _manual_discounts(b)
        _tier_discount(b, flash_items)
        applied_promos = _promotions(b)
        if key is not None:
            b.scopes.prefixes[key] = _Prefix.take(b, applied_promos)
    applied_coupons = _coupons(b, applied_promos)
    applied_gifts, gift_points = _gifts(b)
    cash_points, value = _points_for_cash(b, gift_points)
    member = b.member  # 7. points earned: class rate (or tender rate) × multipliers, nothing on rewards
    campaigns: list[str] = []
    earned = _earn(b.lines, program, req, member, b.tier, campaigns) if member else 0
    return Quote(
        lines=b.lines, program_version=program.version, member_id=member.id if member else None,
        tier=member.tier if member else None, promotions=applied_promos, coupons=applied_coupons,
        gifts=applied_gifts, points_redeemed=cash_points + gift_points, points_for_cash=cash_points,
        points_value_fen=value, points_earned=earned, refusals=b.refusals, campaigns=campaigns,
    )


def _item_prices(b: _Pass) -> set[int]:
    """1. Item prices: flash sale for everyone (or members), member price for members.
    The indexes of the lines a flash price took."""
    req, opt, pm, tier = b.req, b.opt, b.pm, b.tier
    flash_items: set[int] = set()
    for p in b.program.promotions:
        if p.kind != "flash_price" or not _in_window(p.window, req.now) or not _store_ok(p.scope, req.store):
            continue
        for_members = p.members_only or p.audience != "everyone"
        if for_members and (pm is None or not opt.item_benefits):
            continue
        if p.audience != "everyone" and not audience_ok(p.audience, pm, req.merchant):
            continue
        for ln in _goods(b.lines):
            price_ = p.flash_prices.get(ln.item.code)
            if for_members and ln.index < pm.benefits_from:
                continue
            if price_ is not None and price_ * ln.item.qty < ln.net_fen:
                ln.add("flash_price", p.code, ln.net_fen - price_ * ln.item.qty)
                flash_items.add(ln.index)
    if pm and opt.item_benefits and tier.member_prices:
        for ln in _goods(b.lines):
            if ln.index < pm.benefits_from:
                continue
            mp = ln.item.member_unit_fen
            if mp is not None and mp * ln.item.qty < ln.net_fen:
                ln.add("member_price", tier.code, ln.net_fen - mp * ln.item.qty)
    return flash_items


def _manual_discounts(b: _Pass) -> None:
    """1b. A cashier's manual line discount (damaged goods, price match)."""
    for ln in _goods(b.lines):
        if ln.item.manual_pct:
            ln.add("manual", f"{ln.item.manual_pct}%", ln.net_fen - pct_of(ln.net_fen, Decimal(100 - ln.item.manual_pct)))


def _tier_discount(b: _Pass, flash_items: set[int]) -> None:
    """2. The tier discount, with its exclusions."""
    program, opt, tier = b.program, b.opt, b.tier
    promo_scope_lines: set[int] = set()
    if opt.no_tier_on_promos:
        for p in program.promotions:
            if not p.with_member_discount:
                promo_scope_lines |= {ln.index for ln in b.scopes.of(p.scope, b.lines)}
    if b.pm and opt.item_benefits and tier.pay_pct < 100:
        for ln in _goods(b.lines):
            if _member_discount_excluded(program, ln.item) or ln.discounted_by("member_price"):
                continue
            if ln.index < b.pm.benefits_from:
                continue
            if ln.index in flash_items and not program.member_discount.on_promotion_items:
                continue
            if ln.index in promo_scope_lines:
                continue
            ln.add("tier", tier.code, ln.net_fen - pct_of(ln.net_fen, tier.pay_pct))


def _promotion_candidates(b: _Pass) -> list[tuple[Promotion, int]]:
    """The order promotions that would apply, with what each would take off (-1: a gift line)."""
    req = b.req
    candidates: list[tuple[Promotion, int]] = []
    for p in b.program.promotions:
        if p.kind == "flash_price" or p.code in b.opt.drop_promotions:
            continue
        if not _in_window(p.window, req.now) or not _store_ok(p.scope, req.store):
            continue
        if (p.members_only or p.audience != "everyone") and (b.pm is None or b.pm.benefits_from >= len(req.items)):
            continue  # not (yet) an active member
        if p.audience != "everyone" and not audience_ok(p.audience, b.pm, req.merchant):
            continue  # issue 17: for other members of the alliance
        scoped = b.scopes.of(p.scope, b.lines)
        if not p.with_member_discount and any(ln.discounted_by("tier") for ln in scoped):
            b.refusals.append(refusal(p.code, "refusal.promotion_vs_member"))
            continue
        base = sum([ln.net_fen for ln in scoped])
        off = _promo_off(p, base)
        if p.kind == "gift_with_purchase" and base >= p.threshold_fen and base > 0:
            off = -1  # applies, adds a line rather than an amount
        if off:
            candidates.append((p, off))
    return candidates


def _promotions(b: _Pass) -> list[str]:
    """3. Order promotions: the best of each exclusivity group, by priority. The codes applied."""
    best: dict[str, tuple[Promotion, int]] = {}
    chosen: list[Promotion] = []
    for p, off in _promotion_candidates(b):
        if p.exclusive_group is None:
            chosen.append(p)
            continue
        cur = best.get(p.exclusive_group)
        if cur is None or (off, p.priority) > (cur[1], cur[0].priority):
            best[p.exclusive_group] = (p, off)
    chosen += [p for p, _ in best.values()]
    applied: list[str] = []
    for p in sorted(chosen, key=lambda p: -p.priority):
        scoped = b.scopes.of(p.scope, b.lines)
        if p.kind == "gift_with_purchase":
            b.lines.append(_reward_line(len(b.lines), p.gift_product, f"promo:{p.code}", b.req))
            applied.append(p.code)
            continue
        off = _promo_off(p, sum(ln.net_fen for ln in scoped))
        if off:
            _apply_spread(scoped, off, "promotion", p.code)
            applied.append(p.code)
    return applied


def _coupons(b: _Pass, applied_promos: list[str]) -> list[str]:
    """4. Coupons: thresholds on the net amount, stacking rules. The codes applied."""
    applied: list[str] = []
    templates: list[CouponTemplate] = []
    for code in b.req.unknown_coupons:
        b.refusals.append(refusal(code, "refusal.coupon_unknown"))
    for c in b.req.coupons:
        t = _index(b.program).templates.get(c.template)
        why, scoped = _coupon_refusal(b, c, t, applied_promos, applied, templates)
        if why is not None:
            b.refusals.append(why)
            continue
        if t.kind == "gift_item":
            b.lines.append(_reward_line(len(b.lines), t.gift_product, f"coupon:{c.code}", b.req))
        else:
            _apply_spread(scoped, _coupon_off(t, sum(ln.net_fen for ln in scoped)), "coupon", c.code)
        applied.append(c.code)
        templates.append(t)
    return applied


def _coupon_refusal(b: _Pass, c: CouponCtx, t: CouponTemplate | None, applied_promos: list[str],
                    applied: list[str], templates: list[CouponTemplate]) -> tuple[Refusal | None, list[QuoteLine]]:
    """Why coupon `c` does not apply after those already applied (None: it does), and the lines it covers."""
    req, pm, member = b.req, b.pm, b.member
    why = _coupon_check(c, t, req, pm, b.opt)
    if why is not None and pm is not member and _coupon_check(c, t, req, member, b.opt) is None:
        why = refusal(c.code, "refusal.coupon_not_better")  # the member's own coupon, left out for a lower price
    if why is None and templates and not (t.stackable and all(a.stackable for a in templates)):
        why = refusal(c.code, "refusal.coupon_not_stackable")
    if why is None and not t.with_promotions and applied_promos:
        why = refusal(c.code, "refusal.coupon_vs_promotion",
                      {"promotion": _joined([_promo_name(b.program, p) for p in applied_promos])},
                      promotion=", ".join(applied_promos))
    if why is None and c.code in applied:
        why = refusal(c.code, "refusal.coupon_twice")
    scoped: list[QuoteLine] = []
    if why is None:
        scoped = b.scopes.of(t.scope, b.lines)
        if not t.with_member_discount:
            scoped = [ln for ln in scoped if not ln.discounted_by("tier")]
        base = sum([ln.net_fen for ln in scoped])
        if not scoped and t.kind != "gift_item":
            why = refusal(c.code, "refusal.coupon_no_items")
        elif base < t.min_spend_fen:
            why = refusal(c.code, "refusal.threshold", need=yuan(t.min_spend_fen), more=yuan(t.min_spend_fen - base))
    return why, scoped


def _gifts(b: _Pass) -> tuple[list[str], int]:
    """5. Gifts from the catalog: points, or points + cash (加价换购). (codes given, points they take)"""
    member = b.member
    available = member.points_available if member else 0
    gift_points = 0
    applied: list[str] = []
    for code in b.req.gifts:
        g = b.program.gift(code)
        if member is None:
            b.refusals.append(refusal(code, "refusal.points_need_member"))
        elif g is None:
            b.refusals.append(refusal(code, "refusal.gift_unknown"))
        elif g.tiers and member.tier not in g.tiers:
            b.refusals.append(refusal(code, "refusal.gift_tier"))
        elif gift_points + g.points > available:
            b.refusals.append(refusal(code, "refusal.not_enough_points", need=g.points, have=available - gift_points))
        else:
            gift_points += g.points
            name = g.name.zh
            product = g.product or f"GIFT-{g.code}"
            item = Item(product, name, "gift", 1, g.cash_fen, points_class="regular", reward=f"gift:{g.code}")
            b.lines.append(QuoteLine(len(b.lines), item, g.cash_fen, g.cash_fen))
            applied.append(code)
    return applied, gift_points


def _points_for_cash(b: _Pass, gift_points: int) -> tuple[int, int]:
    """6. Points-for-cash, within the per-order cap. (points redeemed for cash, their value in fen)"""
    req, r, member = b.req, b.program.redemption, b.member
    if not req.redeem_points:
        return 0, 0
    want = req.redeem_points
    goods = _goods(b.lines)
    cap_points = points_cash_cap(r, sum(ln.net_fen for ln in goods))
    have = (member.points_available if member else 0) - gift_points
    refuse = b.refusals.append
    if member is None:
        refuse(refusal("points", "refusal.points_need_member"))
        want = 0
    elif want < 0 or want % r.step_points:
        refuse(refusal("points", "refusal.points_step", step=r.step_points))
        want = 0
    elif want < r.min_points:
        refuse(refusal("points", "refusal.points_min", min=r.min_points))
        want = 0
    if want > have:
        refuse(refusal("points", "refusal.not_enough_points", need=want, have=max(have, 0)))
        want = max(have, 0) // r.step_points * r.step_points
    if want > cap_points:
        refuse(refusal("points", "refusal.points_cap", cap=cap_points, value=yuan(r.fen_for(cap_points)), pct=r.cash_cap_pct))
        want = cap_points // r.step_points * r.step_points
    if not (want and want >= r.min_points):
        return 0, 0
    value = r.fen_for(want)
    _apply_spread(goods, value, "points", "points")
    return want, value


def _reward_line(index: int, product: str, reward: str, req: PriceRequest) -> QuoteLine:
    name, category = req.products.get(product, (product, "gift"))
    return QuoteLine(index, Item(product, name, category, 1, 0, points_class="none", reward=reward), 0, 0)


def _coupon_check(c: CouponCtx, t: CouponTemplate | None, req: PriceRequest, member: MemberCtx | None, opt: _Options):
    if t is None:
        return refusal(c.code, "refusal.coupon_unknown")
    if c.status == "used":
        return refusal(c.code, "refusal.coupon_used")
    if c.status != "active":
        return refusal(c.code, "refusal.coupon_void")
    if req.now < c.valid_from:
        return refusal(c.code, "refusal.coupon_not_yet", date=c.valid_from.date().isoformat())
    if req.now >= c.valid_to:
        return refusal(c.code, "refusal.coupon_expired", date=c.valid_to.date().isoformat())
    if not _store_ok(t.scope, req.store):
        return refusal(c.code, "refusal.coupon_store")
    if t.members_only and member is None:
        return refusal(c.code, "refusal.coupon_members_only")
    if t.audience != "everyone" and not audience_ok(t.audience, member, req.merchant):  # issue 17
        return refusal(c.code, "refusal.coupon_no_alliance" if not req.merchant else f"refusal.coupon_{t.audience}")
    if c.member_id and (member is None or member.id != c.member_id):
        return refusal(c.code, "refusal.coupon_other_member")
    if t.per_member_limit and member and c.member_uses >= t.per_member_limit:
        return refusal(c.code, "refusal.coupon_limit", limit=t.per_member_limit)
    return None


def multiplier_for(program: ProgramDoc, req: PriceRequest, member: MemberCtx, tier, item: Item) -> Decimal:
    """Tier × campaign multipliers for one line, combined as the program says."""
    return _combine(program, tier, _campaigns_on(program, req, member), item)


def _campaigns_on(program: ProgramDoc, req: PriceRequest, member: MemberCtx) -> list[Campaign]:
    """The campaigns that apply to this sale and member (their scopes decide per line).
    Nothing here depends on the line, so `_earn` asks once per pass, not once per line."""
    today = req.local_date or req.now.date()
    return [c for c in program.campaigns if _campaign_applies(c, req, member, today)]


def _combine(program: ProgramDoc, tier, campaigns: Sequence[Campaign], item: Item) -> Decimal:
    factors = [tier.points_multiplier]
    for c in campaigns:
        if _in_scope(c.scope, item):
            factors.append(c.multiplier)
    if program.earn.multiplier_combine == "max":
        return max(factors)
    out = Decimal(1)
    for f in factors:
        out *= f
    return out


def _campaign_applies(c: Campaign, req: PriceRequest, member: MemberCtx, today: dt.date) -> bool:
    if c.tiers and member.tier not in c.tiers:
        return False
    if not _store_ok(c.scope, req.store):
        return False
    if c.kind == "dates":  # a yearly holiday by the sale's business date; a window bounds it
        return _in_window(c.window, req.now) and (c.recur is None or holidays.active(c.recur, today))
    if member.birthday is None:
        return False
    if c.kind == "birthday_day":
        return (member.birthday.month, member.birthday.day) == (today.month, today.day)
    return member.birthday.month == today.month


def _earn(lines: list[QuoteLine], program: ProgramDoc, req: PriceRequest, member: MemberCtx, tier,
          applied: list[str] | None = None) -> int:
    """Points earned; `applied` receives the codes of the campaigns that raised a line's multiplier."""
    earn = program.earn
    payable = [ln for ln in lines if ln.net_fen > 0 and (ln.item.reward is None or ln.item.reward.startswith("gift:"))
               and ln.index >= member.benefits_from]
    if not payable:
        return 0
    # The part paid with a tender that has its own rate (gift card) earns that rate instead.
    special: dict[str, int] = {}
    for t in req.tenders:
        if t.type in earn.tender_rates and t.amount_fen > 0:
            special[t.type] = special.get(t.type, 0) + t.amount_fen
    total_net = sum(ln.net_fen for ln in payable)
    by_tender: dict[str, list[int]] = {}
    for kind, amount in special.items():
        by_tender[kind] = spread(min(amount, total_net), [ln.net_fen for ln in payable])
    exact: list[Decimal] = []
    campaigns = _campaigns_on(program, req, member)
    if applied is not None:
        applied.extend(c.code for c in campaigns if any(_in_scope(c.scope, ln.item) for ln in payable))
    rates, tender_rates = earn.rates, earn.tender_rates
    mult = _combine(program, tier, (), payable[0].item) if not campaigns else None  # the tier's, on every line
    for i, ln in enumerate(payable):
        line_mult = mult if mult is not None else _combine(program, tier, campaigns, ln.item)
        if by_tender:
            other = sum(shares[i] for shares in by_tender.values())
            base = Decimal(max(ln.net_fen - other, 0)) * rates[ln.item.points_class]
            for kind, shares in by_tender.items():
                base += Decimal(shares[i]) * tender_rates[kind]
        else:  # as above with no tender shares: other = 0, net_fen > 0
            base = Decimal(ln.net_fen) * rates[ln.item.points_class]
        exact.append(base * line_mult / 100)
    total = round_points(sum(exact, Decimal(0)), earn.rounding)
    for ln, pts in zip(payable, spread_exact(total, exact)):
        ln.points = pts
    return total


def points_cash_cap(redemption, goods_net_fen: int) -> int:
    """The most points an order may turn into cash: `cash_cap_pct` of its goods
    (net, before points), in whole redemption units — the cap `_price` applies in
    step 6, for whoever shows it before pricing (`pos.services.till.Till.points_cap`)."""
    r = redemption
    return goods_net_fen * r.cash_cap_pct // 100 // r.unit_fen * r.points_per_unit


def earn_on_amounts(program: ProgramDoc, items: Sequence[tuple[Item, int]], member: MemberCtx, *, store: str = "",
                    now: dt.datetime, local_date: dt.date | None = None) -> list[int]:
    """Points each line earns on an amount already paid (imported history: the
    amounts stay as recorded), by the program's earning rules — rates per points
    class, tier and campaign multipliers, rounding — exactly as a sale earns."""
    req = PriceRequest(items=tuple(i for i, _ in items), member=member, store=store, now=now, local_date=local_date)
    lines = [QuoteLine(n, item, net, net) for n, (item, net) in enumerate(items)]
    _earn(lines, program, req, member, program.tiers.level(member.tier))
    return [ln.points for ln in lines]
