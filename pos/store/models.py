"""The local store's tables (SQLAlchemy 2). Changes go through Alembic
(`pos/store/migrations`), never `create_all`, so a store upgraded from any release
keeps its data.

Rules held here: money is integer fen, points are integers; ids are v7 UUIDs
made by the till; times are aware UTC; ledgers (points, stored value) are
append-only — a balance is the sum of entries, `member_balances` only caches it.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from pos.ids import uuid7

UTC = dt.timezone.utc


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC, returned aware. Refuses naive input: a naive
    datetime is a bug (whose local time?)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, uuid.UUID: Uuid, dict[str, Any]: JSON, list[Any]: JSON}


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid7)


class Setting(Base):
    """Store identity and local configuration (store code, register, zone,
    barcode rules, device settings)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Member(Base):
    __tablename__ = "members"
    id: Mapped[uuid.UUID] = _id()
    member_code: Mapped[str] = mapped_column(String(24), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    phone_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    # an enrolled till keeps no full phone: HMAC-SHA256 of the E.164 with the chain's key (pos.rules.phones)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_masked: Mapped[str | None] = mapped_column(String(20))  # 138****8000
    name: Mapped[str | None] = mapped_column(String(64))
    gender: Mapped[str | None] = mapped_column(String(1))  # M / F
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    region: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(64))
    income_band: Mapped[str | None] = mapped_column(String(32))
    preferences: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # colours, styles, categories
    channel: Mapped[str] = mapped_column(String(16), default="store")
    marketing_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_at: Mapped[dt.datetime | None]
    tier_code: Mapped[str] = mapped_column(String(16), default="member")
    tier_since: Mapped[dt.datetime | None]
    tier_expires: Mapped[dt.date | None] = mapped_column(Date)
    joined_at: Mapped[dt.datetime]
    joined_store: Mapped[str | None] = mapped_column(String(16))
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(12), default="active")  # active / merged / erased
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    code_secret: Mapped[str | None] = mapped_column(String(64))  # HQ's key of the dynamic member code; never shown
    # issue 17: the alliance merchant the member joined at (HQ says; None = this chain alone)
    home_merchant: Mapped[str | None] = mapped_column(String(16))

    cards: Mapped[list[MemberCard]] = relationship(back_populates="member", foreign_keys="MemberCard.member_id")
    tags: Mapped[list[MemberTag]] = relationship(back_populates="member", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("status in ('active','merged','erased')", name="status"),
        Index("ix_members_status_tier", "status", "tier_code", "joined_at"),  # reports: base, tier distribution
        Index("ix_members_joined", "joined_at", "status"),  # reports: new members
        Index("ix_members_phone_hash", "phone_hash", unique=True),  # identify by phone on an enrolled till
        # the records merged into a member (their orders, parcels, history): the member panel asks on every
        # identification; partial, so the million members never merged cost nothing (0020)
        Index("ix_members_merged_into", "merged_into", sqlite_where=sql_text("merged_into IS NOT NULL")),
    )


class MemberImport(Base):
    """A member brought in from another system (pos.services.member_import): the old
    system's key, so a re-import updates instead of doubling, and the tier spend
    carried over (it counts toward the next tier until the tier next changes)."""

    __tablename__ = "member_imports"
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    qualifying_spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    spend_as_of: Mapped[dt.datetime]
    imported_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class MemberCard(Base):
    __tablename__ = "member_cards"
    id: Mapped[uuid.UUID] = _id()
    card_no: Mapped[str] = mapped_column(String(32), unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="magstripe")  # magstripe / barcode / virtual
    status: Mapped[str] = mapped_column(String(12), default="active")  # active / lost / replaced
    issued_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    member: Mapped[Member] = relationship(back_populates="cards", foreign_keys=[member_id])


class MemberTag(Base):
    __tablename__ = "member_tags"
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), default="manual")  # manual / derived
    created_at: Mapped[dt.datetime]
    member: Mapped[Member] = relationship(back_populates="tags")
    __table_args__ = (Index("ix_member_tags_tag", "tag"),)


class MemberNote(Base):
    """Service notes, complaints and suggestions (SPEC §11): shown at the till, never hidden."""

    __tablename__ = "member_notes"
    id: Mapped[uuid.UUID] = _id()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="note")  # note / complaint / suggestion
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)


