"""Points over time: when an earning expires, when it becomes spendable, the
expiry job, and what to tell the member in advance ("1,200 pts expire on
2027-01-31").

Expiry models (program.expiry.model):
- per_lot: each earning expires `months` after it was earned;
- rolling: the whole balance expires after `months` with no purchase, and any
  purchase renews it (lots carry no date; the job looks at the last purchase);
- year_end: every lot expires on the clearing date (e.g. Dec 31) that follows
  it, lots younger than `min_age_months` at that date survive one more year.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from pos.loyalty import ledger
from pos.store.models import PointsEntry, Sale
from pos.rules.program import ProgramDoc
from pos.loyalty.tiers import add_months


def lot_expiry(program: ProgramDoc, earned_at: dt.datetime, clock) -> dt.datetime | None:
    """The expiry of a lot earned at `earned_at` (None under the rolling model)."""
    e = program.expiry
    local = clock.local(earned_at).date()
    if e.model == "rolling":
        return None
    if e.model == "per_lot":
        return clock.start_of_day(add_months(local, e.months))
    year = local.year
    while True:
        day = min(e.clear_day, 28 if e.clear_month == 2 else 30 if e.clear_month in (4, 6, 9, 11) else 31)
        clearing = dt.date(year, e.clear_month, day)
        if clearing >= local and add_months(local, e.min_age_months) <= clearing:
            return clock.start_of_day(clearing + dt.timedelta(days=1))  # expires at the end of the clearing day
        year += 1


def renewed_expiry(program: ProgramDoc, now: dt.datetime, clock) -> dt.datetime | None:
    """Expiry of points refunded by a partial return: renewed (SPEC §3)."""
    if program.expiry.model == "rolling":
        return None
    return clock.start_of_day(add_months(clock.local(now).date(), program.expiry.partial_return_renew_months))


def available_at(program: ProgramDoc, now: dt.datetime, channel: str = "store") -> dt.datetime:
    days = program.earn.pending_days.shipped if channel == "shipped" else program.earn.pending_days.store
    return now + dt.timedelta(days=days)


def last_purchase(s: Session, member_id: uuid.UUID) -> dt.datetime | None:
    return s.scalar(select(func.max(Sale.created_at)).where(Sale.member_id == member_id, Sale.kind == "sale"))


@dataclass(frozen=True)
class Expiring:
    points: int
    on: dt.date  # the last day the points can be used


def expiring_soon(s: Session, member_id: uuid.UUID, program: ProgramDoc, clock, now: dt.datetime,
                  lots: list | None = None, debts: list | None = None) -> Expiring | None:
    """The next batch of points to expire, if within the warning window."""
    lots = ledger.open_lots(s, member_id) if lots is None else lots
    if not lots:
        return None
    warn = now + dt.timedelta(days=program.expiry.warn_days)
    if program.expiry.model == "rolling":
        last = last_purchase(s, member_id) or min(lot.available_at for lot in lots)
        when = clock.start_of_day(add_months(clock.local(last).date(), program.expiry.months))
        debts = ledger.open_debts(s, member_id) if debts is None else debts
        total = sum(lot.remaining for lot in lots) - sum(d.unpaid for d in debts)
        if when <= warn and total > 0:
            return Expiring(total, (clock.local(when) - dt.timedelta(seconds=1)).date())
        return None
    dated = [lot for lot in lots if lot.expires_at is not None and lot.expires_at > now]
    if not dated:
        return None
    first = min(lot.expires_at for lot in dated)
    if first > warn:
        return None
    pts = sum(lot.remaining for lot in dated if lot.expires_at == first)
    return Expiring(pts, (clock.local(first) - dt.timedelta(seconds=1)).date())


@dataclass
class ExpiryReport:
    members: int = 0
    lots: int = 0
    points: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def run_expiry(db, program: ProgramDoc, day: dt.date) -> ExpiryReport:
    """Post expiry entries for everything that can no longer be used on `day`
    (store-local): dated lots that expired by the start of that day, the same
    day the rolling model expires on. The job runs with day = today, so it
    never takes points that are still usable today (the last day shown by
    `expiring_soon`). Running it twice posts nothing the second time: an
    expired lot has nothing left."""
    cutoff = db.clock.start_of_day(day + dt.timedelta(days=1))
    expired_by = db.clock.start_of_day(day)
    now = db.clock.now()
    report = ExpiryReport()
    with db.transaction() as s:
        if program.expiry.model == "rolling":
            limit = db.clock.start_of_day(add_months(day, -program.expiry.months) + dt.timedelta(days=1))
            rows = s.execute(text(
                "SELECT b.member_id FROM member_balances b WHERE b.points > 0 AND COALESCE("
                " (SELECT max(created_at) FROM sales WHERE sales.member_id = b.member_id AND sales.kind = 'sale'),"
                " (SELECT min(created_at) FROM points_entries e WHERE e.member_id = b.member_id AND e.points > 0)) < :limit"
            ), {"limit": limit.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")}).all()
            member_ids = [uuid.UUID(hex=str(r[0])) for r in rows]
            due = {mid: [lot for lot in ledger.open_lots(s, mid) if lot.available_at < cutoff] for mid in member_ids}
        else:
            rows = s.execute(select(PointsEntry.member_id).where(
                PointsEntry.points > 0, PointsEntry.expires_at.is_not(None), PointsEntry.expires_at <= expired_by
            ).distinct()).all()
            due = {}
            for (mid,) in rows:
                lots = [lot for lot in ledger.open_lots(s, mid) if lot.expires_at is not None and lot.expires_at <= expired_by]
                if lots:
                    due[mid] = lots
        for mid, lots in due.items():
            if not lots:
                continue
            report.members += 1
            for lot in lots:
                ledger.debit(s, mid, "expire", lot.remaining, lots=[lot], now=now, test_clock=db.test_clock,
                             store_code=db.store_code, source_lot_id=lot.id, reverses_id=None,
                             reason=f"expired {day.isoformat()}", program_version=program.version)
                report.lots += 1
                report.points += lot.remaining
    return report

