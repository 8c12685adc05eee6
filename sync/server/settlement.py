"""Alliance settlement (issue 17): who owes whom for a period, closed once, never rewritten.

What is settled, row by row (each row once, in the first period that closes after it reached HQ):
- every coin allocation of a `spend` or `refund`: `coins × value` fen that the lot's issuing
  merchant owes the redeeming merchant (a refund's negative allocation gives it back);
- every use of a coupon someone funds (`coupons.funded_by`: a merchant, or ALLIANCE): its
  amount, owed by the funder to the merchant whose store took it.
A row issuer = redeemer is the merchant's own business: listed, no money moves.
Per ordered pair (debtor, creditor) the period's total; the alliance operator's fee
(`settlement.fee_bps` of the alliance rules) on each pair's total, paid by the debtor
(none on what the alliance itself funds); each merchant's net = what it is owed − what it
owes − its fees, the operator's = fees − what it funded; the nets sum to 0.
A period is [from, to] in business days of `tz`. Closing writes `settlement_periods` (the
statement as closed) and one `settlement_items` row per settled row; the database refuses
to update or delete either (triggers, hq0013). A row that arrives later for a day of a
closed period (an offline till) is settled in the next period that closes, as an
adjustment (`adjustments_fen`, listed with its business day) — a closed one never changes.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .alliance import active_alliance, local_day_bounds, merchants_of_stores
from .alliance_models import ALLIANCE, MAIN, CoinAllocation, CoinEntry, Merchant, SettlementItem, SettlementPeriod
from .common import now_utc
from .models import Coupon, CouponUse


class SettlementError(Exception):
    def __init__(self, message: str, code: str = "settlement.bad_request", status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _fee(total: int, bps: int) -> int:
    """bps of a total in fen, rounded half away from zero."""
    n = (abs(total) * bps + 5000) // 10000
    return n if total >= 0 else -n


def open_items(s, end: dt.datetime) -> list[dict[str, Any]]:
    """Every settleable row written before `end` that no closed period has settled."""
    settled = {(src, sid) for src, sid in s.execute(select(SettlementItem.source, SettlementItem.source_id))}
    lot = aliased(CoinEntry)
    out = []
    q = (select(CoinAllocation.id, CoinAllocation.coins, CoinEntry.kind, CoinEntry.coins, CoinEntry.value_fen,
                CoinEntry.merchant_code, CoinEntry.store_code, CoinEntry.created_at, CoinEntry.id, lot.merchant_code)
         .join(CoinEntry, CoinEntry.id == CoinAllocation.debit_id).join(lot, lot.id == CoinAllocation.lot_id)
         .where(CoinEntry.kind.in_(("spend", "refund")), CoinEntry.created_at < end))
    for aid, coins, kind, dcoins, dvalue, redeemer, store, at, debit_id, issuer in s.execute(q):
        if ("coin_allocation", aid) in settled:
            continue
        per = dvalue // dcoins  # fen per coin when the spend was written
        out.append({"source": "coin_allocation", "source_id": aid, "kind": f"coins_{kind}", "at": _aware(at),
                    "debtor": issuer or MAIN, "creditor": redeemer or MAIN, "amount_fen": coins * per,
                    "coins": coins, "entry": str(debit_id), "store": store})
    store_merchant = merchants_of_stores(s)
    q = (select(CouponUse.id, CouponUse.amount_fen, CouponUse.used_at, CouponUse.store_code, Coupon.code,
                Coupon.funded_by)
         .join(Coupon, Coupon.id == CouponUse.coupon_id)
         .where(Coupon.funded_by.is_not(None), CouponUse.used_at < end))
    for uid, amount, at, store, code, funder in s.execute(q):
        if ("coupon_use", uid) in settled:
            continue
        out.append({"source": "coupon_use", "source_id": uid, "kind": "coupon", "at": _aware(at), "debtor": funder,
                    "creditor": store_merchant.get(store, MAIN), "amount_fen": int(amount), "coins": 0,
                    "entry": code, "store": store})
    return sorted(out, key=lambda r: (r["at"], str(r["source_id"])))


def compute(s, day_from: dt.date, day_to: dt.date, tz: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The period's statement and the rows it settles (nothing written)."""
    if day_to < day_from:
        raise SettlementError(f"--to {day_to} is before --from {day_from}")
    start, end = local_day_bounds(day_from, day_to, tz)
    rules = active_alliance(s)
    bps = rules.settlement.fee_bps if rules is not None else 0
    items = open_items(s, end)
    pairs: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"coins_fen": 0, "coupons_fen": 0,
                                                                       "adjustments_fen": 0, "rows": 0})
    own: dict[str, int] = defaultdict(int)
    for it in items:
        if it["debtor"] == it["creditor"]:
            own[it["debtor"]] += it["amount_fen"]
            continue
        p = pairs[(it["debtor"], it["creditor"])]
        p["coins_fen" if it["source"] == "coin_allocation" else "coupons_fen"] += it["amount_fen"]
        p["rows"] += 1
        if it["at"] < start:
            p["adjustments_fen"] += it["amount_fen"]
    merchants = [m for (m,) in s.execute(select(Merchant.code).order_by(Merchant.code))]
    book = {m: {"receivable_fen": 0, "payable_fen": 0, "fee_fen": 0, "net_fen": 0, "own_redemptions_fen": own.get(m, 0)}
            for m in merchants + [ALLIANCE]}
    pair_rows = []
    for (debtor, creditor), p in sorted(pairs.items()):
        total = p["coins_fen"] + p["coupons_fen"]
        fee = _fee(total, bps) if debtor != ALLIANCE else 0
        pair_rows.append({"debtor": debtor, "creditor": creditor, **p, "total_fen": total, "fee_fen": fee})
        for m in (debtor, creditor):
            book.setdefault(m, {"receivable_fen": 0, "payable_fen": 0, "fee_fen": 0, "net_fen": 0,
                                "own_redemptions_fen": 0})
        book[creditor]["receivable_fen"] += total
        book[debtor]["payable_fen"] += total
        book[debtor]["fee_fen"] += fee
        book[ALLIANCE]["receivable_fen"] += fee
    for m, b in book.items():
        b["net_fen"] = b["receivable_fen"] - b["payable_fen"] - (b["fee_fen"] if m != ALLIANCE else 0)
    doc = {"period": {"from": day_from.isoformat(), "to": day_to.isoformat(), "tz": tz},
           "alliance_version": rules.version if rules else None, "fee_bps": bps, "pairs": pair_rows,
           "merchants": book, "rows": len(items),
           "totals": {"cross_fen": sum(p["total_fen"] for p in pair_rows),
                      "fees_fen": sum(p["fee_fen"] for p in pair_rows),
                      "adjustments_fen": sum(p["adjustments_fen"] for p in pair_rows),
                      "net_sum_fen": sum(b["net_fen"] for b in book.values())}}
    return doc, items


