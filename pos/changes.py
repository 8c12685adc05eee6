"""What changed in the store, said once by the code that changed it (plain
Python, no Qt): `publish("members", ids)` after a pull page, a sale, a merge;
whoever shows that data `subscribe`s and re-reads it. The app turns these
calls into Qt signals on the GUI thread (`app.events`); the CLI ignores them.

Kinds (extend, never rename): ``members`` (ids = member ids), ``basket``,
``sales`` (sale ids), ``coupons``, ``tags``, ``program``, ``catalog``,
``reports`` (figures worth recomputing), ``sync`` (the sync state). An empty
`ids` means "some, not said which": a subscriber re-reads what it shows.

A subscriber runs on the thread that published, synchronously; one that fails
is logged and never stops the publisher (a sale is not undone because a screen
could not refresh). `recording()` lets a background operation learn what the
work it ran published, to report it with its result.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

log = logging.getLogger(__name__)

KINDS = ("members", "basket", "sales", "coupons", "tags", "program", "catalog", "reports", "sync")

Listener = Callable[[str, frozenset], None]

_lock = threading.Lock()
_listeners: list[Listener] = []
_local = threading.local()


def publish(kind: str, ids: Iterable = ()) -> None:
    """Tell every subscriber that `kind` changed (for these ids, or some)."""
    if kind not in KINDS:
        raise ValueError(f"unknown change kind {kind!r} (one of {', '.join(KINDS)})")
    got = frozenset(str(i) for i in ids if i is not None)
    for rec in getattr(_local, "records", ()):
        rec.setdefault(kind, set()).update(got)
    with _lock:
        listeners = list(_listeners)
    for fn in listeners:
        try:
            fn(kind, got)
        except Exception:  # noqa: BLE001 - a listener's failure is its own, never the publisher's
            log.exception("change listener failed for %s", kind)


def subscribe(fn: Listener) -> Callable[[], None]:
    """Call `fn(kind, ids)` on every publish; returns the function that unsubscribes."""
    with _lock:
        _listeners.append(fn)

    def unsubscribe() -> None:
        with _lock:
            if fn in _listeners:
                _listeners.remove(fn)

    return unsubscribe


@contextmanager
def recording() -> Iterator[dict[str, set[str]]]:
    """What this thread publishes inside the block, as {kind: ids}."""
    rec: dict[str, set[str]] = {}
    stack = getattr(_local, "records", None)
    if stack is None:
        stack = _local.records = []
    stack.append(rec)
    try:
        yield rec
    finally:
        stack.remove(rec)
