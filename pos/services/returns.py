"""Returns by receipt number, all lines or some (SPEC §3).

- The points earned on the returned lines are taken back: from the sale's own
  lot first, then the lots that expire first; what the member already spent
  becomes debt, or its cash value is deducted from the refund (program).
- Points used on the returned lines come back: on a full return with their
  original expiry (lot by lot), on a partial one with the expiry renewed.
- Stored value used comes back to the balance; money goes back by the original
  tenders. Never more than was paid; a line cannot be returned twice.
- Qualifying spend is taken back (a negative `spend_fen`); an upgrade this
  very sale earned is undone if the spend no longer reaches it.
- Coupons used on the sale come back when the return takes the whole sale back
  (every unit bought, in one go or as the last of several returns) and they
  have not expired: the use stays recorded (a coupon is used once, chain-wide),
  and a replacement of the same template, for the same member, valid until the
  same moment, is issued through the normal coupon path (so HQ learns it like
  any coupon). A partial return keeps the coupon used: the basket that stays
  had its benefit.
- The return window (SPEC §4, a tier benefit): a return is refused once more days
  have passed since the sale's business date than the window allows
  (`TierLevel.return_window_days` of the sale's program: the longer of the tier
  the member had after that sale and the tier held now — a later upgrade
  lengthens it, a later drop does not shorten it; a sale without a member: the
  lowest tier's window, 7 days by default; a shipped order: at least its points'
  pending days, `earn.pending_days.shipped`). A manager may override: the
  approving manager's code goes to `return_sale(window_override=…)`, and the
  return records it (audit row `return.window_override`, the return's detail and
  its `sale.returned` event name the manager).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.store import settings as store_settings
from pos.loyalty import coupons, expiry, ledger, monthly_spend, tiers
from pos.store import program_store
from pos.services import coin_sales
from pos.services.checkout import next_receipt_no, result_of, SaleResult
from pos.errors import DomainError
from pos.ids import uuid7
from pos.store.models import Coupon, CouponUse, Member, Payment, PointsAllocation, PointsEntry, Sale, SaleLine, TierChange
from pos.rules.money import spread
from pos.store.outbox import audit, emit
from pos.rules.program import ProgramDoc


@dataclass
class ReturnPlan:
    """What a return will do — shown to the cashier before confirming."""

    sale_id: str
    receipt_no: str
    full: bool
    lines: list[dict[str, Any]]
    refund_fen: int
    points_taken_back: int
    points_refunded: int
    points_short: int  # taken back but already spent
    debt_points: int
    deduction_fen: int
    stored_value_refund_fen: int
    spend_back_fen: int
    tier_reverted_to: str | None
    # coupons of the sale that come back (whole sale returned, still valid): code, template, valid_to
    coupons_back: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # monthly-spend awards the month falls below (pos.loyalty.monthly_spend): rule, points (> 0), entry, month;
    # their points count with points_taken_back under the debt policy
    bonuses_back: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # the return window: days since the sale's business date, the days allowed, and whether it has closed
    days_since_sale: int = 0
    window_days: int | None = None
    window_closed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _returned_qty(s: Session, line_id: uuid.UUID) -> int:
    return -int(s.scalar(select(func.coalesce(func.sum(SaleLine.qty), 0)).where(SaleLine.returns_line_id == line_id)))


def _returned_net(s: Session, line_id: uuid.UUID) -> tuple[int, int, int]:
    row = s.execute(select(func.coalesce(func.sum(SaleLine.net_fen), 0), func.coalesce(func.sum(SaleLine.points), 0),
                           func.coalesce(func.sum(SaleLine.points_value_fen), 0))
                    .where(SaleLine.returns_line_id == line_id)).one()
    return -int(row[0]), -int(row[1]), -int(row[2])


def _share(total: int, done: int, qty: int, left_before: int) -> int:
    """This return's share of a line amount: the rest when it takes the last units."""
    remaining = total - done
    if qty == left_before:
        return remaining
    return remaining * qty // left_before


