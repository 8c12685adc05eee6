"""One-time codes sent to a phone (sign-in and join at the member pages).

Six digits, kept only as a hash, valid `TTL_S`, used once; `MAX_ATTEMPTS` wrong
tries burn the code. Throttled: per phone one code every `PHONE_GAP_S` and at most
`PHONE_PER_HOUR` an hour; per client IP at most `IP_PER_HOUR` an hour. The rows
are the throttle's memory (keyed hashes of phone and IP, never the number in a log).

The throttle lives in the database only, so it holds across HQ's worker processes:
the count and the new row are one transaction under a lock per phone and per IP
(PostgreSQL: transaction advisory locks, taken in order; SQLite: the write lock), so
two requests at once — on two workers or two threads — cannot both pass a limit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import delete, func, select
from sqlalchemy import text as sql

from pos.ids import uuid7

from .common import now_utc
from .notify import notifier, phone_hash
from .web_models import OneTimeCode

TTL_S = 300
MAX_ATTEMPTS = 5
PHONE_GAP_S = 30
PHONE_PER_HOUR = 5
IP_PER_HOUR = 20


class Throttled(Exception):
    def __init__(self, scope: str, retry_s: int):
        super().__init__(f"too many codes for this {scope}; retry in {retry_s} s")
        self.scope, self.retry_s = scope, retry_s


class BadCode(Exception):
    """reason: wrong / expired / used / unknown."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _h(hq, value: str) -> str:
    from .phones import chain_key

    return hmac.new(chain_key(hq), value.encode(), hashlib.sha256).hexdigest()


def issue(hq, phone_e164: str, ip: str, *, purpose: str, store: str | None = None, text_zh: str = "",
          now: dt.datetime | None = None) -> uuid.UUID:
    """Make and send a code; the challenge id (for the next form) comes back. Throttled."""
    now = now or now_utc()
    ph, iph = phone_hash(hq, phone_e164), _h(hq, "ip:" + ip)
    hour = now - dt.timedelta(hours=1)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    with hq.transaction() as s:
        if s.bind.dialect.name == "postgresql":  # one issuer at a time per phone and per IP, on every worker
            for key in sorted({"otp:" + ph, "otp:" + iph}):
                s.execute(sql("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
        last = s.scalar(select(func.max(OneTimeCode.created_at)).where(OneTimeCode.phone_hash == ph))
        if last is not None:
            last = last if last.tzinfo else last.replace(tzinfo=dt.UTC)
            if (now - last).total_seconds() < PHONE_GAP_S:
                raise Throttled("phone", int(PHONE_GAP_S - (now - last).total_seconds()) + 1)
        n_phone = s.scalar(select(func.count()).select_from(OneTimeCode).where(
            OneTimeCode.phone_hash == ph, OneTimeCode.created_at > hour))
        if n_phone >= PHONE_PER_HOUR:
            raise Throttled("phone", 3600)
        n_ip = s.scalar(select(func.count()).select_from(OneTimeCode).where(
            OneTimeCode.ip_hash == iph, OneTimeCode.created_at > hour))
        if n_ip >= IP_PER_HOUR:
            raise Throttled("ip", 3600)
        s.execute(delete(OneTimeCode).where(OneTimeCode.phone_hash == ph,  # the phone's old codes: gone after a day
                                            OneTimeCode.created_at < now - dt.timedelta(days=1)))
        row = OneTimeCode(id=uuid7(), phone=phone_e164, phone_hash=ph, ip_hash=iph, code_hash=_h(hq, code),
                          purpose=purpose, store_code=store, created_at=now,
                          expires_at=now + dt.timedelta(seconds=TTL_S), used_at=None, attempts=0)
        s.add(row)
    text = f"{text_zh or '验证码'} {code} ({TTL_S // 60} 分钟内有效 / valid {TTL_S // 60} min)"
    notifier(hq).send(phone_e164, text, kind="otp")
    return row.id


def check(hq, challenge: uuid.UUID, code: str, *, now: dt.datetime | None = None) -> OneTimeCode:
    """Use the code once: the row (phone, purpose, store) when right; BadCode otherwise."""
    now = now or now_utc()
    wrong = False
    with hq.transaction() as s:  # a wrong try is counted (committed), then refused
        row = s.get(OneTimeCode, challenge, with_for_update=True)
        if row is None:
            raise BadCode("unknown")
        if row.used_at is not None or row.attempts >= MAX_ATTEMPTS:
            raise BadCode("used")
        if now >= row.expires_at:
            raise BadCode("expired")
        if hmac.compare_digest(row.code_hash, _h(hq, (code or "").strip())):
            row.used_at = now
        else:
            row.attempts += 1
            wrong = True
    if wrong:
        raise BadCode("wrong")
    return row
