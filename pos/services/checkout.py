"""A sale you can build and quote at any moment, then pay and commit.

Commit writes the sale, its lines, payments, ledger entries, coupon uses, tier
spend (and any tier change), a receipt number and the outbox event for HQ in
ONE SQLite transaction (synchronous=FULL). The sale id is made when the
basket is opened, so committing the same basket twice changes nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.loyalty import coupons as coupon_store
from pos.loyalty import ledger, expiry, monthly_spend, tiers
from pos.rules import limits
from pos.store import program_store
from pos.rules.barcodes import Nomenclature, ScanResult
from pos.services.catalog import get_by_barcode
from pos.errors import DomainError, card_like, echo
from pos.ids import uuid7
from pos.services import spending as spending_policy
from pos.services.members import MemberIndex, MemberSummary, get_active
from pos.store import bulk
from pos.store import settings as store_settings
from pos.store.models import Basket, Member, MemberBalance, Payment, ReceiptCounter, Sale, SaleLine
from pos.store.database import sql_ts
from pos.store.outbox import emit
from pos.services import member_bonuses, sale_event
from pos.services import coin_sales, membership_mode
from pos.rules.pricing import CouponCtx, Item, MemberCtx, PriceRequest, Quote, Tender, price
from pos.rules.program import ProgramDoc

PAY_TENDERS = ("cash", "bank_card", "wechat", "alipay", "stored_value", "gift_card", "coins")  # coins: issue 17
MAX_QTY = limits.QTY_MAX
NOT_SALE_IDS = (uuid.UUID(int=0), uuid.UUID(int=2**128 - 1))  # nil and max UUID: a placeholder, never one sale
CTX_TTL_S = 2  # how long a quote may reuse the member's points and tier (the commit always re-reads)


@dataclass
class BasketLine:
    """A scanned line, resolved against the catalog when it was scanned."""

    code: str  # the catalog key (base code for scale labels)
    scanned: str  # what the scanner read
    kind: str  # product / price / weight
    qty: int
    unit_fen: int
    name: str
    category: str
    points_class: str
    member_unit_fen: int | None = None
    no_member_discount: bool = False
    product_id: str | None = None
    grams: int | None = None
    discount_pct: int = 0  # manual line discount

    def item(self) -> Item:
        return Item(self.code, self.name, self.category, self.qty, self.unit_fen, self.member_unit_fen,
                    self.points_class, self.no_member_discount, manual_pct=self.discount_pct)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def next_receipt_no(s: Session, store: str, register: str, day: dt.date) -> str:
    """store + register + date + sequence, advanced inside the sale's transaction."""
    counter = s.get(ReceiptCounter, (store, register, day))
    if counter is None:
        counter = ReceiptCounter(store_code=store, register_no=register, business_date=day, last_seq=0)
        s.add(counter)
    counter.last_seq += 1
    return f"{store}-{register}-{day:%Y%m%d}-{counter.last_seq:04d}"


def receipt_no_now(s: Session, store: str, register: str, day: dt.date) -> str:
    """`next_receipt_no` in one statement (an upsert returning the new sequence)."""
    conn = s.connection()
    seq = conn.connection.driver_connection.execute(
        "INSERT INTO receipt_counters (store_code, register_no, business_date, last_seq) VALUES (?, ?, ?, 1) "
        "ON CONFLICT (store_code, register_no, business_date) DO UPDATE SET last_seq = last_seq + 1 "
        "RETURNING last_seq", (store, register, bulk.bind_processor(conn, ReceiptCounter.__table__, "business_date")(day))
    ).fetchone()[0]
    return f"{store}-{register}-{day:%Y%m%d}-{seq:04d}"


def _active_row(s: Session, member_id: str) -> SimpleNamespace:
    """The member as `members.get_active` finds it (the same refusals), as a plain row of
    attributes read through the DB-API: the commit changes no member column itself (a tier
    change loads the ORM object, `tiers.after_sale`)."""
    try:
        mid = uuid.UUID(str(member_id))
    except ValueError:
        raise DomainError("member.not_found", query=str(member_id)[:40]) from None
    rows = bulk.read_rows(s.connection(), Member.__table__, "id = ?", (mid.hex,))
    if not rows:
        raise DomainError("member.not_found", query=str(member_id))
    m = SimpleNamespace(**rows[0])
    if m.status == "merged":
        raise DomainError("member.inactive", member=m.member_code, into=str(m.merged_into))
    if m.status == "erased":  # their data is gone at their request (pos.services.privacy)
        raise DomainError("member.erased", member=m.member_code)
    return m


def _reward_names(s: Session, codes: set[str]) -> dict[str, tuple[str, str]]:
    """Name and category of the reward products (gifts) the catalog has, by barcode."""
    if not codes:
        return {}
    codes = sorted(codes)
    rows = s.connection().connection.driver_connection.execute(
        "SELECT b.barcode, p.name, p.category FROM product_barcodes b JOIN products p ON p.id = b.product_id "
        f"WHERE b.barcode IN ({', '.join('?' for _ in codes)})", codes).fetchall()
    found = {r[0]: (r[1], r[2]) for r in rows}
    return {code: found[code] for code in codes if code in found}


