"""Shopping coins in a sale and a return (issue 17; the ledger is `pos.loyalty.coins`).

At commit (`Checkout.pay`, inside the sale's transaction):
- the tender `coins` pays in whole coins (the alliance's `coins.value_fen` each), needs a
  member and the alliance's rules, at most `coins.pay_pct_max` % of the amount due, at most
  the member's spendable coins; on a till enrolled with HQ at most `coins.offline_cap_coins`
  per member less what this till spent for them in sales HQ has not received yet (the
  bounded offline policy of points, `pos.services.spending`; such a sale is provisional);
- the member earns this merchant's rate (`coins.earn_per_yuan` of its program, within the
  alliance's bound) on what other tenders paid.
A return gives the coins its refund share paid back to the lots (issuers) they came from,
and takes back the coins earned on the returned part (`pos.loyalty.coins.reverse`).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.loyalty import coins as coin_ledger
from pos.store import settings as store_settings
from pos.store.coin_models import CoinEntry
from pos.store.models import OutboxEvent, Setting

TENDER = "coins"
MERCHANT_KEY = "alliance.merchant"  # the merchant this store belongs to, as HQ's program rows say


def merchant(s: Session) -> str | None:
    row = s.get(Setting, MERCHANT_KEY)
    return row.value if row is not None else None


_ALLIANCE_MERCHANT_SQL = ("SELECT (SELECT value FROM settings WHERE key = ?), "
                          "EXISTS (SELECT 1 FROM alliance_programs WHERE active = 1)")


def alliance_merchant(s: Session) -> str:
    """The alliance merchant this till prices for (promotions' and coupons' `audience`,
    pos.rules.pricing.audience_ok), or "" when the till belongs to no alliance: no merchant
    setting (a till alone), or `main` without the alliance's rules installed (every enrolled
    till of a chain alone is `main`'s; HQ's one-merchant alliance has no partners to offer to).
    One statement through the DB-API (a sale's commit reads it: ~20 µs, not the ORM's ~0.3 ms)."""
    raw = s.connection().connection.driver_connection
    value, rules = raw.execute(_ALLIANCE_MERCHANT_SQL, (MERCHANT_KEY,)).fetchone()
    code = json.loads(value) if value is not None else None
    if not code or not isinstance(code, str):
        return ""
    if code == "main" and not rules:
        return ""
    return code


def unsent_coins(s: Session, member_id) -> int:
    """Coins this till spent for the member in provisional sales HQ has not received yet."""
    got = s.scalar(select(func.coalesce(func.sum(func.json_extract(OutboxEvent.payload, "$.sale.coins.spent")), 0))
                   .where(OutboxEvent.status == "pending", OutboxEvent.kind == "sale.committed",
                          func.json_extract(OutboxEvent.payload, "$.sale.member.id") == str(member_id),
                          func.json_extract(OutboxEvent.payload, "$.sale.coins.provisional").is_(True)))
    return int(got or 0)


@dataclass
class CoinPlan:
    rules: Any
    fen: int  # the coin tender
    spent: int  # coins
    earned: int
    provisional: bool


def plan(s: Session, db, program, member, tenders, net_fen: int, now) -> CoinPlan | None:
    """Before the sale is written: may its coin tender be spent, and what does it earn (None: no coins)."""
    fen = sum(t.amount_fen for t in tenders if t.type == TENDER)
    rate = program.coin_rate
    if not fen and (member is None or not rate):
        return None
    if fen and member is None:
        raise DomainError("coins.member")
    rules = coin_ledger.till_rules(s)
    if rules is None:
        if fen:
            raise DomainError("coins.no_alliance")
        return None
    value = rules.coins.value_fen
    spent, provisional = 0, False
    if fen:
        if fen % value:
            raise DomainError("coins.whole", value=value)
        cap_fen = net_fen * rules.coins.pay_pct_max // 100
        if fen > cap_fen:
            raise DomainError("coins.cap", pct=rules.coins.pay_pct_max, max=f"{cap_fen / 100:.2f}")
        spent = fen // value
        have = coin_ledger.spendable(s, member.id, now)
        if spent > have:
            raise DomainError("coins.short", have=have)
        if store_settings.enrolled(db):  # HQ does not hold coins: the bounded offline policy always applies
            cap = rules.coins.offline_cap_coins
            limit = max(0, min(have, cap - unsent_coins(s, member.id)))
            if spent > limit:
                raise DomainError("coins.offline_cap", limit=limit, cap=cap)
            provisional = True
    return CoinPlan(rules, fen, spent, coin_ledger.earned_for(net_fen - fen, rate), provisional)


def post(s: Session, db, cp: CoinPlan | None, member, sale, now) -> dict[str, Any] | None:
    """In the sale's transaction: the spend (lots that expire first) and the earned lot; the
    sale's `coins` figures go into its detail (and so its receipt and HQ's event)."""
    if cp is None or member is None:
        return None
    common = dict(now=now, merchant=merchant(s), store=db.store_code, sale_id=sale.id, test_clock=db.test_clock,
                  reason=f"sale {sale.receipt_no}")
    if cp.spent:
        coin_ledger.spend(s, member.id, cp.spent, cp.rules, **common)
    if cp.earned:
        coin_ledger.earn(s, member.id, cp.earned, cp.rules, **common)
    s.flush()
    got = {"earned": cp.earned, "spent": cp.spent, "spent_fen": cp.fen, "value_fen": cp.rules.coins.value_fen,
           "balance_after": coin_ledger.balance(s, member.id), "provisional": cp.provisional}
    sale.detail = {**(sale.detail or {}), "coins": got}
    return got


def after_return(s: Session, db, sale, ret, coin_refund_fen: int, returned_net_fen: int, now) -> dict[str, Any] | None:
    """The coins a return gives back (its refund share of the coin tender) and takes back (earned)."""
    if sale.member_id is None:
        return None
    spends = s.scalars(select(CoinEntry).where(CoinEntry.sale_id == sale.id, CoinEntry.kind == "spend")).all()
    earns = s.scalars(select(CoinEntry).where(CoinEntry.sale_id == sale.id, CoinEntry.kind == "earn")).all()
    if not spends and not earns:
        return None
    common = dict(now=now, store=db.store_code, test_clock=db.test_clock, reason=f"return {ret.receipt_no}")
    back = taken = 0
    for sp in spends:
        per = sp.value_fen // sp.coins
        n = coin_refund_fen // per
        if n:
            coin_ledger.refund(s, sp, n, **common)
            back += n
    for e in earns:
        done = -int(s.scalar(select(func.coalesce(func.sum(CoinEntry.coins), 0)).where(
            CoinEntry.reverses_id == e.id, CoinEntry.kind == "reverse")) or 0)
        n = min(e.coins - done, e.coins * returned_net_fen // sale.net_fen if sale.net_fen else e.coins)
        if n > 0:
            coin_ledger.reverse(s, e, n, sale_id=ret.id, **common)
            taken += n
    s.flush()
    got = {"refunded": back, "taken_back": taken, "balance_after": coin_ledger.balance(s, sale.member_id)}
    ret.detail = {**(ret.detail or {}), "coins": got}
    return got


def member_coins(db, member_id) -> dict[str, Any]:
    """What the member panel shows: the alliance's coins, separate from this merchant's points."""
    with db.read() as s:
        rules = coin_ledger.till_rules(s)
        mid = uuid.UUID(str(member_id))
        bal = coin_ledger.balance(s, mid)
        return {"balance": bal, "spendable": coin_ledger.spendable(s, mid, db.clock.now()),
                "value_fen": rules.coins.value_fen if rules else None, "alliance": rules.name.zh if rules else None}
