"""The till's port to HQ: what the domain asks HQ for, without knowing how it is reached.

Two questions need HQ while a cashier or manager waits: may this sale spend these
points and coupons (`pos.services.spending.SpendingAuthority.hold`), and what is
this member's full phone number (`pos.services.phone_privacy.PhoneAuthority.unmask`).
`sync.authority.HQAuthority` answers both over HTTP; the program's entry point
(`main.py`, which starts the app and the CLI) installs it with `install`. The
domain never imports `sync`: it calls `connect(db)`, or uses an authority it was
given (`Checkout(authority=...)`, `Till(authority=...)`).

An authority that cannot get an answer raises `Unavailable` (the domain then
applies its offline rules); one that got a "no" for an unmask raises `Denied`.
"""
from __future__ import annotations

from typing import Any, Callable


class Unavailable(Exception):
    """HQ did not answer (offline, too slow, garbled, credential refused): offline rules apply."""

    def __init__(self, reason: str = "offline"):
        super().__init__(reason)
        self.reason = reason


class Denied(Exception):
    """HQ answered and refused (its stable error code)."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


_factory: Callable[[Any], Any] | None = None


def install(factory: Callable[[Any], Any] | None) -> None:
    """`factory(db)` makes the authority an enrolled till asks (None: no way to reach HQ)."""
    global _factory
    _factory = factory


def connect(db) -> Any | None:
    """The installed authority for this till (None: nothing installed, HQ cannot be asked).
    Light on purpose: `main.py` installs before the app's first window, importing nothing heavy."""
    return None if _factory is None else _factory(db)
