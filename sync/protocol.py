"""The store ⇄ HQ protocol: versioned messages, validated with pydantic at both ends.

Version 1. Every request and response carries `protocol`; HQ refuses a version
it does not speak with 400 `protocol.unsupported` (a clear message, never a
half-understood batch). Messages forbid unknown fields at the top level so a
typo is an error. Event payloads are open (a till may send more than HQ
reads), but every field HQ reads is checked by the payload model of its kind
(`EVENT_PAYLOADS`) before anything is applied: strict types (no bool for an
int, no "2" for 2), numbers within the HQ column they land in, texts within
the column's length (`pos.rules.limits.TEXT_MAX`), no NUL anywhere (PostgreSQL
cannot store it), no NaN / Infinity. `check_event` says why an event is bad.

Up   (push):  a batch of outbox events, each immutable with its own UUID; HQ
              answers one result per event: accepted / duplicate / rejected +
              reason. A re-sent event is a duplicate, never applied twice.
Down (pull):  changes after an opaque cursor, in pages; the till applies a
              page and stores the page's cursor in ONE local transaction.
Enrol:        a one-time code from `hq store add` -> the store's token.
Hold:         online spending: HQ reserves points / single-use coupons for one
              sale (hold id = sale id, so a retried hold is the same hold).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from pos.rules.limits import INT32_MAX, INT32_MIN, INT64_MAX, TEXT_MAX, shown_int

PROTOCOL_VERSION = 1
MAX_BATCH = 500  # events per push
MAX_PAGE = 10_000  # changes per pull page

STORE_CODE = r"^[A-Z0-9][A-Z0-9_\-]{0,15}$"


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protocol: Literal[1] = PROTOCOL_VERSION


# --- field types (strict: what a till sends is exactly what HQ stores) ------------------

def _int(lo: int, hi: int, *, nonzero: bool = False):
    def check(v: Any) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError("must be an integer")
        if not lo <= v <= hi:
            raise ValueError(f"out of range {lo}..{hi}: {shown_int(v)}")
        if nonzero and v == 0:
            raise ValueError("cannot be 0")
        return v
    return BeforeValidator(check)


def _text(max_len: int, *, empty: bool = False):
    def check(v: Any) -> str:
        if not isinstance(v, str):
            raise ValueError("must be text")
        if "\x00" in v:
            raise ValueError("contains a NUL character")
        if not v and not empty:
            raise ValueError("cannot be empty")
        if len(v) > max_len:
            raise ValueError(f"longer than {max_len} characters ({len(v)})")
        return v
    return BeforeValidator(check)


def _uuid_in(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return v
    if not isinstance(v, str):
        raise ValueError("must be a UUID string")
    try:
        return uuid.UUID(v)
    except ValueError:
        raise ValueError("not a UUID") from None


def time_in(v: Any) -> dt.datetime:
    if isinstance(v, str) and len(v) <= 40:
        try:
            v = dt.datetime.fromisoformat(v)
        except ValueError:
            raise ValueError("not an ISO time") from None
    if not isinstance(v, dt.datetime):
        raise ValueError("must be an ISO time with a zone")
    if v.tzinfo is None:
        raise ValueError("must carry a time zone (UTC)")
    try:
        v.astimezone(dt.timezone.utc)
    except OverflowError:
        raise ValueError("time out of range") from None
    return v


def _date_in(v: Any) -> dt.date:
    if isinstance(v, str) and len(v) <= 10:
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            pass
    raise ValueError("must be an ISO date YYYY-MM-DD")


def _bool_in(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("must be true or false")
    return v


Id = Annotated[uuid.UUID, BeforeValidator(_uuid_in)]
Time = Annotated[dt.datetime, BeforeValidator(time_in)]
Day = Annotated[dt.date, BeforeValidator(_date_in)]
Bool = Annotated[bool, BeforeValidator(_bool_in)]
Int32 = Annotated[int, _int(INT32_MIN, INT32_MAX)]  # PostgreSQL INTEGER columns
Int64 = Annotated[int, _int(-INT64_MAX - 1, INT64_MAX)]  # BIGINT
Fen = Annotated[int, _int(INT32_MIN, INT32_MAX)]


def Text(field_or_len: str | int, *, empty: bool = False):
    n = TEXT_MAX[field_or_len] if isinstance(field_or_len, str) else field_or_len
    return Annotated[str, _text(n, empty=empty)]


# --- push ---------------------------------------------------------------------------

EventKind = str
KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class Event(BaseModel):
    """One outbox event as the till wrote it (immutable)."""

    model_config = ConfigDict(extra="forbid")
    event_id: uuid.UUID
    seq: Annotated[int, _int(0, INT64_MAX)]  # the till's outbox order
    kind: EventKind = Field(min_length=1, max_length=32, pattern=KIND_PATTERN)
    created_at: Time
    test_clock: Bool = False
    payload: dict[str, Any]

    @property
    def store(self) -> str | None:
        return self.payload.get("store")


class PushRequest(_Msg):
    store: str = Field(pattern=STORE_CODE)
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)


class PushEnvelope(_Msg):
    """What HQ reads of a push before looking at the events one by one: a bad
    event is answered `rejected` on its own (`check_envelope`), never the batch."""

    store: str = Field(pattern=STORE_CODE)
    events: list[Any] = Field(min_length=1, max_length=MAX_BATCH)


EventStatus = Literal["accepted", "duplicate", "rejected"]


class EventResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: uuid.UUID
    status: EventStatus
    reason: str | None = None  # why it was rejected; notes (e.g. an exception raised for review)
    exceptions: list[str] = []  # kinds of exception rows HQ opened for review (overdraft, coupon_reuse ...)


class PushResponse(_Msg):
    results: list[EventResult]
    hq_time: dt.datetime


# --- event payloads, one model per kind -------------------------------------------------
# Only what HQ reads is declared; a till may send more (extra="allow").

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Payload(_Open):
    store: Text("store_code")


class MemberFields(BaseModel):
    """The profile fields a `member.updated` may set (any other is refused)."""

    model_config = ConfigDict(extra="forbid")
    name: Text("name", empty=True) | None = None
    gender: Text("gender", empty=True) | None = None
    birthday: Day | None = None
    region: Text("region", empty=True) | None = None
    address: Text("address", empty=True) | None = None
    occupation: Text("occupation", empty=True) | None = None
    income_band: Text("income_band", empty=True) | None = None
    preferences: dict[str, Any] | None = None
    channel: Text("channel", empty=True) | None = None
    marketing_consent: Bool | None = None


PHONE = re.compile(r"^\+[0-9]{4,19}$")


def _phone_in(v: Any) -> Any:
    if v in (None, ""):
        return None
    if not (isinstance(v, str) and PHONE.match(v)):
        raise ValueError("phone must be E.164 (+ and up to 19 digits)")
    return v


class MemberRegistered(_Payload):
    id: Id
    member_code: Text("member_code")
    phone: Annotated[str | None, BeforeValidator(_phone_in)] = None
    name: Text("name", empty=True) | None = None
    gender: Text("gender", empty=True) | None = None
    birthday: Annotated[dt.date | None, BeforeValidator(lambda v: None if v in (None, "") else _date_in(v))] = None
    region: Text("region", empty=True) | None = None
    address: Text("address", empty=True) | None = None
    occupation: Text("occupation", empty=True) | None = None
    income_band: Text("income_band", empty=True) | None = None
    preferences: dict[str, Any] | None = None
    channel: Text("channel", empty=True) | None = None
    marketing_consent: Bool | None = None
    tier: Text("tier_code", empty=True) | None = None
    joined_at: Time
    joined_store: Text("store_code", empty=True) | None = None
    referrer_id: Id | None = None
    cards: list[Text("card_no")] | None = Field(None, max_length=20)
    tags: list[Text("tag")] | None = Field(None, max_length=200)


class MemberUpdated(_Payload):
    id: Id
    fields: MemberFields | None = None
    at: Time | None = None


class MemberMerged(_Payload):
    survivor_id: Id
    merged_id: Id
    actor: Text(64, empty=True) | None = None
    at: Time | None = None


class MemberErased(_Payload):
    member_id: Id
    at: Time | None = None


class MemberTag(_Payload):
    member_id: Id
    tag: Text("tag")
    on: Bool | None = None
    source: Text(16, empty=True) | None = None


class MemberNote(_Payload):
    id: Id
    member_id: Id
    kind: Text(12, empty=True) | None = None
    text: Text("note", empty=True)
    actor: Text("actor", empty=True) | None = None


class MemberTier(_Payload):
    member_id: Id
    to: Text("tier_code")
    at: Time | None = None
    expires: Annotated[dt.date | None, BeforeValidator(lambda v: None if v is None else _date_in(v))] = None
    spend_fen: Int64 | None = None


class CardIssued(_Payload):
    member_id: Id
    card_no: Text("card_no")
    kind: Text(12, empty=True) | None = None


class CouponIssued(_Payload):
    id: Id
    code: Text("coupon_code")
    template: Text("coupon_template")
    member_id: Id | None = None
    valid_from: Time
    valid_to: Time
    source: Text(16, empty=True) | None = None


class ProductData(_Open):
    sku: Text("sku")
    id: Id | None = None
    name: Text("product_name")
    category: Text("category", empty=True)
    price_fen: Annotated[int, _int(0, INT32_MAX)]
    member_price_fen: Annotated[int, _int(0, INT32_MAX)] | None = None
    points_class: Text("points_class", empty=True) | None = None
    no_member_discount: Bool | None = None
    barcodes: list[Text("barcode")] | None = Field(None, max_length=100)


class ProductUpserted(_Payload):
    product: ProductData


class _SaleMember(_Open):
    id: Id | None = None


class _Totals(_Open):
    net_fen: Int64 | None = None
    spend_fen: Int64 | None = None


class _Points(_Open):
    earned: Int32 | None = None
    redeemed: Int32 | None = None


class _Discount(_Open):
    kind: Any = None
    code: Any = None
    amount_fen: Fen | None = None


class _Line(_Open):
    discounts: list[_Discount] | None = None


class SaleData(_Open):
    sale_id: Id
    receipt_no: Text("receipt_no")
    kind: Text(8, empty=True) | None = None
    member: _SaleMember | None = None
    totals: _Totals | None = None
    points: _Points | None = None
    coupons: list[Text("coupon_code")] | None = Field(None, max_length=50)
    lines: list[_Line] | None = Field(None, max_length=5000)
    # what HQ prices the sale again with (pos.services.sale_event); read by HQ itself, not here: a sale
    # whose pricing inputs are missing or unreadable is kept and flagged `not_repriced`, never refused
    program_version: Any = None
    pricing: Any = None


class SaleEvent(_Payload):
    sale: SaleData


class _PointsRow(_Open):
    id: Id
    member_id: Id
    kind: Text(16)
    points: Annotated[int, _int(INT32_MIN, INT32_MAX, nonzero=True)]
    available_at: Time
    expires_at: Time | None = None
    reverses_id: Id | None = None
    source_lot_id: Id | None = None
    sale_id: Id | None = None
    store_code: Text("store_code", empty=True) | None = None
    program_version: Text("program_version", empty=True) | None = None
    reason: Text(200, empty=True) | None = None
    created_at: Time
    test_clock: Bool | None = None


class _AllocationRow(_Open):
    id: Id
    debit_id: Id
    lot_id: Id
    points: Annotated[int, _int(1, INT32_MAX)]


class _SvRow(_Open):
    id: Id
    member_id: Id
    kind: Text(16)
    amount_fen: Annotated[int, _int(INT32_MIN, INT32_MAX, nonzero=True)]
    reverses_id: Id | None = None
    sale_id: Id | None = None
    store_code: Text("store_code", empty=True) | None = None
    reason: Text(200, empty=True) | None = None
    created_at: Time
    test_clock: Bool | None = None


class _CoinRow(_Open):
    id: Id
    member_id: Id
    kind: Text(16)
    coins: Annotated[int, _int(INT32_MIN, INT32_MAX, nonzero=True)]
    value_fen: Annotated[int, _int(INT32_MIN, INT32_MAX)]
    merchant_code: Text(16, empty=True) | None = None
    store_code: Text("store_code", empty=True) | None = None
    sale_id: Id | None = None
    reverses_id: Id | None = None
    expires_at: Time | None = None
    alliance_version: Text(40, empty=True) | None = None
    reason: Text(200, empty=True) | None = None
    created_at: Time
    test_clock: Bool | None = None


class _CoinAllocationRow(_Open):
    id: Id
    debit_id: Id
    lot_id: Id
    coins: Annotated[int, _int(INT32_MIN, INT32_MAX, nonzero=True)]


class LedgerEntries(_Payload):
    points: list[_PointsRow] | None = Field(None, max_length=20_000)
    allocations: list[_AllocationRow] | None = Field(None, max_length=20_000)
    sv: list[_SvRow] | None = Field(None, max_length=20_000)
    coins: list[_CoinRow] | None = Field(None, max_length=20_000)  # issue 17: shopping coins (pos.store.coin_models)
    coin_allocations: list[_CoinAllocationRow] | None = Field(None, max_length=20_000)


class LotteryCommitted(_Payload):
    """A draw's seed hash, sent before the draw (pos.services.lottery): HQ keeps the event as its record."""
    id: Id
    kind: Text(12)
    member_id: Id | None = None
    campaign: Text(32, empty=True) | None = None
    seed_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    entries_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    committed_at: Time


