"""Tier reviews for the whole chain, run at HQ (`python main.py hq tiers review --date D`).

A member's qualifying spend within the tier's validity is what they spent at
every store; a till knows only its own. So, like expiry, an enrolled till leaves
the end-of-validity review to HQ (its `tiers review` refuses without `--local`)
and the new tier comes down to every till with the member.

The rule is the till's (`pos.loyalty.tiers.review`, cumulative qualification, Vancl:
VIP < 1,000 yuan → member, ≥ 1,000 keep, ≥ 2,500 → SVIP …). The spend is the
`totals.spend_fen` of every store's sales and returns after the tier began
(older tills that did not send it: the net amount of a member's sale; a sale HQ
priced otherwise, `sync/server/sales.py`: HQ's net amount), and a
review starts a new validity, as at a till. Programs that qualify by a window
(HDCRM: ≥ 800 yuan in a quarter → VIP …) get their monthly re-check here too:
every member above the base tier whose tier last changed `recheck_months` or
more ago is re-tiered on the window's spend at every store (`pos.loyalty.tiers.tier_for_window`). Online orders (sync/server/orders.py) count
once their return window (`earn.pending_days.shipped`) has passed, unless returned — and a
member whose online orders matured lately gets the upgrade their spend now reaches
(`orders.matured_upgrades`)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pos.loyalty import tiers as pos_tiers

from . import changes, orders
from .expiry import DEFAULT_TZ, active_program, start_of_day
from .common import now_utc
from .models import Member, Sale


@dataclass
class HQReviewReport:
    day: str
    program: str
    qualification: str
    reviewed: int = 0
    changes: list[dict] = field(default_factory=list)  # member_code, from, to, spend_fen

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _spend(document: dict, repriced: str | None = None, hq_net_fen: int | None = None) -> int:
    if repriced == "mismatch" and hq_net_fen is not None:  # HQ priced the sale otherwise: HQ's figure counts
        return int(hq_net_fen)  # a member's sale: its qualifying spend is its net amount (Quote.spend_fen)
    sale = (document or {}).get("sale") or {}
    totals = sale.get("totals") or {}
    if "spend_fen" in totals:
        return int(totals["spend_fen"] or 0)
    return int(totals.get("net_fen") or 0) if sale.get("kind", "sale") in ("sale", "return") else 0


def run(hq, day: dt.date, *, tz: str = DEFAULT_TZ, now: dt.datetime | None = None,
        only: list[uuid.UUID] | None = None) -> HQReviewReport:
    """Review every active member whose validity ended by `day`, in one transaction;
    the members whose tier (or validity) changed go to the change log for the tills."""
    zone = ZoneInfo(tz)
    now = now or now_utc()
    with hq.transaction() as s:
        doc = active_program(s)
        t = doc.tiers
        report = HQReviewReport(day=day.isoformat(), program=doc.version, qualification=t.qualification)
        if t.qualification != "cumulative":
            _recheck_windows(s, t, day, zone, now, only, report)
            report.changes += orders.matured_upgrades(s, doc, now, zone, only)  # online orders past their window
            changes.flush(s)
            return report
        q = select(Member).where(Member.status == "active", Member.tier_expires.is_not(None), Member.tier_expires <= day)
        if only is not None:
            q = q.where(Member.id.in_([uuid.UUID(str(m)) for m in only]))
        for m in s.scalars(q.order_by(Member.id)).all():
            sales = select(Sale.document, Sale.repriced, Sale.hq_net_fen).where(Sale.member_id == m.id)
            if m.tier_since is not None:  # the sale that made the change belongs to the tier before
                sales = sales.where(Sale.created_at > m.tier_since)
            spend = sum(_spend(*row) for row in s.execute(sales))
            spend += orders.matured_spend(s, m.id, since=m.tier_since, now=now)  # online orders past their window
            to = pos_tiers.review(t, m.tier_code, spend)
            report.reviewed += 1
            if to != m.tier_code:
                report.changes.append({"member_code": m.member_code, "from": m.tier_code, "to": to, "spend_fen": spend})
            m.tier_code, m.tier_since, m.updated_at = to, now, now
            m.tier_expires = (pos_tiers.add_months(now.astimezone(zone).date(), t.validity_months)
                              if t.rank(to) > 0 else None)
            changes.record(s, "member", m.id)
        report.changes += orders.matured_upgrades(s, doc, now, zone, only)  # online orders past their window
        changes.flush(s)
    return report


def _recheck_windows(s, t, day: dt.date, zone: ZoneInfo, now: dt.datetime, only, report: HQReviewReport) -> None:
    start = start_of_day(pos_tiers.add_months(day, -t.window_months), zone)
    end = start_of_day(day + dt.timedelta(days=1), zone)
    due_before = start_of_day(pos_tiers.add_months(day, -t.recheck_months) + dt.timedelta(days=1), zone)
    q = select(Member).where(Member.status == "active", Member.tier_code != t.levels[0].code,
                             (Member.tier_since.is_(None)) | (Member.tier_since < due_before))
    if only is not None:
        q = q.where(Member.id.in_([uuid.UUID(str(m)) for m in only]))
    for m in s.scalars(q.order_by(Member.id)).all():
        spend = sum(_spend(*row) for row in s.execute(select(Sale.document, Sale.repriced, Sale.hq_net_fen).where(
            Sale.member_id == m.id, Sale.created_at >= start, Sale.created_at < end)))
        spend += orders.matured_spend(s, m.id, since=start, until=end, now=now)
        to = pos_tiers.tier_for_window(t, spend)
        report.reviewed += 1
        if to != m.tier_code:
            report.changes.append({"member_code": m.member_code, "from": m.tier_code, "to": to, "spend_fen": spend})
        m.tier_code, m.tier_since, m.updated_at = to, now, now  # the re-check starts the next period
        changes.record(s, "member", m.id)