@dataclass
class SaleResult:
    sale_id: str
    receipt_no: str
    kind: str
    member: dict[str, Any] | None
    lines: list[dict[str, Any]]
    totals: dict[str, int]
    points: dict[str, int]
    payments: list[dict[str, Any]]
    coupons: list[str]
    promotions: list[str]
    refusals: list[dict[str, str]]
    member_saved_fen: int
    program_version: str | None
    replayed: bool = False
    coins: dict[str, Any] | None = None  # issue 17: shopping coins earned / spent (pos.services.coin_sales)

    def as_dict(self) -> dict[str, Any]:
        # shallow: its parts are plain lists and dicts already (asdict's deep copy costs ~1 ms per sale)
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if d["coins"] is None:  # a sale without shopping coins reads as before issue 17
            del d["coins"]
        return d


def discount_dicts(q: Quote, ln) -> list[dict[str, Any]]:
    """A line's discounts as stored and printed: the code for machines, the name in both
    languages for people (a promotion's or coupon's name, a tier's; none for points or manual)."""
    out = []
    for d in ln.discounts:
        entry = {"kind": d.kind, "code": d.code, "amount_fen": d.amount_fen}
        if d.code in q.names:
            entry["name"], entry["name_en"] = q.names[d.code]
        out.append(entry)
    return out


def offers(q: Quote, lang: str = "zh_CN") -> list[dict[str, Any]]:
    """Each discount of the quote once, with its name and what it took off in all."""
    total: dict[tuple[str, str], int] = {}
    for ln in q.lines:
        for d in ln.discounts:
            total[(d.kind, d.code)] = total.get((d.kind, d.code), 0) + d.amount_fen
    return [{"kind": kind, "code": code, "name": q.name(code, lang), "amount_fen": amount}
            for (kind, code), amount in total.items()]


def refusal_dict(r, lang: str) -> dict[str, str]:
    return {"what": r.what, "code": r.code, "reason": r.reason(lang), "name": r.name(lang)}


def campaign_dicts(q: Quote, lang: str = "zh_CN") -> list[dict[str, Any]]:
    """The points campaigns (holidays, birthdays) that raised this sale's points, by name."""
    return [{"code": c, "name": q.name(c, lang)} for c in q.campaigns]


def quote_dict(q: Quote, lang: str = "zh_CN") -> dict[str, Any]:
    """The JSON shape of a quote (public interface of `checkout --json`)."""
    return {
        "lines": [{
            "code": ln.item.code, "name": ln.item.name, "qty": ln.item.qty, "unit_fen": ln.item.unit_fen,
            "gross_fen": ln.gross_fen, "net_fen": ln.net_fen,
            "discounts": discount_dicts(q, ln),
            "points": ln.points, "reward": ln.item.reward,
        } for ln in q.lines],
        "totals": {"gross_fen": q.gross_fen, "discount_fen": q.discount_fen, "net_fen": q.net_fen},
        "points": {"earned": q.points_earned, "redeemed": q.points_redeemed, "for_cash": q.points_for_cash,
                   "value_fen": q.points_value_fen, "campaigns": campaign_dicts(q, lang)},
        "promotions": q.promotions, "coupons": q.coupons, "gifts": q.gifts,
        "refusals": [refusal_dict(r, lang) for r in q.refusals],
        "member_saved_fen": q.member_saved_fen, "program_version": q.program_version,
        "offers": offers(q, lang), "priced_as_guest": q.priced_as_guest,
    }


