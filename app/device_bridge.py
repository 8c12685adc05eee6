"""Devices as Qt signals (as Electrum's listener does): serial readers call back
on their worker threads; emitting a signal from there queues it to the GUI
thread. The keyboard-wedge detector runs as an application-wide event filter,
so a scan works whatever has focus and never leaks into a text field."""
from __future__ import annotations

import threading
import time
from collections import deque

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

from devices import config as device_config
from devices import runtime
from devices.events import BadSwipe, CardSwiped, Connected, Disconnected, Event, Garbage, Refused, Scanned, as_json, message
from devices.printer import ReceiptPrinter
from devices.reprint_queue import ReprintQueue
from devices.wedge import PassThrough, ScanCompleted

from . import i18n, labels


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
        """Print off the GUI thread (a network printer may take its timeout to fail);
        a failure queues the receipt, the sale itself is long committed."""
        if self.settings.printer.backend == "none":
            return

        queue = ReprintQueue(self.data_dir / "reprint_queue.json") if self.data_dir else None

        def work() -> None:
            printer = ReceiptPrinter(self.settings.printer, queue)
            outcome = (printer.reprint if reprint else printer.print_sale)(sale, lang=lang, **extras)
            self.printed.emit(outcome.message(lang), outcome.queued)

        threading.Thread(target=work, name="receipt-printer", daemon=True).start()

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


class WedgeFilter(QObject):
    """Holds back keystrokes while they may be a scanner's burst; gives them back
    to the widget they were meant for when they turn out to be typing."""

    def __init__(self, detector, decoder, bridge: DeviceBridge):
        super().__init__(bridge)
        self.detector, self.decoder, self.bridge = detector, decoder, bridge
        self._replaying = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._timeout)

    @staticmethod
    def _now(ev=None) -> float:
        stamp = ev.timestamp() if ev is not None else 0
        return float(stamp) if stamp else time.monotonic() * 1000

    def eventFilter(self, obj, ev) -> bool:
        if self._replaying or ev.type() != QEvent.KeyPress:
            return False
        t = self._now(ev)
        text = "\r" if ev.key() in (Qt.Key_Return, Qt.Key_Enter) else ev.text()
        if not text or not text.isprintable() and text != "\r" or ev.modifiers() & (Qt.ControlModifier | Qt.AltModifier):
            self._handle(self.detector.interrupt(t))  # F-keys, arrows, shortcuts: never held back
            return False
        copy = QKeyEvent(QEvent.KeyPress, ev.key(), ev.modifiers(), ev.text())
        actions = self.detector.feed(text, t, payload=(obj, copy))
        self._handle(actions)
        deadline = self.detector.deadline()
        if deadline is not None:
            self.timer.start(max(1, int(deadline - t) + 1))
        return True

    def _timeout(self) -> None:
        """The pause after the last key is over: resolve what is held (typing or a scan)."""
        deadline = self.detector.deadline()
        if deadline is not None:
            self._handle(self.detector.flush(deadline + 1))

    def _handle(self, actions) -> None:
        for a in actions:
            if isinstance(a, ScanCompleted):
                self.bridge.feed_event(self.decoder.decode_text(a.code))
            elif isinstance(a, PassThrough):
                self._replaying = True
                try:
                    for key in a.keys:
                        target, copy = key.payload if key.payload else (None, None)
                        if target is not None:
                            QCoreApplication.sendEvent(target, QKeyEvent(QEvent.KeyPress, copy.key(), copy.modifiers(), copy.text()))
                finally:
                    self._replaying = False