class MemberMerge(Base):
    __tablename__ = "member_merges"
    id: Mapped[uuid.UUID] = _id()
    survivor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    merged_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), unique=True)
    actor: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime]
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Who did what: merges, unmasking a phone, manager overrides."""

    __tablename__ = "audit_log"
    id: Mapped[uuid.UUID] = _id()
    at: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)


class Product(Base):
    __tablename__ = "products"
    id: Mapped[uuid.UUID] = _id()
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(64), index=True)
    price_fen: Mapped[int] = mapped_column(Integer)
    member_price_fen: Mapped[int | None] = mapped_column(Integer)
    points_class: Mapped[str] = mapped_column(String(8), default="regular")  # regular / special / none
    no_member_discount: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    barcodes: Mapped[list[ProductBarcode]] = relationship(back_populates="product", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price"),
        CheckConstraint("member_price_fen is null or member_price_fen >= 0", name="member_price"),
        CheckConstraint("points_class in ('regular','special','none')", name="points_class"),
    )


class ProductBarcode(Base):
    __tablename__ = "product_barcodes"
    barcode: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("products.id"), index=True)
    product: Mapped[Product] = relationship(back_populates="barcodes")


class PointsEntry(Base):
    """One line of the points ledger. Credits (points > 0) are lots with their
    own expiry; debits consume lots through `points_allocations`. Never updated."""

    __tablename__ = "points_entries"
    id: Mapped[uuid.UUID] = _id()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    available_at: Mapped[dt.datetime]  # pending until then (return window)
    expires_at: Mapped[dt.datetime | None]  # lots only; None = rolling / never
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("points_entries.id"), index=True)
    source_lot_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # merge/transfer: the lot it continues
    sale_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    store_code: Mapped[str | None] = mapped_column(String(16))
    program_version: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    # issue 17: the alliance merchant whose points these are (HQ stamps it; None = `main`, a chain alone)
    merchant_code: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (
        CheckConstraint("points <> 0", name="nonzero"),
        Index("ix_points_entries_created", "created_at", "kind", "store_code", "points"),  # reports (covering)
    )


class PointsAllocation(Base):
    """Which lot paid for which debit: the lot's remaining points are its
    amount minus its allocations, so nothing is updated in place."""

    __tablename__ = "points_allocations"
    id: Mapped[uuid.UUID] = _id()
    debit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("points_entries.id"), index=True)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("points_entries.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    merchant_code: Mapped[str | None] = mapped_column(String(16))  # the debit's merchant (issue 17)
    __table_args__ = (CheckConstraint("points > 0", name="positive"),)


class StoredValueEntry(Base):
    __tablename__ = "stored_value_entries"
    id: Mapped[uuid.UUID] = _id()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # topup / bonus / pay / refund / reverse / merge_in / merge_out
    amount_fen: Mapped[int] = mapped_column(Integer)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stored_value_entries.id"))
    sale_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    store_code: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    merchant_code: Mapped[str | None] = mapped_column(String(16))  # whose stored value (issue 17; None = `main`)
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="nonzero"),
        Index("ix_stored_value_entries_created", "created_at", "kind", "store_code", "amount_fen"),  # reports (covering)
    )


class MemberBalance(Base):
    """Cache of the ledgers' sums; `ledger verify` rebuilds and compares it."""

    __tablename__ = "member_balances"
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, default=0)
    stored_value_fen: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime]