class Checkout:
    """One basket in progress at one register."""

    def __init__(self, db, *, cashier: str = "", channel: str = "store", sale_id: uuid.UUID | None = None,
                 program: ProgramDoc | None = None, nomenclature: Nomenclature | None = None,
                 authority: spending_policy.SpendingAuthority | None = None):
        self.db = db
        self.authority = authority  # who confirms spending on an enrolled till (pos.services.spending); None: the installed one
        self.program = program or program_store.active(db)
        self.nomenclature = nomenclature or Nomenclature.default()
        self.cashier = cashier
        self.channel = channel
        if sale_id is not None and (not isinstance(sale_id, uuid.UUID) or sale_id in NOT_SALE_IDS):
            raise DomainError("sale.bad_id")
        self.sale_id = sale_id or uuid7()
        self.lines: list[BasketLine] = []
        self.member_id: str | None = None
        self.coupon_codes: list[str] = []
        self.redeem_points = 0
        self.gifts: list[str] = []
        self._ctx_cache: tuple[str | None, MemberCtx | None, dt.datetime] | None = None
        self._debts: list[ledger.Debt] | None = None
        self._position: ledger.Position | None = None
        self._products_cache: dict[str, tuple[str, str]] | None = None
        self._merchant: str | None = None  # the till's alliance merchant ("" none), read by `_request`

    # --- building the basket -----------------------------------------------------

    def add(self, code: str, qty: int = 1, scan: ScanResult | None = None) -> BasketLine:
        """A product barcode (scale labels included); any other code is refused with why.
        `scan`: the code as the caller classified it already (the till's one input)."""
        if not limits.is_int(qty) or not 1 <= qty <= MAX_QTY:
            raise DomainError("sale.bad_qty", qty=limits.shown_int(qty) if limits.is_int(qty) else "?", max=MAX_QTY)
        if not isinstance(code, str) or card_like(code):  # a swiped bank card is never looked up nor echoed
            raise DomainError("input.bank_card" if isinstance(code, str) else "input.not_text", field="code")
        if len(self.lines) >= limits.LINES_MAX:
            raise DomainError("input.range", field="lines", min=1, max=limits.LINES_MAX, value=len(self.lines) + 1)
        with self.db.read() as s:
            scan, product = get_by_barcode(s, code, self.nomenclature, scan=scan)
            if scan.kind == "bad_barcode":
                raise DomainError("scan.bad_barcode", code=scan.code[:40], reason=scan.error)
            if scan.kind not in ("product", "price", "weight"):
                raise DomainError("scan.not_product", code=scan.code[:40], kind=scan.kind)
            if product is None or not product.active:
                raise DomainError("scan.unknown_product", code=scan.code[:40])
            line = BasketLine(code=scan.base_code, scanned=scan.code, kind=scan.kind, qty=qty,
                              unit_fen=product.price_fen, name=product.name, category=product.category,
                              points_class=product.points_class, member_unit_fen=product.member_price_fen,
                              no_member_discount=product.no_member_discount, product_id=str(product.id))
        if scan.kind == "price":  # the label carries the line's price
            line.qty, line.unit_fen = 1, scan.value
            if line.member_unit_fen is not None and product.price_fen:
                line.member_unit_fen = _half_up(Decimal(scan.value) * line.member_unit_fen / product.price_fen)
        elif scan.kind == "weight":  # price_fen is per kilogram
            line.qty, line.grams = 1, scan.value
            line.unit_fen = _half_up(Decimal(scan.value) * product.price_fen / 1000)
            if line.member_unit_fen is not None:
                line.member_unit_fen = _half_up(Decimal(scan.value) * line.member_unit_fen / 1000)
        else:  # the same item scanned again adds to its line
            same = next((ln for ln in self.lines if ln.code == line.code and ln.kind == "product"
                         and not ln.discount_pct), None)
            if same is not None:
                if same.qty + qty > MAX_QTY:
                    raise DomainError("sale.bad_qty", qty=same.qty + qty, max=MAX_QTY)
                same.qty += qty
                return same
        membership_mode.price_card_line(self.program, line)  # a membership / upgrade card: the program's price
        self.lines.append(line)
        return line

    def _line(self, index: int) -> BasketLine:
        if not 0 <= index < len(self.lines):
            raise DomainError("sale.no_line", line=index + 1)
        return self.lines[index]

    def set_qty(self, index: int, qty: int) -> None:
        line = self._line(index)
        if line.kind != "product":
            raise DomainError("sale.fixed_qty")
        if not limits.is_int(qty) or not 1 <= qty <= MAX_QTY:
            raise DomainError("sale.bad_qty", qty=limits.shown_int(qty) if limits.is_int(qty) else "?", max=MAX_QTY)
        line.qty = qty

    def set_line_discount(self, index: int, pct: int) -> None:
        """The caller checks the cashier's limit (see `till.Till.line_discount`)."""
        if not 0 <= pct <= 100:
            raise DomainError("sale.bad_discount", pct=pct)
        self._line(index).discount_pct = pct

    def remove(self, index: int) -> None:
        self._line(index)
        del self.lines[index]

    def attach_member(self, query: str) -> MemberSummary:
        """By phone, last 4, card or member code — exactly one match, or a refusal."""
        if card_like(query, bare=False):
            raise DomainError("input.bank_card")
        idx = MemberIndex(str(self.db.path), store_settings.PHONE_REGION.get(self.db))
        try:
            found = idx.find(query)
        finally:
            idx.close()
        if not found:
            raise DomainError("member.not_found", query=query[:4] + "…" if len(query) > 4 else query)
        if len(found) > 1:
            raise DomainError("member.ambiguous", count=len(found))
        self.member_id = found[0].id
        return found[0]

    def attach_member_id(self, member_id: str) -> None:
        with self.db.read() as s:
            self.member_id = str(get_active(s, member_id).id)

    def detach_member(self) -> None:
        self.member_id = None
        self.redeem_points = 0
        self.gifts = []

    def add_coupon(self, code: str) -> None:
        if card_like(code):
            raise DomainError("input.bank_card")
        if isinstance(code, str) and "****" in echo(code) and "****" not in code:
            # a full phone typed as a coupon would be echoed in the refusals and sent to HQ
            raise DomainError("input.phone_not_code", masked=echo(code))
        code = limits.check_text(code, "coupon_code", 64, required=False) or ""
        code = code.upper()
        if code and code not in self.coupon_codes:
            self.coupon_codes.append(code)

    def remove_coupon(self, code: str) -> None:
        self.coupon_codes = [c for c in self.coupon_codes if c != code.strip().upper()]

    def redeem(self, points: int) -> None:
        if limits.is_int(points) and points < 0:
            raise DomainError("sale.bad_points")
        limits.check_int(points, "redeem_points", 0, limits.POINTS_MAX)
        self.redeem_points = points

    def add_gift(self, code: str) -> None:
        limits.check_text(code, "gift", 32)
        if len(self.gifts) >= limits.LINES_MAX:
            raise DomainError("input.range", field="gifts", min=0, max=limits.LINES_MAX, value=len(self.gifts) + 1)
        self.gifts.append(code)

    # --- pricing -------------------------------------------------------------------

    def _member_ctx(self, s: Session, now: dt.datetime, member=None) -> tuple[Member | None, MemberCtx | None]:
        """`member`: the member row the commit read in its transaction (then the ledger is
        read through the DB-API as well, `ledger.position_now`)."""
        if not self.member_id:
            return None, None
        if member is None:
            m = get_active(s, self.member_id)
            pts = ledger.position(s, m.id)
        else:
            m = member
            pts = ledger.position_now(s, m.id)
        self._debts = pts.debts  # reused by the commit's earn entry (same transaction)
        self._position = pts  # and its redemption's lots
        return m, MemberCtx(id=str(m.id), tier=m.tier_code, birthday=m.birthday,
                            points_available=pts.spendable(now),  # never more than the balance
                            home_merchant=m.home_merchant)  # issue 17: promotions' and coupons' audience

    def _request(self, s: Session, tenders: tuple[Tender, ...] = (), fresh: bool = True, member=None) -> PriceRequest:
        """What the engine prices. `fresh=False` (quotes while scanning) reuses the
        member's context and the reward products read for the previous quote; the
        commit always reads them afresh inside its transaction."""
        now = self.db.clock.now()
        cached = self._ctx_cache if not fresh else None
        if cached is not None and cached[0] == self.member_id and abs((now - cached[2]).total_seconds()) < CTX_TTL_S:
            ctx = cached[1]  # scans in quick succession: the member's points did not change meanwhile
        else:
            _member, ctx = self._member_ctx(s, now, member)
            self._ctx_cache = (self.member_id, ctx, now)
        if fresh or self._merchant is None:  # which alliance merchant this till is (issue 17): read once a basket
            self._merchant = coin_sales.alliance_merchant(s)
        member_uuid = uuid.UUID(self.member_id) if self.member_id else None
        found: list[CouponCtx] = []
        unknown: list[str] = []
        for code in self.coupon_codes:
            c = coupon_store.context(s, code, member_uuid)
            (found.append(c) if c else unknown.append(code))
        if fresh or self._products_cache is None:
            self._products_cache = _reward_names(s, self._reward_products())
        return PriceRequest(
            items=tuple(line.item() for line in self.lines), coupons=tuple(found),
            member=membership_mode.adjust(s, self.program, ctx, self.lines),  # qualified membership, upgrade card
            unknown_coupons=tuple(unknown), redeem_points=self.redeem_points, gifts=tuple(self.gifts),
            tenders=tenders, store=self.db.store_code, merchant=self._merchant, now=now,
            local_date=self.db.clock.today(), products=self._products_cache,
        )

    def _reward_products(self) -> set[str]:
        p = self.program
        codes = {x.gift_product for x in p.promotions if x.gift_product}
        codes |= {t.gift_product for t in p.coupon_templates if t.gift_product}
        codes |= {g.product for g in p.gifts if g.product}
        return codes

    def quote(self, tenders: tuple[Tender, ...] = ()) -> Quote:
        with self.db.read() as s:
            return price(self._request(s, tenders, fresh=False), self.program)

    # --- commit --------------------------------------------------------------------------

    def pay(self, tenders: list[Tender] | tuple[Tender, ...], lang: str = "zh_CN") -> SaleResult:
        """Validate the tenders against a fresh quote and commit the sale (refusals' reasons in `lang`)."""
        tenders = tuple(tenders)
        _check_tender_values(tenders)
        # the spending policy (pos.services.spending), only on a till enrolled with HQ: points and
        # single-use coupons are confirmed by HQ first, or bounded by the offline policy (then the
        # sale is provisional). A till without HQ skips this entirely.
        enrolled = store_settings.enrolled(self.db)
        spending = spending_policy.authorize_checkout(self, tenders, self.authority) if enrolled else None
        with self.db.transaction() as s:
            conn = s.connection()  # BEGIN IMMEDIATE: the write lock before anything is read
            raw = conn.connection.driver_connection
            if raw.execute("SELECT 1 FROM sales WHERE id = ?", (self.sale_id.hex,)).fetchone() is not None:
                existing = s.get(Sale, self.sale_id)  # replayed: the sale is already in the store
                _same_sale(existing, "sale", self.basket_key())
                return result_of(s, existing, replayed=True)
            if not self.lines:
                raise DomainError("sale.empty")
            membership_mode.check_basket(self.program, self.member_id, self.lines)
            if sum(ln.unit_fen * ln.qty for ln in self.lines) > limits.SALE_MAX_FEN:  # HQ keeps totals in 32 bits
                raise DomainError("sale.too_big", max=f"{limits.SALE_MAX_FEN / 100:.2f}")
            now = self.db.clock.now()
            member = _active_row(s, self.member_id) if self.member_id else None
            req = self._request(s, tenders, member=member)
            q = price(req, self.program)
            paid, change, sv = _check_tenders(s, member, tenders, q.net_fen)
            coin_plan = coin_sales.plan(s, self.db, self.program, member, tenders, q.net_fen, now)  # issue 17
            sale = self._write_sale(s, q, member, tenders, paid, change, now,
                                    provisional=(spending is not None and spending.provisional)  # spent without HQ
                                    or (coin_plan is not None and coin_plan.provisional))
            self._write_ledgers(s, q, member, sale, sv, now)
            for code in q.coupons:
                amount = sum(d.amount_fen for ln in q.lines for d in ln.discounts if d.kind == "coupon" and d.code == code)
                coupon_store.use(s, code, sale.id, member.id if member else None, amount, now, self.db.store_code)
            balance = None
            if member is not None:
                detail = sale.detail
                if membership_mode.card_upgrade(self.program, member, self.lines):  # the upgrade card: ORM member
                    member = s.get(Member, member.id)
                    membership_mode.after_sale(s, self.db, member, self.program, self.lines, now, sale.id)
                change_ = tiers.after_sale(s, self.db, member, self.program, now, sale.id)
                member_bonuses.after_sale(s, self.db, self.program, member, sale, now)  # a referral's first purchase
                sale.tier_after = change_.to_tier if change_ is not None else member.tier_code
                monthly_spend.after_sale(s, self.db, self.program, member.id, sale, now, self.channel)  # points.bonuses
                coin_sales.post(s, self.db, coin_plan, member, sale, now)  # shopping coins (issue 17)
                s.flush()
                if sale.tier_after != sale.tier_before or sale.detail is not detail:
                    t = Sale.__table__
                    raw.execute("UPDATE sales SET tier_after = ?, detail = ? WHERE id = ?", (
                        sale.tier_after, bulk.bind_processor(conn, t, "detail")(sale.detail), sale.id.hex))
                balance = raw.execute("SELECT points FROM member_balances WHERE member_id = ?",
                                      (member.id.hex,)).fetchone()[0]  # kept equal to the entries by every posting
            result = result_of(s, sale, quote=q, payments=self._payments, points_balance=balance)
            emit(s, self.db, "sale.committed", sale_event.committed(result.as_dict(), req))  # HQ re-prices it
            if lang != "zh_CN":  # HQ's event keeps the Chinese reasons; the caller reads its own language
                result.refusals = [refusal_dict(r, lang) for r in q.refusals]
            raw.execute("DELETE FROM baskets WHERE id = ?", (self.sale_id.hex,))
            return result

    def _write_sale(self, s: Session, q: Quote, member, tenders, paid: int, change: int, now: dt.datetime,
                    provisional: bool = False) -> SimpleNamespace:
        """The sale, its lines and payments: one statement per table (pos.store.bulk), every
        column as the ORM writes it. Returns the sale's row as attributes (what the rules
        after the sale read of it)."""
        db = self.db
        conn = s.connection()
        day = db.clock.local(now).date()
        register = store_settings.REGISTER_NO.get(db)
        sale = dict(
            id=self.sale_id, receipt_no=receipt_no_now(s, db.store_code, register, day),
            kind="sale", store_code=db.store_code, register_no=register, business_date=day,
            created_at=now, cashier=self.cashier or None, member_id=member.id if member else None,
            tier_before=member.tier_code if member else None, tier_after=member.tier_code if member else None,
            program_version=self.program.version, channel=self.channel, gross_fen=q.gross_fen,
            discount_fen=q.discount_fen, net_fen=q.net_fen, paid_fen=paid, change_fen=change,
            spend_fen=q.spend_fen() if member else 0, points_earned=q.points_earned,
            points_redeemed=q.points_redeemed, points_value_fen=q.points_value_fen,
            member_saved_fen=q.member_saved_fen, test_clock=db.test_clock, provisional=provisional,
            units=sum(ln.item.qty for ln in q.lines if not ln.item.reward),
            detail={"promotions": q.promotions, "coupons": q.coupons, "gifts": q.gifts,
                    "campaigns": [[c, *q.names.get(c, (c, c))] for c in q.campaigns],  # [code, zh, en]
                    "refusals": [{"what": r.what, "code": r.code} for r in q.refusals],
                    "tendered": [{"type": t.type, "amount_fen": t.amount_fen} for t in tenders],
                    "basket_key": self.basket_key()},
        )
        bulk.write_rows(conn, Sale.__table__, [sale])
        product_ids = {bl.code: bl.product_id for bl in self.lines}
        bulk.write_rows(conn, SaleLine.__table__, [dict(
            id=uuid7(), sale_id=self.sale_id, line_no=ln.index + 1, code=ln.item.code,
            product_id=uuid.UUID(product_ids[ln.item.code]) if product_ids.get(ln.item.code) else None,
            name=ln.item.name, category=ln.item.category, points_class=ln.item.points_class, qty=ln.item.qty,
            unit_fen=ln.item.unit_fen, gross_fen=ln.gross_fen, net_fen=ln.net_fen, points=ln.points,
            points_value_fen=ln.discounted_by("points"), reward=ln.item.reward, returns_line_id=None,
            discounts=discount_dicts(q, ln),
        ) for ln in q.lines])
        left_change = change
        self._payments = []
        for t in tenders:
            amount = t.amount_fen
            if t.type == "cash" and left_change:  # amount: what the drawer kept of this tender
                kept = min(amount, left_change)
                amount -= kept
                left_change -= kept
            if amount or t.type == "cash":  # a note given back whole as change was still handed over
                self._payments.append(SimpleNamespace(id=uuid7(), sale_id=self.sale_id, tender=t.type,
                                                      amount_fen=amount, reference=None, tendered_fen=t.amount_fen))
        bulk.write_rows(conn, Payment.__table__, [vars(p) for p in self._payments])
        return SimpleNamespace(**sale)

    def _write_ledgers(self, s: Session, q: Quote, member, sale, sv: int, now: dt.datetime) -> None:
        """The points and stored-value entries, allocations and balance cache of the sale,
        planned as `ledger.debit` / `credit` / `sv_post` plan them, one statement per table."""
        if member is None:
            return
        db, p = self.db, self.program
        post = ledger.Postings()
        common = dict(now=now, test_clock=db.test_clock, store_code=db.store_code, sale_id=sale.id,
                      program_version=p.version)
        if q.points_redeemed:
            try:
                post.debit(member.id, "redeem", q.points_redeemed, position=self._position,
                           reason=f"sale {sale.receipt_no}", **common)
            except ledger.InsufficientPoints as exc:
                raise DomainError("sale.points_changed", have=exc.available) from None
        if q.points_earned:
            # the redemption above never creates debt, so the debts read for the quote still hold
            post.credit(member.id, "earn", q.points_earned, expires_at=expiry.lot_expiry(p, now, db.clock),
                        available_at=expiry.available_at(p, now, self.channel), reason=f"sale {sale.receipt_no}",
                        debts=self._debts, **common)
        if sv:
            post.sv_post(member.id, "pay", -sv, now=now, test_clock=db.test_clock, store_code=db.store_code,
                         sale_id=sale.id, reason=f"sale {sale.receipt_no}")
        post.write(s)

    def basket_key(self) -> str:
        """A digest of the basket asked for (not what it priced to): a replay of the
        same sale id must ask for the same basket. Tenders are left out: paying the
        committed basket again with other tenders still replays it."""
        what = {"lines": [[ln.scanned, ln.qty, ln.discount_pct] for ln in self.lines], "member": self.member_id,
                "coupons": self.coupon_codes, "points": self.redeem_points, "gifts": self.gifts,
                "channel": self.channel}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]

    # --- suspend, resume, persist -------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        return {"sale_id": str(self.sale_id), "cashier": self.cashier, "channel": self.channel,
                "lines": [dict(vars(ln)) for ln in self.lines], "member_id": self.member_id,
                "coupons": self.coupon_codes, "redeem_points": self.redeem_points, "gifts": self.gifts}

    @classmethod
    def from_document(cls, db, doc: dict[str, Any]) -> "Checkout":
        co = cls(db, cashier=doc.get("cashier", ""), channel=doc.get("channel", "store"), sale_id=uuid.UUID(doc["sale_id"]))
        co.lines = [BasketLine(**ln) for ln in doc.get("lines", [])]
        co.member_id = doc.get("member_id")
        co.coupon_codes = list(doc.get("coupons", []))
        co.redeem_points = int(doc.get("redeem_points", 0))
        co.gifts = list(doc.get("gifts", []))
        return co

    def save(self, status: str = "current") -> None:
        """Persist the basket (on every change in the app; suspend = status 'suspended'):
        one upsert through the DB-API, the document serialised once (as the ORM's JSON
        column writes it), the row as it was not read back first."""
        now = sql_ts(self.db.clock.now())
        with self.db.transaction() as s:
            s.connection().connection.driver_connection.execute(
                "INSERT INTO baskets (id, status, register_no, document, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET status = excluded.status, document = excluded.document, "
                "updated_at = excluded.updated_at",
                (self.sale_id.hex, status, store_settings.REGISTER_NO.get(self.db), json.dumps(self.document()), now, now))

    def suspend(self) -> str:
        self.save("suspended")
        return str(self.sale_id)

    def void(self) -> None:
        """Drop the basket before commit: nothing of it remains."""
        with self.db.transaction() as s:
            s.query(Basket).filter(Basket.id == self.sale_id).delete()
        self.lines, self.coupon_codes, self.gifts, self.redeem_points, self.member_id = [], [], [], 0, None