class LotteryDrawn(_Payload):
    """The draw's seed and outcome (after it), which recompute it (`lottery verify` at the till)."""
    id: Id
    kind: Text(12)
    seed: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    outcome: dict[str, Any]
    drawn_at: Time


class PointsSpent(_Payload):
    """Points spent outside a sale under HQ's hold (pos.services.points_uses): HQ marks the hold used."""
    hold_id: Id | None = None
    member_id: Id
    points: Annotated[int, _int(1, INT32_MAX)]
    use: Text(16, empty=True) | None = None
    entry_id: Id | None = None


class _ImportedSale(_Open):
    """One sale (or return) of a store's imported history (pos.services.history_import):
    amounts as recorded, lines as [code, qty, net_fen, points]."""
    id: Id
    receipt_no: Text("receipt_no")
    kind: Literal["sale", "return"]
    sold_at: Time
    member_id: Id | None = None
    net_fen: Annotated[int, _int(INT32_MIN, INT32_MAX)]
    points: Annotated[int, _int(INT32_MIN, INT32_MAX)] = 0
    units: Annotated[int, _int(INT32_MIN, INT32_MAX)] = 0
    returns: Id | None = None  # the sale a return takes back
    origin: Text("store_code", empty=True) | None = None  # the old system's store column
    lines: list[list[Any]] = Field(default_factory=list, max_length=5000)


