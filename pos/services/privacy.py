"""A member's rights over their data (SPEC §12, PIPL-minded; issue 15 §5).

- `export(db, member)`: everything this store holds about the person, as one JSON
  document — profile, cards, tags, notes, consent, tier history, points and
  stored-value ledgers, sales with their lines, coupons, lottery draws, online orders and
  parcels. The phone is shown in
  full only where this till holds it (an enrolled till keeps only the masked form).
- `erase(db, member, actor)`: a manager action, audited. Personal fields go
  (name, gender, birthday, region, address, occupation, income band, preferences,
  phone in every form, marketing consent), cards are retired and their numbers
  dropped, tags and notes are removed; the member row stays as `erased` with its
  code, so ledgers and sales — which accounting must keep — still add up and point
  at an anonymous member. A `member.erased` event tells HQ (and, from HQ, every
  till). An erased member cannot be identified, joined again under the old
  record, or changed.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import delete, select

from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import ledger
from pos.store.models import (Coupon, CouponUse, LotteryDraw, Member, MemberCard, MemberNote, MemberTag, PointsEntry,
                              Sale, SaleLine, StoredValueEntry, TierChange)
from pos.store.o2o_models import OnlineOrder, Parcel
from pos.store.outbox import audit, emit

PERSONAL = ("name", "gender", "birthday", "region", "address", "occupation", "income_band", "preferences")


def _iso(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _row(obj, cols) -> dict[str, Any]:
    return {c: _iso(getattr(obj, c)) for c in cols}


def _member(s, member_id: str) -> Member:
    try:
        m = s.get(Member, uuid.UUID(str(member_id)))
    except ValueError:
        m = None
    if m is None:
        raise DomainError("member.not_found", query=str(member_id)[:40])
    return m


def export(db, member_id: str) -> dict[str, Any]:
    with db.read() as s:
        m = _member(s, member_id)
        mid = m.id
        profile = _row(m, ("member_code", "status", *PERSONAL, "channel", "marketing_consent", "consent_at",
                           "tier_code", "tier_since", "tier_expires", "joined_at", "joined_store"))
        profile["phone"] = m.phone or m.phone_masked  # an enrolled till holds only the masked form
        sales = s.scalars(select(Sale).where(Sale.member_id == mid).order_by(Sale.created_at)).all()
        lines = {}
        for ln in s.scalars(select(SaleLine).where(SaleLine.sale_id.in_([x.id for x in sales]))):
            lines.setdefault(ln.sale_id, []).append(_row(ln, ("line_no", "code", "name", "category", "qty",
                                                               "unit_fen", "net_fen", "points")))
        doc = {
            "exported_at": db.clock.now().isoformat(), "store": db.store_code, "member": profile,
            "cards": [_row(c, ("card_no", "kind", "status", "issued_at"))
                      for c in s.scalars(select(MemberCard).where(MemberCard.member_id == mid))],
            "tags": sorted(t.tag for t in s.scalars(select(MemberTag).where(MemberTag.member_id == mid))),
            "notes": [_row(n, ("kind", "text", "created_at"))
                      for n in s.scalars(select(MemberNote).where(MemberNote.member_id == mid))],
            "tier_history": [_row(t, ("from_tier", "to_tier", "reason", "spend_fen", "at"))
                             for t in s.scalars(select(TierChange).where(TierChange.member_id == mid)
                                                .order_by(TierChange.at))],
            "points": {"balance": ledger.points_balance(s, mid),
                       "entries": [_row(e, ("kind", "points", "created_at", "expires_at", "reason"))
                                   for e in s.scalars(select(PointsEntry).where(PointsEntry.member_id == mid)
                                                      .order_by(PointsEntry.created_at))]},
            "stored_value": {"balance_fen": ledger.sv_balance(s, mid),
                             "entries": [_row(e, ("kind", "amount_fen", "created_at", "reason"))
                                         for e in s.scalars(select(StoredValueEntry)
                                                            .where(StoredValueEntry.member_id == mid)
                                                            .order_by(StoredValueEntry.created_at))]},
            "sales": [{**_row(x, ("receipt_no", "kind", "store_code", "created_at", "net_fen", "points_earned",
                                  "points_redeemed")), "lines": lines.get(x.id, [])} for x in sales],
            "coupons": [{**_row(c, ("code", "template", "valid_from", "valid_to", "source", "issued_at")),
                         "used": s.scalar(select(CouponUse.id).where(CouponUse.coupon_id == c.id)) is not None}
                        for c in s.scalars(select(Coupon).where(Coupon.member_id == mid))],
            "lottery_draws": [{**_row(d, ("kind", "status", "cost_points", "committed_at", "drawn_at")),
                               "id": str(d.id), "outcome": d.outcome}
                              for d in s.scalars(select(LotteryDraw).where(LotteryDraw.member_id == mid)
                                                 .order_by(LotteryDraw.committed_at))],
            # online orders (as HQ sent them) and parcels picked up here (issue 18)
            "online_orders": [_row(o, ("channel", "order_id", "status", "lines", "paid_fen", "points",
                                       "points_reversed", "pickup_store", "available_at", "created_at"))
                              for o in s.scalars(select(OnlineOrder).where(OnlineOrder.member_id == mid)
                                                 .order_by(OnlineOrder.created_at))],
            "parcels": [_row(p, ("label", "order_ref", "status", "arrived_at", "collected_at", "coupon_code"))
                        for p in s.scalars(select(Parcel).where(Parcel.member_id == mid).order_by(Parcel.created_at))],
        }
    return doc


def erase(db, member_id: str, *, actor: str, reason: str = "member request") -> dict[str, Any]:
    now = db.clock.now()
    with db.transaction() as s:
        m = _member(s, member_id)
        if m.status == "erased":
            raise DomainError("member.erased", member=m.member_code)
        if m.status == "merged":
            raise DomainError("member.inactive", member=m.member_code, into=str(m.merged_into))
        for col in PERSONAL:
            setattr(m, col, None)
        m.phone = m.phone_hash = m.phone_last4 = m.phone_masked = None
        m.code_secret = None  # their dynamic member code is no more (pos.services.member_code)
        m.marketing_consent, m.consent_at = False, None
        m.status, m.updated_at = "erased", now
        cards = 0
        for card in s.scalars(select(MemberCard).where(MemberCard.member_id == m.id)):
            card.card_no, card.status = "X" + uuid7().hex[:31], "erased"  # the number is gone, the row stays
            cards += 1
        tags = s.execute(delete(MemberTag).where(MemberTag.member_id == m.id)).rowcount
        notes = s.execute(delete(MemberNote).where(MemberNote.member_id == m.id)).rowcount
        emit(s, db, "member.erased", {"member_id": str(m.id), "at": now.isoformat()})
        audit(s, db, actor, "member.erase", m.member_code, reason=reason[:100], cards=cards, tags=tags, notes=notes)
        return {"member_code": m.member_code, "status": "erased", "cards_retired": cards, "tags_removed": tags,
                "notes_removed": notes, "kept": "ledgers and sales, anonymous"}