def suspended(db) -> list[dict[str, Any]]:
    with db.read() as s:
        rows = s.scalars(select(Basket).where(Basket.status == "suspended").order_by(Basket.updated_at)).all()
        return [{"id": str(r.id), "updated_at": r.updated_at.isoformat(), "lines": len(r.document.get("lines", []))} for r in rows]


def resume(db, basket_id: str | None = None) -> Checkout | None:
    """A suspended basket by id, or (no id) the basket that was in progress at a crash."""
    with db.transaction() as s:
        if basket_id:
            row = s.get(Basket, uuid.UUID(basket_id))
        else:
            row = s.scalar(select(Basket).where(Basket.status == "current").order_by(Basket.updated_at.desc()))
        if row is None:
            return None
        row.status = "current"
        doc = row.document
    return Checkout.from_document(db, doc)


def _same_sale(existing: Sale, kind: str, key: str) -> None:
    """A replay is the same request again; a sale id reused for another one is refused
    (sales committed before keys were kept replay as before)."""
    stored = (existing.detail or {}).get("basket_key")
    if existing.kind != kind or (stored is not None and stored != key):
        raise DomainError("sale.id_reused", receipt=existing.receipt_no)


def _check_tender_values(tenders: tuple[Tender, ...]) -> None:
    """Strict types and sane bounds before anything is summed or stored."""
    if len(tenders) > limits.TENDERS_MAX:
        raise DomainError("input.range", field="tenders", min=0, max=limits.TENDERS_MAX, value=len(tenders))
    for t in tenders:
        if not isinstance(t.type, str):
            raise DomainError("input.not_text", field="tender")
        if t.type not in PAY_TENDERS:
            raise DomainError("tender.unknown", tender=t.type[:16])
        if not limits.is_int(t.amount_fen):
            raise DomainError("input.not_int", field=f"{t.type}.amount_fen")
        if t.amount_fen > limits.SALE_MAX_FEN:  # 2**63 - 1 in cash once committed a change of 9.2e18 fen
            raise DomainError("input.range", field=f"{t.type}.amount_fen", min=1, max=limits.SALE_MAX_FEN,
                              value=limits.shown_int(t.amount_fen))