class HistoryImported(_Payload):
    """A store's imported history in bulk: many sales per event (HQ keeps them as recorded)."""
    sales: list[_ImportedSale] = Field(min_length=1, max_length=5000)


EVENT_PAYLOADS: dict[str, type[BaseModel]] = {
    "member.registered": MemberRegistered,
    "member.updated": MemberUpdated,
    "member.merged": MemberMerged,
    "member.erased": MemberErased,
    "member.tag": MemberTag,
    "member.note": MemberNote,
    "member.tier": MemberTier,
    "card.issued": CardIssued,
    "coupon.issued": CouponIssued,
    "product.upserted": ProductUpserted,
    "sale.committed": SaleEvent,
    "sale.returned": SaleEvent,
    "sale.topup": SaleEvent,
    "ledger.entries": LedgerEntries,
    "lottery.committed": LotteryCommitted,
    "lottery.drawn": LotteryDrawn,
    "points.spent": PointsSpent,
    "history.imported": HistoryImported,
}
MAX_DEPTH = 32


def unsafe(value: Any, depth: int = 0) -> str | None:
    """Why a JSON value cannot be stored and served back as it is (None: it can)."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        return "contains a NUL character" if "\x00" in value else None
    if isinstance(value, float):
        return None if math.isfinite(value) else "a number that is not finite (NaN / Infinity)"
    if isinstance(value, dict):
        for k, v in value.items():
            why = unsafe(k, depth + 1) or unsafe(v, depth + 1)
            if why:
                return why
    elif isinstance(value, list):
        for v in value:
            why = unsafe(v, depth + 1)
            if why:
                return why
    return None


def safe_copy(value: Any, depth: int = 0) -> Any:
    """The same value with what `unsafe` refuses replaced: kept as evidence, not applied."""
    if depth > MAX_DEPTH:
        return "…"
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {safe_copy(str(k), depth + 1): safe_copy(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [safe_copy(v, depth + 1) for v in value]
    return value


def error_text(exc: ValidationError, prefix: str = "") -> str:
    """A pydantic error as one line: where, and what is wrong (never the value)."""
    err = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
    if err["type"] == "missing":
        return f"missing field {str(err['loc'][-1])!r}" + (f" in {where.rsplit('.', 1)[0]}" if "." in where else "")
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown field"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{where}: {msg}" if where else msg


def check_payload(kind: str, payload: dict[str, Any]) -> str | None:
    """Why this payload cannot be applied (None: it can)."""
    why = unsafe(payload)
    if why:
        return f"bad payload: {why}"
    model = EVENT_PAYLOADS.get(kind)
    if model is None:
        return None
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        return f"bad payload: {error_text(exc)}"
    return None


# --- pull ---------------------------------------------------------------------------

ChangeKind = Literal[
    "member",  # the master record (tags included; merged members carry merged_into)
    "card",  # keyed by card number
    "note",
    "points_entry",
    "points_allocation",
    "sv_entry",
    "coupon",
    "coupon_use",
    "program",  # a version of the loyalty program document (gift catalog included)
    "product",  # catalog, keyed by sku, barcodes included
    "online_order",  # an online shop's order in a member's history (issue 18; sync/server/orders.py)
    "parcel",  # a parcel for pickup at the store it names (only that store receives it)
    "sale",  # a store's own sale (its document as committed), only on its own re-sync after a restore
    "member_import",  # a member imported at HQ: the old system's key and the tier spend carried over (issue 15)
    "tombstone",  # an entity that no longer exists (data: {"kind", "id"})
    "alliance_program",  # the alliance's shared rules (issue 17; pos.rules.program.AllianceProgramDoc)
    "coin_entry",  # the shared shopping-coin ledger (issue 17; pos.store.coin_models)
    "coin_allocation",
]


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ChangeKind
    id: str
    data: dict[str, Any]


class PullResponse(_Msg):
    changes: list[Change]
    cursor: str  # opaque: give it back as is
    more: bool  # another page is waiting
    hq_time: dt.datetime


CHANGE_KINDS = frozenset(get_args(ChangeKind))


class PullEnvelope(_Msg):
    """A pull page's envelope. The changes of a big page are checked one by one with
    `check_change` (kind known, id a string, data an object) instead of building a
    model per change: a first pull moves a million members."""

    changes: list[Any]
    cursor: str
    more: bool
    hq_time: dt.datetime


def check_change(c: Any) -> dict[str, Any]:
    if not (isinstance(c, dict) and c.get("kind") in CHANGE_KINDS and isinstance(c.get("id"), str)
            and isinstance(c.get("data"), dict)):
        raise ValueError(f"not a change: {str(c)[:80]}")
    return c


# --- enrolment -------------------------------------------------------------------------

class EnrolRequest(_Msg):
    code: str = Field(min_length=6, max_length=64)
    device: Text(64, empty=True) = ""


class EnrolResponse(_Msg):
    store_code: str
    store_name: str
    token: str


# --- online spending ----------------------------------------------------------------------

class HoldRequest(_Msg):
    hold_id: uuid.UUID  # the sale id: a retried hold is the same hold
    member_id: uuid.UUID
    points: int = Field(0, ge=0, le=INT32_MAX)
    coupon_codes: list[Text(64)] = Field([], max_length=20)  # as a till takes a code (pos.services.checkout.add_coupon)


class HoldResponse(_Msg):
    hold_id: uuid.UUID
    status: Literal["held", "refused"]
    reason: str | None = None  # not_enough_points / coupon_used / coupon_held / member_merged ...
    member_id: uuid.UUID  # the member HQ held for (the survivor if the till's member was merged)
    available_points: int
    unconfirmed_coupons: list[str] = []  # unknown at HQ (issued offline here): provisional
    expires_at: dt.datetime | None = None


class ReleaseRequest(_Msg):
    hold_id: uuid.UUID


# --- phone privacy (issue 12 item 7) ------------------------------------------------------

class PhonePolicy(_Msg):
    """GET /v1/phones: the chain's phone key (hex) for an enrolled till, and whether the
    chain lets tills keep full numbers to unmask offline."""

    key: str = Field(pattern=r"^[0-9a-f]{64}$")
    offline_unmask: bool = False


class UnmaskRequest(_Msg):
    member_id: uuid.UUID
    actor: str = Field(min_length=1, max_length=64)  # the manager who approved it at the till


class UnmaskResponse(_Msg):
    member_id: uuid.UUID
    phone: str  # E.164
    phone_masked: str


# --- the dynamic member code (issue 16 item 3) ---------------------------------------------

class ResolveCodeRequest(_Msg):
    """POST /v1/members/resolve-code: a dynamic member code this till does not know."""

    code: str = Field(min_length=8, max_length=64)


class ResolveCodeResponse(_Msg):
    """The member as a pull brings it (`changes`: pull rows, applied at once, no cursor moved)."""

    member_id: uuid.UUID
    member_code: str
    changes: list[Any]


# --- errors -----------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    """Every refusal from HQ: a stable code and a sentence saying what is wrong."""

    error: str
    message: str