class Program(Base):
    """A version of the loyalty program document (from a preset, a file or HQ)."""

    __tablename__ = "programs"
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))  # preset / file / hq
    installed_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxEvent(Base):
    """Immutable events for HQ, written in the same transaction as the change
    they describe. `sent_at` is set in the transaction that records HQ's ack."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid7)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending / sent / rejected
    sent_at: Mapped[dt.datetime | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)


# --- revision 0002: sales, coupons, tiers -----------------------------------------


class Sale(Base):
    """A committed sale, return or top-up. Written once, in one transaction with
    its lines, payments, ledger entries, coupon uses and outbox event."""

    __tablename__ = "sales"
    id: Mapped[uuid.UUID] = _id()
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default="sale")  # sale / return / topup
    store_code: Mapped[str] = mapped_column(String(16))
    register_no: Mapped[str] = mapped_column(String(8))
    business_date: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    cashier: Mapped[str | None] = mapped_column(String(32))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    tier_before: Mapped[str | None] = mapped_column(String(16))
    tier_after: Mapped[str | None] = mapped_column(String(16))
    program_version: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8), default="store")  # store / shipped
    original_sale_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sales.id"), index=True)
    gross_fen: Mapped[int] = mapped_column(Integer, default=0)
    discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    net_fen: Mapped[int] = mapped_column(Integer, default=0)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)
    change_fen: Mapped[int] = mapped_column(Integer, default=0)
    spend_fen: Mapped[int] = mapped_column(Integer, default=0)  # qualifying (tier) spend; negative on returns
    points_earned: Mapped[int] = mapped_column(Integer, default=0)
    points_redeemed: Mapped[int] = mapped_column(Integer, default=0)
    points_value_fen: Mapped[int] = mapped_column(Integer, default=0)
    member_saved_fen: Mapped[int] = mapped_column(Integer, default=0)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # spent points/coupons offline
    # items on the ticket (gift lines excluded; negative on returns): revision 0006, for items per basket
    units: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # promotions, coupons, refusals as priced
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    # brought from another system (`history import`, revision 0010): amounts as recorded, never re-priced
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    lines: Mapped[list[SaleLine]] = relationship(back_populates="sale", order_by="SaleLine.line_no")
    payments: Mapped[list[Payment]] = relationship(back_populates="sale")
    __table_args__ = (
        Index("ix_sales_member_created", "member_id", "created_at"),
        # reports (covering): a period's tickets grouped by day, cashier and UTC hour in index order; members' history
        Index("ix_sales_day_hour", "business_date", "cashier", sql_text("substr(created_at, 12, 2)"), "kind", "member_id",
              "net_fen", "units", "original_sale_id", "created_at", "id"),
        Index("ix_sales_member_history", "member_id", "created_at", "kind", "net_fen", "business_date"),
        Index("ix_sales_returns", "original_sale_id", "kind", "created_at", "units"),  # revision 0006
    )


class SaleLine(Base):
    __tablename__ = "sale_lines"
    id: Mapped[uuid.UUID] = _id()
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("products.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(64))
    points_class: Mapped[str] = mapped_column(String(8))
    qty: Mapped[int] = mapped_column(Integer)  # negative on return lines
    unit_fen: Mapped[int] = mapped_column(Integer)
    gross_fen: Mapped[int] = mapped_column(Integer)
    net_fen: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_value_fen: Mapped[int] = mapped_column(Integer, default=0)  # part of gross paid with points
    reward: Mapped[str | None] = mapped_column(String(48))
    discounts: Mapped[list[Any] | None] = mapped_column(JSON)
    returns_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sale_lines.id"), index=True)
    sale: Mapped[Sale] = relationship(back_populates="lines")
    __table_args__ = (Index("ix_sale_lines_sale_qty", "sale_id", "qty", "reward"),)  # reports: units per basket (covering)


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[uuid.UUID] = _id()
    sale_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sales.id"), index=True)
    tender: Mapped[str] = mapped_column(String(16))  # cash / bank_card / wechat / alipay / stored_value / gift_card
    amount_fen: Mapped[int] = mapped_column(Integer)  # negative on refunds
    reference: Mapped[str | None] = mapped_column(String(64))
    # what the customer handed over for this tender (revision 0007); change is on the sale
    tendered_fen: Mapped[int | None] = mapped_column(Integer)
    sale: Mapped[Sale] = relationship(back_populates="payments")


class ReceiptCounter(Base):
    """Receipt sequence per register and business day, advanced in the sale's transaction."""

    __tablename__ = "receipt_counters"
    store_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    register_no: Mapped[str] = mapped_column(String(8), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Coupon(Base):
    """One coupon instance: used once, chain-wide (the use is a row of its own)."""

    __tablename__ = "coupons"
    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    template: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), index=True)
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime]
    source: Mapped[str] = mapped_column(String(16))  # signup / birthday / win_back / points / campaign / referral / manual
    issued_at: Mapped[dt.datetime]
    issued_store: Mapped[str | None] = mapped_column(String(16))
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))  # forwarded coupons
    voided_at: Mapped[dt.datetime | None]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_coupons_issued_at", "issued_at"),)  # reports