def _check_tenders(s: Session, member, tenders: tuple[Tender, ...], due: int) -> tuple[int, int, int]:
    """(paid, change, stored value used) or a refusal. Only cash gives change."""
    for t in tenders:
        if t.type not in PAY_TENDERS:
            raise DomainError("tender.unknown", tender=t.type)
        if t.amount_fen <= 0:
            raise DomainError("tender.bad_amount", tender=t.type)
    paid = sum(t.amount_fen for t in tenders)
    non_cash = paid - sum(t.amount_fen for t in tenders if t.type == "cash")
    if non_cash > due:
        raise DomainError("tender.over", over=f"{(non_cash - due) / 100:.2f}")
    if paid < due:
        raise DomainError("tender.short", short=f"{(due - paid) / 100:.2f}")
    sv = sum(t.amount_fen for t in tenders if t.type == "stored_value")
    if sv:
        if member is None:
            raise DomainError("tender.sv_member")
        balance = ledger.sv_balance(s, member.id)
        if sv > balance:
            raise DomainError("tender.sv_short", balance=f"{balance / 100:.2f}")
    return paid, paid - due, sv


def result_of(s: Session, sale: Sale, quote: Quote | None = None, replayed: bool = False, lang: str = "zh_CN",
              payments: list[Payment] | None = None, points_balance: int | None = None) -> SaleResult:
    """The committed sale as plain values; at commit from what was just written
    (no reading back; `points_balance`: the member's, read after the commit's postings),
    on a replay from the store."""
    member = None
    if sale.member_id is not None:
        if points_balance is not None:
            bal = points_balance
        else:
            cached = s.get(MemberBalance, sale.member_id)  # kept equal to the entries by every posting
            bal = cached.points if cached is not None else ledger.points_balance(s, sale.member_id)
        member = {"id": str(sale.member_id), "tier_before": sale.tier_before, "tier_after": sale.tier_after,
                  "points_balance": bal}
    if quote is not None and payments is not None:
        lines = [SimpleNamespace(code=ln.item.code, name=ln.item.name, qty=ln.item.qty, unit_fen=ln.item.unit_fen,
                                 gross_fen=ln.gross_fen, net_fen=ln.net_fen, points=ln.points, reward=ln.item.reward,
                                 discounts=discount_dicts(quote, ln))
                 for ln in quote.lines]
        pays = payments
    else:
        lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
        pays = s.scalars(select(Payment).where(Payment.sale_id == sale.id)).all()
    detail = sale.detail or {}
    refusals = [refusal_dict(r, lang) for r in quote.refusals] if quote else \
        [{"what": r["what"], "code": r["code"], "reason": r["code"]} for r in detail.get("refusals", [])]
    return SaleResult(
        sale_id=str(sale.id), receipt_no=sale.receipt_no, kind=sale.kind, member=member,
        lines=[{"code": ln.code, "name": ln.name, "qty": ln.qty, "unit_fen": ln.unit_fen, "gross_fen": ln.gross_fen,
                "net_fen": ln.net_fen, "discounts": ln.discounts or [], "points": ln.points, "reward": ln.reward}
               for ln in lines],
        totals={"gross_fen": sale.gross_fen, "discount_fen": sale.discount_fen, "net_fen": sale.net_fen,
                "paid_fen": sale.paid_fen, "change_fen": sale.change_fen,
                "spend_fen": sale.spend_fen},  # qualifying tier spend: HQ reviews tiers chain-wide with it
        points={"earned": sale.points_earned, "redeemed": sale.points_redeemed,
                "balance_after": member["points_balance"] if member else 0,
                "bonuses": monthly_spend.shown(detail),  # [{"rule", "points"}]: monthly spend awarded / taken back
                "campaigns": [{"code": c[0], "name": c[2] if lang.startswith("en") else c[1]}  # multiplied the points
                              for c in detail.get("campaigns", []) if isinstance(c, list) and len(c) == 3]},
        # amount_fen: what the tender paid of the bill; tendered_fen: what was handed over (change is in totals)
        payments=[{"tender": p.tender, "amount_fen": p.amount_fen,
                   "tendered_fen": p.tendered_fen if p.tendered_fen is not None else p.amount_fen} for p in pays],
        coupons=list(detail.get("coupons", [])), promotions=list(detail.get("promotions", [])),
        refusals=refusals, member_saved_fen=sale.member_saved_fen, program_version=sale.program_version,
        replayed=replayed, coins=detail.get("coins"),
    )


