"""HQ's side of phone privacy (issue 12 item 7).

HQ holds the member master with full numbers. Tills get, per member, the keyed
hash (HMAC-SHA256 of the E.164 form with the chain's key), the last 4 digits and
the masked form — never the number (`pull_fields`), unless the chain has chosen
offline unmasking (`hq phones --offline-unmask on`), which sends the number too.

The chain's key is made once, here, and handed to an enrolled till over its
token (`GET /v1/phones`). A till shows a full number only by asking HQ
(`POST /v1/members/unmask`), which writes who, at which store, asked for whom
into `audit_log` in the same transaction that reads the number.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pos.rules import phones

from .models import AuditEntry, HQSetting, Member

KEY, OFFLINE = "phone.key", "phone.offline_unmask"


class UnmaskError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _get(s: Session, key: str) -> str | None:
    row = s.get(HQSetting, key)
    return None if row is None else row.value


def chain_key(hq) -> bytes:
    """The chain's phone key, made on first use (one row; a concurrent maker loses the race)."""
    cached = getattr(hq, "_phone_key", None)
    if cached:
        return cached
    with hq.read() as s:
        value = _get(s, KEY)
    if value is None:
        try:
            with hq.transaction() as s:
                s.add(HQSetting(key=KEY, value=secrets.token_hex(32)))
        except IntegrityError:
            pass
        with hq.read() as s:
            value = _get(s, KEY)
    hq._phone_key = bytes.fromhex(value)
    return hq._phone_key


def offline_unmask(s: Session) -> bool:
    return _get(s, OFFLINE) == "true"


def set_offline_unmask(hq, on: bool) -> dict[str, Any]:
    with hq.transaction() as s:
        s.merge(HQSetting(key=OFFLINE, value="true" if on else "false"))
    return {"ok": True, "offline_unmask": on}


def policy(hq) -> dict[str, Any]:
    """What an enrolled till is given: the key and whether it may keep numbers."""
    key = chain_key(hq)
    with hq.read() as s:
        return {"key": key.hex(), "offline_unmask": offline_unmask(s)}


def pull_fields(s: Session, hq=None):
    """A function member-state -> the phone fields a till receives (hash, masked; the
    number itself only under offline unmasking). `phone_last4` is in the row already."""
    key = chain_key(hq) if hq is not None else bytes.fromhex(_get(s, KEY) or "") or None
    keep = offline_unmask(s)

    def fields(phone: str | None) -> dict[str, Any]:
        if not phone:
            return {"phone_hash": None, "phone_masked": None}
        out = {"phone_hash": phones.digest(key, phone) if key else None, "phone_masked": phones.mask(phone)}
        if keep:
            out["phone"] = phone
        return out

    return fields


def _literal(v: str | None) -> str:
    return "null" if v is None else '"%s"' % v  # hex, E.164 and 138****8000: nothing to escape


def splice(doc: str, extra: dict[str, Any]) -> str:
    """Add the phone fields to a JSON object's text without parsing it (a first pull moves
    a million members)."""
    return doc[:-1] + "".join(',"%s":%s' % (k, _literal(v)) for k, v in extra.items()) + "}"


def unmask(hq, store: str, member_id: uuid.UUID, actor: str) -> dict[str, Any]:
    """The full number of one member for a till's manager; audited in the same transaction."""
    with hq.transaction() as s:
        m = s.get(Member, member_id)
        for _ in range(8):  # a merged member's number is its survivor's
            if m is None or m.merged_into is None:
                break
            m = s.get(Member, m.merged_into)
        if m is None:
            raise UnmaskError(404, "member.not_found", "HQ has no such member")
        if not m.phone:
            raise UnmaskError(404, "member.no_phone", "HQ has no phone number for this member")
        s.add(AuditEntry(id=uuid.uuid4(), at=dt.datetime.now(dt.timezone.utc), store_code=store, actor=actor,
                         action="member.unmask_phone", member_id=m.id,
                         detail={"member_code": m.member_code, "asked_for": str(member_id)}))
        return {"member_id": str(m.id), "phone": m.phone, "phone_masked": phones.mask(m.phone)}


def audit_log(hq, limit: int = 500) -> list[dict[str, Any]]:
    with hq.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.at.desc()).limit(limit)).all()
        return [{"at": r.at.isoformat(), "store": r.store_code, "actor": r.actor, "action": r.action,
                 "member_id": str(r.member_id) if r.member_id else None, "detail": r.detail} for r in rows]