class CouponUse(Base):
    __tablename__ = "coupon_uses"
    id: Mapped[uuid.UUID] = _id()
    coupon_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coupons.id"), unique=True)
    sale_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)  # may be another store's sale (HQ sync; 0004)
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[dt.datetime]
    store_code: Mapped[str] = mapped_column(String(16))
    __table_args__ = (Index("ix_coupon_uses_used_at", "used_at"),)  # reports


class TierChange(Base):
    __tablename__ = "tier_changes"
    id: Mapped[uuid.UUID] = _id()
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    from_tier: Mapped[str] = mapped_column(String(16))
    to_tier: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))  # upgrade_spend / review_keep / review_down / review_up / card / topup / window
    spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    sale_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sales.id"))
    at: Mapped[dt.datetime]
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_tier_changes_at", "at"),)  # reports: tier moves, tiers at a period's end


class Basket(Base):
    """The basket in progress and suspended ones, saved on every change so a
    crash or power cut resumes them."""

    __tablename__ = "baskets"
    id: Mapped[uuid.UUID] = _id()
    status: Mapped[str] = mapped_column(String(12), index=True)  # current / suspended
    register_no: Mapped[str] = mapped_column(String(8))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


# --- revision 0003: staff, shifts, suggestions ----------------------------------------


class Staff(Base):
    """Cashiers and managers: code + PIN (scrypt hash, never the PIN)."""

    __tablename__ = "staff"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))  # cashier / manager
    pin_hash: Mapped[str] = mapped_column(String(200))
    line_discount_pct: Mapped[int] = mapped_column(Integer, default=10)  # above this a manager must approve
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Shift(Base):
    __tablename__ = "shifts"
    id: Mapped[uuid.UUID] = _id()
    cashier: Mapped[str] = mapped_column(ForeignKey("staff.code"), index=True)
    register_no: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    opening_float_fen: Mapped[int] = mapped_column(Integer, default=0)
    counted_fen: Mapped[int | None] = mapped_column(Integer)
    expected_fen: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)


class ProductPair(Base):
    """Frequently bought together, from the store's baskets (support, lift);
    rebuilt by a job so the member panel only reads."""

    __tablename__ = "product_pairs"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    other: Mapped[str] = mapped_column(String(40), primary_key=True)
    support: Mapped[int] = mapped_column(Integer)  # baskets with both
    lift_milli: Mapped[int] = mapped_column(Integer)  # lift × 1000


class ProductCycle(Base):
    """Typical repurchase cycle of a product across members (days), for replenishment."""

    __tablename__ = "product_cycles"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    cycle_days: Mapped[int] = mapped_column(Integer)
    members: Mapped[int] = mapped_column(Integer)


# --- revision 0012: lottery draws (pos.services.lottery) -----------------------------------


class LotteryDraw(Base):
    """One draw of the points lottery (`kind` points: a member spends the cost) or of a
    campaign's winners (`kind` campaign). Commit-reveal: the row is written with the
    SHA-256 of a fresh random seed (`seed_hash`, status committed) before anything is
    drawn; the draw then records the seed and the outcome (status drawn), which anyone
    recomputes from `seed` and `entries` (`lottery verify`). `entries` is what was drawn
    from: the prize table, or the campaign's candidate members and the award."""

    __tablename__ = "lottery_draws"
    id: Mapped[uuid.UUID] = _id()
    kind: Mapped[str] = mapped_column(String(12))  # points / campaign
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"), index=True)
    campaign: Mapped[str | None] = mapped_column(String(32), index=True)
    program_version: Mapped[str | None] = mapped_column(String(40))
    cost_points: Mapped[int] = mapped_column(Integer, default=0)
    seed_hash: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(64))  # revealed with the outcome
    entries: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # committed / drawn / void
    committed_at: Mapped[dt.datetime]
    drawn_at: Mapped[dt.datetime | None]
    store_code: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(32))
    test_clock: Mapped[bool] = mapped_column(Boolean, default=False)
