"""Time-ordered UUIDs (RFC 9562 version 7) for every record a store creates,
and the short printable codes people read (member codes, coupon codes).

HQ upserts by these ids, so they must be unique without coordination and sort
by creation time (good index locality in SQLite and PostgreSQL).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
import uuid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base 32 without I, L, O, U: read aloud and typed safely


def random_code(prefix: str, length: int) -> str:
    """`prefix` + `length` random Crockford characters (5 bits each, from `secrets`)."""
    import secrets

    n = int.from_bytes(secrets.token_bytes((5 * length + 7) // 8), "big")
    return prefix + "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(length))


_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(ms: int | None = None) -> uuid.UUID:
    """A v7 UUID: 48-bit Unix ms, then a 12-bit counter so ids made within the
    same millisecond still sort in creation order, then 62 random bits."""
    global _last_ms, _counter
    with _lock:
        now = int(time.time() * 1000) if ms is None else ms
        if now <= _last_ms:
            _counter += 1
            if _counter > 0xFFF:  # counter exhausted: borrow the next millisecond
                _last_ms += 1
                _counter = 0
            now = _last_ms
        else:
            _last_ms = now
            _counter = 0
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    return _v7(now, counter, rand)


def uuid7_at(when: dt.datetime, rng: random.Random) -> uuid.UUID:
    """A v7 UUID for a record made at `when`, its other bits drawn from `rng`:
    bulk and demo data made for the past, the same ids again for the same seed."""
    ms = int(when.timestamp() * 1000)
    counter = rng.getrandbits(12)
    return _v7(ms, counter, rng.getrandbits(62))


def uuid7_hex_at(when: dt.datetime, rng: random.Random) -> str:
    """`uuid7_at(when, rng).hex` (the same draws, the same text) without the UUID object:
    demo data makes several per row."""
    ms = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    counter = rng.getrandbits(12)
    return f"{(ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rng.getrandbits(62):032x}"


def _v7(ms: int, counter: int, rand: int) -> uuid.UUID:
    """The RFC 9562 layout: 48-bit ms, version 7, 12-bit counter, variant 0b10, 62 random bits."""
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)
