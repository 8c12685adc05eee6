"""HQ tables of online orders and parcel pickup (issue 18): online channels and their
API keys (hashed), the shops' orders as HQ recorded them, parcels for pickup at a store.
Kept beside models.py (same metadata), like web_models.py."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import HQBase


class Channel(HQBase):
    """An online shop allowed to post orders (`hq channel add NAME`): only its key's sha256 is kept."""

    __tablename__ = "channels"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class OnlineOrder(HQBase):
    """One online order, keyed by (channel, order_id): its lines and amount as first posted,
    its status as the shop last said (paid < shipped < delivered, or returned), the points it
    earned (a lot pending until `available_at`, the end of the return window) and the entry
    that took them back on a return. `history`: [{"status", "at"}] in the order HQ heard them."""

    __tablename__ = "online_orders"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(12))
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    pickup_store: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    earn_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reverse_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    available_at: Mapped[dt.datetime]
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    __table_args__ = (UniqueConstraint("channel", "order_id", name="uq_online_orders_channel_order"),)


class Parcel(HQBase):
    """A parcel for pickup at a store: the courier's label (what the till scans on arrival),
    the customer's pickup code (what they show, or its last 4 with their phone).
    status: waiting (on its way) / arrived / collected / cancelled (the order returned first)."""

    __tablename__ = "parcels"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    online_order_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    order_ref: Mapped[str] = mapped_column(String(100))  # channel:order_id, for people
    store_code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(24), unique=True)
    pickup_code: Mapped[str] = mapped_column(String(16), unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    created_at: Mapped[dt.datetime]
    arrived_at: Mapped[dt.datetime | None]
    collected_at: Mapped[dt.datetime | None]
    notified_at: Mapped[dt.datetime | None]
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[dt.datetime]
    __table_args__ = (Index("ix_parcels_store_status", "store_code", "status"),)