def _pick(s: Session, sale: Sale, wanted: dict[str, int] | None) -> list[tuple[SaleLine, int, int]]:
    """(line, qty to return, qty left before) for the request; refusals say why."""
    lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id).order_by(SaleLine.line_no)).all()
    out = []
    if wanted is None:
        for ln in lines:
            left = ln.qty - _returned_qty(s, ln.id)
            if left > 0:
                out.append((ln, left, left))
        if not out:
            raise DomainError("return.nothing_left", receipt=sale.receipt_no)
        return out
    for code, qty in wanted.items():
        if qty <= 0:
            raise DomainError("sale.bad_qty", qty=qty, max=9999)
        need = qty
        candidates = [ln for ln in lines if ln.code == code]
        if not candidates:
            raise DomainError("return.not_on_sale", code=code, receipt=sale.receipt_no)
        for ln in candidates:
            left = ln.qty - _returned_qty(s, ln.id)
            take = min(left, need)
            if take > 0:
                out.append((ln, take, left))
                need -= take
        if need:
            raise DomainError("return.too_many", code=code, left=qty - need)
    return out


def plan(db, receipt_no: str, wanted: dict[str, int] | None = None) -> ReturnPlan:
    with db.read() as s:
        return _plan(s, db, receipt_no, wanted)[0]


