"""Unexpected exceptions in the till: to the log, with a friendly dialog (issue 19).

`install()` sets `sys.excepthook` (and `threading.excepthook`): the exception and
its traceback go to the log file (pos.logs: phones masked, no card data), and
the cashier sees a short translated message — what happened in words, that
the sale in progress is safe or was not taken, where the log is — never a
traceback. A burst of errors (a handler failing on every paint) shows one
dialog at a time."""
from __future__ import annotations

import logging
import sys
import threading

from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger("memberpos.app.crash")
_state: dict[str, object] = {"box": None, "installed": False, "shown": 0, "previous": None}


def message_text() -> tuple[str, str]:
    """(title, body) of the dialog, in the till's language."""
    from pos import logs

    where = logs.path()
    title = QCoreApplication.translate("Crash", "Something went wrong")
    body = QCoreApplication.translate(
        "Crash", "The till met an unexpected problem and has written it to the log. A sale that was paid "
                 "is saved; a sale not yet paid may need to be scanned again. If this happens again, "
                 "tell IT and give them the log file:\n{0}")
    return title, body.format(str(where) if where else "-")


def show_dialog() -> QMessageBox | None:
    """The friendly dialog (non-blocking; one at a time). None without a QApplication."""
    app = QApplication.instance()
    if app is None:
        return None
    box = _state.get("box")
    if isinstance(box, QMessageBox) and box.isVisible():
        return box
    title, body = message_text()
    box = QMessageBox(QMessageBox.Icon.Critical, title, body, QMessageBox.StandardButton.Ok,
                      app.activeWindow())
    box.setObjectName("crashDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.destroyed.connect(lambda *_: _state.update(box=None))
    _state["box"] = box
    _state["shown"] = int(_state["shown"]) + 1
    box.open()
    return box


class _Relay(QObject):
    """Shows the dialog on the GUI thread when a worker thread fails."""

    @Slot()
    def show(self) -> None:
        show_dialog()


_relay: _Relay | None = None


def handle(exc_type, exc, tb) -> None:
    """What the hook does: log (with traceback) and tell the cashier in words."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unexpected error: %s", exc_type.__name__, exc_info=(exc_type, exc, tb))
    previous = _state["previous"]
    if callable(previous) and previous is not sys.__excepthook__ and previous is not handle:
        previous(exc_type, exc, tb)  # a hook set before ours (a test harness's) decides instead of the dialog
        return
    app = QApplication.instance()
    if app is None:
        return
    if threading.current_thread() is threading.main_thread():
        show_dialog()
    elif _relay is not None:
        QMetaObject.invokeMethod(_relay, "show", Qt.ConnectionType.QueuedConnection)


def install() -> None:
    """Route every unexpected exception of the app to `handle` (idempotent)."""
    global _relay
    from pos import logs

    logs.configure()
    if _state["installed"]:
        return
    app = QApplication.instance()
    if app is not None and _relay is None:
        _relay = _Relay()
        _relay.moveToThread(app.thread())
    _state["previous"] = sys.excepthook
    sys.excepthook = handle
    threading.excepthook = lambda a: handle(a.exc_type, a.exc_value, a.exc_traceback)
    _state["installed"] = True

