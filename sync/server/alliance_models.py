"""HQ's alliance tables (issue 17), beside models.py (same metadata), like o2o_models.py.

An HQ hosts an alliance of merchants; a single chain is the one-merchant alliance
`main` (every store of an HQ from before is a store of `main`, its programs `main`'s).

- `merchants`: each merchant of the alliance (its stores are `stores.merchant_code`, its
  loyalty program versions `programs.merchant_code`).
- `member_merchants`: a member's relationship with one merchant — where and when they
  joined it, and their recorded consent that this merchant sees their personal fields
  (PIPL: joining at a merchant's till is consent to that merchant; another merchant sees
  the alliance card and the shared balances only, until the member consents to it too).
- `alliance_programs`: versions of the alliance's shared rules (`AllianceProgramDoc`: coin
  value, earn-rate bounds, caps, expiry, the operator's fee); one is active.
- `coin_entries` / `coin_allocations`: the shared coin ledger, the till's very tables
  (`pos.store.coin_models`).
- `settlement_periods` / `settlement_items`: closed settlement periods and which ledger row
  (a coin allocation, a coupon use) each one settled; a row is settled once, in one period,
  and a closed period is never rewritten (`sync/server/settlement.py`)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pos.store.coin_models import CoinAllocation, CoinEntry  # noqa: F401  (shared ledger)

from .models import HQBase

MAIN = "main"  # the merchant of an HQ from before the alliance (one chain)
ALLIANCE = "ALLIANCE"  # the funder of what the alliance itself pays for (its coupons), the fee's payee


class Merchant(HQBase):
    __tablename__ = "merchants"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class MemberMerchant(HQBase):
    __tablename__ = "member_merchants"
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    merchant_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    joined_at: Mapped[dt.datetime]
    joined_store: Mapped[str | None] = mapped_column(String(16))
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None]
    # this merchant's tier for the member (hq0014; `main`'s stays on the member row); None: its first level
    tier_code: Mapped[str | None] = mapped_column(String(16))
    tier_since: Mapped[dt.datetime | None]
    tier_expires: Mapped[dt.date | None] = mapped_column(Date)


class HQAllianceProgram(HQBase):
    __tablename__ = "alliance_programs"
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class SettlementPeriod(HQBase):
    __tablename__ = "settlement_periods"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)  # inclusive
    tz: Mapped[str] = mapped_column(String(40))
    closed_at: Mapped[dt.datetime]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the statement as closed


class SettlementItem(HQBase):
    __tablename__ = "settlement_items"
    source: Mapped[str] = mapped_column(String(16), primary_key=True)  # coin_allocation / coupon_use
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    period_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    debtor: Mapped[str] = mapped_column(String(16))
    creditor: Mapped[str] = mapped_column(String(16))
