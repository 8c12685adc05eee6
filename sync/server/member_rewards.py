"""Member-action bonuses chain-wide: once means once for the whole chain (issue 14).

The side where an action happens awards it (pos.services.member_bonuses) from what
it knows: its own rows and those pulled from HQ. Two places that did not hear of
each other can both award — the same phone registered at two stores offline (HQ
folds the later record into the first: both sign-up rewards end on one person), two
registers of one store checking the same member in before they synced, a profile
completed at two stores. HQ sees every row, so after a batch's ledger rows are in
(`after_ledger`) it keeps, for each award key of a person (the survivor and every
record merged into it), the first award and takes each further one back:

* points: an `adjust` debit of the extra lot's points on the survivor (store HQ,
  reason `HQ: given twice: <key>`, its lots first by expiry, debt if spent), which
  comes down to every till by pull; counted by that reason, so a second look takes
  nothing more;
* sign-up coupons: per template, the person keeps as many as one record was given;
  the later unused ones are voided (the void comes down by pull); a used one is left
  and named in an exception.

Award keys are the reasons member_bonuses writes: `sign-up bonus`, `profile complete`,
`referral <new member>`, `review <receipt>` (the receipt names the sale), and
`check-in <date>` per store."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.loyalty import ledger
from pos.services import member_bonuses

from . import changes
from .common import lock_balances, resolve
from .models import HQ_STORE, Coupon, CouponUse, Member, PointsEntry

TAKEN_BACK = "HQ: given twice: "


def award_key(reason: str | None, store: str | None) -> str | None:
    """The once-key of a bonus lot, or None for a lot that is not a member-action award."""
    if not reason:
        return None
    if reason in (member_bonuses.SIGNUP, member_bonuses.PROFILE) or reason.startswith(("referral ", "review ")):
        return reason
    if reason.startswith("check-in "):
        return f"{reason} @{store}"
    return None


def _person(s: Session, keep_id: uuid.UUID) -> list[uuid.UUID]:
    """The survivor and every record merged into it (at any depth)."""
    ids, todo = [keep_id], [keep_id]
    while todo:
        merged = list(s.scalars(select(Member.id).where(Member.merged_into.in_(todo), Member.status == "merged")))
        merged = [m for m in merged if m not in ids]
        ids += merged
        todo = merged
    return ids


def after_ledger(s: Session, now: dt.datetime, rows: list[dict], report=None) -> int:
    """After a batch's points rows are in: settle every person a new award lot belongs to.
    `report(member_id, **detail)` files what a person must look at. Returns the lots taken back."""
    mids = {r["member_id"] for r in rows if r.get("kind") == "bonus" and r["points"] > 0
            and award_key(r.get("reason"), r.get("store_code"))}
    return settle(s, now, mids, report)


def settle(s: Session, now: dt.datetime, member_ids, report=None) -> int:
    keeps = {}
    for mid in member_ids:
        m = resolve(s, mid)
        if m is not None and m.status == "active":
            keeps[m.id] = m
    if not keeps:
        return 0
    lock_balances(s, list(keeps))
    taken = 0
    for keep in (keeps[k] for k in sorted(keeps)):
        ids = _person(s, keep.id)
        groups: dict[str, list] = {}
        undone: dict[str, int] = {}
        for eid, reason, store, points, created in s.execute(
                select(PointsEntry.id, PointsEntry.reason, PointsEntry.store_code, PointsEntry.points,
                       PointsEntry.created_at).where(PointsEntry.member_id.in_(ids), PointsEntry.kind.in_(("bonus", "adjust")))):
            if points < 0 and reason and reason.startswith(TAKEN_BACK):
                key = reason[len(TAKEN_BACK):]
                undone[key] = undone.get(key, 0) + 1
                continue
            key = award_key(reason, store) if points > 0 else None
            if key is not None:
                groups.setdefault(key, []).append((created, eid.bytes, points))
        for key, lots in sorted(groups.items()):
            lots.sort()
            extra = lots[1:][undone.get(key, 0):]
            for _created, _id, points in extra:
                ledger.debit(s, keep.id, "adjust", points, now=now, allow_debt=True, include_pending=True,
                             store_code=HQ_STORE, reason=(TAKEN_BACK + key)[:200])
                taken += 1
                if report is not None:
                    report(keep.id, award=key, points=points)
        _coupons(s, keep, ids, now, report)
    return taken


def _coupons(s: Session, keep: Member, ids: list[uuid.UUID], now: dt.datetime, report) -> None:
    """Sign-up coupons of one person: per template, as many as one record was given."""
    rows = s.scalars(select(Coupon).where(Coupon.member_id.in_(ids), Coupon.source == "signup")).all()
    if len(rows) < 2:
        return
    by_template: dict[str, list[Coupon]] = {}
    for c in rows:
        by_template.setdefault(c.template, []).append(c)
    used = set(s.scalars(select(CouponUse.coupon_id).where(CouponUse.coupon_id.in_([c.id for c in rows]))))
    for template, coupons in sorted(by_template.items()):
        per_record: dict = {}
        for c in coupons:
            per_record[c.issued_store, c.member_id] = per_record.get((c.issued_store, c.member_id), 0) + 1
        allowed = max(per_record.values())
        live = [c for c in coupons if c.voided_at is None]
        if len(live) <= allowed:
            continue
        live.sort(key=lambda c: (c.issued_at, c.id.bytes))
        for c in reversed(live[allowed:]):
            if c.id in used:
                if report is not None:
                    report(keep.id, award=f"coupon {template}", coupon=c.code[-4:], used=True)
                continue
            c.voided_at = now
            changes.record(s, "coupon", c.code)
