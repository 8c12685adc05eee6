"""Member-action bonuses and sign-up rewards (issue 14): the rules of
`membership.signup_points` / `issuance.signup`, `membership.profile_completion_points`
with `profile_fields_required`, `membership.referral_points` / `issuance.referral`,
`bonuses.checkin` and `bonuses.review`.

Every award is a `bonus` lot in the points ledger (pos.loyalty.ledger) and/or coupons
(pos.loyalty.coupons), written in the transaction of the action that earns it; the
ledger rows reach HQ with the next `ledger.entries` capture and every other till by
pull, coupons by their `coupon.issued` event. So "once" is read from the ledger and
the coupons a store has — its own and those pulled from the chain — keyed by the
entry's reason (and sale / store):

| award | once per | key |
|---|---|---|
| sign-up | person | reason `sign-up bonus`, or a coupon of source `signup` |
| profile completion | person | reason `profile complete` |
| referral | new member (to the referrer) | reason `referral <new member's code>`; on the new member's first purchase, or a sale using a coupon the referrer forwarded them |
| check-in | member, store, business date | reason `check-in <date>` with the store's code |
| review | sale | reason `review <receipt>` with the sale's id |

Who awards: the side where the action happens (the till that registers, checks in,
records the review, saves the completed profile or sells the first purchase; HQ for
a member registered at HQ: sync.server.members.register). The other side only
applies the ledger rows and coupons it receives — a member, a profile update or a
note arriving by pull (pos.services.sync_apply) never awards again.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.ids import uuid7
from pos.loyalty import coupons, expiry, ledger
from pos.rules.program import ProgramDoc
from pos.services import members
from pos.store.models import Coupon, Member, PointsEntry, Sale
from pos.store.outbox import audit

SIGNUP = "sign-up bonus"
PROFILE = "profile complete"


def checkin_reason(day: dt.date) -> str:
    return f"check-in {day.isoformat()}"


def review_reason(receipt_no: str) -> str:
    return f"review {receipt_no}"


def referral_reason(member_code: str) -> str:
    return f"referral {member_code}"


@dataclass
class Award:
    """What an action gave: points (0 when none), coupon codes, and whether it had been
    given before (`already`: nothing was given this time)."""

    rule: str
    points: int = 0
    coupons: list[str] = field(default_factory=list)
    already: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "points": self.points, "coupons": list(self.coupons), "already": self.already}


# --- the ledger as the record of what was given ---------------------------------------------

def _given(s: Session, member_id: uuid.UUID, reason: str, *, store: str | None = None,
           sale_id: uuid.UUID | None = None) -> bool:
    q = select(PointsEntry.id).where(PointsEntry.member_id == member_id, PointsEntry.kind == "bonus",
                                     PointsEntry.reason == reason)
    if store is not None:
        q = q.where(PointsEntry.store_code == store)
    if sale_id is not None:
        q = q.where(PointsEntry.sale_id == sale_id)
    return s.scalar(q.limit(1)) is not None


def _credit(s: Session, db, program: ProgramDoc, member_id: uuid.UUID, points: int, reason: str,
            now: dt.datetime, sale_id: uuid.UUID | None = None) -> None:
    ledger.credit(s, member_id, "bonus", points, now=now, expires_at=expiry.lot_expiry(program, now, db.clock),
                  test_clock=db.test_clock, store_code=db.store_code, reason=reason,
                  program_version=program.version, sale_id=sale_id)


def _issue(s: Session, db, program: ProgramDoc, templates, member_id: uuid.UUID, source: str,
           now: dt.datetime) -> list[str]:
    return [coupons.issue(s, db, program, t, member_id=member_id, source=source, now=now).code for t in templates]


def _survivor(s: Session, member_id: uuid.UUID | None) -> Member | None:
    m = s.get(Member, member_id) if member_id else None
    for _ in range(8):  # a merged referrer is credited as its survivor
        if m is None or m.merged_into is None:
            break
        m = s.get(Member, m.merged_into)
    return m if m is not None and m.status == "active" else None


# --- sign-up ------------------------------------------------------------------------------------

def signup(s: Session, db, program: ProgramDoc, m: Member, now: dt.datetime | None = None) -> Award:
    """The sign-up rewards, once per person (inside the registration's transaction)."""
    now = now or db.clock.now()
    award = Award("signup")
    had_coupon = s.scalar(select(Coupon.id).where(Coupon.member_id == m.id, Coupon.source == "signup").limit(1))
    if _given(s, m.id, SIGNUP) or had_coupon is not None:
        award.already = True
        return award
    if program.membership.signup_points:
        _credit(s, db, program, m.id, program.membership.signup_points, SIGNUP, now)
        award.points = program.membership.signup_points
    award.coupons = _issue(s, db, program, program.issuance.signup, m.id, "signup", now)
    return award


def joined(s: Session, db, program: ProgramDoc, m: Member) -> list[Award]:
    """Everything a new member gets on joining (quick join, `member add`): the sign-up
    rewards, and the profile-completion bonus when the form already had every field."""
    out = [signup(s, db, program, m)]
    done = profile_completed(s, db, program, m)
    if done is not None:
        out.append(done)
    return out


def signup_rows(db, program: ProgramDoc, member_ids: list[uuid.UUID], now: dt.datetime) -> tuple[list, list, list]:
    """The sign-up rewards of freshly imported members as bulk rows (pos.services.member_import):
    (points lots, coupons, outbox events). The members are new, so none has had them."""
    pts = program.membership.signup_points
    lots, cps, events = [], [], []
    exp = expiry.lot_expiry(program, now, db.clock) if pts else None
    for mid in member_ids:
        if pts:
            lots.append(dict(id=uuid7(), member_id=mid, kind="bonus", points=pts, created_at=now, available_at=now,
                             expires_at=exp, store_code=db.store_code, program_version=program.version,
                             reason=SIGNUP, test_clock=db.test_clock, reverses_id=None, source_lot_id=None,
                             sale_id=None))
        for code in program.issuance.signup:
            t = program.template(code)
            valid_to = db.clock.start_of_day(db.clock.local(now).date() + dt.timedelta(days=t.validity_days))
            c = dict(id=uuid7(), code=coupons.new_code(), template=code, member_id=mid, valid_from=now,
                     valid_to=valid_to, source="signup", issued_at=now, issued_store=db.store_code,
                     referrer_id=None, voided_at=None, test_clock=db.test_clock)
            cps.append(c)
            events.append(dict(event_id=uuid7(), kind="coupon.issued", created_at=now, status="pending",
                               test_clock=db.test_clock, payload={
                                   "store": db.store_code, "id": str(c["id"]), "code": c["code"], "template": code,
                                   "member_id": str(mid), "valid_from": now.isoformat(),
                                   "valid_to": valid_to.isoformat(), "source": "signup"}))
    return lots, cps, events


# --- profile completion ---------------------------------------------------------------------------

def _filled(m: Member, name: str) -> bool:
    if name == "phone":  # an enrolled till keeps the keyed hash, not the number
        return bool(m.phone or m.phone_hash)
    value = getattr(m, name, None) if not name.startswith("_") else None
    return value not in (None, "", [], {})


def profile_completed(s: Session, db, program: ProgramDoc, m: Member) -> Award | None:
    """The profile-completion bonus when every required field is now filled; once per person."""
    ms = program.membership
    if not ms.profile_completion_points or not all(_filled(m, f) for f in ms.profile_fields_required):
        return None
    if _given(s, m.id, PROFILE):
        return None
    _credit(s, db, program, m.id, ms.profile_completion_points, PROFILE, db.clock.now())
    return Award("profile", points=ms.profile_completion_points)


def update_profile(db, program: ProgramDoc | None, member_id: str, *, actor: str = "system",
                   **profile: Any) -> tuple[members.MemberSummary, Award | None]:
    """`members.update_profile` with the profile-completion bonus in the same transaction."""
    got: list[Award] = []

    def on_updated(s, m, _changed) -> None:
        if program is not None:
            a = profile_completed(s, db, program, m)
            if a is not None:
                got.append(a)

    summary = members.update_profile(db, member_id, actor=actor, on_updated=on_updated, **profile)
    return summary, (got[0] if got else None)


# --- referral -------------------------------------------------------------------------------------

def after_sale(s: Session, db, program: ProgramDoc, member: Member, sale: Sale, now: dt.datetime) -> Award | None:
    """In the sale's transaction (pos.services.checkout): a referred member's first purchase
    credits the referrer `referral_points` and issues `issuance.referral`; once per new member.
    A coupon a friend forwarded (its `referrer_id`, issue 16) used in this sale credits that
    friend the same way under the same key — whichever comes first, once per new member."""
    ms = program.membership
    if not (ms.referral_points or program.issuance.referral):
        return None
    referrer = None
    if member.referrer_id is not None:
        earlier = s.scalar(select(Sale.id).where(Sale.member_id == member.id, Sale.kind == "sale", Sale.id != sale.id)
                           .limit(1))
        elsewhere = s.scalar(select(PointsEntry.id).where(  # a purchase at another store, known by its ledger rows
            PointsEntry.member_id == member.id, PointsEntry.kind.in_(("earn", "redeem")),
            PointsEntry.sale_id.is_not(None), PointsEntry.sale_id != sale.id).limit(1))
        if earlier is None and elsewhere is None:
            referrer = _survivor(s, member.referrer_id)
    if referrer is None or referrer.id == member.id:
        referrer = _forwarded_by(s, member, sale)
    if referrer is None or referrer.id == member.id:
        return None
    reason = referral_reason(member.member_code)
    if _given(s, referrer.id, reason):
        return None
    award = Award("referral")
    if ms.referral_points:
        _credit(s, db, program, referrer.id, ms.referral_points, reason, now, sale_id=sale.id)
        award.points = ms.referral_points
    award.coupons = _issue(s, db, program, program.issuance.referral, referrer.id, "referral", now)
    audit(s, db, "system", "member.referral", referrer.member_code, referred=member.member_code,
          receipt=sale.receipt_no, points=award.points, coupons=len(award.coupons))
    return award


def _forwarded_by(s: Session, member: Member, sale: Sale) -> Member | None:
    """Who forwarded a coupon this sale used (the first such coupon), as their survivor."""
    from pos.store.models import CouponUse

    if sale.kind == "sale" and isinstance(sale.detail, dict) and not sale.detail.get("coupons"):
        return None  # the sale used no coupon (its detail lists every one it used)

    ref = s.scalar(select(Coupon.referrer_id).join(CouponUse, CouponUse.coupon_id == Coupon.id)
                   .where(CouponUse.sale_id == sale.id, Coupon.referrer_id.is_not(None)).limit(1))
    return _survivor(s, ref) if ref is not None else None


# --- check-in -------------------------------------------------------------------------------------

@dataclass
class CheckIn:
    member_code: str
    store: str
    date: str
    points: int
    already: bool
    balance: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def checkin(db, program: ProgramDoc, member_id: str, *, actor: str = "till") -> CheckIn:
    """An arrival check-in at this store: `bonuses.checkin` points, once per member per
    store per business date (a second check-in that day is recorded, `already`, 0 points)."""
    now = db.clock.now()
    day = db.clock.local(now).date()
    points = program.bonuses.checkin
    with db.transaction() as s:
        m = members.get_active(s, member_id)
        reason = checkin_reason(day)
        already = _given(s, m.id, reason, store=db.store_code)
        if not already and points:
            _credit(s, db, program, m.id, points, reason, now)
        audit(s, db, actor, "member.checkin", m.member_code, date=day.isoformat(),
              points=0 if already else points)
        s.flush()
        balance = ledger.points_balance(s, m.id)
        return CheckIn(m.member_code, db.store_code, day.isoformat(), 0 if already else points, already, balance)


# --- review ---------------------------------------------------------------------------------------

def add_note(db, program: ProgramDoc | None, member_id: str, text: str, *, kind: str = "note",
             actor: str = "system", receipt_no: str | None = None) -> Award | None:
    """`members.add_note`; a `review` naming a sale of the member (`receipt_no`) earns
    `bonuses.review` once per sale, in the note's transaction. Another kind cannot name a sale."""
    receipt = receipt_no.strip().upper() if receipt_no else None
    if receipt and kind != "review":
        raise DomainError("review.receipt_kind")
    got: list[Award] = []

    def on_added(s, m, _note) -> None:
        if not receipt:
            return
        sale = s.scalar(select(Sale).where(Sale.receipt_no == receipt))
        if sale is None or sale.kind != "sale":
            raise DomainError("return.no_sale", receipt=receipt[:40])
        if sale.member_id != m.id:
            raise DomainError("review.not_members_sale", receipt=receipt, member=m.member_code)
        points = program.bonuses.review if program is not None else 0
        reason = review_reason(receipt)
        if s.scalar(select(func.count()).select_from(PointsEntry).where(
                PointsEntry.kind == "bonus", PointsEntry.sale_id == sale.id, PointsEntry.reason == reason)):
            got.append(Award("review", already=True))
            return
        if points:
            _credit(s, db, program, m.id, points, reason, db.clock.now(), sale_id=sale.id)
        got.append(Award("review", points=points))

    members.add_note(db, member_id, text, kind=kind, actor=actor, receipt_no=receipt, on_added=on_added)
    return got[0] if got else None
