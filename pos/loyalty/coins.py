"""The shopping-coin ledger (购物币, issue 17; tables in `pos.store.coin_models`), the same
code at the till and at HQ.

- A lot is an `earn` entry (coins > 0) with its issuing merchant and expiry; its remaining
  coins are its amount minus its allocations.
- A `spend` (coins < 0) takes from the unexpired lots that expire first (allocations > 0);
  it never spends more than the spendable coins.
- A `refund` (a returned sale's coin tender) gives coins back to the very lots its spend
  took them from, last taken first (allocations < 0), so every coin returns to its issuer.
- A `reverse` takes back coins a returned sale earned: from that sale's own lot first, then
  the member's other lots of the same issuer; what the member already spent elsewhere stays
  as debt (an unallocated remainder), paid by nothing else.
- An `expire` takes a lot's remaining coins once it is past its expiry.
`value_fen` of an entry is coins × the alliance's coin value when written (signed).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos.errors import DomainError
from pos.ids import uuid7
from pos.rules.program import AllianceProgramDoc, parse_alliance
from pos.store.coin_models import AllianceProgram, CoinAllocation, CoinEntry


@dataclass
class Lot:
    id: uuid.UUID
    merchant: str | None
    expires_at: dt.datetime | None
    created_at: dt.datetime
    remaining: int


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t if t is None or t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def balance(s: Session, member_id: uuid.UUID) -> int:
    return int(s.scalar(select(func.coalesce(func.sum(CoinEntry.coins), 0)).where(CoinEntry.member_id == member_id)))


def lots(s: Session, member_id: uuid.UUID) -> list[Lot]:
    """Every lot of the member with what remains of it, expiring first first."""
    used = dict(s.execute(select(CoinAllocation.lot_id, func.sum(CoinAllocation.coins))
                          .join(CoinEntry, CoinEntry.id == CoinAllocation.lot_id)
                          .where(CoinEntry.member_id == member_id).group_by(CoinAllocation.lot_id)).all())
    out = [Lot(e.id, e.merchant_code, _aware(e.expires_at), _aware(e.created_at), e.coins - int(used.get(e.id, 0)))
           for e in s.scalars(select(CoinEntry).where(CoinEntry.member_id == member_id, CoinEntry.kind == "earn"))]
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    return sorted(out, key=lambda lot: (lot.expires_at or far, lot.created_at, lot.id))


def spendable(s: Session, member_id: uuid.UUID, now: dt.datetime) -> int:
    """Unexpired lots' remaining coins, never more than the balance (debt counts)."""
    live = sum(max(0, lot.remaining) for lot in lots(s, member_id) if lot.expires_at is None or lot.expires_at > now)
    return max(0, min(live, balance(s, member_id)))


def _entry(s, member_id, kind, coins, value_fen, *, now, merchant, store, sale_id=None, reverses_id=None,
           expires_at=None, version=None, reason=None, test_clock=False) -> CoinEntry:
    e = CoinEntry(id=uuid7(), member_id=member_id, kind=kind, coins=coins, value_fen=value_fen, merchant_code=merchant,
                  store_code=store, sale_id=sale_id, reverses_id=reverses_id, expires_at=expires_at,
                  alliance_version=version, reason=reason, created_at=now, test_clock=test_clock)
    s.add(e)
    return e


def earn(s: Session, member_id, coins: int, rules: AllianceProgramDoc, *, now, merchant, store, sale_id=None,
         reason=None, test_clock=False) -> CoinEntry:
    expires = now + dt.timedelta(days=rules.coins.expiry_days)
    return _entry(s, member_id, "earn", coins, coins * rules.coins.value_fen, now=now, merchant=merchant, store=store,
                  sale_id=sale_id, expires_at=expires, version=rules.version, reason=reason, test_clock=test_clock)


def _allocate(s: Session, debit: CoinEntry, take: list[tuple[uuid.UUID, int]]) -> None:
    for lot_id, coins in take:
        if coins:
            s.add(CoinAllocation(id=uuid7(), debit_id=debit.id, lot_id=lot_id, coins=coins))


