"""Online channels (issue 18): an online shop posts its orders to HQ with an API key of its own.

    python main.py hq channel add NAME      prints the key once; HQ keeps its sha256 only

The key is sent as `Authorization: Bearer <key>` on `POST /v1/orders`
(sync/server/orders.py). Adding a channel that exists is refused; `rotate=True`
(`hq channel add NAME --rotate`) gives it a new key and the old one stops at once."""
from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import select

from .admin import AdminError
from .common import now_utc
from .o2o_models import Channel

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
KEY_PREFIX = "ch_"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add(hq, name: str, *, rotate: bool = False) -> dict:
    """A new channel (or, `rotate`, a new key for one) -> {"channel", "key"}; the key is shown only here."""
    name = (name or "").strip().lower()
    if not NAME.fullmatch(name):
        raise AdminError("channel name: 1-32 of a-z 0-9 _ - (e.g. tmall, wechat-shop)", "channel.name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with hq.transaction() as s:
        ch = s.get(Channel, name)
        if ch is not None and not rotate:
            raise AdminError(f"channel {name} exists (use --rotate for a new key)", "channel.exists", 409)
        if ch is None:
            s.add(Channel(name=name, key_hash=key_hash(key), created_at=now_utc(), revoked=False))
        else:
            ch.key_hash, ch.revoked = key_hash(key), False
    return {"channel": name, "key": key, "rotated": ch is not None}


def authenticate(hq, key: str) -> str | None:
    """The channel a key belongs to (None: unknown or revoked)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with hq.read() as s:
        ch = s.scalar(select(Channel).where(Channel.key_hash == key_hash(key)))
        return ch.name if ch is not None and not ch.revoked else None


def listing(hq) -> list[dict]:
    with hq.read() as s:
        return [{"channel": c.name, "created_at": c.created_at.isoformat(), "revoked": c.revoked}
                for c in s.scalars(select(Channel).order_by(Channel.name))]
