"""HQ's chain-wide O2O figures (issue 18 item 4; `python main.py hq report o2o`): parcels
received / collected / overdue per day at every store, pickup-to-purchase conversion and the
pickup voucher's redemption rate, and the online vs store share of all members' sales.

The definitions are the till's (pos/analytics/o2o.py, its docstring), counted over what HQ
holds: every store's parcels as their tills pushed them (`parcel.arrived`, `parcel.collected`),
every store's sales, coupon uses and every online order. Business dates are in the chain's zone
(`--tz`, as HQ's dated jobs); `overdue_days` is an option here (the stores' `parcel.overdue_days`
setting is the till's; default 7 as there). HQ knows a pickup's sale only once that till has
pushed it, as for every chain figure.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos.analytics import o2o

from .models import Coupon, CouponUse, Member, Sale
from .o2o_models import OnlineOrder, Parcel


def _groups(s) -> dict[uuid.UUID, frozenset]:
    groups: dict[uuid.UUID, set] = {}
    for mid, into in s.execute(select(Member.id, Member.merged_into).where(Member.merged_into.is_not(None))):
        g = groups.get(into, {into}) | groups.get(mid, {mid})
        for x in g:
            groups[x] = g
    return {k: frozenset(v) for k, v in groups.items()}


def report(hq, start: dt.date, end: dt.date, *, tz: str = "Asia/Shanghai", overdue_days: int = 7,
           visit_minutes: int = o2o.VISIT_MINUTES) -> dict[str, Any]:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    zone = ZoneInfo(tz)
    start_of_day = lambda d: dt.datetime.combine(d, dt.time(0), zone).astimezone(dt.timezone.utc)  # noqa: E731
    local_date = lambda t: o2o.aware(t).astimezone(zone).date()  # noqa: E731
    lo, hi = start_of_day(start), start_of_day(end + dt.timedelta(days=1))
    with hq.read() as s:
        groups = _groups(s)
        facts = [o2o.ParcelFact(p.store_code, groups.get(p.member_id, frozenset({p.member_id})), o2o.aware(p.arrived_at),
                                o2o.aware(p.collected_at), p.status == "cancelled", p.coupon_code)
                 for p in s.scalars(select(Parcel).where(Parcel.arrived_at.is_not(None), Parcel.arrived_at < hi,
                                                     Parcel.collected_at.is_(None) | (Parcel.collected_at >= lo)))]
        pickups = [f for f in facts if f.collected_at is not None and lo <= f.collected_at < hi]

        def sales_of(f: o2o.ParcelFact):
            return s.execute(select(Sale.id, Sale.created_at).where(
                Sale.kind == "sale", Sale.store_code == f.store, Sale.member_id.in_(list(f.member_ids)),
                Sale.created_at >= f.collected_at,
                Sale.created_at <= f.collected_at + dt.timedelta(minutes=visit_minutes))).all()

        codes = [f.coupon_code for f in pickups if f.coupon_code]
        used: set[str] = set()
        on_sale: dict[str, Any] = {}
        for i in range(0, len(codes), 500):
            for code, sale_id in s.execute(select(Coupon.code, CouponUse.sale_id).join(CouponUse, CouponUse.coupon_id == Coupon.id)
                                           .where(Coupon.code.in_(codes[i:i + 500]), CouponUse.used_at < hi)):
                used.add(code)
                on_sale[code] = sale_id
        figures = o2o.pickup_figures(pickups, sales_of, used, on_sale, local_date=local_date, minutes=visit_minutes)
        store_fen, store_buyers = s.execute(select(func.coalesce(func.sum(Sale.net_fen), 0),
                                                   func.count(func.distinct(Sale.member_id))).where(
            Sale.kind.in_(("sale", "return")), Sale.member_id.is_not(None), Sale.created_at >= lo, Sale.created_at < hi)).one()
        live = (OnlineOrder.created_at >= lo, OnlineOrder.created_at < hi, OnlineOrder.status != "returned")
        online_n, online_fen, online_buyers = s.execute(select(func.count(OnlineOrder.id),
                                                               func.coalesce(func.sum(OnlineOrder.paid_fen), 0),
                                                               func.count(func.distinct(OnlineOrder.member_id)))
                                                        .where(*live)).one()
        both = s.scalar(select(func.count(func.distinct(OnlineOrder.member_id))).where(
            *live, OnlineOrder.member_id.in_(select(Sale.member_id).where(
                Sale.kind == "sale", Sale.member_id.is_not(None), Sale.created_at >= lo, Sale.created_at < hi)))) or 0
        pick_n, pick_fen = s.execute(select(func.count(OnlineOrder.id), func.coalesce(func.sum(OnlineOrder.paid_fen), 0))
                                     .where(*live, OnlineOrder.pickup_store.is_not(None))).one()
    by_day = o2o.parcel_days(facts, start, end, local_date=local_date, start_of_day=start_of_day,
                             overdue_days=overdue_days)
    stores: dict[str, dict[str, int]] = {}
    for code in sorted({f.store for f in facts}):
        mine = [f for f in facts if f.store == code]
        rows = o2o.parcel_days(mine, start, end, local_date=local_date, start_of_day=start_of_day,
                               overdue_days=overdue_days)
        stores[code] = {"received": sum(r["received"] for r in rows), "collected": sum(r["collected"] for r in rows),
                        "overdue_at_end": rows[-1]["overdue"]}
    summary = {"parcels_received": sum(r["received"] for r in by_day),
               "parcels_collected": sum(r["collected"] for r in by_day),
               "parcels_overdue_at_end": by_day[-1]["overdue"], **figures}
    online = {"scope": "all members, every store and every online order", "members": int(store_buyers),
              "online_buyers": int(online_buyers), "both_buyers": int(both), "online_orders": int(online_n),
              **o2o.share(int(store_fen), int(online_fen)), "pickup_orders": int(pick_n), "pickup_orders_fen": int(pick_fen)}
    return {"start": start.isoformat(), "end": end.isoformat(), "store_code": None, "timezone": tz,
            "overdue_days": overdue_days, "summary": summary, "by_day": by_day, "stores": stores, "online_share": online}
