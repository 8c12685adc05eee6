"""HQ tables of the member pages (issue 16): messages the Notifier sent, one-time codes.
Kept beside models.py (same metadata) so the member-page helpers don't edit it at once."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import HQBase


class Notification(HQBase):
    """What a Notifier sent (the log backend keeps them here): the phone only masked,
    plus its keyed hash so a test or an operator can find one person's messages."""

    __tablename__ = "notifications"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[dt.datetime]
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    __table_args__ = (Index("ix_notifications_phone", "phone_hash", "at"),)


class OneTimeCode(HQBase):
    """A one-time code sent to a phone: its hash only, single use, expiring; the rows are
    also the throttle's memory (per phone hash, per IP hash)."""

    __tablename__ = "otp_codes"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))  # E.164; HQ holds full numbers (the member master)
    phone_hash: Mapped[str] = mapped_column(String(64))
    ip_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(16))
    store_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_otp_codes_phone", "phone_hash", "created_at"),
                      Index("ix_otp_codes_ip", "ip_hash", "created_at"))
