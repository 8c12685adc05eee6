"""The one bridge from the domain's change events to Qt (as Electrum's
`QtEventListener`): `pos.changes.publish(kind, ids)` may be called on any
thread (a sync round's pull page on a worker, a sale on the GUI thread); here
it becomes `ChangeBridge.changed(kind, ids)` on the GUI thread, on the next
turn of the event loop, with what was published meanwhile coalesced (a pull of
500 members is one signal, not 500).

A screen does not call `refresh()` because someone else changed something:
it `listen(self, "members", self._members_changed)` and re-reads what it shows
when that kind changes. The connection ends with the widget.
"""
from __future__ import annotations

import threading
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal

from pos import changes


class ChangeBridge(QObject):
    changed = Signal(str, object)  # kind, frozenset of ids (empty: some, not said which)
    _wake = Signal()

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._pending: dict[str, set[str] | None] = {}
        self._scheduled = False
        self._wake.connect(self._deliver, Qt.QueuedConnection)
        self._unsubscribe = changes.subscribe(self._published)

    def _published(self, kind: str, ids: frozenset) -> None:
        """Any thread: remember, and wake the GUI thread once."""
        with self._lock:
            if kind in self._pending:
                have = self._pending[kind]
                self._pending[kind] = None if have is None or not ids else have | ids
            else:
                self._pending[kind] = set(ids) if ids else None
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._wake.emit()
        except RuntimeError:  # the application is closing: nobody to tell
            pass

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending, self._scheduled = self._pending, {}, False
        for kind, ids in pending.items():
            self.changed.emit(kind, frozenset(ids or ()))


_bridge: ChangeBridge | None = None
_bridge_lock = threading.Lock()


def bridge() -> ChangeBridge:
    """The application's bridge (made on first use, living on the GUI thread)."""
    global _bridge
    with _bridge_lock:
        if _bridge is None:
            _bridge = ChangeBridge()
            app = QCoreApplication.instance()
            if app is not None and QThread.currentThread() is not app.thread():
                _bridge.moveToThread(app.thread())
        return _bridge


class _Listener(QObject):
    """Lives as the receiver's child: the connection ends when the receiver goes."""

    def __init__(self, receiver: QObject, kind: str, slot: Callable[[frozenset], None]):
        super().__init__(receiver)
        self.kind, self.slot = kind, slot
        bridge().changed.connect(self.on_changed)

    def on_changed(self, kind: str, ids) -> None:
        if kind == self.kind:
            self.slot(ids)


def listen(receiver: QObject, kind: str, slot: Callable[[frozenset], None]) -> QObject:
    """Call `slot(ids)` on the GUI thread whenever `kind` changes, as long as `receiver` lives."""
    if kind not in changes.KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    return _Listener(receiver, kind, slot)
