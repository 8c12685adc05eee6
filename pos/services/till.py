"""The till's working state behind the cashier screen, headless: the one
input that takes anything (product, member card or code, coupon, phone, last
4 digits, cashier badge), the basket in progress saved on every change, quick
join, and the member panel. The app only displays what this returns.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pos.store import settings as store_settings
from pos import changes
from pos.services import catalog, checkout, members, member_code, member_view, staff
from pos.rules import phones
from pos.store import program_store
from pos.rules.barcodes import Nomenclature
from pos.services.checkout import Checkout, Tender
from pos.errors import DomainError, card_like, echo
from pos.rules.pricing import Quote, points_cash_cap


@dataclass
class Outcome:
    """What one entry did, for the screen to show where the cashier is looking."""

    kind: str  # product / member / pick_member / pick / replace_member / coupon / error / nothing
    message: str = ""
    line_index: int | None = None
    matches: list[members.MemberSummary] = field(default_factory=list)
    error_code: str | None = None
    products: list[catalog.ProductView] = field(default_factory=list)  # kind "pick": a search by name
    join_phone: str = ""  # a full mobile that matched nobody: kept (in memory only) for F3 quick join


class Till:
    def __init__(self, db, cashier: staff.StaffView | None = None, lang: str = "zh_CN", authority=None):
        self.db = db
        self.authority = authority  # confirms spending on an enrolled till (pos.services.spending); None: the installed one
        self.lang = lang
        self.program = program_store.ensure_default(db)
        self.nomenclature = Nomenclature.default()
        self.cashier = cashier
        self.index = members.MemberIndex(str(db.path), store_settings.PHONE_REGION.get(db))
        self.checkout = self._resume_own()
        self.last_quote: Quote | None = None
        self._reprice = True
        self._panel_cache: tuple[str, member_view.MemberPanel] | None = None
        self.last_paid: checkout.SaleResult | None = None

    def _resume_own(self) -> Checkout:
        """The basket in progress at a crash, for the cashier who had it; another
        cashier signing in finds it on hold (F9) instead of inheriting its member."""
        co = checkout.resume(self.db)
        if co is None:
            return self._new()
        mine = self.cashier.code if self.cashier else ""
        if co.cashier and mine and co.cashier != mine:
            if co.lines or co.member_id:
                co.suspend()
            return self._new()
        co.authority = self.authority
        return co

    def _new(self) -> Checkout:
        return Checkout(self.db, cashier=self.cashier.code if self.cashier else "", program=self.program,
                        nomenclature=self.nomenclature, authority=self.authority)

    def close(self) -> None:
        self.index.close()

    # --- the one input ------------------------------------------------------------

    def enter(self, text: str, reprice: bool = True) -> Outcome:
        """Whatever was typed or scanned: never raises for bad input, says why.
        With `reprice=False` a product scan only adds the line; the caller shows
        it at once and calls `changed()` right after (save and re-price)."""
        raw = unicodedata.normalize("NFKC", text or "").strip()
        if not raw:
            return Outcome("nothing")
        self._reprice = reprice
        try:
            return self._enter(raw)
        except DomainError as exc:
            return Outcome("error", exc.message(self.lang), error_code=exc.code)

    def _enter(self, raw: str) -> Outcome:
        if card_like(raw):  # a bank card swiped or typed into the till: said, never echoed
            raise DomainError("input.bank_card")
        compact = raw.replace(" ", "").replace("-", "")
        if len(compact) == 4 and compact.isdigit():
            return self._members(self.index.by_last4(compact), raw)
        if len(compact) == 11 and compact.isdigit() and compact.startswith("1"):
            found = self.index.by_phone(compact)
            if not found:
                err = DomainError("member.not_found", query=phones.shown(compact))
                return Outcome("error", err.message(self.lang), error_code=err.code, join_phone=compact)
            return self._members(found, phones.shown(compact))
        if compact.startswith("+") and phones.looks_like_phone(compact):
            return self._members(self.index.by_phone(compact), echo(compact))
        scan = self.nomenclature.classify(raw)
        if scan.kind in ("product", "price", "weight"):
            line = self.checkout.add(raw, scan=scan)  # classified once, here
            if self._reprice:
                self.changed()
            return Outcome("product", line.name, line_index=self.checkout.lines.index(line))
        if scan.kind == "member":
            found = self.index.by_card(scan.base_code) or self.index.by_code(scan.base_code)
            return self._members(found, scan.base_code[:4] + "…")
        if scan.kind == "dynamic_member":  # a member page's changing code (pos.services.member_code)
            mid = member_code.identify(self.db, scan.code, authority=self.authority)
            out = self._members([member_code.summary(self.db, mid)], "")
            if out.kind == "member":  # a first order: the sign-up coupons go on this sale
                for code in member_code.first_order_coupons(self.db, mid):
                    self.try_coupon(code)
            return out
        if scan.kind == "parcel":  # a courier's label (issue 18): the parcel arrived here
            from pos.services import parcels

            v = parcels.receive(self.db, scan.base_code, actor=self._actor())
            return Outcome("parcel", " ".join(x for x in (v.label, v.name, v.phone_masked) if x))
        if scan.kind == "pickup":  # the customer's pickup code
            return self.parcel_pickup(code=scan.base_code)
        if scan.kind == "coupon":
            applied, why = self.try_coupon(scan.base_code)
            return Outcome("coupon", why, error_code=None if applied else "coupon.refused")
        if scan.kind == "bad_barcode":
            raise DomainError("scan.bad_barcode", code=scan.code[:40], reason=scan.error)
        if scan.kind == "cashier":
            raise DomainError("scan.not_product", code=scan.code[:40], kind="cashier")
        if scan.kind == "unknown" and not raw.isdigit():
            who = members.search(self.db, raw)
            goods = catalog.search(self.db, raw, nomenclature=self.nomenclature)
            if who or goods:  # typed a name (or part of one): the cashier picks from a list
                return Outcome("pick", matches=who, products=goods)
        raise DomainError("scan.unknown_product", code=echo(raw))

    def member_code_needs_hq(self, text: str) -> bool:
        """A dynamic member code only HQ can check (a member not here yet): the app asks off
        the GUI thread with `fetch_member_code`, then enters the code as any other."""
        scan = self.nomenclature.classify(unicodedata.normalize("NFKC", text or "").strip())
        return scan.kind == "dynamic_member" and member_code.needs_hq(self.db, scan.code)

    def fetch_member_code(self, text: str) -> str:
        """HQ checks the code and the member it names is applied here (DomainError if refused)."""
        return member_code.fetch(self.db, unicodedata.normalize("NFKC", text or "").strip(), authority=self.authority)

    def _members(self, found: list[members.MemberSummary], shown: str) -> Outcome:
        if not found:
            raise DomainError("member.not_found", query=shown)
        if len(found) > 1:
            return Outcome("pick_member", matches=members.describe(self.db, found))
        if self.checkout.member_id and self.checkout.member_id != found[0].id:
            return Outcome("replace_member", matches=found)  # the screen asks before replacing
        return self.attach(found[0])

    def try_coupon(self, code: str) -> tuple[bool, str]:
        """Put a coupon on the basket. Applied: kept. Refused only for a threshold not yet
        reached (or no qualifying item yet): kept, it applies as the basket grows. Any other
        refusal (unknown, used, expired …): taken off again, so it never piles up; the
        reason is returned for the one message."""
        code = code.strip().upper()
        before = list(self.checkout.coupon_codes)
        self.checkout.add_coupon(code)
        q = self.changed()
        if code in q.coupons:
            return True, ""
        why = next((r for r in q.refusals if r.what == code), None)
        if why is None or why.code not in ("refusal.threshold", "refusal.coupon_no_items"):
            self.checkout.coupon_codes = before
            self.changed()
        return False, why.reason(self.lang) if why else ""

    def coupon_templates(self, codes: list[str]) -> dict[str, str]:
        """Coupon code -> its template, to name a coupon on screen (never by a code)."""
        if not codes:
            return {}
        from sqlalchemy import select

        from pos.store.models import Coupon

        with self.db.read() as s:
            return dict(s.execute(select(Coupon.code, Coupon.template).where(Coupon.code.in_(list(codes)))).all())

    def held(self) -> list[dict[str, Any]]:
        """Baskets on hold with what tells them apart: store-local time, total, member, cashier."""
        out = []
        for h in checkout.suspended(self.db):
            co = _held_checkout(self.db, h["id"])
            if co is None:
                continue
            who = ""
            if co.member_id:
                try:
                    d = members.detail(self.db, co.member_id)
                    who = f"{members.mask_name(d.name)} {d.phone_masked}".strip()
                except DomainError:
                    who = ""
            try:
                total = co.quote().net_fen if co.lines else 0
            except DomainError:
                total = 0
            when = self.db.clock.local(_utc(h["updated_at"]))
            out.append({"id": h["id"], "time": when.strftime("%H:%M"), "date": when.date().isoformat(),
                        "lines": h["lines"], "total_fen": total, "member": who, "cashier": co.cashier})
        return out

    def attach(self, m: members.MemberSummary) -> Outcome:
        if self.checkout.member_id and self.checkout.member_id != m.id:
            self.checkout.detach_member()  # the points and gifts taken were the other member's
        self.checkout.attach_member_id(m.id)
        self.changed()
        return Outcome("member", f"{m.name or ''} {m.phone_masked}".strip())

    # --- basket changes -----------------------------------------------------------------

    def changed(self) -> Quote:
        """Persist the basket (a crash or power cut resumes it) and re-price it; `basket`
        is published (the customer screen follows the sale by it)."""
        self.checkout.save()
        self.last_quote = self.checkout.quote()
        changes.publish("basket")
        return self.last_quote

    def set_qty(self, index: int, qty: int) -> None:
        self.checkout.set_qty(index, qty)
        self.changed()

    def remove(self, index: int) -> None:
        self.checkout.remove(index)
        self.changed()

    def detach_member(self) -> None:
        self.checkout.detach_member()
        self.changed()

    def redeem(self, points: int) -> Quote:
        self.checkout.redeem(points)
        return self.changed()

    def add_gift(self, code: str) -> Quote:
        self.checkout.add_gift(code)
        return self.changed()

    def add_coupon(self, code: str) -> Quote:
        self.checkout.add_coupon(code)
        return self.changed()

    def line_discount(self, index: int, pct: int, approver: staff.StaffView | None = None) -> None:
        """A manual line discount; over the cashier's limit it needs a manager (audited by `staff.approve`)."""
        limit = self.cashier.line_discount_pct if self.cashier else 0
        if pct > limit and not (approver and approver.is_manager) and not (self.cashier and self.cashier.is_manager):
            raise DomainError("staff.over_limit", pct=pct, limit=limit)
        self.checkout.set_line_discount(index, pct)
        self.changed()

    def points_cap(self) -> tuple[int, int]:
        """(most points this order can take, their cash value) — shown before confirming."""
        q = self.last_quote or self.checkout.quote()
        r = self.program.redemption
        goods = sum(ln.net_fen for ln in q.lines if ln.item.reward is None) + q.points_value_fen  # before points
        cap_points = points_cash_cap(r, goods)
        have = 0
        if self.checkout.member_id:
            panel = self.panel(with_suggestions=False)
            have = panel.points_available - (q.points_redeemed - q.points_for_cash)  # gifts take theirs first
        most = min(cap_points, max(have, 0)) // r.step_points * r.step_points
        return most, r.fen_for(most)

    # --- quick join -------------------------------------------------------------------------

    def quick_join(self, phone: str) -> members.MemberSummary:
        """Phone only → member created with the sign-up rewards → attached to this sale,
        so the first-order benefit applies now, not next time."""
        from pos.services import joining

        m = joining.join(self.db, self.program, phone, actor=self.cashier.code if self.cashier else "till")
        self.attach(m)
        changes.publish("members", [m.id])
        return m

    # --- the member panel ---------------------------------------------------------------------

    def panel(self, with_suggestions: bool = True) -> member_view.MemberPanel | None:
        mid = self.checkout.member_id
        if not mid:
            return None
        basket = tuple(line.code for line in self.checkout.lines)
        return member_view.panel(self.db, self.program, mid, basket, self.lang, with_suggestions)

    # --- finishing -------------------------------------------------------------------------------

    def pay(self, tenders: list[Tender]) -> checkout.SaleResult:
        """Commit the sale (on an enrolled till after HQ's hold on the points and coupons
        spent: `needs_hold`, run it off the GUI thread) and start a new basket."""
        result = self.checkout.pay(tenders)
        self.checkout = self._new()
        self.last_quote = None
        self.last_paid = result  # the customer screen's thank-you (points earned) reads it on `sales`
        changes.publish("sales", [result.sale_id])
        if result.member:
            changes.publish("members", [result.member.get("id")])
        changes.publish("basket")
        return result

    def needs_hold(self, quote: Quote | None = None) -> bool:
        """Paying waits for HQ: an enrolled till asks HQ to hold the points and coupons a
        member spends (the spending policy), which may take its timeout."""
        q = quote or self.last_quote
        spends = q is not None and self.checkout.member_id and (q.points_redeemed or q.coupons)
        return bool(spends and store_settings.enrolled(self.db))  # as Checkout.pay asks (pos.services.spending)

    def void(self) -> None:
        self.checkout.void()
        self.checkout = self._new()
        self.last_quote = None
        changes.publish("basket")

    def suspend(self) -> str:
        basket_id = self.checkout.suspend()
        self.checkout = self._new()
        self.last_quote = None
        changes.publish("basket", [basket_id])
        return basket_id

    def resume(self, basket_id: str) -> None:
        if self.checkout.lines:
            self.suspend()
        co = checkout.resume(self.db, basket_id)
        if co is None:
            raise DomainError("sale.no_basket")
        co.authority = self.authority
        self.checkout = co
        self.changed()
        changes.publish("basket", [basket_id])

    def save(self) -> None:
        """Keep the basket in progress (the window closing: it survives the restart)."""
        self.checkout.save()

    # --- what the screen reads (it never reaches into the checkout or the store) -------------

    @property
    def member_id(self) -> str | None:
        return self.checkout.member_id

    @property
    def lines(self) -> tuple:
        """The basket's lines (name, qty, code …), read-only: change them through the methods above."""
        return tuple(self.checkout.lines)

    @property
    def coupon_codes(self) -> tuple[str, ...]:
        return tuple(self.checkout.coupon_codes)

    @property
    def store_name(self) -> str:
        return store_settings.STORE_NAME.get(self.db) or ""

    def today(self):
        return self.db.clock.today()

    def setting(self, key: str, default: Any = None) -> Any:
        return self.db.settings.get(key, default)

    def cash_confirm_above_fen(self) -> int:
        """Cash above this asks the cashier to confirm the amount (a typo of two zeros)."""
        opt = store_settings.CASH_CONFIRM_ABOVE_FEN
        try:
            return int(opt.get(self.db))
        except (TypeError, ValueError):
            return int(opt.default)

    def sale_by_receipt(self, receipt_no: str) -> checkout.SaleResult:
        return checkout.sale_by_receipt(self.db, receipt_no)

    def topup(self, amount_fen: int, tenders: list[Tender]) -> checkout.SaleResult:
        """Stored value for the member on this sale."""
        if not self.checkout.member_id:
            raise DomainError("member.not_found", query="-")
        result = checkout.topup(self.db, self.checkout.member_id, amount_fen, tenders,
                                cashier=self.cashier.code if self.cashier else "")
        changes.publish("members", [self.checkout.member_id])
        changes.publish("sales", [result.sale_id])
        return result

    # --- points outside the sale (pos.services.points_uses, pos.services.lottery) ---------------------

    def _actor(self) -> str:
        return self.cashier.code if self.cashier else "till"

    def parcel_pickup(self, code: str | None = None, phone: str | None = None, last4: str | None = None) -> Outcome:
        """A parcel collected (pos.services.parcels.pickup): its member on the sale when the sale has
        none, and the pickup voucher put on it at once (message: the label and the voucher's code)."""
        from pos.services import parcels

        got = parcels.pickup(self.db, code=code, phone=phone, last4=last4, actor=self._actor())
        if not self.checkout.member_id:
            self.checkout.attach_member_id(got.parcel.member_id)
        if got.coupon_code and self.checkout.member_id == got.parcel.member_id:
            self.try_coupon(got.coupon_code)
            got.applied_to_sale = got.coupon_code in self.checkout.coupon_codes
        self.changed()
        changes.publish("members", [got.parcel.member_id])
        # error_code: collected, but the voucher is not on this sale (another member's sale, or no voucher)
        return Outcome("pickup", " ".join(x for x in (got.parcel.label, got.coupon_code) if x),
                       error_code=None if got.applied_to_sale else
                       "parcel.voucher_not_on_sale" if got.coupon_code else "parcel.no_voucher")

    def _member_for_points(self) -> str:
        if not self.checkout.member_id:
            raise DomainError("member.not_found", query="-")
        return self.checkout.member_id

    def spends_need_hq(self) -> bool:
        """Spending points outside a sale waits for HQ's hold on an enrolled till (run it off the GUI thread)."""
        return store_settings.enrolled(self.db)

    def convert_points(self, points: int):
        """The member's points to stored value (`redemption.to_stored_value`)."""
        from pos.services import points_uses

        return points_uses.convert_to_stored_value(self.db, self._member_for_points(), points, program=self.program,
                                                   actor=self._actor())

    def exchangeable_coupons(self) -> list[dict[str, Any]]:
        """The coupon templates for points, with what stops this member taking one now."""
        from pos.services import points_uses

        mid = self._member_for_points()
        import uuid as _uuid

        with self.db.read() as s:
            held = {t.code: points_uses.exchanged_count(s, _uuid.UUID(mid), t.code)
                    for t in points_uses.exchangeable(self.program)}
        return [{"template": t, "cost": t.points_cost,
                 "limit_reached": bool(t.per_member_limit and held[t.code] >= t.per_member_limit),
                 "other_store": bool(t.scope.stores and self.db.store_code not in t.scope.stores)}
                for t in points_uses.exchangeable(self.program)]

    def exchange_coupon(self, template: str):
        """The member's points for a coupon of `template`, into the wallet."""
        from pos.services import points_uses

        return points_uses.exchange_coupon(self.db, self._member_for_points(), template, program=self.program,
                                           actor=self._actor())

    def lottery_draw(self):
        """One draw of the points lottery for the member (`bonuses.lottery_cost`)."""
        from pos.services import lottery

        return lottery.draw(self.db, self._member_for_points(), program=self.program, actor=self._actor())

    def approve(self, code: str, pin: str, action: str, target: str | None = None, **details: Any) -> staff.StaffView:
        """A manager's code and PIN approve `action` (audited)."""
        return staff.approve(self.db, code, pin, action, target, **details)

    def approve_signed_in(self, action: str, target: str | None = None) -> staff.StaffView:
        """The signed-in manager approves without typing the PIN again (audited)."""
        return staff.approve_signed_in(self.db, self.cashier, action, target)

    def approve_line_discount(self, index: int, pct: int, code: str, pin: str) -> staff.StaffView:
        return self.approve(code, pin, "line_discount", self.checkout.lines[index].code, pct=pct,
                            cashier=self.cashier.code if self.cashier else "")

    def unmask_phone(self, actor: str) -> str:
        """The full number of the member on this sale, for a manager (audited)."""
        return members.unmask_phone(self.db, self.checkout.member_id, actor=actor)

    def document(self) -> dict[str, Any]:
        return self.checkout.document()


def _utc(iso: str):
    import datetime as dt

    when = dt.datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def _held_checkout(db, basket_id: str) -> Checkout | None:
    """A held basket read without taking it off hold (for the recall list)."""
    import uuid

    from pos.store.models import Basket

    with db.read() as s:
        row = s.get(Basket, uuid.UUID(basket_id))
        return Checkout.from_document(db, row.document) if row is not None else None