def settle(hq, day_from: dt.date, day_to: dt.date, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """Close [from, to]: the statement and its rows, in one transaction. The same period again
    answers the statement as closed; a period overlapping a closed one is refused."""
    with hq.transaction() as s:
        if s.bind.dialect.name == "postgresql":  # one settler at a time
            s.execute(select(Merchant.code).with_for_update())
        for p in s.scalars(select(SettlementPeriod).order_by(SettlementPeriod.date_from)):
            if p.date_from == day_from and p.date_to == day_to:
                return {**p.document, "closed": True, "already_closed": True}
            if p.date_from <= day_to and day_from <= p.date_to:
                raise SettlementError(f"{day_from}..{day_to} overlaps the closed period {p.date_from}..{p.date_to}; "
                                      "a closed period never changes (later rows settle in the next period)",
                                      "settlement.closed")
        doc, items = compute(s, day_from, day_to, tz)
        pid = uuid.uuid4()
        now = now_utc()
        doc = {**doc, "id": str(pid), "closed_at": now.isoformat()}
        s.add(SettlementPeriod(id=pid, date_from=day_from, date_to=day_to, tz=tz, closed_at=now, document=doc))
        s.flush()
        if items:
            s.execute(SettlementItem.__table__.insert(), [
                {"source": it["source"], "source_id": it["source_id"], "period_id": pid, "amount_fen": it["amount_fen"],
                 "debtor": it["debtor"], "creditor": it["creditor"]} for it in items])
        return {**doc, "closed": True, "already_closed": False}


def statement(hq, merchant: str, day_from: dt.date, day_to: dt.date, tz: str = "Asia/Shanghai") -> dict[str, Any]:
    """One merchant's statement: each closed period in [from, to] with the merchant's lines and
    the rows underneath (entries, coupons); the days after the last close as an open preview."""
    merchant = merchant.strip().lower()
    with hq.read() as s:
        if s.get(Merchant, merchant) is None:
            raise SettlementError(f"no merchant {merchant!r} at HQ", "merchant.not_found", 404)
        periods = []
        for p in s.scalars(select(SettlementPeriod).where(SettlementPeriod.date_from <= day_to,
                                                          SettlementPeriod.date_to >= day_from)
                           .order_by(SettlementPeriod.date_from)):
            rows = _rows(s, p.id, merchant)
            periods.append(_mine(p.document, merchant) | {"id": str(p.id), "closed": True, "entries": rows})
        last = max((dt.date.fromisoformat(p["period"]["to"]) for p in periods), default=None)
        open_from = (last + dt.timedelta(days=1)) if last else day_from
        preview = None
        if open_from <= day_to:
            doc, items = compute(s, open_from, day_to, tz)
            preview = _mine(doc, merchant) | {"closed": False, "entries": [_plain(it) for it in items
                                                                           if merchant in (it["debtor"], it["creditor"])]}
        return {"merchant": merchant, "from": day_from.isoformat(), "to": day_to.isoformat(), "periods": periods,
                "open": preview}


def _mine(doc: dict[str, Any], merchant: str) -> dict[str, Any]:
    return {"period": doc["period"], "fee_bps": doc["fee_bps"],
            "pairs": [p for p in doc["pairs"] if merchant in (p["debtor"], p["creditor"])],
            "account": doc["merchants"].get(merchant, {"receivable_fen": 0, "payable_fen": 0, "fee_fen": 0,
                                                        "net_fen": 0, "own_redemptions_fen": 0})}


def _plain(it: dict[str, Any]) -> dict[str, Any]:
    return {**it, "source_id": str(it["source_id"]), "at": it["at"].isoformat()}


def _rows(s, period_id, merchant: str) -> list[dict[str, Any]]:
    """The settled rows of the merchant with what they were: the coin entry (kind, store, time,
    coins) or the coupon (code, store, time)."""
    out = []
    for it in s.scalars(select(SettlementItem).where(SettlementItem.period_id == period_id)
                        .order_by(SettlementItem.source, SettlementItem.source_id)):
        if merchant not in (it.debtor, it.creditor):
            continue
        row = {"source": it.source, "source_id": str(it.source_id), "debtor": it.debtor, "creditor": it.creditor,
               "amount_fen": it.amount_fen}
        if it.source == "coin_allocation":
            got = s.execute(select(CoinAllocation.coins, CoinEntry.kind, CoinEntry.store_code, CoinEntry.created_at,
                                   CoinEntry.id).join(CoinEntry, CoinEntry.id == CoinAllocation.debit_id)
                            .where(CoinAllocation.id == it.source_id)).first()
            if got is not None:
                row |= {"kind": f"coins_{got.kind}", "coins": got.coins, "store": got.store_code,
                        "at": _aware(got.created_at).isoformat(), "entry": str(got.id)}
        else:
            got = s.execute(select(CouponUse.store_code, CouponUse.used_at, Coupon.code)
                            .join(Coupon, Coupon.id == CouponUse.coupon_id).where(CouponUse.id == it.source_id)).first()
            if got is not None:
                row |= {"kind": "coupon", "coins": 0, "store": got.store_code, "at": _aware(got.used_at).isoformat(),
                        "entry": got.code}
        out.append(row)
    return sorted(out, key=lambda r: r.get("at", ""))

