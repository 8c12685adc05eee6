"""The one way the app runs work off the GUI thread (Anki's `CollectionOp`):

    Operation(self, lambda: till.pay(tenders), name="pay", changes=Changes.of(basket=()))
        .success(self._paid).failure(self._pay_failed).run_in_background()

`fn` runs on a worker thread (a `QThreadPool`: a named one — "pay", "sync",
"printer", "daily", "work" — or the caller's own); `success(result)` or `failure(message, exc)` is called on the
GUI thread afterwards, never both, and not at all once `parent` is gone. A
failure is a sentence for the cashier — a `DomainError`'s own message, else
"… could not be done (ValueError); try again" with the traceback in the log
only, never on screen.

What changed is reported: the kinds the work published (`pos.changes`) plus
the ones the caller declares, as one `Changes` value in `op.changes`; the
declared ones are published too (after `success`), so every screen that
listens (`app.events.listen`) re-reads its data, not only the caller.

Pay (the HQ hold), holds, the daily jobs, printing, sync rounds and the
reports' figures all run through here. `run_now()` runs the same operation on
the GUI thread (work that never waits on a network: a cash sale), with the
same callbacks and the same error handling.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

from pos import changes as domain_changes
from pos.errors import DomainError

from . import events, i18n

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changes:
    """What an operation changed: kind -> ids (an empty set: some, not said which)."""

    kinds: Mapping[str, frozenset] = field(default_factory=dict)

    @classmethod
    def of(cls, **kinds: Iterable | bool) -> "Changes":
        """`Changes.of(members=[mid], sales=[sid], basket=True)`; False/None leaves a kind out."""
        out = {}
        for kind, ids in kinds.items():
            if kind not in domain_changes.KINDS:
                raise ValueError(f"unknown change kind {kind!r}")
            if ids is None or ids is False:
                continue
            out[kind] = frozenset() if ids is True else frozenset(str(i) for i in ids if i is not None)
        return cls(out)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def __contains__(self, kind: str) -> bool:
        return kind in self.kinds

    def ids(self, kind: str) -> frozenset:
        return self.kinds.get(kind, frozenset())

    def touches(self, kind: str, id_: str | None = None) -> bool:
        """Did `kind` change — for this id (or for some unnamed ids)?"""
        if kind not in self.kinds:
            return False
        ids = self.kinds[kind]
        return id_ is None or not ids or str(id_) in ids

    def merged(self, other: "Changes | Mapping[str, Iterable]") -> "Changes":
        """Both together; a kind that is "some" (no ids) on either side stays "some"."""
        theirs = other.kinds if isinstance(other, Changes) else other
        out = dict(self.kinds)
        for kind, ids in theirs.items():
            ids = frozenset(str(i) for i in ids)
            out[kind] = frozenset() if kind in out and (not out[kind] or not ids) else out.get(kind, frozenset()) | ids
        return Changes(out)

    # the kinds a screen asks about most, by name
    @property
    def members(self) -> frozenset:
        return self.ids("members")

    @property
    def basket(self) -> bool:
        return "basket" in self.kinds

    @property
    def sales(self) -> frozenset:
        return self.ids("sales")

    @property
    def reports(self) -> bool:
        return "reports" in self.kinds

    @property
    def sync(self) -> bool:
        return "sync" in self.kinds


def friendly(exc: BaseException, what: str = "") -> str:
    """A failure in the cashier's words: a domain error says itself; anything else
    names the operation and the error's kind (the traceback is in the log)."""
    if isinstance(exc, DomainError):
        return exc.message(i18n.current())
    name = what or QCoreApplication.translate("Operation", "The operation")
    return QCoreApplication.translate("Operation", "{0} could not be done ({1}); try again").format(name, type(exc).__name__)


class _Runner(QRunnable):
    def __init__(self, op: "Operation"):
        super().__init__()
        self.op = op
        self.setAutoDelete(True)

    def run(self) -> None:
        self.op._work()


_POOL_SIZES = {"work": 4, "pay": 1, "sync": 1, "printer": 1, "daily": 1}
_pools: dict[str, QThreadPool] = {}


