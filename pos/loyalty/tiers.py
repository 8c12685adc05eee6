"""Tiers (SPEC §4): qualification, immediate upgrades, the end-of-validity review.

The rules are pure functions of plain values (HQ reuses them); the store
functions below read qualifying spend from the sales table and record every
change with its reason. Qualifying spend is completed net spend since the
last tier change: not the part paid by points or coupons (those are
discounts in the quote), not stored-value top-ups, net of returns.
"""
from __future__ import annotations

import calendar
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from pos.ids import uuid7
from pos.store.models import Member, MemberImport, Sale, TierChange
from pos.store.outbox import emit
from pos.rules.program import ProgramDoc, Tiers


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- pure rules ----------------------------------------------------------------


def upgrade_after_spend(tiers: Tiers, tier: str, spend_fen: int) -> str | None:
    """Cumulative mode: the highest tier reached by climbing from `tier` with
    the qualifying spend since the last change (each step resets the counter,
    so one sale climbs one step at most unless it alone covers the next)."""
    if tiers.qualification != "cumulative":
        return None
    rank = tiers.rank(tier)
    if rank < 0 or rank + 1 >= len(tiers.levels):
        return None
    nxt = tiers.levels[rank + 1]
    if nxt.upgrade_spend_fen is not None and spend_fen >= nxt.upgrade_spend_fen:
        return nxt.code
    return None


def tier_for_window(tiers: Tiers, window_spend_fen: int) -> str:
    """Window mode: the highest tier whose window threshold the spend meets."""
    best = tiers.levels[0].code
    for lv in tiers.levels[1:]:
        if lv.window_spend_fen is not None and window_spend_fen >= lv.window_spend_fen:
            best = lv.code
    return best


def review(tiers: Tiers, tier: str, spend_fen: int) -> str:
    """End of validity: the first band (highest first) whose minimum the spend
    within the validity meets; no bands = keep."""
    level = tiers.level(tier)
    for band in level.review:
        if spend_fen >= band.min_spend_fen:
            return band.to
    return tier


def upgrade_by_topup(tiers: Tiers, tier: str, topup_fen: int) -> str | None:
    best = None
    for up in tiers.upgrade_by_topup:
        if topup_fen >= up.min_topup_fen and tiers.rank(up.to) > tiers.rank(best or tier):
            best = up.to
    return best


# --- the store ---------------------------------------------------------------------


def _matured(q, member_id: uuid.UUID, now: dt.datetime | None, shipped_days: int):
    """Leave out shipped orders still in their return window (SPEC §3: tier spend,
    like points, counts only after it; 30 days for shipped orders) and the returns
    of those orders, which must not count against spend not counted yet."""
    if now is None or shipped_days <= 0:
        return q
    pending = select(Sale.id).where(Sale.member_id == member_id, Sale.channel == "shipped", Sale.kind == "sale",
                                    Sale.created_at > now - dt.timedelta(days=shipped_days))
    return q.where(Sale.id.not_in(pending), or_(Sale.original_sale_id.is_(None), Sale.original_sale_id.not_in(pending)))


def spend_since(s: Session, member_id: uuid.UUID, since: dt.datetime | None, until: dt.datetime | None = None, *,
                now: dt.datetime | None = None, shipped_days: int = 0) -> int:
    q = _matured(select(func.coalesce(func.sum(Sale.spend_fen), 0)).where(Sale.member_id == member_id),
                 member_id, now, shipped_days)
    if since is not None:
        q = q.where(Sale.created_at >= since)
    if until is not None:
        q = q.where(Sale.created_at < until)
    return int(s.scalar(q))


def qualifying_spend(s: Session, m: Member, *, now: dt.datetime | None = None, shipped_days: int = 0) -> int:
    """Cumulative mode: qualifying spend since the last tier change. A sale (or
    return) that made a tier change belongs to the tier before it: it happened
    at the very instant the new tier began, so `spend_since` alone would count
    it again and the counter would not start from zero."""
    changed_by = select(TierChange.sale_id).where(TierChange.member_id == m.id, TierChange.sale_id.is_not(None))
    q = select(func.coalesce(func.sum(Sale.spend_fen), 0)).where(Sale.member_id == m.id, Sale.id.not_in(changed_by))
    q = _matured(q, m.id, now, shipped_days)
    if m.tier_since is not None:
        q = q.where(Sale.created_at >= m.tier_since)
    return int(s.scalar(q)) + carried_spend(s, m)


