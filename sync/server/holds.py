"""Online spending: HQ reserves points and single-use coupons for one sale.

A hold's id is the sale's id, so a retried request is the same hold. The
member's balance row is locked (`SELECT ... FOR UPDATE` on PostgreSQL) while
the available points are computed — lots from every store minus debt (lots
two stores both spent count as debt), never more than the balance, minus the
other live holds — so two tills cannot both be promised the same points and
no hold is granted that the balance cannot cover.
A hold lives `HOLD_SECONDS`; the sale's arrival marks it used, a voided sale
lets it lapse (or the till releases it).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from pos.loyalty import ledger

from ..protocol import HoldRequest, HoldResponse
from . import alliance
from .common import lock_balances, now_utc, resolve
from .models import Coupon, CouponUse, Hold

HOLD_SECONDS = 300


def _live(s, member_id, now, exclude=None) -> list[Hold]:
    q = select(Hold).where(Hold.status == "held", Hold.expires_at > now)
    if member_id is not None:
        q = q.where(Hold.member_id == member_id)
    return [h for h in s.scalars(q) if h.id != exclude]


def place(hq, store: str, req: HoldRequest) -> HoldResponse:
    now = now_utc()
    with hq.transaction() as s:
        taken = s.get(Hold, req.hold_id)
        if taken is not None and taken.store_code != store:  # another store's hold: say nothing of it
            return HoldResponse(hold_id=req.hold_id, status="refused", reason="hold_id_taken",
                                member_id=req.member_id, available_points=0)
        m = resolve(s, req.member_id)
        if m is None:
            return HoldResponse(hold_id=req.hold_id, status="refused", reason="unknown_member",
                                member_id=req.member_id, available_points=0)
        lock_balances(s, [m.id])
        scope = alliance.ledger_scope(s, store)  # issue 17: the points of this store's merchant
        live = _live(s, m.id, now, exclude=req.hold_id)
        if scope is not None:
            owners = alliance.merchants_of_stores(s)
            live = [h for h in live if owners.get(h.store_code, alliance.MAIN) == scope]
        held = sum(h.points for h in live)
        available = ledger.position(s, m.id, scope).spendable(now) - held  # ≤ balance − held
        prior = s.get(Hold, req.hold_id)
        if prior is not None:  # the same hold asked again (a retry)
            if prior.status == "held" and prior.expires_at > now:
                return HoldResponse(hold_id=prior.id, status="held", member_id=m.id, available_points=available,
                                    expires_at=prior.expires_at)
            return HoldResponse(hold_id=prior.id, status="refused", reason=f"hold_{prior.status}", member_id=m.id,
                                available_points=available)

        def refused(reason: str) -> HoldResponse:
            return HoldResponse(hold_id=req.hold_id, status="refused", reason=reason, member_id=m.id,
                                available_points=available)

        if req.points > available:
            return refused("not_enough_points")
        other_codes = {code for h in _live(s, None, now, exclude=req.hold_id) for code in h.coupon_codes or []}
        unconfirmed = []
        for code in req.coupon_codes:
            c = s.scalar(select(Coupon).where(Coupon.code == code))
            if c is None:
                unconfirmed.append(code)  # issued offline at a till, not pushed yet
                continue
            if s.scalar(select(CouponUse.id).where(CouponUse.coupon_id == c.id)) is not None:
                return refused("coupon_used")
            if c.voided_at is not None:
                return refused("coupon_void")
            if code in other_codes:
                return refused("coupon_held")
        expires = now + dt.timedelta(seconds=HOLD_SECONDS)
        s.add(Hold(id=req.hold_id, store_code=store, member_id=m.id, points=req.points,
                   coupon_codes=list(req.coupon_codes), status="held", created_at=now, expires_at=expires))
        return HoldResponse(hold_id=req.hold_id, status="held", member_id=m.id,
                            available_points=available - req.points, unconfirmed_coupons=unconfirmed,
                            expires_at=expires)


def release(hq, store: str, hold_id) -> bool:
    with hq.transaction() as s:
        h = s.get(Hold, hold_id)
        if h is None or h.store_code != store or h.status != "held":
            return False
        h.status = "released"
        return True


def h_points_spent(c, p: dict) -> None:
    """`points.spent` (pos.services.points_uses): a till spent held points outside a sale
    (to stored value, a coupon, a lottery draw) and its ledger rows came with it: the hold
    is used, as a sale's is, so it no longer counts against the member."""
    hold_id = p.get("hold_id")
    if not hold_id:
        return
    h = c.s.get(Hold, uuid.UUID(str(hold_id)))
    if h is not None and h.store_code == c.store and h.status == "held":
        h.status = "used"
