"""O2O figures (issue 18 item 4): parcels received / collected / overdue per day, the
pickup-to-purchase conversion and the pickup voucher's redemption rate, and the online vs
store share of members' sales. `report(db, start, end)` is the till's (`python main.py report
o2o`); HQ's chain-wide figures (`hq report o2o`, sync/server/o2o_report.py) use the same
definitions through the helpers below.

Definitions (a period is store-local business dates start..end, both included)
    * **Received** on a day: parcels whose arrival was scanned that day; **collected**: picked
      up that day. **Overdue** on a day: parcels waiting at the store at that day's end that
      arrived `parcel.overdue_days` days or more before it (what `parcel list --overdue` would
      have listed at midnight) — a stock figure, so one parcel counts on each day it waits;
      cancelled parcels (the order returned) are left out.
    * **Within the visit**: a sale ticket of the parcel's member (or of the member it was
      merged with) at the pickup store, committed from the moment the pickup was confirmed up
      to `visit_minutes` (default 60) later, on the same business date. Why: the till knows both
      instants to the second, a convenience-store visit lasts minutes (the voucher goes onto
      the sale in progress, which is committed after the pickup), and an hour covers a queue
      or a walk round the shelves; the same business date alone would also count a second
      visit the same evening, which is another visit (its voucher use still shows in the
      redemption rate, which is not bound to the visit).
    * **Conversion** = pickups of the period followed by a sale within the visit ÷ pickups.
      `converted_with_voucher`: those whose sale used the pickup voucher.
    * **Voucher redemption rate** = pickup vouchers issued in the period that were used
      (anywhere the till knows of) by the period's end ÷ pickup vouchers issued.
    * **Online vs store share** — what each side can count honestly:
      at the till, of the members who bought at this store in the period (net of refunds,
      as the period report counts member sales): their sales here and their online orders
      recorded in the period (the till holds every member's online orders from HQ but only
      its own store's sales, so their spending at other stores is not in it); at HQ, of all
      members: every store's member sales and every online order. Online orders count at the
      `paid_fen` of orders recorded in the period and not returned (a returned order counts
      nothing; HQ records every online customer as a member, so online sales are members' sales).
      `pickup_orders`: online orders naming this store for pickup.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sqlalchemy import select, text

from pos.store import settings as store_settings
from pos.store.database import sql_ts
from pos.analytics.choices import VISIT_MINUTES  # the CLI's option offers it (pos.cli.reports)

UTC = dt.timezone.utc


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def aware(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    if isinstance(t, str):  # raw SQL on SQLite
        t = dt.datetime.fromisoformat(t)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass
class ParcelFact:
    """What the figures need of one parcel."""

    store: str
    member_ids: frozenset  # the parcel's member and those merged with it
    arrived_at: dt.datetime | None
    collected_at: dt.datetime | None
    cancelled: bool
    coupon_code: str | None


def days_of(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def parcel_days(facts: Iterable[ParcelFact], start: dt.date, end: dt.date, *, local_date: Callable,
                start_of_day: Callable, overdue_days: int) -> list[dict[str, Any]]:
    """[{date, received, collected, overdue}] per business date (definitions in the docstring)."""
    rows = {d: {"date": d.isoformat(), "received": 0, "collected": 0, "overdue": 0} for d in days_of(start, end)}
    ends = {d: start_of_day(d + dt.timedelta(days=1)) for d in rows}
    limit = dt.timedelta(days=overdue_days)
    for f in facts:
        if f.arrived_at is not None and (d := local_date(f.arrived_at)) in rows:
            rows[d]["received"] += 1
        if f.collected_at is not None and (d := local_date(f.collected_at)) in rows:
            rows[d]["collected"] += 1
        if f.arrived_at is None or f.cancelled:
            continue
        for d, e in ends.items():
            if f.arrived_at <= e - limit and (f.collected_at is None or f.collected_at >= e):
                rows[d]["overdue"] += 1
    return list(rows.values())


def in_visit(pickup_at: dt.datetime, sale_at: dt.datetime, *, local_date: Callable, minutes: int) -> bool:
    return (pickup_at <= sale_at <= pickup_at + dt.timedelta(minutes=minutes)
            and local_date(sale_at) == local_date(pickup_at))


def pickup_figures(pickups: list[ParcelFact], sales_of: Callable, used_codes: set[str], voucher_sales: dict[str, Any],
                   *, local_date: Callable, minutes: int) -> dict[str, Any]:
    """pickups: the period's collected parcels; sales_of(fact) -> [(sale_id, created_at)] of its
    members at its store (near its pickup); used_codes: pickup voucher codes used by the period's
    end; voucher_sales: code -> the sale id it was used on."""
    converted = with_voucher = 0
    for f in pickups:
        hits = [sid for sid, at in sales_of(f) if in_visit(f.collected_at, aware(at), local_date=local_date, minutes=minutes)]
        if hits:
            converted += 1
            if f.coupon_code and voucher_sales.get(f.coupon_code) in hits:
                with_voucher += 1
    issued = [f.coupon_code for f in pickups if f.coupon_code]
    used = sum(1 for c in issued if c in used_codes)
    return {"pickups": len(pickups), "converted": converted, "converted_with_voucher": with_voucher,
            "conversion_rate": _ratio(converted, len(pickups)), "visit_minutes": minutes,
            "vouchers_issued": len(issued), "vouchers_used": used, "voucher_redemption_rate": _ratio(used, len(issued))}


def share(store_fen: int, online_fen: int) -> dict[str, Any]:
    total = store_fen + online_fen
    return {"store_sales_fen": store_fen, "online_sales_fen": online_fen, "total_fen": total,
            "store_share": _ratio(store_fen, total), "online_share": _ratio(online_fen, total)}


# --- the till's report --------------------------------------------------------------------------


@dataclass
class O2OReport:
    start: dt.date
    end: dt.date
    store_code: str
    overdue_days: int
    summary: dict[str, Any]
    by_day: list[dict[str, Any]]
    online_share: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "store_code": self.store_code,
                "overdue_days": self.overdue_days, "summary": self.summary, "by_day": self.by_day,
                "online_share": self.online_share}

    def tables(self):
        from pos.analytics.reports import Table

        cols = ["date", "received", "collected", "overdue"]
        return [Table("summary", ["metric", "value"], [[k, v] for k, v in self.summary.items()]),
                Table("parcels_by_day", cols, [[r[c] for c in cols] for r in self.by_day]),
                Table("online_share", ["metric", "value"], [[k, v] for k, v in self.online_share.items()])]


def _member_groups(s) -> dict[uuid.UUID, frozenset]:
    """member id -> the ids that are the same person (a merged record and its survivor)."""
    from pos.store.models import Member

    groups: dict[uuid.UUID, set] = {}
    for mid, into in s.execute(select(Member.id, Member.merged_into).where(Member.merged_into.is_not(None))):
        g = groups.setdefault(into, {into}) | groups.get(mid, {mid})
        for x in g:
            groups[x] = g
    return {k: frozenset(v) for k, v in groups.items()}


def report(db, start: dt.date, end: dt.date, *, visit_minutes: int = VISIT_MINUTES) -> O2OReport:
    """The till's O2O figures for business dates start..end (this store's parcels and sales)."""
    from pos.store.o2o_models import Parcel

    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    clock, store = db.clock, db.store_code
    lo, hi = clock.start_of_day(start), clock.start_of_day(end + dt.timedelta(days=1))
    local_date = lambda t: clock.local(aware(t)).date()  # noqa: E731
    overdue_days = store_settings.PARCEL_OVERDUE_DAYS.get(db)
    with db.read() as s:
        groups = _member_groups(s)
        facts = [ParcelFact(p.store_code, groups.get(p.member_id, frozenset({p.member_id})), aware(p.arrived_at),
                            aware(p.collected_at), p.status == "cancelled", p.coupon_code)
                 for p in s.scalars(select(Parcel).where(Parcel.store_code == store, Parcel.arrived_at.is_not(None),
                                                         Parcel.arrived_at < hi,  # still here in the period
                                                         Parcel.collected_at.is_(None) | (Parcel.collected_at >= lo)))]
        pickups = [f for f in facts if f.collected_at is not None and lo <= f.collected_at < hi]
        q = lambda sql, **p: s.execute(text(sql), p).all()  # noqa: E731

        def sales_of(f: ParcelFact):
            ids = ",".join(f"'{m.hex}'" for m in f.member_ids)  # uuids, as SQLite stores them (32 hex)
            return q(f"SELECT id, created_at FROM sales WHERE kind = 'sale' AND store_code = :store "
                     f"AND member_id IN ({ids}) AND created_at >= :a AND created_at <= :b",
                     store=store, a=sql_ts(f.collected_at), b=sql_ts(f.collected_at + dt.timedelta(minutes=visit_minutes)))

        codes = [f.coupon_code for f in pickups if f.coupon_code]
        used: set[str] = set()
        on_sale: dict[str, Any] = {}
        for i in range(0, len(codes), 500):
            chunk = codes[i:i + 500]
            marks = ",".join(f":c{j}" for j in range(len(chunk)))
            for code, sale_id in q(f"SELECT c.code, u.sale_id FROM coupons c JOIN coupon_uses u ON u.coupon_id = c.id "
                                   f"WHERE c.code IN ({marks}) AND u.used_at < :hi",
                                   hi=sql_ts(hi), **{f"c{j}": c for j, c in enumerate(chunk)}):
                used.add(code)
                on_sale[code] = sale_id
        figures = pickup_figures(pickups, sales_of, used, on_sale, local_date=local_date, minutes=visit_minutes)
        # online vs store: the members who bought here in the period
        p = {"d0": start.isoformat(), "d1": end.isoformat(), "lo": sql_ts(lo), "hi": sql_ts(hi), "store": store}
        store_fen, buyers = (int(x or 0) for x in q(
            "SELECT COALESCE(SUM(net_fen), 0), COUNT(DISTINCT member_id) FROM sales WHERE business_date BETWEEN :d0 AND :d1 "
            "AND kind IN ('sale', 'return') AND member_id IS NOT NULL AND store_code = :store", **p)[0])
        online_n, online_fen, online_buyers = (int(x or 0) for x in q(
            """SELECT COUNT(*), COALESCE(SUM(o.paid_fen), 0), COUNT(DISTINCT o.member_id) FROM online_orders o
               WHERE o.created_at >= :lo AND o.created_at < :hi AND o.status != 'returned'
                 AND o.member_id IN (SELECT member_id FROM sales WHERE business_date BETWEEN :d0 AND :d1
                                     AND kind = 'sale' AND member_id IS NOT NULL AND store_code = :store)""", **p)[0])
        pick_n, pick_fen = (int(x or 0) for x in q(
            "SELECT COUNT(*), COALESCE(SUM(paid_fen), 0) FROM online_orders WHERE created_at >= :lo AND created_at < :hi "
            "AND status != 'returned' AND pickup_store = :store", **p)[0])
    by_day = parcel_days(facts, start, end, local_date=local_date, start_of_day=clock.start_of_day,
                         overdue_days=overdue_days)
    summary = {"parcels_received": sum(r["received"] for r in by_day),
               "parcels_collected": sum(r["collected"] for r in by_day),
               "parcels_overdue_at_end": by_day[-1]["overdue"], **figures}
    online = {"scope": "members who bought at this store in the period", "members": buyers,
              "online_buyers": online_buyers, "online_orders": online_n, **share(store_fen, online_fen),
              "pickup_orders": pick_n, "pickup_orders_fen": pick_fen}
    return O2OReport(start, end, store, overdue_days, summary, by_day, online)