def _plan(s: Session, db, receipt_no: str, wanted):
    sale = s.scalar(select(Sale).where(Sale.receipt_no == receipt_no.strip()))
    if sale is None or sale.kind != "sale":
        raise DomainError("return.no_sale", receipt=receipt_no[:40])
    program = program_store.by_version(db, sale.program_version) if sale.program_version else program_store.active(db)
    picked = _pick(s, sale, wanted)
    all_lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == sale.id)).all()
    nothing_returned_before = all(_returned_qty(s, ln.id) == 0 for ln in all_lines)
    full = nothing_returned_before and len(picked) == len(all_lines) and all(q == ln.qty for ln, q, _ in picked)
    rows = []
    refund = points_back = points_value = 0
    for ln, qty, left in picked:
        done_net, done_pts, done_val = _returned_net(s, ln.id)
        net = _share(ln.net_fen, done_net, qty, left)
        pts = _share(ln.points, done_pts, qty, left)
        val = _share(ln.points_value_fen, done_val, qty, left)
        rows.append({"line_id": ln.id, "code": ln.code, "name": ln.name, "qty": qty, "unit_fen": ln.unit_fen,
                     "net_fen": net, "points": pts, "points_value_fen": val, "reward": ln.reward})
        refund += net
        points_back += pts
        points_value += val
    r = program.redemption
    # points used on these lines come back: the points-for-cash share, and gift points with a returned gift
    points_refunded = points_value * r.points_per_unit // r.unit_fen
    for row in rows:
        if row["reward"] and row["reward"].startswith("gift:"):
            gift = program.gift(row["reward"][5:])
            if gift:
                points_refunded += gift.points * row["qty"]
    picked_qty = {ln.id: q for ln, q, _ in picked}
    completes = all(_returned_qty(s, ln.id) + picked_qty.get(ln.id, 0) == ln.qty for ln in all_lines)
    if completes:  # the last return gives back exactly what is left, so no point is lost to rounding
        before = -int(s.scalar(select(func.coalesce(func.sum(Sale.points_redeemed), 0))
                               .where(Sale.original_sale_id == sale.id)))
        points_refunded = sale.points_redeemed - before
    member_id = sale.member_id
    short = debt = deduction = 0
    backs = monthly_spend.to_take_back(s, member_id, sale, refund)
    bonus_back = sum(b.points for b in backs)
    if member_id is not None and (points_back or bonus_back):
        # what can be taken back without debt: the member's lots (pending ones too)
        have = sum(lot.remaining for lot in ledger.open_lots(s, member_id)) - sum(d.unpaid for d in ledger.open_debts(s, member_id))
        have += points_refunded  # refunded first, so they cover the take-back
        short = max(0, points_back + bonus_back - max(have, 0))
        if short and r.debt_policy == "deduct_refund":
            deduction = min(refund, -(-short * r.unit_fen // r.points_per_unit))  # cash value, rounded up to the fen
        else:
            debt = short
    sv_paid = sum(p.amount_fen for p in s.scalars(select(Payment).where(Payment.sale_id == sale.id, Payment.tender == "stored_value")))
    refund_money = refund - deduction
    sv_refund = _tender_shares(s, sale, refund_money).get("stored_value", 0) if sv_paid else 0
    reverted = None
    if member_id is not None:
        change = s.scalar(select(TierChange).where(TierChange.member_id == member_id).order_by(TierChange.at.desc()).limit(1))
        if change is not None and change.sale_id == sale.id and change.reason in ("upgrade_spend", "window_upgrade"):
            lv = program.tiers.level(change.to_tier)
            need = lv.upgrade_spend_fen if change.reason == "upgrade_spend" else lv.window_spend_fen
            # earlier partial returns of this sale count too: together they may undo the upgrade
            earlier = -int(s.scalar(select(func.coalesce(func.sum(Sale.spend_fen), 0)).where(Sale.original_sale_id == sale.id)))
            if need is not None and change.spend_fen - earlier - refund < need:
                reverted = change.from_tier
        up = program.tiers.upgrade_by_card
        if change is not None and change.sale_id == sale.id and change.reason == "card" and up is not None \
                and any(row["code"] == up.product for row in rows):  # the upgrade card returned: the tier it gave goes
            reverted = change.from_tier
    bought = [ln for ln in all_lines if not ln.reward]
    cancels = all(_returned_qty(s, ln.id) + picked_qty.get(ln.id, 0) == ln.qty for ln in bought)
    back = []
    if cancels:
        now = db.clock.now()
        for c in s.scalars(select(Coupon).join(CouponUse, CouponUse.coupon_id == Coupon.id)
                           .where(CouponUse.sale_id == sale.id).order_by(Coupon.code)):
            if c.valid_to > now and c.voided_at is None and program.template(c.template) is not None:
                back.append({"code": c.code, "template": c.template, "valid_to": c.valid_to.isoformat()})
    days, window = return_window(s, db, program, sale)
    result = ReturnPlan(
        days_since_sale=days, window_days=window, window_closed=days > window,
        sale_id=str(sale.id), receipt_no=sale.receipt_no, full=full,
        lines=[{k: v for k, v in row.items() if k != "line_id"} for row in rows], refund_fen=refund_money,
        points_taken_back=points_back, points_refunded=points_refunded, points_short=short, debt_points=debt,
        deduction_fen=deduction, stored_value_refund_fen=sv_refund, spend_back_fen=refund, tier_reverted_to=reverted,
        coupons_back=back, bonuses_back=[dataclasses.asdict(b) for b in backs],
    )
    return result, sale, rows, program


def return_window(s: Session, db, program: ProgramDoc, sale: Sale) -> tuple[int, int]:
    """(days since the sale's business date, the return window in days) — see the module's docstring."""
    days = (db.clock.local(db.clock.now()).date() - sale.business_date).days
    levels = program.tiers
    window = levels.levels[0].return_window_days
    if sale.member_id is not None:
        member = s.get(Member, sale.member_id)
        held = [t for t in (sale.tier_after, sale.tier_before, member.tier_code if member else None) if t]
        window = max([levels.level(t).return_window_days for t in held] or [window])
    if sale.channel == "shipped":  # a shipped order's points wait out its return window (SPEC §3): never shorter
        window = max(window, program.earn.pending_days.shipped)
    return days, window


def _tender_shares(s: Session, sale: Sale, amount: int) -> dict[str, int]:
    """Split a refund over the sale's tenders in proportion, never more per tender
    than it paid minus what earlier returns gave back."""
    paid: dict[str, int] = {}
    for p in s.scalars(select(Payment).where(Payment.sale_id == sale.id)):
        paid[p.tender] = paid.get(p.tender, 0) + p.amount_fen
    returns = s.scalars(select(Sale.id).where(Sale.original_sale_id == sale.id)).all()
    for rid in returns:
        for p in s.scalars(select(Payment).where(Payment.sale_id == rid)):
            paid[p.tender] = paid.get(p.tender, 0) + p.amount_fen  # refund rows are negative
    tenders = [t for t, v in paid.items() if v > 0]
    left = sum(paid[t] for t in tenders)
    if amount > left:
        raise DomainError("return.over_refund", amount=f"{amount / 100:.2f}", left=f"{left / 100:.2f}")
    shares = spread(amount, [paid[t] for t in tenders])
    return dict(zip(tenders, shares))


@dataclass
class ReturnResult:
    plan: ReturnPlan
    sale: SaleResult
    coupons_given: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # was, code, template, valid_to

    def as_dict(self) -> dict[str, Any]:
        return {"plan": self.plan.as_dict(), **self.sale.as_dict(), "coupons_given": self.coupons_given}


def return_sale(db, receipt_no: str, wanted: dict[str, int] | None = None, *, cashier: str = "",
                return_id: uuid.UUID | None = None, window_override: str | None = None) -> ReturnResult:
    """`window_override`: the code of the manager who approved a return after the window
    (`pos.services.staff.approve(..., "return_window", ...)` checked the PIN)."""
    now = db.clock.now()
    return_id = return_id or uuid7()
    with db.transaction() as s:
        existing = s.get(Sale, return_id)
        if existing is not None:
            p, *_ = _plan_for_replay(s, db, existing)
            return ReturnResult(p, result_of(s, existing, replayed=True), (existing.detail or {}).get("coupons_back", []))
        p, sale, rows, program = _plan(s, db, receipt_no, wanted)
        overridden = None
        if p.window_closed:
            if not window_override:
                raise DomainError("return.window_closed", receipt=sale.receipt_no, days=p.days_since_sale,
                                  window=p.window_days)
            overridden = {"manager": str(window_override)[:16], "days_since_sale": p.days_since_sale,
                          "window_days": p.window_days}
            audit(s, db, overridden["manager"], "return.window_override", sale.receipt_no,
                  cashier=cashier or None, days_since_sale=p.days_since_sale, window_days=p.window_days)
        day = db.clock.local(now).date()
        ret = Sale(
            id=return_id, receipt_no=next_receipt_no(s, db.store_code, store_settings.REGISTER_NO.get(db), day), kind="return",
            store_code=db.store_code, register_no=store_settings.REGISTER_NO.get(db), business_date=day, created_at=now,
            cashier=cashier or None, member_id=sale.member_id, program_version=sale.program_version,
            original_sale_id=sale.id, gross_fen=-sum(r["unit_fen"] * r["qty"] for r in rows),
            net_fen=-p.spend_back_fen, paid_fen=-p.refund_fen, spend_fen=-p.spend_back_fen if sale.member_id else 0,
            points_earned=-p.points_taken_back, points_redeemed=-p.points_refunded, points_value_fen=0,
            units=-sum(r["qty"] for r in rows if not r["reward"]),
            test_clock=db.test_clock, detail={"plan": {k: v for k, v in p.as_dict().items() if k != "lines"}},
        )
        if overridden:
            ret.detail["window_override"] = overridden
        ret.discount_fen = ret.gross_fen - ret.net_fen
        member = s.get(Member, sale.member_id) if sale.member_id else None
        ret.tier_before = ret.tier_after = member.tier_code if member else None
        s.add(ret)
        s.flush()
        for i, r in enumerate(rows, 1):
            s.add(SaleLine(id=uuid7(), sale_id=ret.id, line_no=i, code=r["code"], name=r["name"], category="",
                           points_class="", qty=-r["qty"], unit_fen=r["unit_fen"], gross_fen=-r["unit_fen"] * r["qty"],
                           net_fen=-r["net_fen"], points=-r["points"], points_value_fen=-r["points_value_fen"],
                           reward=r["reward"], returns_line_id=r["line_id"]))
        shares = _tender_shares(s, sale, p.refund_fen)
        for tender, amount in shares.items():
            if amount:
                s.add(Payment(id=uuid7(), sale_id=ret.id, tender=tender, amount_fen=-amount))
        if member is not None:
            _points(s, db, program, sale, ret, p, now)
            # shopping coins (issue 17): the coin tender's share back to its lots, coins earned taken back
            coin_sales.after_return(s, db, sale, ret, shares.get(coin_sales.TENDER, 0), sum(r["net_fen"] for r in rows), now)
            cash_paid = p.points_short - min(p.points_short, p.points_taken_back) if p.deduction_fen else 0
            monthly_spend.take_back(s, db, program, member.id, ret, [monthly_spend.TakeBack(**b) for b in p.bonuses_back],
                                    now, cash_paid=cash_paid)
            if p.stored_value_refund_fen:
                ledger.sv_post(s, member.id, "refund", p.stored_value_refund_fen, now=now, test_clock=db.test_clock,
                               store_code=db.store_code, sale_id=ret.id, reason=f"return {ret.receipt_no}")
            if p.tier_reverted_to:
                tiers.change_tier(s, db, member, p.tier_reverted_to, "return_revert", -p.spend_back_fen,
                                  program.tiers, now, ret.id)
                ret.tier_after = member.tier_code
        given: list[dict[str, Any]] = []
        if p.coupons_back:
            for c in p.coupons_back:
                old = s.scalar(select(Coupon).where(Coupon.code == c["code"]))
                new = coupons.issue(s, db, program, old.template, member_id=old.member_id, source="return", now=now,
                                    valid_to=old.valid_to)
                given.append({"was": old.code, "code": new.code, "template": old.template,
                              "valid_to": new.valid_to.isoformat()})
            ret.detail = {**ret.detail, "coupons_back": given}
        s.flush()
        result = result_of(s, ret)
        emit(s, db, "sale.returned", {"sale": result.as_dict(), "original_sale_id": str(sale.id),
                                      "bonus_month": monthly_spend.month_of(sale.business_date),  # the month it counts in
                                      "plan": {k: v for k, v in p.as_dict().items() if k != "lines"},
                                      **({"window_override": overridden} if overridden else {})})
        return ReturnResult(p, result, given)


def _plan_for_replay(s: Session, db, ret: Sale):
    d = (ret.detail or {}).get("plan", {})
    plan_ = ReturnPlan(lines=[], **{k: d[k] for k in ReturnPlan.__dataclass_fields__ if k != "lines" and k in d})
    return (plan_,)


def _points(s: Session, db, program: ProgramDoc, sale: Sale, ret: Sale, p: ReturnPlan, now: dt.datetime) -> None:
    common = dict(now=now, test_clock=db.test_clock, store_code=db.store_code, sale_id=ret.id,
                  program_version=program.version)
    mid = sale.member_id
    # 1. points used come back first (so they can cover the take-back)
    if p.points_refunded:
        redeem = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == sale.id, PointsEntry.kind == "redeem"))
        if p.full and redeem is not None:
            allocs = s.execute(select(PointsAllocation, PointsEntry).join(PointsEntry, PointsEntry.id == PointsAllocation.lot_id)
                               .where(PointsAllocation.debit_id == redeem.id)).all()
            for alloc, lot in allocs:  # lot by lot, keeping each original expiry
                ledger.credit(s, mid, "refund", alloc.points, expires_at=lot.expires_at, reverses_id=redeem.id,
                              source_lot_id=lot.id, reason=f"return {ret.receipt_no}", **common)
        else:
            ledger.credit(s, mid, "refund", p.points_refunded, expires_at=expiry.renewed_expiry(program, now, db.clock),
                          reverses_id=redeem.id if redeem else None, reason=f"return {ret.receipt_no}", **common)
    # 2. points earned on the returned lines are taken back: own lot first, then earliest expiry
    take = p.points_taken_back - (min(p.points_short, p.points_taken_back) if p.deduction_fen else 0)  # the rest: bonuses
    if take > 0:
        earn = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == sale.id, PointsEntry.kind == "earn"))
        lots = ledger.open_lots(s, mid)
        if earn is not None:
            lots = sorted(lots, key=lambda lot: lot.id != earn.id)  # stable: own lot first
        ledger.debit(s, mid, "reverse", take, lots=lots, allow_debt=True, reverses_id=earn.id if earn else None,
                     reason=f"return {ret.receipt_no}", **common)
    # 3. a partial return renews the expiry under the rolling model by being activity; per-lot
    #    and year-end lots keep their dates (the refunded points above got the renewed one).


def refund_by_tender(db, receipt_no: str, refund_fen: int) -> dict[str, int]:
    """How a refund of `refund_fen` goes back, tender by tender (the returns preview)."""
    with db.read() as s:
        sale = s.scalar(select(Sale).where(Sale.receipt_no == receipt_no.strip()))
        if sale is None:
            raise DomainError("return.no_sale", receipt=receipt_no[:40])
        return _tender_shares(s, sale, refund_fen)