def pool(name: str = "work") -> QThreadPool:
    """A named pool: pay, sync, printing and the daily jobs each have their own worker, so
    a payment's HQ hold never queues behind a sync round that waits on the network."""
    if name not in _pools:
        p = QThreadPool()
        p.setMaxThreadCount(_POOL_SIZES.get(name, 2))
        _pools[name] = p
    return _pools[name]


_live: set["Operation"] = set()  # started and not yet delivered: kept alive here, not by a Qt parent


class Operation(QObject):
    """One piece of work off the GUI thread; see the module's text."""

    _finished = Signal()

    def __init__(self, parent: QObject | None, fn: Callable[[], Any], *, name: str = "", what: str = "",
                 changes: Changes | None = None, pool: "QThreadPool | str" = "work"):
        super().__init__()  # no Qt parent: a closing screen must not delete it under its worker
        events.bridge()  # made on the GUI thread, before any worker publishes
        self.owner, self.fn, self.name, self.what = parent, fn, name or getattr(fn, "__name__", "operation"), what
        self.declared = changes or Changes()
        self.changes = Changes()
        self.pool = pool
        self.result: Any = None
        self.error: BaseException | None = None
        self.message = ""
        self._on_success: list[Callable[[Any], None]] = []
        self._on_failure: list[Callable[[str, BaseException], None]] = []
        self._done = threading.Event()
        self._started = False
        self._delivered = False
        self._published: set[str] = set()
        self._finished.connect(self._deliver)  # queued when emitted on the worker

    def success(self, fn: Callable[[Any], None]) -> "Operation":
        self._on_success.append(fn)
        return self

    def failure(self, fn: Callable[[str, BaseException], None]) -> "Operation":
        self._on_failure.append(fn)
        return self

    @property
    def running(self) -> bool:
        """Started and its outcome not yet delivered."""
        return self._started and not self._delivered

    def run_in_background(self) -> "Operation":
        self._start()
        (pool(self.pool) if isinstance(self.pool, str) else self.pool).start(_Runner(self))
        return self

    def run_now(self) -> "Operation":
        """The same operation on this (the GUI) thread: callbacks before this returns."""
        self._start()
        self._work(emit=False)
        self._deliver()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work itself has ended (its outcome is delivered later, by the event loop)."""
        return self._done.wait(timeout)

    def _start(self) -> None:
        if self._started:
            raise RuntimeError(f"operation {self.name} already started")
        self._started = True
        _live.add(self)

    def _work(self, emit: bool = True) -> None:
        try:
            with domain_changes.recording() as rec:
                self.result = self.fn()
            self._published = set(rec)
            self.changes = Changes({k: frozenset(v) for k, v in rec.items()}).merged(self.declared)
        except Exception as exc:  # noqa: BLE001 - said in words on the GUI thread, never a crash or a traceback
            self.error = exc
            if not isinstance(exc, DomainError):
                log.exception("operation %s failed", self.name)
            self.message = friendly(exc, self.what)
        finally:
            self._done.set()
        if emit:
            try:
                self._finished.emit()
            except RuntimeError:  # the application went away
                _live.discard(self)

    def _deliver(self) -> None:
        if self._delivered:
            return
        self._delivered = True
        _live.discard(self)
        if self.owner is not None and not shiboken6.isValid(self.owner):
            return  # the screen that asked is gone: nobody to tell
        if self.error is not None:
            if not self._on_failure:
                log.warning("operation %s: %s", self.name, self.message)
            for fn in self._on_failure:
                fn(self.message, self.error)
            return
        for fn in self._on_success:
            fn(self.result)
        for kind, ids in self.declared.kinds.items():
            if kind not in self._published:  # the work said it already
                domain_changes.publish(kind, ids)


def run(parent: QObject | None, fn: Callable[[], Any], **kw) -> Operation:
    """Shorthand: an operation that is only started (its failure is logged in words)."""
    return Operation(parent, fn, **kw).run_in_background()
