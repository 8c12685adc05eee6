"""Points expiry for the whole chain, run at HQ (`python main.py hq expire --date D`).

Why here and not at each till: HQ alone sees every store's sales and every
store's ledger rows. Under the rolling model a purchase at any store renews the
whole balance, which a till cannot know of a store it has not synced with; and
two tills expiring the same lot would post it twice. So an enrolled till leaves
expiry to HQ (its `expire` refuses without `--local`), and HQ's expiry entries
(store code `HQ`) come down to every till with the next pull, like a merge.

The rule is the till's (`pos.loyalty.expiry.run_expiry`), with the same lots and the
same ledger code (`pos.loyalty.ledger.debit`): on business date `day` (in the chain's
time zone) every lot that can no longer be used that day is expired — per-lot
and year-end: lots whose expiry is at or before the start of the day; rolling:
every lot of a member whose last purchase at any store (or, with none, first
earning) is older than the program's months. Running it twice posts nothing
the second time: an expired lot has nothing left."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.rules import program as pos_program
from pos.store.models import MemberBalance, PointsEntry
from pos.loyalty.tiers import add_months

from .common import lock_balances, log_hq_ledger_rows, now_utc
from .models import HQ_STORE, Program, Sale
from . import changes

UTC = dt.timezone.utc
DEFAULT_TZ = "Asia/Shanghai"


@dataclass
class HQExpiryReport:
    day: str
    program: str
    model: str
    members: int = 0
    lots: int = 0
    points: int = 0

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def active_program(s) -> pos_program.ProgramDoc:
    """HQ's active program; the preset the tills ship with when none was published."""
    from . import sales

    version = s.scalar(select(Program.version).where(Program.active.is_(True), Program.merchant_code == "main")
                       .order_by(Program.published_at.desc()).limit(1))  # the chain's
    doc = sales.program_version(s, version) if version is not None else None
    return doc if doc is not None else _shipped()


_SHIPPED: list = []


def _shipped() -> pos_program.ProgramDoc:
    """The preset the tills ship with (a file of this release: read once per process)."""
    if not _SHIPPED:
        _SHIPPED.append(pos_program.preset("vancl"))
    return _SHIPPED[0]


def start_of_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """UTC instant at which a business day begins in the chain's zone."""
    return dt.datetime.combine(day, dt.time(0), zone).astimezone(UTC)


def _due_members(s, doc: pos_program.ProgramDoc, day: dt.date, zone: ZoneInfo) -> list[uuid.UUID]:
    if doc.expiry.model == "rolling":
        limit = start_of_day(add_months(day, -doc.expiry.months) + dt.timedelta(days=1), zone)
        last_sale = (select(func.max(Sale.created_at)).where(Sale.member_id == MemberBalance.member_id, Sale.kind == "sale")
                     .correlate(MemberBalance).scalar_subquery())
        first_earn = (select(func.min(PointsEntry.created_at))
                      .where(PointsEntry.member_id == MemberBalance.member_id, PointsEntry.points > 0)
                      .correlate(MemberBalance).scalar_subquery())
        return list(s.scalars(select(MemberBalance.member_id).where(
            MemberBalance.points > 0, func.coalesce(last_sale, first_earn) < limit).order_by(MemberBalance.member_id)))
    expired_by = start_of_day(day, zone)
    return list(s.scalars(select(PointsEntry.member_id).where(
        PointsEntry.points > 0, PointsEntry.expires_at.is_not(None), PointsEntry.expires_at <= expired_by)
        .distinct().order_by(PointsEntry.member_id)))


def run(hq, day: dt.date, *, tz: str = DEFAULT_TZ, now: dt.datetime | None = None,
        only: list[uuid.UUID] | None = None) -> HQExpiryReport:
    """Post HQ's expiry entries for `day`, in one transaction, logged for the tills.
    `only`: just these members (a support case; tests that share an HQ)."""
    zone = ZoneInfo(tz)
    now = now or now_utc()
    cutoff = start_of_day(day + dt.timedelta(days=1), zone)
    expired_by = start_of_day(day, zone)
    with hq.transaction() as s:
        log_hq_ledger_rows(s)  # the new entries and allocations go to the change log
        doc = active_program(s)
        report = HQExpiryReport(day=day.isoformat(), program=doc.version, model=doc.expiry.model)
        members = _due_members(s, doc, day, zone)
        if only is not None:
            wanted = {uuid.UUID(str(m)) for m in only}
            members = [m for m in members if m in wanted]
        lock_balances(s, members)
        for mid in members:
            lots = ledger.open_lots(s, mid)
            if doc.expiry.model == "rolling":
                lots = [lot for lot in lots if lot.available_at < cutoff]
            else:
                lots = [lot for lot in lots if lot.expires_at is not None and lot.expires_at <= expired_by]
            if not lots:
                continue
            report.members += 1
            for lot in lots:
                ledger.debit(s, mid, "expire", lot.remaining, lots=[lot], now=now, test_clock=False,
                             store_code=HQ_STORE, source_lot_id=lot.id, reverses_id=None,
                             reason=f"expired {day.isoformat()} (HQ)", program_version=doc.version)
                report.lots += 1
                report.points += lot.remaining
        changes.flush(s)
    return report
