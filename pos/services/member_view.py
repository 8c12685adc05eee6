"""Everything the member panel shows, in one read: who, tier and progress,
points (and what expires), stored value, wallet coupons, tags, last visit,
service notes, suggestions. Plain values; the app only displays them."""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from pos.loyalty import coupons, ledger, expiry, tiers
from pos.rules import phones
from pos.services import membership_mode, suggestions
from pos.services.members import get_active
from pos.store.models import MemberBalance, MemberNote, MemberTag, Sale
from pos.rules.program import ProgramDoc


@dataclass(frozen=True)
class TierProgress:
    code: str
    name_zh: str
    name_en: str
    next_code: str | None
    next_name_zh: str | None
    next_name_en: str | None
    spend_fen: int  # qualifying spend counted so far
    to_next_fen: int | None  # still needed for the next tier
    next_at_fen: int | None
    to_keep_fen: int | None  # still needed to keep this tier at the review
    expires: str | None
    priority_service: bool


@dataclass(frozen=True)
class WalletCoupon:
    code: str
    template: str
    name_zh: str
    name_en: str
    valid_to: str
    value_fen: int


@dataclass
class MemberPanel:
    id: str
    member_code: str
    name: str | None
    phone_masked: str
    tier: TierProgress
    points: int
    points_available: int
    expiring_points: int
    expiring_on: str | None
    stored_value_fen: int
    coupons: list[WalletCoupon]
    tags: list[str]
    last_visit: str | None
    visits: int
    notes: list[dict[str, str]]
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    birthday_today: bool = False
    # qualified membership (pos.services.membership_mode): None = an active member; "threshold" /
    # "card" = registered, not active yet (`to_activate_fen`: completed spend still needed)
    inactive: str | None = None
    to_activate_fen: int | None = None
    # the alliance card (issue 17): shopping coins shared by every merchant, apart from this merchant's
    # points; None when this store has no alliance rules
    coins: int | None = None
    coins_available: int | None = None
    alliance_zh: str | None = None
    alliance_en: str | None = None
    coin_value_fen: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def tier_progress(program: ProgramDoc, code: str, spend_fen: int, expires: dt.date | None) -> TierProgress:
    t = program.tiers
    level = t.level(code)
    rank = t.rank(code)
    nxt = t.levels[rank + 1] if 0 <= rank < len(t.levels) - 1 else None
    need = None
    if nxt is not None:
        need = nxt.upgrade_spend_fen if t.qualification == "cumulative" else nxt.window_spend_fen
    keep = None
    if level.review:
        keep_band = next((b for b in level.review if b.to == code), None)
        if keep_band is not None:
            keep = max(0, keep_band.min_spend_fen - spend_fen)
    return TierProgress(
        code=level.code, name_zh=level.name.zh, name_en=level.name.en,
        next_code=nxt.code if nxt else None, next_name_zh=nxt.name.zh if nxt else None,
        next_name_en=nxt.name.en if nxt else None, spend_fen=spend_fen,
        to_next_fen=max(0, need - spend_fen) if need is not None else None, next_at_fen=need,
        to_keep_fen=keep, expires=expires.isoformat() if expires else None, priority_service=level.priority_service,
    )


def panel(db, program: ProgramDoc, member_id: str, basket: tuple[str, ...] = (), lang: str = "zh_CN",
          with_suggestions: bool = True) -> MemberPanel:
    now = db.clock.now()
    with db.read() as s:
        m = get_active(s, member_id)
        shipped = program.earn.pending_days.shipped  # shipped orders count once their return window closed
        if program.tiers.qualification == "cumulative":
            spend = tiers.spend_since(s, m.id, m.tier_since, now=now, shipped_days=shipped)
        else:
            start = db.clock.start_of_day(tiers.add_months(db.clock.today(), -program.tiers.window_months))
            spend = tiers.spend_since(s, m.id, start, now=now, shipped_days=shipped)
        bal = s.get(MemberBalance, m.id)
        pts = ledger.position(s, m.id)  # once: both the spendable points and what expires read it
        lots, debts = pts.lots, pts.debts
        exp = expiry.expiring_soon(s, m.id, program, db.clock, now, lots=lots, debts=debts)
        wallet = []
        for c in coupons.wallet(s, m.id, now):
            t = program.template(c.template)
            if t is not None:
                wallet.append(WalletCoupon(c.code, c.template, t.name.zh, t.name.en,
                                           db.clock.local(c.valid_to).date().isoformat(), t.value_fen))
        last, visits = s.execute(select(func.max(Sale.created_at), func.count(Sale.id))
                                 .where(Sale.member_id == m.id, Sale.kind == "sale")).one()
        notes = s.scalars(select(MemberNote).where(MemberNote.member_id == m.id)
                          .order_by(MemberNote.created_at.desc()).limit(5)).all()
        tags = sorted(s.scalars(select(MemberTag.tag).where(MemberTag.member_id == m.id)))
        sugs = suggestions.for_member(s, m.id, now, basket) if with_suggestions else []
        today = db.clock.today()
        inactive = to_activate = None
        if program.membership.mode != "open" and not membership_mode.qualified(s, program, m.id):
            inactive = program.membership.mode
            if inactive == "threshold":
                to_activate = max(0, program.membership.threshold_fen - membership_mode.completed_spend(s, m.id))
        from pos.loyalty import coins as coin_ledger

        rules = coin_ledger.till_rules(s)
        coins = dict(coins=coin_ledger.balance(s, m.id), coins_available=coin_ledger.spendable(s, m.id, now),
                     alliance_zh=rules.name.zh, alliance_en=rules.name.en,
                     coin_value_fen=rules.coins.value_fen) if rules is not None else {}
        return MemberPanel(
            inactive=inactive, to_activate_fen=to_activate, **coins,
            id=str(m.id), member_code=m.member_code, name=m.name, phone_masked=phones.mask(m.phone_masked or m.phone),
            tier=tier_progress(program, m.tier_code, spend, m.tier_expires),
            points=bal.points if bal else 0, points_available=pts.spendable(now),  # never more than the balance
            expiring_points=exp.points if exp else 0, expiring_on=exp.on.isoformat() if exp else None,
            stored_value_fen=bal.stored_value_fen if bal else 0, coupons=wallet, tags=tags,
            last_visit=db.clock.local(last).date().isoformat() if last else None, visits=int(visits or 0),
            notes=[{"kind": n.kind, "text": n.text, "at": db.clock.local(n.created_at).date().isoformat()} for n in notes],
            suggestions=[x.as_dict(lang) for x in sugs],
            birthday_today=bool(m.birthday and (m.birthday.month, m.birthday.day) == (today.month, today.day)),
        )


