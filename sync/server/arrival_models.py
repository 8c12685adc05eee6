"""HQ tables of arrival check-in and coupon forwarding (issue 16 items 4 and 5).
Kept beside models.py (same metadata) so the member-page helpers don't edit it at once."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import BigId, HQBase


class CheckIn(HQBase):
    """One arrival of a member at a store (the store's check-in QR, or a till's Ctrl+K when it
    reaches HQ). `seq` is the arrivals feed's cursor (`GET /v1/arrivals?since=`); `points` what
    this check-in gave (0: the day's bonus at this store was given before)."""

    __tablename__ = "checkins"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    store_code: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    day: Mapped[dt.date] = mapped_column(Date)
    points: Mapped[int] = mapped_column(Integer, default=0)
    via: Mapped[str] = mapped_column(String(8), default="qr")
    __table_args__ = (Index("ix_checkins_store_seq", "store_code", "seq"),)


class CouponForward(HQBase):
    """A forward link of one coupon (its id is in the signed link): claimed once, by the friend."""

    __tablename__ = "coupon_forwards"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    coupon_code: Mapped[str] = mapped_column(String(32), index=True)
    from_member: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    to_member: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
