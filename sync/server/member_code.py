"""HQ's side of the dynamic member code (issue 16 item 3; the code itself is
pos.rules.dynamic_code).

* Every member has a `code_secret` (sync.server.models.Member: made with the row, or here
  for a row that has none — a backfill the migration missed), which travels to the tills in
  the member's pull row; HQ never shows it, never logs it.
* `current(hq, member_id)`: the code the member page shows now and how many seconds it
  lasts (the page refreshes itself then).
* `resolve(hq, code)`: `POST /v1/members/resolve-code` — a till that does not know
  the member yet (joined a minute ago, not pulled yet) asks; HQ verifies the code with its
  clock and answers with the member as a pull would bring it (its row, cards, coupons,
  ledger rows), which the till applies at once (pos.services.member_code). A stale or
  forged code is refused (`code.stale`, `code.invalid`), 422.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from pos.rules import dynamic_code

from . import changes
from . import phones as server_phones
from .common import now_utc, resolve as resolve_member
from .models import Coupon, CouponUse, Member, MemberCard, PointsAllocation, PointsEntry, StoredValueEntry

MAX_LEDGER_ROWS = 5000  # a member's own rows in one answer; the rest comes with the next pull


class CodeRefused(Exception):
    def __init__(self, status: int, error: str, message: str, **detail: Any):
        super().__init__(message)
        self.status, self.error, self.message, self.detail = status, error, message, detail


def secret_of(s, m: Member) -> str:
    """The member's secret, made now when the row has none (recorded for the tills)."""
    if not dynamic_code.valid_secret(m.code_secret):
        m.code_secret = secrets.token_hex(32)
        changes.record(s, "member", m.id)
        changes.flush(s)
    return m.code_secret


def current(hq, member_id: uuid.UUID, now: dt.datetime | None = None) -> dict[str, Any]:
    """{"code", "member_code", "seconds_left"} for the member page (an active member)."""
    now = now or now_utc()
    with hq.transaction() as s:
        m = resolve_member(s, member_id)
        if m is None or m.status != "active":
            raise CodeRefused(404, "member.unknown", "no such active member")
        secret = secret_of(s, m)
        code = m.member_code
    step = dynamic_code.step_at(now.timestamp())
    left = (step + 1) * dynamic_code.STEP_S - now.timestamp()
    return {"code": dynamic_code.make(code, secret, step), "member_code": code,
            "seconds_left": max(1, int(left + 0.999))}


def _member_changes(s, hq, members: list[Member]) -> list[str]:
    """The pull rows of these members and what belongs to them (JSON text, as a pull page has them)."""
    ids = [m.id for m in members]
    wanted: dict[str, list[str]] = defaultdict(list)
    wanted["member"] = [str(i) for i in ids]
    wanted["card"] = [c for c in s.scalars(select(MemberCard.card_no).where(MemberCard.member_id.in_(ids)))]
    coupons = list(s.execute(select(Coupon.id, Coupon.code).where(Coupon.member_id.in_(ids))))
    wanted["coupon"] = [code for _, code in coupons]
    if coupons:
        wanted["coupon_use"] = [str(u) for u in s.scalars(
            select(CouponUse.id).where(CouponUse.coupon_id.in_([cid for cid, _ in coupons])))]
    entries = [str(e) for e in s.scalars(select(PointsEntry.id).where(PointsEntry.member_id.in_(ids))
                                         .order_by(PointsEntry.created_at).limit(MAX_LEDGER_ROWS))]
    wanted["points_entry"] = entries
    if entries:
        wanted["points_allocation"] = [str(a) for a in s.scalars(select(PointsAllocation.id).where(
            PointsAllocation.debit_id.in_([uuid.UUID(e) for e in entries])))]
    wanted["sv_entry"] = [str(e) for e in s.scalars(select(StoredValueEntry.id).where(
        StoredValueEntry.member_id.in_(ids)).order_by(StoredValueEntry.created_at).limit(MAX_LEDGER_ROWS))]
    wanted = {k: v for k, v in wanted.items() if v}
    states = changes._states_json(s, wanted, server_phones.pull_fields(s, hq))
    order = ("member", "card", "coupon", "coupon_use", "points_entry", "points_allocation", "sv_entry")
    return ['{"kind":"%s","id":%s,"data":%s}' % (k, json.dumps(i), states[(k, i)])
            for k in order for i in wanted.get(k, ()) if (k, i) in states]


def resolve(hq, code: str, now: dt.datetime | None = None) -> str:
    """The answer of `POST /v1/members/resolve-code` as JSON text:
    {"protocol", "member_id", "member_code", "changes": [pull rows]}."""
    now = now or now_utc()
    parsed = dynamic_code.parse(code)
    if parsed is None:
        raise CodeRefused(422, "code.invalid", "not a dynamic member code")
    server_phones.chain_key(hq)  # made (once) before the read below, as a pull does
    with hq.transaction() as s:
        m = s.scalar(select(Member).where(Member.member_code == parsed.member_code))
        if m is None or m.status == "erased" or not dynamic_code.valid_secret(m.code_secret):
            raise CodeRefused(422, "code.invalid", "this code was not made by HQ")
        verdict = dynamic_code.verify(code, m.code_secret, dynamic_code.step_at(now.timestamp()))
        if verdict.status == "stale":
            raise CodeRefused(422, "code.stale", "this code expired; the member page shows a new one",
                              age_s=verdict.age_s)
        if not verdict.ok:
            raise CodeRefused(422, "code.invalid", "this code was not made by HQ")
        keep = resolve_member(s, m.id)
        if keep is None or keep.status != "active":
            raise CodeRefused(422, "code.invalid", "this member is not active")
        rows = _member_changes(s, hq, [keep] + ([m] if keep.id != m.id else []))
        from ..protocol import PROTOCOL_VERSION

        return '{"protocol":%d,"member_id":%s,"member_code":%s,"changes":[%s]}' % (
            PROTOCOL_VERSION, json.dumps(str(keep.id)), json.dumps(keep.member_code), ",".join(rows))