# --- member detail (history, ledger, coupons, tiers) ----------------------------------


def history(db, member_id: str, limit: int = 200) -> list[dict[str, Any]]:
    with db.read() as s:
        mid = get_active(s, member_id).id
        rows = s.scalars(select(Sale).where(Sale.member_id == mid).order_by(Sale.created_at.desc()).limit(limit)).all()
        return [{"receipt_no": x.receipt_no, "kind": x.kind, "date": db.clock.local(x.created_at).strftime("%Y-%m-%d %H:%M"),
                 "net_fen": x.net_fen, "points_earned": x.points_earned, "points_redeemed": x.points_redeemed,
                 "store": x.store_code} for x in rows]


def ledger_entries(db, member_id: str, limit: int = 300, program: ProgramDoc | None = None) -> list[dict[str, Any]]:
    """The member's points and stored-value entries, newest first. A credit's `expires` is the
    last store-local day its points can be used (as the panel's "expire on" says): its lot's
    date, or under the rolling model the day the whole balance lapses with no further purchase."""
    from pos.store.models import PointsEntry, StoredValueEntry

    if program is None:
        from pos.errors import DomainError
        from pos.store import program_store
        try:
            program = program_store.active(db)
        except DomainError:
            program = None
    with db.read() as s:
        mid = get_active(s, member_id).id
        pts = s.scalars(select(PointsEntry).where(PointsEntry.member_id == mid)
                        .order_by(PointsEntry.created_at.desc()).limit(limit)).all()
        sv = s.scalars(select(StoredValueEntry).where(StoredValueEntry.member_id == mid)
                       .order_by(StoredValueEntry.created_at.desc()).limit(limit)).all()
        rolling_until = None
        if program is not None and program.expiry.model == "rolling" and any(e.points > 0 for e in pts):
            last = expiry.last_purchase(s, mid) or min(e.available_at for e in pts if e.points > 0)
            rolling_until = db.clock.start_of_day(tiers.add_months(db.clock.local(last).date(), program.expiry.months))

        def last_day(e) -> str:
            until = e.expires_at if e.expires_at is not None else (rolling_until if e.points > 0 else None)
            return (db.clock.local(until) - dt.timedelta(seconds=1)).date().isoformat() if until else ""
        out = [{"ledger": "points", "date": db.clock.local(e.created_at).strftime("%Y-%m-%d %H:%M"), "kind": e.kind,
                "amount": e.points, "expires": last_day(e), "reason": e.reason or ""} for e in pts]
        out += [{"ledger": "stored_value", "date": db.clock.local(e.created_at).strftime("%Y-%m-%d %H:%M"), "kind": e.kind,
                 "amount": e.amount_fen, "expires": "", "reason": e.reason or ""} for e in sv]
        return sorted(out, key=lambda r: r["date"], reverse=True)


def coupon_list(db, member_id: str) -> list[dict[str, Any]]:
    from pos.store.models import Coupon, CouponUse

    with db.read() as s:
        mid = get_active(s, member_id).id
        rows = s.execute(select(Coupon, CouponUse.used_at).outerjoin(CouponUse, CouponUse.coupon_id == Coupon.id)
                         .where(Coupon.member_id == mid).order_by(Coupon.issued_at.desc())).all()
        now = db.clock.now()
        return [{"code": c.code, "template": c.template, "source": c.source,
                 "valid_to": db.clock.local(c.valid_to).date().isoformat(),
                 "status": "used" if used else ("void" if c.voided_at else ("expired" if c.valid_to <= now else "active"))}
                for c, used in rows]


def tier_history(db, member_id: str) -> list[dict[str, Any]]:
    from pos.store.models import TierChange

    with db.read() as s:
        mid = get_active(s, member_id).id
        rows = s.scalars(select(TierChange).where(TierChange.member_id == mid).order_by(TierChange.at.desc())).all()
        return [{"date": db.clock.local(x.at).date().isoformat(), "from": x.from_tier, "to": x.to_tier,
                 "reason": x.reason, "spend_fen": x.spend_fen} for x in rows]
