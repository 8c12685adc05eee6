"""Spending policy at checkout (DESIGN "Sync contract"; issue 6 §5).

Online: HQ confirms (holds) the points and single-use coupons before the sale
commits; a hold that does not answer within `HOLD_TIMEOUT` seconds falls back
to the offline policy.

Offline: points spending is bounded by what this till knows the member has
(`pos.loyalty.ledger.Position.spendable`: available lots minus debt, never more than
the balance — lots another till also spent count as debt once pulled; this
till's own unsent spending is already taken off since it is in the local
ledger) and by the program's per-member, per-till
`redemption.offline_cap_points`, counting this till's provisional spending
that HQ has not received yet. Such a sale is marked `provisional`; coupons
used offline make it provisional too. HQ later flags any overdraft.

`authorize` is the function; `authorize_checkout` is what `pos.services.checkout.Checkout.pay`
calls, and only on a till enrolled with HQ.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.store import program_store
from pos.errors import MESSAGES, DomainError
from pos.store.models import OutboxEvent, Sale

from .client import HQError, HQUnavailable
from .engine import client_for, configured
from .protocol import HoldRequest

HOLD_TIMEOUT = 1.5  # seconds a cashier waits for HQ before the offline policy decides

MESSAGES.setdefault("sync.offline_cap", (
    "Offline: at most {limit} points can be used for this member now (offline cap {cap})",
    "离线状态：该会员当前最多可用 {limit} 积分（离线上限 {cap}）"))
MESSAGES.setdefault("sync.not_enough_points", (
    "HQ says only {have} points are available", "总部确认可用积分仅 {have}"))
MESSAGES.setdefault("sync.coupon_refused", (
    "HQ refused coupon use: {reason}", "总部拒绝用券：{reason}"))
MESSAGES.setdefault("sync.refused", ("HQ refused: {reason}", "总部拒绝：{reason}"))


@dataclass(frozen=True)
class Decision:
    ok: bool
    online: bool  # HQ answered
    provisional: bool  # spent without HQ's confirmation
    reason: str | None = None
    limit: int | None = None  # points allowed (offline) / available (online)
    hold_id: uuid.UUID | None = None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "online": self.online, "provisional": self.provisional, "reason": self.reason,
                "limit": self.limit, "hold_id": str(self.hold_id) if self.hold_id else None}


def unsent_provisional_points(s, member_id: uuid.UUID) -> int:
    """Points this till spent offline for the member whose sale HQ has not received.
    The member is picked out in SQL (the till is SQLite): an offline till's outbox
    grows with every sale, and this runs on every quote of a member."""
    member = func.json_extract(OutboxEvent.payload, "$.sale.member.id")
    rows = s.execute(select(func.json_extract(OutboxEvent.payload, "$.sale.points.redeemed"), Sale.provisional)
                     .join(Sale, Sale.id == func.replace(func.json_extract(OutboxEvent.payload, "$.sale.sale_id"), "-", ""))
                     .where(OutboxEvent.status == "pending", OutboxEvent.kind == "sale.committed",
                            member == str(member_id)))
    return sum(int(redeemed or 0) for redeemed, provisional in rows if provisional)


def offline_limit(db, member_id: uuid.UUID, program=None) -> tuple[int, int]:
    program = program or program_store.active(db)
    cap = program.redemption.offline_cap_points
    with db.read() as s:
        known = ledger.position(s, member_id).spendable(db.clock.now())  # ≤ the balance this till knows
        unsent = unsent_provisional_points(s, member_id)
    return max(0, min(known, cap - unsent)), cap


def offline_decision(db, member_id: uuid.UUID, points: int, coupon_codes: list[str], program=None,
                     reason: str = "offline") -> Decision:
    limit, cap = offline_limit(db, member_id, program)
    if points > limit:
        return Decision(False, False, True, "offline_cap", limit)
    return Decision(True, False, bool(points or coupon_codes), reason, limit)


def authorize(db, member_id, points: int, coupon_codes: list[str] | tuple[str, ...] = (), *,
              sale_id: uuid.UUID | None = None, program=None, client=None, timeout: float = HOLD_TIMEOUT) -> Decision:
    """May this sale spend `points` and these coupons of the member?"""
    coupon_codes = list(coupon_codes)
    member_id = uuid.UUID(str(member_id))
    if not points and not coupon_codes:
        return Decision(True, False, False)
    if not configured(db) and client is None:
        return Decision(True, False, False, "no_hq")
    own = client is None
    try:
        client = client or client_for(db, retries=0)
        hold_id = sale_id or uuid.uuid4()
        resp = client.hold(HoldRequest(hold_id=hold_id, member_id=member_id, points=points, coupon_codes=coupon_codes),
                           timeout=timeout)
    except (HQUnavailable, HQError) as exc:
        if isinstance(exc, HQError) and exc.status in (401, 403):
            return offline_decision(db, member_id, points, coupon_codes, program, reason=f"hq:{exc.error}")
        return offline_decision(db, member_id, points, coupon_codes, program)
    finally:
        if own and client is not None:
            client.close()
    if resp.status == "refused" and resp.reason == "unknown_member":  # joined here, not pushed yet
        return offline_decision(db, member_id, points, coupon_codes, program)
    if resp.status == "held":
        return Decision(True, True, bool(resp.unconfirmed_coupons), None, resp.available_points, resp.hold_id)
    return Decision(False, True, False, resp.reason, resp.available_points, resp.hold_id)


def authorize_checkout(co, tenders) -> Decision | None:
    """Called by Checkout.pay on an enrolled till, before its transaction. Raises
    DomainError when the spending is refused; None when nothing is spent."""
    if not co.member_id:
        return None
    with co.db.read() as s:
        if s.get(Sale, co.sale_id) is not None:
            return None  # a replay: the sale is already committed
    q = co.quote(tenders)
    if not q.points_redeemed and not q.coupons:
        return None
    d = authorize(co.db, co.member_id, q.points_redeemed, list(q.coupons), sale_id=co.sale_id, program=co.program)
    if d.ok:
        return d
    if d.reason == "offline_cap":
        raise DomainError("sync.offline_cap", limit=d.limit, cap=co.program.redemption.offline_cap_points)
    if d.reason == "not_enough_points":
        raise DomainError("sync.not_enough_points", have=max(0, d.limit or 0))  # below 0: the member owes
    if d.reason and d.reason.startswith("coupon"):
        raise DomainError("sync.coupon_refused", reason=d.reason)
    raise DomainError("sync.refused", reason=d.reason or "?")
