"""The store ⇄ HQ protocol: versioned messages, validated with pydantic at both ends.

Version 1. Every request and response carries `protocol`; HQ refuses a version
it does not speak with 400 `protocol.unsupported` (a clear message, never a
half-understood batch). Messages forbid unknown fields at the top level so a
typo is an error, while event payloads stay open dicts (each kind is checked
by HQ's handler for that kind, see `EVENT_PAYLOADS`).

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
import uuid
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

PROTOCOL_VERSION = 1
MAX_BATCH = 500  # events per push
MAX_PAGE = 10_000  # changes per pull page

STORE_CODE = r"^[A-Z0-9][A-Z0-9_\-]{0,15}$"


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protocol: Literal[1] = PROTOCOL_VERSION


# --- push ---------------------------------------------------------------------------

EventKind = str  # open: new kinds are stored by HQ even before it has a handler for them


class Event(BaseModel):
    """One outbox event as the till wrote it (immutable)."""

    model_config = ConfigDict(extra="forbid")
    event_id: uuid.UUID
    seq: int = Field(ge=0)  # the till's outbox order
    kind: EventKind = Field(min_length=1, max_length=32)
    created_at: dt.datetime
    test_clock: bool = False
    payload: dict[str, Any]

    @field_validator("created_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("must carry a time zone (UTC)")
        return v

    @property
    def store(self) -> str | None:
        return self.payload.get("store")


class PushRequest(_Msg):
    store: str = Field(pattern=STORE_CODE)
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)


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
    "tombstone",  # an entity that no longer exists (data: {"kind", "id"})
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
    device: str = Field("", max_length=64)


class EnrolResponse(_Msg):
    store_code: str
    store_name: str
    token: str


# --- online spending ----------------------------------------------------------------------

class HoldRequest(_Msg):
    hold_id: uuid.UUID  # the sale id: a retried hold is the same hold
    member_id: uuid.UUID
    points: int = Field(0, ge=0)
    coupon_codes: list[str] = Field([], max_length=20)


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


# --- errors -----------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    """Every refusal from HQ: a stable code and a sentence saying what is wrong."""

    error: str
    message: str