def sale_by_receipt(db, receipt_no: str) -> SaleResult:
    """A committed sale, return or top-up as plain values (reprints, previews)."""
    with db.read() as s:
        sale = s.scalar(select(Sale).where(Sale.receipt_no == receipt_no.strip()))
        if sale is None:
            raise DomainError("return.no_sale", receipt=receipt_no.strip()[:40])
        return result_of(s, sale)


def topup(db, member_id: str, amount_fen: int, tenders: list[Tender], *, cashier: str = "",
          program: ProgramDoc | None = None, sale_id: uuid.UUID | None = None) -> SaleResult:
    """Top up stored value with the program's bonus; may lift the tier at once.
    A top-up is not qualifying spend."""
    program = program or program_store.active(db)
    sv_rules = program.stored_value
    limits.check_int(amount_fen, "amount_fen", -limits.SALE_MAX_FEN, limits.SALE_MAX_FEN)
    if sale_id is not None and (not isinstance(sale_id, uuid.UUID) or sale_id in NOT_SALE_IDS):
        raise DomainError("sale.bad_id")
    tenders = list(tenders)
    _check_tender_values(tuple(tenders))
    if amount_fen < sv_rules.min_topup_fen:
        raise DomainError("topup.min", min=f"{sv_rules.min_topup_fen / 100:.2f}")
    bonus = sv_rules.bonus_for(amount_fen)
    now = db.clock.now()
    sale_id = sale_id or uuid7()
    key = hashlib.sha256(json.dumps([str(member_id), amount_fen]).encode()).hexdigest()[:32]
    with db.transaction() as s:
        existing = s.get(Sale, sale_id)
        if existing is not None:
            _same_sale(existing, "topup", key)
            return result_of(s, existing, replayed=True)
        member = get_active(s, member_id)
        if ledger.sv_balance(s, member.id) + amount_fen + bonus > sv_rules.max_balance_fen:
            raise DomainError("topup.max", max=f"{sv_rules.max_balance_fen / 100:.2f}")
        for t in tenders:
            if t.type not in ("cash", "bank_card", "wechat", "alipay"):
                raise DomainError("tender.unknown", tender=t.type)
        paid, change, _ = _check_tenders(s, None, tuple(tenders), amount_fen)
        day = db.clock.local(now).date()
        sale = Sale(id=sale_id, receipt_no=next_receipt_no(s, db.store_code, store_settings.REGISTER_NO.get(db), day),
                    kind="topup", store_code=db.store_code, register_no=store_settings.REGISTER_NO.get(db), business_date=day,
                    created_at=now, cashier=cashier or None, member_id=member.id, tier_before=member.tier_code,
                    tier_after=member.tier_code, program_version=program.version, gross_fen=amount_fen,
                    net_fen=amount_fen, paid_fen=paid, change_fen=change, spend_fen=0, test_clock=db.test_clock,
                    detail={"bonus_fen": bonus, "tendered": [{"type": t.type, "amount_fen": t.amount_fen} for t in tenders],
                            "basket_key": key})
        s.add(sale)
        s.flush()
        left_change = change
        for t in tenders:
            amount = t.amount_fen - (min(t.amount_fen, left_change) if t.type == "cash" else 0)
            if t.type == "cash":
                left_change -= t.amount_fen - amount
            if amount or t.type == "cash":
                s.add(Payment(id=uuid7(), sale_id=sale.id, tender=t.type, amount_fen=amount, tendered_fen=t.amount_fen))
        common = dict(now=now, test_clock=db.test_clock, store_code=db.store_code, sale_id=sale.id)
        ledger.sv_post(s, member.id, "topup", amount_fen, reason=f"top-up {sale.receipt_no}", **common)
        if bonus:
            ledger.sv_post(s, member.id, "bonus", bonus, reason=f"top-up bonus {sale.receipt_no}", **common)
        up = tiers.upgrade_by_topup(program.tiers, member.tier_code, amount_fen)
        if up:
            tiers.change_tier(s, db, member, up, "topup", 0, program.tiers, now, sale.id)
            sale.tier_after = up
        s.flush()
        result = result_of(s, sale)
        emit(s, db, "sale.topup", {"sale": result.as_dict(), "bonus_fen": bonus})
        return result
