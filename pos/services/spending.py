"""What a sale may spend of a member's points and coupons (DESIGN "Sync contract"; issue 6 §5).

Standalone till: the local ledger decides (the pricing engine caps redemption at
what the member has); nothing here runs.

Enrolled till, online: HQ confirms (holds) the points and single-use coupons before
the sale commits, through the injected `SpendingAuthority` (`sync.authority.HQAuthority`
calls HQ). A hold that gets no answer within `HOLD_TIMEOUT` seconds, or any other
`hq_port.Unavailable`, falls back to the offline policy; so does HQ not knowing the
member yet (joined here, registration not pushed).

Offline: points spending is bounded by what this till knows the member has
(`pos.loyalty.ledger.Position.spendable`: available lots minus debt, never more than
the balance — lots another till also spent count as debt once pulled; this till's
own unsent spending is already taken off since it is in the local ledger) and by the
program's per-member, per-till `redemption.offline_cap_points`, counting this till's
provisional spending that HQ has not received yet. Such a sale is marked
`provisional`; coupons used offline make it provisional too. HQ later flags any
overdraft.

`authorize` is the function; `authorize_checkout` is what `Checkout.pay` calls.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select

from pos.errors import DomainError
from pos.loyalty import ledger
from pos.services import hq_port
from pos.services.hq_port import Unavailable
from pos.store import program_store, settings
from pos.store.models import OutboxEvent, Sale

HOLD_TIMEOUT = 1.5  # seconds a cashier waits for HQ before the offline policy decides


@dataclass(frozen=True)
class SpendRequest:
    hold_id: uuid.UUID  # the sale id: asking again is the same hold
    member_id: uuid.UUID
    points: int
    coupon_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Granted:
    hold_id: uuid.UUID
    available_points: int
    unconfirmed_coupons: tuple[str, ...] = ()  # unknown to the authority (issued offline here): provisional


@dataclass(frozen=True)
class Refused:
    reason: str | None  # not_enough_points / coupon_used / coupon_held / unknown_member ...
    available_points: int | None = None
    hold_id: uuid.UUID | None = None


class SpendingAuthority(Protocol):
    def hold(self, request: SpendRequest, timeout: float) -> Granted | Refused:
        """Hold the spending for the sale, or refuse; raise `Unavailable` when no answer
        comes within `timeout` seconds (or none can)."""


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
    sales = sum(int(redeemed or 0) for redeemed, provisional in rows if provisional)
    # points spent outside a sale without HQ's hold (pos.services.points_uses: to stored value, coupons, lottery)
    other = s.scalar(select(func.coalesce(func.sum(func.json_extract(OutboxEvent.payload, "$.points")), 0))
                     .where(OutboxEvent.status == "pending", OutboxEvent.kind == "points.spent",
                            func.json_extract(OutboxEvent.payload, "$.member_id") == str(member_id),
                            func.json_extract(OutboxEvent.payload, "$.hold_id").is_(None)))
    return sales + int(other or 0)


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
              sale_id: uuid.UUID | None = None, program=None, authority: SpendingAuthority | None = None,
              timeout: float = HOLD_TIMEOUT) -> Decision:
    """May this sale spend `points` and these coupons of the member? `authority`
    defaults to the installed one (`hq_port.connect`) on an enrolled till."""
    coupon_codes = list(coupon_codes)
    member_id = uuid.UUID(str(member_id))
    if not points and not coupon_codes:
        return Decision(True, False, False)
    if authority is None:
        if not settings.enrolled(db):
            return Decision(True, False, False, "no_hq")
        authority = hq_port.connect(db)
    try:
        if authority is None:
            raise Unavailable("offline")  # enrolled, but this process has no way to reach HQ
        answer = authority.hold(SpendRequest(sale_id or uuid.uuid4(), member_id, points, tuple(coupon_codes)),
                                timeout=timeout)
    except Unavailable as exc:
        return offline_decision(db, member_id, points, coupon_codes, program, reason=exc.reason)
    if isinstance(answer, Granted):
        return Decision(True, True, bool(answer.unconfirmed_coupons), None, answer.available_points, answer.hold_id)
    if answer.reason == "unknown_member":  # joined here, not pushed yet
        return offline_decision(db, member_id, points, coupon_codes, program)
    return Decision(False, True, False, answer.reason, answer.available_points, answer.hold_id)


def authorize_checkout(co, tenders, authority: SpendingAuthority | None = None) -> Decision | None:
    """Called by Checkout.pay on an enrolled till, before its transaction. Raises DomainError when the spending is refused; None when nothing is spent."""
    if not co.member_id:
        return None
    with co.db.read() as s:
        if s.get(Sale, co.sale_id) is not None:
            return None  # a replay: the sale is already committed
    q = co.quote(tenders)
    if not q.points_redeemed and not q.coupons:
        return None
    d = authorize(co.db, co.member_id, q.points_redeemed, list(q.coupons), sale_id=co.sale_id, program=co.program,
                  authority=authority)
    if d.ok:
        return d
    if d.reason == "offline_cap":
        raise DomainError("sync.offline_cap", limit=d.limit, cap=co.program.redemption.offline_cap_points)
    if d.reason == "not_enough_points":
        raise DomainError("sync.not_enough_points", have=max(0, d.limit or 0))  # below 0: the member owes
    if d.reason and d.reason.startswith("coupon"):
        raise DomainError("sync.coupon_refused", reason=d.reason)
    raise DomainError("sync.refused", reason=d.reason or "?")
