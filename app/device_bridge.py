"""Devices as Qt signals (as Electrum's listener does): serial readers call back
on their worker threads; emitting a signal from there queues it to the GUI
thread. The keyboard-wedge detector runs as an application-wide event filter,
so a scan works whatever has focus and never leaks into a text field."""
from __future__ import annotations

import time
from collections import deque

import shiboken6

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from devices import config as device_config
from devices import runtime
from devices.events import BadSwipe, CardSwiped, Connected, Disconnected, Event, Garbage, Refused, Scanned, as_json, message
from devices.printer import ReceiptPrinter
from devices.reprint_queue import ReprintQueue
from devices.wedge import PassThrough, ScanCompleted

from . import i18n, labels
from .operations import Operation


class DeviceBridge(QObject):
    """One place the app learns of devices: `code` (a scan or a member card, as
    text for the one input), `problem` (bad swipe, refused card), `state` (for the status bar)."""

    code = Signal(str)
    problem = Signal(str, str)  # kind (bad_swipe / refused / garbage), a message for the cashier
    state = Signal(str)
    printed = Signal(str, bool)  # message, queued (the printer failed; the receipt waits for a reprint)
    _event = Signal(object)

    def __init__(self, settings: device_config.DeviceSettings | None = None, parent: QObject | None = None,
                 data_dir=None):
        super().__init__(parent)
        self.settings = settings or device_config.DeviceSettings()
        self.data_dir = data_dir  # the store's folder: the reprint queue lives beside the store
        self.readers = []
        self.recent: deque[str] = deque(maxlen=50)  # diagnostics: events as JSON, never track data
        self.ports: dict[str, bool] = {}
        self._event.connect(self._on_event)  # queued to the GUI thread when emitted from a reader
        self.wedge_filter: WedgeFilter | None = None
        self.home = None  # callable -> the widget typing goes to when nothing else has focus (the one input)

    def start(self) -> None:
        self.readers = runtime.serial_readers(self.settings, self._event.emit)
        for r in self.readers:
            r.start()
        pair = runtime.wedge(self.settings)
        if pair is not None:
            self.wedge_filter = WedgeFilter(*pair, bridge=self)
            QCoreApplication.instance().installEventFilter(self.wedge_filter)
        self.state.emit(self.describe())

    def stop(self) -> None:
        for r in self.readers:
            r.stop()
        self.readers = []
        if self.wedge_filter is not None:
            QCoreApplication.instance().removeEventFilter(self.wedge_filter)
            self.wedge_filter = None

    def print_sale(self, sale: dict, lang: str, reprint: bool = False, **extras) -> None:
        """Print off the GUI thread (an `Operation` on the printer's own worker: a network
        printer may take its timeout to fail); a failure queues the receipt, the sale
        itself is long committed."""
        if self.settings.printer.backend == "none":
            return

        queue = ReprintQueue(self.data_dir / "reprint_queue.json") if self.data_dir else None

        def work():
            printer = ReceiptPrinter(self.settings.printer, queue)
            outcome = (printer.reprint if reprint else printer.print_sale)(sale, lang=lang, **extras)
            self.printed.emit(outcome.message(lang), outcome.queued)  # queued to the GUI thread, as soon as it is known
            return outcome

        Operation(self, work, name="receipt-printer", pool="printer",
                  what=QCoreApplication.translate("DeviceBridge", "Printing the receipt")) \
            .failure(lambda message, _exc: self.printed.emit(message, False)) \
            .run_in_background()

    def show_customer(self, line1: str, line2: str = "") -> None:
        """Two lines on the customer display when one is configured (off the GUI thread: a
        serial write may wait for its timeout); nothing otherwise. A failure is logged and skipped."""
        if not self.settings.display.enabled:
            return
        settings = self.settings

        def work() -> bool:
            display = runtime.display(settings)  # the settings as they are now; the port closed after
            try:
                return display.show(line1, line2)
            finally:
                display.close()

        Operation(self, work, name="customer-display", pool="printer",
                  what=QCoreApplication.translate("DeviceBridge", "Customer display")) \
            .failure(lambda _message, _exc: None).run_in_background()

    def describe(self) -> str:
        parts = []
        for kind, dev in (("scanner", self.settings.scanner), ("card", self.settings.card_reader)):
            if dev.mode == "serial":  # in words on the status bar (app.labels), never the setting's code
                parts.append(labels.device_state(kind, "serial", dev.serial.port, self.ports.get(dev.serial.port)))
            elif dev.mode == "wedge":
                parts.append(labels.device_state(kind, "wedge"))
        return "  ".join(parts) or labels.device_kind("off")

    def feed_event(self, ev: Event) -> None:
        self._event.emit(ev)

    def _on_event(self, ev: Event) -> None:
        self.recent.append(str(as_json(ev)))
        if isinstance(ev, Scanned):
            self.code.emit(ev.code)  # bad barcodes too: the one input says which check digit was expected
        elif isinstance(ev, CardSwiped):
            self.code.emit(ev.card_no)
        elif isinstance(ev, (BadSwipe, Refused, Garbage)):
            kind = {BadSwipe: "bad_swipe", Refused: "refused", Garbage: "garbage"}[type(ev)]
            self.problem.emit(kind, message(ev, i18n.current()))
        elif isinstance(ev, Connected):
            self.ports[ev.port] = True
            self.state.emit(self.describe())
        elif isinstance(ev, Disconnected):
            self.ports[ev.port] = False
            self.state.emit(self.describe())


