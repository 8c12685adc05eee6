"""The till's copy of online orders and parcels (issue 18), pulled from HQ
(sync/server/orders.py; applied by pos.services.parcels.apply_pull). Kept beside
models.py (same metadata) so this change does not edit it.

- `online_orders`: a member's orders at the chain's online shops (every till gets them with
  the member's history): lines, amount, status, the points and the end of their return window.
- `parcels`: the parcels for pickup at *this* store (HQ sends each only to its store), and
  what the till did with them: received (arrived), collected, the voucher it issued."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pos.store.models import Base


class OnlineOrder(Base):
    __tablename__ = "online_orders"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # HQ's id
    channel: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(12))  # paid / shipped / delivered / returned
    lines: Mapped[list[Any]] = mapped_column(default=list)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    pickup_store: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_reversed: Mapped[bool] = mapped_column(Boolean, default=False)
    available_at: Mapped[dt.datetime]  # points and tier spend wait until then (the return window)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Parcel(Base):
    __tablename__ = "parcels"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # HQ's id
    online_order_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_ref: Mapped[str] = mapped_column(String(100))
    store_code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(24), unique=True)  # the courier's label: PCL + 10 digits
    pickup_code: Mapped[str] = mapped_column(String(16), unique=True)  # the customer's: PU + 8 digits
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(12))  # waiting / arrived / collected / cancelled
    created_at: Mapped[dt.datetime]
    arrived_at: Mapped[dt.datetime | None]
    collected_at: Mapped[dt.datetime | None]
    coupon_code: Mapped[str | None] = mapped_column(String(32))  # the pickup voucher issued here
    received_by: Mapped[str | None] = mapped_column(String(32))
    collected_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_parcels_status", "status", "arrived_at"),)