def qualifying_spend_now(s: Session, m, *, now: dt.datetime | None = None, shipped_days: int = 0) -> int:
    """`qualifying_spend` (the same rule, the same sum) in one DB-API statement with the
    carried spend beside it: the sale's commit asks this every time."""
    from pos.store import bulk

    conn = s.connection()
    when = bulk.bind_processor(conn, Sale.__table__, "created_at")
    mid = m.id.hex
    sql = ("SELECT (SELECT coalesce(sum(spend_fen), 0) FROM sales WHERE member_id = ? AND id NOT IN "
           "(SELECT sale_id FROM tier_changes WHERE member_id = ? AND sale_id IS NOT NULL)")
    args: list = [mid, mid]
    if now is not None and shipped_days > 0:
        pending = ("(SELECT id FROM sales WHERE member_id = ? AND channel = 'shipped' AND kind = 'sale' "
                   "AND created_at > ?)")
        sql += f" AND id NOT IN {pending} AND (original_sale_id IS NULL OR original_sale_id NOT IN {pending})"
        cut = when(now - dt.timedelta(days=shipped_days))
        args += [mid, cut, mid, cut]
    if m.tier_since is not None:
        sql += " AND created_at >= ?"
        args.append(when(m.tier_since))
    sql += "), (SELECT qualifying_spend_fen FROM member_imports WHERE member_id = ?), " \
           "(SELECT spend_as_of FROM member_imports WHERE member_id = ?)"
    args += [mid, mid]
    spend, carried, as_of = conn.connection.driver_connection.execute(sql, args).fetchone()
    if carried and not (m.tier_since is not None and
                        m.tier_since > bulk.result_processor(conn, MemberImport.__table__, "spend_as_of")(as_of)):
        spend += carried
    return int(spend)


def carried_spend(s: Session, m: Member) -> int:
    """Tier spend brought from another system at import (pos.services.member_import):
    it counts toward the next tier until the member's tier next changes."""
    row = s.execute(select(MemberImport.qualifying_spend_fen, MemberImport.spend_as_of)
                    .where(MemberImport.member_id == m.id)).first()
    if row is None or not row[0] or (m.tier_since is not None and m.tier_since > row[1]):
        return 0
    return int(row[0])


@dataclass(frozen=True)
class Change:
    member_id: str
    from_tier: str
    to_tier: str
    reason: str
    spend_fen: int


def change_tier(s: Session, db, m: Member, to: str, reason: str, spend_fen: int, tiers: Tiers,
                now: dt.datetime, sale_id: uuid.UUID | None = None) -> Change:
    """Record a change (or a kept tier at review); a new validity starts and
    the qualifying spend counts from zero again."""
    change = TierChange(id=uuid7(), member_id=m.id, from_tier=m.tier_code, to_tier=to, reason=reason,
                        spend_fen=spend_fen, sale_id=sale_id, at=now, test_clock=db.test_clock)
    s.add(change)
    out = Change(str(m.id), m.tier_code, to, reason, spend_fen)
    m.tier_code, m.tier_since, m.updated_at = to, now, now
    m.tier_expires = add_months(db.clock.local(now).date(), tiers.validity_months) if tiers.rank(to) > 0 else None
    emit(s, db, "member.tier", {"member_id": str(m.id), "from": out.from_tier, "to": to, "reason": reason,
                                "spend_fen": spend_fen, "at": now.isoformat(),
                                "expires": m.tier_expires.isoformat() if m.tier_expires else None})
    return out