MODIFIER_KEYS = (Qt.Key_Shift, Qt.Key_Control, Qt.Key_Alt, Qt.Key_Meta, Qt.Key_AltGr, Qt.Key_CapsLock)


class WedgeFilter(QObject):
    """Holds back keystrokes while they may be a scanner's burst; gives them back,
    in the order they were typed, when they turn out to be typing.

    Where a key goes is decided when it is given back, not when it was pressed:
    a key pressed as a dialog opens or closes belongs to what is open *now* (the
    dialog's field, else the widget with focus, else the checkout's one input),
    never to a window that has gone or that a dialog blocks. Keys wait in one
    queue with completed scans, so nothing overtakes anything: an F-key or a
    shortcut first lets every held key land (its ShortcutOverride, sent before
    the shortcut acts, releases them), and after an Enter or a scan, which may
    open or close a dialog, the rest of the queue waits for the event loop to
    have done so."""

    def __init__(self, detector, decoder, bridge: DeviceBridge):
        super().__init__(bridge)
        self.detector, self.decoder, self.bridge = detector, decoder, bridge
        self.queue: deque = deque()  # ("key", key, modifiers, text) / ("scan", code), oldest first
        self._sending: set[int] = set()  # our own replayed events: not filtered again
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._timeout)
        self.pump_timer = QTimer(self)
        self.pump_timer.setSingleShot(True)
        self.pump_timer.setInterval(0)
        self.pump_timer.timeout.connect(self._pump)
        self._homing = 0  # tries left while the window comes back to the front (see _lost)
        self.home_timer = QTimer(self)
        self.home_timer.setSingleShot(True)
        self.home_timer.setInterval(10)
        self.home_timer.timeout.connect(self._home_tick)

    @staticmethod
    def _now(ev=None) -> float:
        stamp = ev.timestamp() if ev is not None else 0
        return float(stamp) if stamp else time.monotonic() * 1000

    @staticmethod
    def _text_of(ev) -> str:
        """The character a key types ("\r" for Enter), or "" for a key that is not text."""
        text = "\r" if ev.key() in (Qt.Key_Return, Qt.Key_Enter) else ev.text()
        if not text or not text.isprintable() and text != "\r" or ev.modifiers() & (Qt.ControlModifier | Qt.AltModifier):
            return ""
        return text

    def eventFilter(self, obj, ev) -> bool:
        kind = ev.type()
        if kind not in (QEvent.KeyPress, QEvent.ShortcutOverride):
            return False
        if ev.key() in MODIFIER_KEYS or shiboken6.getCppPointer(ev)[0] in self._sending:
            return False  # Shift for a capital letter is part of the typing (or of the scan)
        text = self._text_of(ev)
        if kind == QEvent.ShortcutOverride:
            if not text and self._homing:  # keys queued while the window comes back: no overtaking
                ev.accept()  # no shortcut now; its KeyPress follows and joins the queue
                return True
            if not text:  # F1 right after the last digit: the digits land first, then F1 acts
                self.settle(self._now(ev))
            return False
        t = self._now(ev)
        if not text:
            self.settle(t)  # F-keys, arrows, shortcuts: never held back, never overtaking
            if self._homing or self._lost():  # a dialog closed and left the keyboard nowhere
                self.queue.append(("key", ev.key(), ev.modifiers(), ev.text()))  # lands once it is home
                return True
            return False
        self._take(ev, text, t)
        return True

    def _take(self, ev, text: str, t: float) -> None:
        """A text key: to the detector (held while it may be a scan), then the queue."""
        actions = self.detector.feed(text, t, payload=(ev.key(), ev.modifiers(), ev.text()))
        self._handle(actions)
        deadline = self.detector.deadline()
        if deadline is not None:
            self.timer.start(max(1, int(deadline - t) + 1))

    def _home(self):
        """Where the keyboard belongs now: the open dialog's field, else the one input."""
        from PySide6.QtWidgets import QApplication

        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible():
            return modal.focusWidget() or _first_focusable(modal) or modal
        home = self.bridge.home() if self.bridge.home is not None else None
        return home if home is not None and home.isVisible() else None

    def _lost(self) -> bool:
        """No widget has the keyboard (a dialog closed and the window system gave focus back
        to no window): bring it back to the open dialog, else to the one input, with its
        window active — or the key would do nothing."""
        from PySide6.QtWidgets import QApplication

        if QApplication.focusWidget() is not None or QApplication.activePopupWidget() is not None:
            return False
        home = self._home()
        if home is None:
            return False
        home.window().activateWindow()
        home.setFocus()
        self._homing = 30  # the queue waits (10 ms a try) for the window to be active: a shortcut needs it
        self.home_timer.start()
        return True

    def _home_tick(self) -> None:
        from PySide6.QtWidgets import QApplication

        home = self._home()
        self._homing -= 1
        if self._homing > 0 and home is not None and QApplication.activeWindow() is not home.window():
            self.home_timer.start()
            return
        self._homing = 0
        self._pump()

    def settle(self, t: float | None = None) -> None:
        """Give back everything held and queued, now (before a non-text key acts)."""
        self._handle(self.detector.interrupt(self._now() if t is None else t), pump=False)
        self._pump(until_empty=True)

    def _timeout(self) -> None:
        """The pause after the last key is over: resolve what is held (typing or a scan)."""
        deadline = self.detector.deadline()
        if deadline is not None:
            self._handle(self.detector.flush(deadline + 1))

    def _handle(self, actions, pump: bool = True) -> None:
        for a in actions:
            if isinstance(a, ScanCompleted):
                self.queue.append(("scan", a.code))
            elif isinstance(a, PassThrough):
                for key in a.keys:
                    if key.payload:
                        self.queue.append(("key", *key.payload))
        if pump and self.queue:
            self._pump()

    def _pump(self, until_empty: bool = False) -> None:
        """Deliver the queue in order. After an Enter or a scan the rest waits one turn
        of the event loop (a dialog may be closing or opening), unless `until_empty`."""
        while self.queue and not self._homing:
            item = self.queue.popleft()
            if item[0] == "scan":
                self.bridge.feed_event(self.decoder.decode_text(item[1]))
                settles = True
            else:
                _, key, mods, text = item
                self._send(key, mods, text)
                settles = key in (Qt.Key_Return, Qt.Key_Enter)
            if settles and self.queue and not until_empty:
                self.pump_timer.start()
                return

    def _send(self, key, mods, text) -> None:
        target = key_target(self.bridge.home)
        if target is None:
            return
        ev = QKeyEvent(QEvent.KeyPress, key, mods, text)
        ptr = shiboken6.getCppPointer(ev)[0]
        self._sending.add(ptr)
        try:
            QCoreApplication.sendEvent(target, ev)
        finally:
            self._sending.discard(ptr)


def key_target(home=None):
    """Where a typed key goes now: the open dialog's field, else the widget with
    focus in a window that is showing, else `home()` (the checkout's one input)."""
    from PySide6.QtWidgets import QApplication

    modal = QApplication.activeModalWidget()
    if modal is not None and modal.isVisible():
        w = modal.focusWidget()
        if w is None or not w.isVisible():
            w = _first_focusable(modal)
            if w is not None:
                w.setFocus()
        return w or modal
    popup = QApplication.activePopupWidget()
    if popup is not None:
        return popup.focusWidget() or popup
    w = QApplication.focusWidget()
    if w is not None and w.isVisible() and w.window().isVisible():
        return w
    h = home() if home is not None else None
    if h is not None and h.isVisible():
        h.setFocus()
        return h
    return w


def _first_focusable(root):
    from PySide6.QtWidgets import QWidget

    for w in root.findChildren(QWidget):
        if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.TabFocus:
            return w
    return None