def spend(s: Session, member_id, coins: int, rules: AllianceProgramDoc, *, now, merchant, store, sale_id=None,
          reason=None, test_clock=False) -> CoinEntry:
    """Coins paid at `merchant`: from the lots that expire first (which issuers paid is in the allocations)."""
    have = spendable(s, member_id, now)
    if coins > have:
        raise DomainError("coins.short", have=have)
    debit = _entry(s, member_id, "spend", -coins, -coins * rules.coins.value_fen, now=now, merchant=merchant,
                   store=store, sale_id=sale_id, version=rules.version, reason=reason, test_clock=test_clock)
    s.flush()
    left, take = coins, []
    for lot in lots(s, member_id):
        if left == 0:
            break
        if lot.remaining <= 0 or (lot.expires_at is not None and lot.expires_at <= now):
            continue
        n = min(left, lot.remaining)
        take.append((lot.id, n))
        left -= n
    _allocate(s, debit, take)
    return debit


def refund(s: Session, spend_entry: CoinEntry, coins: int, *, now, store, reason=None, test_clock=False) -> CoinEntry:
    """`coins` of a spend back to the lots it took them from (last taken first), never more than it
    took less what earlier refunds gave back."""
    taken = s.execute(select(CoinAllocation.lot_id, CoinAllocation.coins).where(CoinAllocation.debit_id == spend_entry.id)
                      .order_by(CoinAllocation.id)).all()
    back = {}
    for r in s.scalars(select(CoinEntry.id).where(CoinEntry.reverses_id == spend_entry.id, CoinEntry.kind == "refund")):
        for lot_id, n in s.execute(select(CoinAllocation.lot_id, CoinAllocation.coins)
                                   .where(CoinAllocation.debit_id == r)):
            back[lot_id] = back.get(lot_id, 0) - n  # refund allocations are negative
    per_coin = spend_entry.value_fen // spend_entry.coins
    entry = _entry(s, spend_entry.member_id, "refund", coins, coins * per_coin, now=now,
                   merchant=spend_entry.merchant_code, store=store, sale_id=spend_entry.sale_id,
                   reverses_id=spend_entry.id, version=spend_entry.alliance_version, reason=reason,
                   test_clock=test_clock)
    s.flush()
    left, give = coins, []
    for lot_id, n in reversed(taken):
        open_n = n - back.get(lot_id, 0)
        k = min(left, max(0, open_n))
        if k:
            give.append((lot_id, -k))
            back[lot_id] = back.get(lot_id, 0) + k
            left -= k
    if left:
        raise DomainError("coins.refund_over", coins=coins)
    _allocate(s, entry, give)
    return entry


def reverse(s: Session, earn_entry: CoinEntry, coins: int, *, now, store, sale_id=None, reason=None,
            test_clock=False) -> CoinEntry:
    """Take back `coins` a returned sale earned: its own lot first, then other lots of the same
    issuer; the rest is the member's debt (no other issuer's lot pays for it)."""
    per_coin = earn_entry.value_fen // earn_entry.coins
    entry = _entry(s, earn_entry.member_id, "reverse", -coins, -coins * per_coin, now=now,
                   merchant=earn_entry.merchant_code, store=store, sale_id=sale_id, reverses_id=earn_entry.id,
                   version=earn_entry.alliance_version, reason=reason, test_clock=test_clock)
    s.flush()
    same = [lot for lot in lots(s, earn_entry.member_id) if lot.merchant == earn_entry.merchant_code]
    same.sort(key=lambda lot: lot.id != earn_entry.id)
    left, take = coins, []
    for lot in same:
        n = min(left, max(0, lot.remaining))
        if n:
            take.append((lot.id, n))
            left -= n
    _allocate(s, entry, take)
    return entry


def expire_lot(s: Session, member_id, lot: Lot, *, now, store, version=None, value_per_coin: int = 1,
               test_clock=False) -> CoinEntry | None:
    if lot.remaining <= 0:
        return None
    entry = _entry(s, member_id, "expire", -lot.remaining, -lot.remaining * value_per_coin, now=now,
                   merchant=lot.merchant, store=store, reverses_id=lot.id, version=version,
                   reason="coins expired", test_clock=test_clock)
    s.flush()
    _allocate(s, entry, [(lot.id, lot.remaining)])
    return entry


# --- the alliance's rules as this till holds them ------------------------------------------------

def till_rules(s: Session) -> AllianceProgramDoc | None:
    row = s.scalar(select(AllianceProgram).where(AllianceProgram.active.is_(True))
                   .order_by(AllianceProgram.installed_at.desc()).limit(1))
    return parse_alliance(row.document) if row is not None else None


def earned_for(paid_fen: int, rate: int) -> int:
    """Coins for `paid_fen` at `rate` coins per yuan (whole coins, rounded down)."""
    return max(0, paid_fen) * rate // 100
