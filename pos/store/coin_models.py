"""Shopping coins (购物币, issue 17): the alliance's shared currency, a third ledger beside
points and stored value. The very same tables at the till and at HQ (as the points
ledger: same names, same columns), append-only, kept beside models.py (same metadata).

- `coin_entries`: one line of the coin ledger. Credits of kind `earn` are lots (with their
  expiry, their issuing merchant); debits (`spend`, `reverse`, `expire`) consume lots
  through `coin_allocations`; a `refund` (a returned sale's coins back) gives its coins back
  to the very lots the spend took them from (negative allocations). `merchant_code`: the
  issuer of a lot, the redeemer of a spend or refund (HQ fills it from the store's merchant
  when a till leaves it empty). `value_fen`: what the entry is worth in fen at the alliance's
  coin value when it was written (settlement counts it, to the fen).
- `coin_allocations`: which lot paid (coins > 0) or got back (coins < 0) how much of which
  entry; a lot's remaining coins are its amount minus its allocations.
- `alliance_programs`: the alliance's shared rules as the till received them from HQ
  (`pos.rules.program.AllianceProgramDoc`): the coin value, caps, expiry, the fee."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pos.ids import uuid7
from pos.store.models import Base


class CoinEntry(Base):
    __tablename__ = "coin_entries"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # earn / spend / refund / reverse / expire / adjust
    coins: Mapped[int] = mapped_column(Integer)
    value_fen: Mapped[int] = mapped_column(Integer)
    merchant_code: Mapped[str | None] = mapped_column(String(16))
    store_code: Mapped[str | None] = mapped_column(String(16))
    sale_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("coin_entries.id"))
    expires_at: Mapped[dt.datetime | None]  # lots only
    alliance_version: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        CheckConstraint("coins <> 0", name="nonzero"),
        Index("ix_coin_entries_created", "created_at", "kind"),
    )


class CoinAllocation(Base):
    __tablename__ = "coin_allocations"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    debit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coin_entries.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coin_entries.id"), index=True)
    coins: Mapped[int] = mapped_column(Integer)  # > 0: taken from the lot; < 0: given back to it (a refund)
    __table_args__ = (CheckConstraint("coins <> 0", name="nonzero"),)


class AllianceProgram(Base):
    __tablename__ = "alliance_programs"
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column()
    installed_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)
