"""Signed, expiring tokens for every link HQ hands out (issue 16 item 6).

    token = sign("store", {"s": "S1"}, ttl_s=365 * 86400)
    verify("store", token) -> {"s": "S1"}      # BadToken: forged, expired, other purpose

A token is `base64url(json) . base64url(HMAC-SHA256(secret, purpose + "." + json))[:22]`.
The JSON holds the payload plus `_e` (expiry, unix seconds); it is readable, so a
payload never carries a phone number or anything secret. The secret is HQ's
(`hq_settings` row `signing.key`, made on first use) — `init(hq)` loads it once per
process (create_app and the `hq` CLI call it); `MEMBERPOS_SIGNING_KEY` (hex) overrides.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from typing import Any

KEY = "signing.key"
_secret: bytes | None = None


class BadToken(ValueError):
    """reason: 'forged' (bad shape or MAC, another purpose) or 'expired'."""

    def __init__(self, reason: str):
        super().__init__(f"link {reason}")
        self.reason = reason


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def init(hq) -> bytes:
    """Load (or make, once) HQ's signing secret and use it for this process."""
    global _secret
    env = os.environ.get("MEMBERPOS_SIGNING_KEY")
    if env:
        _secret = bytes.fromhex(env)
        return _secret
    from sqlalchemy.exc import IntegrityError

    from .models import HQSetting

    with hq.read() as s:
        row = s.get(HQSetting, KEY)
        value = None if row is None else row.value
    if value is None:
        try:
            with hq.transaction() as s:
                s.add(HQSetting(key=KEY, value=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another process made it first
        with hq.read() as s:
            value = s.get(HQSetting, KEY).value
    _secret = bytes.fromhex(value)
    return _secret


def _key() -> bytes:
    if _secret is None:
        raise RuntimeError("signing.init(hq) was not called")
    return _secret


def _mac(purpose: str, body: bytes) -> str:
    return _b64(hmac.new(_key(), purpose.encode() + b"." + body, hashlib.sha256).digest()[:16])


def sign(purpose: str, payload: dict[str, Any], ttl_s: int, *, now: float | None = None) -> str:
    doc = dict(payload)
    doc["_e"] = int((time.time() if now is None else now) + ttl_s)
    body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_mac(purpose, body)}"


def verify(purpose: str, token: str, *, now: float | None = None) -> dict[str, Any]:
    try:
        b, mac = token.split(".", 1)
        body = _unb64(b)
    except (ValueError, TypeError):
        raise BadToken("forged") from None
    if not hmac.compare_digest(mac.encode(), _mac(purpose, body).encode()):
        raise BadToken("forged")
    try:
        doc = json.loads(body)
        exp = int(doc.pop("_e"))
    except (ValueError, KeyError, TypeError):
        raise BadToken("forged") from None
    if (time.time() if now is None else now) >= exp:
        raise BadToken("expired")
    return doc
