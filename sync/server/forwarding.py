"""Coupon forwarding and the referral it makes (issue 16 item 5).

    forwardable(hq, member_id) -> the member's live coupons of a template with `forwardable: true`
    forward(hq, member_id, code, base_url) -> {"url": ".../m/forward/<signed token>", ...}
    landing(hq, forward_id) -> what the friend's page shows (or why it cannot be taken)
    claim(hq, forward_id, friend_id, joined=...) -> the coupon is the friend's (once)
    report(hq) -> joins and sales by referral (`hq referrals`)

A forward link names one `coupon_forwards` row; claiming it moves the coupon to the friend
in one transaction (the row is claimed with a conditional UPDATE, so of two opens at the
same moment one wins and the other is refused), sets `coupons.referrer_id` to the
forwarder, and — for a friend who joined through the link — the friend's `referrer_id`.
Both reach the tills by pull. When the friend uses the coupon at any store, that till
credits the forwarder per `membership.referral_points` / `issuance.referral`
(pos.services.member_bonuses.after_sale), keyed `referral <friend's code>` as a referred
member's first purchase is, so the two never award twice; HQ keeps one award per key
chain-wide (sync.server.member_rewards).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select, update

from pos.ids import uuid7

from . import changes, signing
from .arrival_models import CouponForward
from .common import now_utc, resolve
from .models import AuditEntry, Coupon, CouponUse, Hold, Member, Sale

LINK_DAYS = 7
PURPOSE = "forward"


class Refused(Exception):
    """reason: claimed / not_yours / used / expired / void / own / gone / not_forwardable"""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _program(s):
    from .expiry import active_program

    return active_program(s)


def _live(s, member_ids, now) -> list[Coupon]:
    used = select(CouponUse.coupon_id)
    return list(s.scalars(select(Coupon).where(Coupon.member_id.in_(member_ids), Coupon.voided_at.is_(None),
                                               Coupon.valid_to > now, Coupon.id.not_in(used))
                          .order_by(Coupon.valid_to)))


def forwardable(hq, member_id: uuid.UUID) -> list[dict[str, Any]]:
    now = now_utc()
    with hq.read() as s:
        doc = _program(s)
        out = []
        for c in _live(s, [member_id], now):
            t = doc.template(c.template)
            if t is not None and t.forwardable:
                out.append({"code": c.code, "template": c.template, "name_zh": t.name.zh, "name_en": t.name.en,
                            "valid_to": c.valid_to, "value_fen": t.value_fen})
        return out


def token_of(forward_id: uuid.UUID) -> str:
    return signing.sign(PURPOSE, {"f": str(forward_id)}, LINK_DAYS * 86400)


def forward_of_token(token: str) -> uuid.UUID:
    return uuid.UUID(str(signing.verify(PURPOSE, token)["f"]))


def forward(hq, member_id: uuid.UUID, code: str, base_url: str) -> dict[str, Any]:
    """A forward link for one of the member's forwardable coupons (the coupon stays theirs
    until a friend claims it)."""
    now = now_utc()
    code = code.strip().upper()
    with hq.transaction() as s:
        c = s.scalar(select(Coupon).where(Coupon.code == code))
        if c is None or c.member_id != member_id:
            raise Refused("not_yours")
        _usable(s, c, now)
        t = _program(s).template(c.template)
        if t is None or not t.forwardable:
            raise Refused("not_forwardable")
        exp = min(now + dt.timedelta(days=LINK_DAYS), c.valid_to)
        row = CouponForward(id=uuid7(), coupon_code=c.code, from_member=member_id, created_at=now, expires_at=exp)
        s.add(row)
        s.add(AuditEntry(id=uuid7(), at=now, store_code="HQ", actor="member", action="coupon.forward",
                         member_id=member_id, detail={"coupon": c.code[-4:], "forward": str(row.id)}))
    signing.init(hq)
    return {"id": str(row.id), "url": f"{base_url.rstrip('/')}/m/forward/{token_of(row.id)}",
            "expires_at": exp.isoformat(timespec="seconds")}


def _usable(s, c: Coupon, now: dt.datetime) -> None:
    if s.scalar(select(CouponUse.id).where(CouponUse.coupon_id == c.id)) is not None:
        raise Refused("used")
    if c.voided_at is not None:
        raise Refused("void")
    if c.valid_to <= now:
        raise Refused("expired")
    held = s.scalars(select(Hold.coupon_codes).where(Hold.member_id == c.member_id, Hold.status == "held",
                                                     Hold.expires_at > now)).all()
    if any(c.code in (codes or []) for codes in held):
        raise Refused("used")  # a till is paying with it right now


def landing(hq, forward_id: uuid.UUID) -> dict[str, Any]:
    """The coupon a friend is offered, who offers it (masked), and whether it can still be taken."""
    from pos.services.members import mask_name

    now = now_utc()
    with hq.read() as s:
        f = s.get(CouponForward, forward_id)
        if f is None:
            raise Refused("gone")
        c = s.scalar(select(Coupon).where(Coupon.code == f.coupon_code))
        frm = s.get(Member, f.from_member)
        t = _program(s).template(c.template) if c is not None else None
        doc = {"from_name": mask_name(frm.name) if frm is not None and frm.name else None,
               "name_zh": t.name.zh if t else None, "name_en": t.name.en if t else None,
               "value_fen": t.value_fen if t else 0, "min_spend_fen": t.min_spend_fen if t else 0,
               "valid_to": c.valid_to if c is not None else None, "from_member": f.from_member,
               "claimed": f.claimed_at is not None, "to_member": f.to_member, "refused": None}
        if f.claimed_at is not None:
            doc["refused"] = "claimed"
        elif f.expires_at <= now:
            doc["refused"] = "expired"
        elif c is None:
            doc["refused"] = "gone"
        else:
            owner = resolve(s, c.member_id) if c.member_id else None
            if owner is None or owner.id != (resolve(s, f.from_member) or frm).id:
                doc["refused"] = "claimed"  # forwarded by another link, or no longer the forwarder's
            else:
                try:
                    _usable(s, c, now)
                except Refused as exc:
                    doc["refused"] = exc.reason
        return doc


def claim(hq, forward_id: uuid.UUID, friend_id: uuid.UUID, *, joined: bool = False) -> dict[str, Any]:
    """The coupon moves to the friend, once: the forwarder loses it; a second claim of the
    link (by anyone) is Refused("claimed"). `joined`: the friend joined through this link
    (they are referred by the forwarder)."""
    now = now_utc()
    with hq.transaction() as s:
        f = s.get(CouponForward, forward_id)
        if f is None:
            raise Refused("gone")
        if f.claimed_at is not None:
            raise Refused("claimed")
        if f.expires_at <= now:
            raise Refused("expired")
        friend = resolve(s, friend_id)
        frm = resolve(s, f.from_member)
        if friend is None or friend.status != "active":
            raise Refused("gone")
        if frm is not None and frm.id == friend.id:
            raise Refused("own")
        c = s.scalar(select(Coupon).where(Coupon.code == f.coupon_code))
        if c is None:
            raise Refused("gone")
        owner = resolve(s, c.member_id) if c.member_id else None
        if owner is None or frm is None or owner.id != frm.id:
            raise Refused("claimed")
        _usable(s, c, now)
        won = s.execute(update(CouponForward).where(CouponForward.id == forward_id, CouponForward.claimed_at.is_(None))
                        .values(claimed_at=now, to_member=friend.id)).rowcount
        if won != 1:
            raise Refused("claimed")
        c.member_id, c.referrer_id = friend.id, frm.id
        changes.record(s, "coupon", c.code)
        referred = False
        if joined and friend.referrer_id is None:
            bought = s.scalar(select(Sale.id).where(Sale.member_id == friend.id, Sale.kind == "sale").limit(1))
            if bought is None:
                friend.referrer_id, friend.updated_at = frm.id, now
                changes.record(s, "member", friend.id)
                referred = True
        s.add(AuditEntry(id=uuid7(), at=now, store_code="HQ", actor="member", action="coupon.forwarded",
                         member_id=friend.id, detail={"coupon": c.code[-4:], "from": frm.member_code,
                                                      "referred": referred}))
        changes.flush(s)
        return {"coupon": c.code, "template": c.template, "member_id": str(friend.id),
                "referrer_id": str(frm.id), "referred": referred}


# --- the referral report ----------------------------------------------------------------------

def report(hq, top: int = 10) -> dict[str, Any]:
    """Joins and sales by referral: members referred (by whom), what they bought, and the
    forwarded coupons (sent, taken, used)."""
    from pos.store.models import PointsEntry

    with hq.read() as s:
        referred = s.execute(select(Member.id, Member.referrer_id).where(
            Member.referrer_id.is_not(None), Member.status != "merged")).all()
        ids = [r[0] for r in referred]
        sales_n = net = buyers = 0
        if ids:
            for i in range(0, len(ids), 900):
                chunk = ids[i:i + 900]
                n, fen, who = s.execute(select(func.count(Sale.id), func.coalesce(func.sum(Sale.net_fen), 0),
                                               func.count(func.distinct(Sale.member_id)))
                                        .where(Sale.member_id.in_(chunk), Sale.kind == "sale")).one()
                sales_n, net, buyers = sales_n + int(n), net + int(fen), buyers + int(who)
        by_ref: dict[uuid.UUID, int] = {}
        for _mid, ref in referred:
            by_ref[ref] = by_ref.get(ref, 0) + 1
        codes = {i: c for i, c in s.execute(select(Member.id, Member.member_code).where(Member.id.in_(list(by_ref))))}
        sent = s.scalar(select(func.count()).select_from(CouponForward)) or 0
        taken = s.scalar(select(func.count()).select_from(CouponForward).where(CouponForward.claimed_at.is_not(None))) or 0
        fwd = select(Coupon.id).where(Coupon.referrer_id.is_not(None))
        used, used_fen = s.execute(select(func.count(CouponUse.id), func.coalesce(func.sum(CouponUse.amount_fen), 0))
                                   .where(CouponUse.coupon_id.in_(fwd))).one()
        credited = s.scalar(select(func.count()).select_from(PointsEntry).where(
            PointsEntry.kind == "bonus", PointsEntry.reason.like("referral %"))) or 0
        points = s.scalar(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.kind == "bonus", PointsEntry.reason.like("referral %"))) or 0
        taken_back, back_points = s.execute(select(func.count(PointsEntry.id), func.coalesce(func.sum(PointsEntry.points), 0))
                                            .where(PointsEntry.kind == "adjust",
                                                   PointsEntry.reason.like("HQ: given twice: referral %"))).one()
        tops = sorted(by_ref.items(), key=lambda kv: (-kv[1], codes.get(kv[0], "")))[:top]
        return {
            "joins": {"referred_members": len(ids), "referrers": len(by_ref),
                      "top_referrers": [{"member_code": codes.get(k, "?"), "referred": n} for k, n in tops]},
            "sales": {"referred_buyers": buyers, "sales": sales_n, "net_fen": net},
            "forwards": {"links": int(sent), "claimed": int(taken), "used": int(used), "used_fen": int(used_fen)},
            "credits": {"awards": int(credited) - int(taken_back), "points": int(points) + int(back_points)},
        }