def after_sale(s: Session, db, m, program: ProgramDoc, now: dt.datetime, sale_id: uuid.UUID) -> Change | None:
    """Immediate upgrade when the spend since the last change reaches the next tier.
    `m`: the Member, or a plain row of its columns (the commit's read; the Member is
    loaded to be changed only when a change is due)."""
    tiers = program.tiers
    shipped = program.earn.pending_days.shipped
    if tiers.qualification == "cumulative":
        spend = qualifying_spend_now(s, m, now=now, shipped_days=shipped)
        to = upgrade_after_spend(tiers, m.tier_code, spend)
        if to:
            return change_tier(s, db, _orm(s, m), to, "upgrade_spend", spend, tiers, now, sale_id)
        return None
    start = db.clock.start_of_day(add_months(db.clock.local(now).date(), -tiers.window_months))
    spend = spend_since(s, m.id, start, now=now, shipped_days=shipped)
    to = tier_for_window(tiers, spend)
    if tiers.rank(to) > tiers.rank(m.tier_code):  # upgrades at once; downgrades wait for the recheck
        return change_tier(s, db, _orm(s, m), to, "window_upgrade", spend, tiers, now, sale_id)
    return None


def _orm(s: Session, m) -> Member:
    return m if isinstance(m, Member) else s.get(Member, m.id)


def review_due(db, program: ProgramDoc, day: dt.date) -> list[Change]:
    """Run the review for every member whose validity ends on or before `day`
    (cumulative mode), or the monthly recheck (window mode). Idempotent: a
    reviewed member has a new validity and is not due again."""
    tiers = program.tiers
    now = db.clock.now()
    out: list[Change] = []
    with db.transaction() as s:
        if tiers.qualification == "cumulative":
            due = s.scalars(select(Member).where(Member.status == "active", Member.tier_expires.is_not(None),
                                                 Member.tier_expires <= day)).all()
            for m in due:
                spend = qualifying_spend(s, m, now=now, shipped_days=program.earn.pending_days.shipped)
                to = review(tiers, m.tier_code, spend)
                rank_from, rank_to = tiers.rank(m.tier_code), tiers.rank(to)
                reason = "review_keep" if to == m.tier_code else ("review_up" if rank_to > rank_from else "review_down")
                out.append(change_tier(s, db, m, to, reason, spend, tiers, now))
        else:
            start = db.clock.start_of_day(add_months(day, -tiers.window_months))
            end = db.clock.start_of_day(day + dt.timedelta(days=1))
            members = s.scalars(select(Member).where(Member.status == "active", Member.tier_code != tiers.levels[0].code)).all()
            for m in members:
                last = s.scalar(select(func.max(TierChange.at)).where(TierChange.member_id == m.id, TierChange.reason == "window_recheck"))
                if last is not None and db.clock.local(last).date() > add_months(day, -tiers.recheck_months):
                    continue
                spend = spend_since(s, m.id, start, end, now=now, shipped_days=program.earn.pending_days.shipped)
                to = tier_for_window(tiers, spend)
                out.append(change_tier(s, db, m, to, "window_recheck", spend, tiers, now))
        out += _matured_upgrades(s, db, program, now)
    return out


def _matured_upgrades(s: Session, db, program: ProgramDoc, now: dt.datetime) -> list[Change]:
    """Shipped orders whose return window closed in the last 60 days now count: the
    members they belong to get the upgrade their spend has reached (the daily
    review job runs this; a member already upgraded has nothing due, so it is
    idempotent). The change is tied to the order that matured last."""
    days = program.earn.pending_days.shipped
    if days <= 0:
        return []
    cutoff = now - dt.timedelta(days=days)
    rows = s.execute(select(Sale.member_id, func.max(Sale.created_at)).where(
        Sale.channel == "shipped", Sale.kind == "sale", Sale.member_id.is_not(None),
        Sale.created_at <= cutoff, Sale.created_at > cutoff - dt.timedelta(days=60)).group_by(Sale.member_id)).all()
    out = []
    for member_id, last in rows:
        m = s.get(Member, member_id)
        if m is None or m.status != "active":
            continue
        sale_id = s.scalar(select(Sale.id).where(Sale.member_id == member_id, Sale.channel == "shipped",
                                                 Sale.kind == "sale", Sale.created_at == last).limit(1))
        if m.tier_since is not None and last < m.tier_since:
            continue  # the order belongs to a tier period that has ended
        change = after_sale(s, db, m, program, now, sale_id)
        if change is not None:
            out.append(change)
    return out
