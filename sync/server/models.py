"""HQ's tables (SQLAlchemy 2). Changes go through HQ's own Alembic migrations
(`sync/server/migrations`), never `create_all`.

The points / stored-value ledgers and the balance cache are the very tables of
the till (`pos.store.models.PointsEntry`, `PointsAllocation`, `StoredValueEntry`,
`MemberBalance`: same names, same columns), so HQ posts merges and checks
holds with the same code as a till (`pos.loyalty.ledger`). Every store's entries are
kept with their original ids; `store_code` says which store made each one
(HQ's own entries say `HQ`).

Everything a till must learn is written to `change_log` in the transaction
that changes it; see `sync/server/changes.py` for the cursor.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, MetaData, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pos.store.models import NAMING, UTCDateTime
from pos.store.models import MemberBalance, PointsAllocation, PointsEntry, StoredValueEntry  # noqa: F401  (shared ledger)

HQ_STORE = "HQ"  # store_code of entries HQ posts itself (merges)
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite: INTEGER PRIMARY KEY = rowid


class HQBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, uuid.UUID: Uuid, dict[str, Any]: JSON, list[Any]: JSON}


class Store(HQBase):
    __tablename__ = "stores"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    enrol_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # one-time, sha256
    enrol_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    merchant_code: Mapped[str] = mapped_column(String(16), default="main", server_default="main")  # issue 17


class StoreToken(HQBase):
    """One credential per enrolled till; only its sha256 is kept."""

    __tablename__ = "store_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_code: Mapped[str] = mapped_column(String(16), index=True)
    device: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime | None]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class IngestedEvent(HQBase):
    """Every event a store pushed, by its id: the idempotency key of ingest."""

    __tablename__ = "events"
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_code: Mapped[str] = mapped_column(String(16), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(12))  # accepted / rejected
    reason: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class Member(HQBase):
    """The member master. Phone (E.164) is the merge key: one active member per phone."""

    __tablename__ = "members"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    member_code: Mapped[str] = mapped_column(String(24), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    name: Mapped[str | None] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(1))
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    region: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(64))
    income_band: Mapped[str | None] = mapped_column(String(32))
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16), default="store")
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None]
    tier_code: Mapped[str] = mapped_column(String(16), default="member")
    tier_since: Mapped[dt.datetime | None]
    tier_expires: Mapped[dt.date | None] = mapped_column(Date)
    joined_at: Mapped[dt.datetime]
    joined_store: Mapped[str | None] = mapped_column(String(16))
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active / merged / erased
    merged_into: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"tag", "source"}]
    field_times: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> HQ time of its last write
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    # the dynamic member code's key (pos.rules.dynamic_code): made here, sent to tills in the
    # member's pull row, never shown or logged
    code_secret: Mapped[str | None] = mapped_column(String(64), default=lambda: secrets.token_hex(32))


class MemberCard(HQBase):
    """A card number is unique chain-wide, so it is the card's key everywhere."""

    __tablename__ = "member_cards"
    card_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(12), default="magstripe")
    status: Mapped[str] = mapped_column(String(12), default="active")
    issued_at: Mapped[dt.datetime]
    issued_store: Mapped[str | None] = mapped_column(String(16))


class MemberNote(HQBase):
    __tablename__ = "member_notes"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(32))
    store_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]


class Sale(HQBase):
    """Every store's sales, returns and top-ups as the till committed them."""

    __tablename__ = "sales"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    store_code: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    receipt_no: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    created_at: Mapped[dt.datetime]
    net_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    points_earned: Mapped[int] = mapped_column(Integer, default=0)
    points_redeemed: Mapped[int] = mapped_column(Integer, default=0)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # spent points/coupons without an HQ hold
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    # HQ's own price of a sale (sync/server/sales.py): equal / mismatch / unpriced; None for returns, top-ups
    repriced: Mapped[str | None] = mapped_column(String(12))
    hq_net_fen: Mapped[int | None] = mapped_column(BigInteger)
    hq_points_earned: Mapped[int | None] = mapped_column(Integer)


class Coupon(HQBase):
    __tablename__ = "coupons"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    template: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[dt.datetime]
    issued_store: Mapped[str | None] = mapped_column(String(16))
    voided_at: Mapped[dt.datetime | None]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # who forwarded it to its holder (issue 16)
    funded_by: Mapped[str | None] = mapped_column(String(16))  # issue 17: the merchant (or ALLIANCE) paying for it


class CouponUse(HQBase):
    """A single-use coupon has one use; a second (two offline tills) is an exception."""

    __tablename__ = "coupon_uses"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    coupon_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    sale_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amount_fen: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[dt.datetime]
    store_code: Mapped[str] = mapped_column(String(16))


class Program(HQBase):
    """Published versions of the loyalty program document (gift catalog included)."""

    __tablename__ = "programs"
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)  # the active version of its merchant
    merchant_code: Mapped[str] = mapped_column(String(16), default="main", server_default="main")  # issue 17


class Product(HQBase):
    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int] = mapped_column(Integer)
    member_price_fen: Mapped[int | None] = mapped_column(Integer)
    points_class: Mapped[str] = mapped_column(String(8), default="regular")
    no_member_discount: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    barcodes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime]


class SyncException(HQBase):
    """Something HQ accepted but a person must look at: an overdraft from offline
    spending, a coupon used twice, a card claimed by two members, a sale HQ priced
    otherwise (`reprice_mismatch`) or could not price (`not_repriced`) ..."""

    __tablename__ = "exceptions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    store_code: Mapped[str | None] = mapped_column(String(16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open / resolved
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


class HQSetting(HQBase):
    """HQ's own configuration: the chain's phone key (hex), the unmask policy."""

    __tablename__ = "hq_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class AuditEntry(HQBase):
    """Who at which store did what at HQ that must be accounted for (a phone unmasked)."""

    __tablename__ = "audit_log"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    at: Mapped[dt.datetime]
    store_code: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    __table_args__ = (Index("ix_audit_log_member", "member_id", "at"),)


class Hold(HQBase):
    """Points / coupons reserved for one sale while it commits at a till."""

    __tablename__ = "holds"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # = the sale id
    store_code: Mapped[str] = mapped_column(String(16))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    coupon_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="held")  # held / used / released
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ChangeLog(HQBase):
    """One row per change a till must learn, written in the changing transaction.
    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite): the pull
    cursor is (txid, seq), served only below the oldest transaction still in flight."""

    __tablename__ = "change_log"
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    txid: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str | None] = mapped_column(String(16))  # store that made it (its own echo is skipped)
    __table_args__ = (Index("ix_change_log_txid_seq", "txid", "seq"),)
