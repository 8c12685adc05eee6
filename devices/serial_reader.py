"""A serial scanner or card reader on a worker thread.

The thread owns the port: it opens it, cuts what it reads into frames
(framing.Framer), decodes each frame (decoder.Decoder) and hands the events to
`on_event` -- on the worker thread; `app/` re-emits them as Qt signals.
When the port goes away (a USB adapter unplugged, the pty closed) it reports
Disconnected, keeps trying to open the same path with a growing pause, and
reports Connected when it is back. Frame contents are never logged.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from typing import Callable

import serial

from .config import SerialSettings
from .decoder import Decoder
from .events import Connected, Disconnected, Event
from .framing import Framer

log = logging.getLogger(__name__)

PORT_ERRORS = (OSError, serial.SerialException, ValueError)  # pyserial raises all three
POLL_S = 0.02  # read timeout: how often the thread looks at stop() and pause timeouts
STABLE_S = 2.0  # a connection that lasted this long resets the reconnect backoff


def open_serial(settings: SerialSettings, timeout: float = POLL_S) -> serial.Serial:
    """Open a port with the settings; pyserial URLs (loop://, socket://) work too."""
    if not settings.port:
        raise ValueError("no serial port configured")
    return serial.serial_for_url(
        settings.port, baudrate=settings.baudrate, bytesize=settings.bytesize, parity=settings.parity,
        stopbits=settings.stopbits, xonxoff=settings.xonxoff, rtscts=settings.rtscts, timeout=timeout)


def framer_for(settings: SerialSettings) -> Framer:
    return Framer(settings.terminator, settings.frame_timeout_ms,
                  settings.prefix.encode("utf-8"), settings.suffix.encode("utf-8"))


def port_error_text(exc: BaseException) -> str:
    """An OS error as one line ("No such file or directory"); never data."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    inner = re.search(r"\[Errno \d+\] ([^:]+)", text)  # pyserial wraps the OS error in its own text
    return inner.group(1).strip() if inner else text


class SerialReader:
    """start() / stop(); `connected` tells the current state."""

    def __init__(self, settings: SerialSettings, decoder: Decoder, on_event: Callable[[Event], None], *,
                 backoff_min: float = 0.1, backoff_max: float = 5.0):
        self.settings = settings
        self.decoder = decoder
        self.on_event = on_event
        self.backoff_min, self.backoff_max = backoff_min, max(backoff_min, backoff_max)
        self._stop = threading.Event()
        self._up = threading.Event()
        self._thread: threading.Thread | None = None
        self._port: serial.Serial | None = None
        self._state: str | None = None  # None (not tried yet), "up", "down"

    @property
    def connected(self) -> bool:
        return self._up.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._up.wait(timeout)

    def start(self) -> "SerialReader":
        if self._thread and self._thread.is_alive():
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"serial-{self.decoder.source}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread and close the port; safe to call twice."""
        self._stop.set()
        port = self._port
        if port is not None:
            try:
                port.cancel_read()  # wake a blocking read at once
            except Exception:  # noqa: BLE001 - not every port type can cancel
                pass
        if self._thread is not None:
            self._thread.join(timeout)

    # --- worker thread ---------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a broken handler must not kill the reader
            log.exception("%s: event handler failed", self.decoder.source)

    def _down(self, reason: str) -> None:
        self._up.clear()
        if self._state != "down":
            self._state = "down"
            log.info("%s: %s unavailable: %s", self.decoder.source, self.settings.port, reason)
            self._emit(Disconnected(self.settings.port, reason))

    def _run(self) -> None:
        delay = self.backoff_min
        while not self._stop.is_set():
            try:
                port = open_serial(self.settings)
            except PORT_ERRORS as exc:
                self._down(port_error_text(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            self._port = port
            self._state = "up"
            self._up.set()
            opened = time.monotonic()
            log.info("%s: connected to %s", self.decoder.source, self.settings.port)
            self._emit(Connected(self.settings.port))
            try:
                self._read_loop(port)
            except PORT_ERRORS as exc:
                if not self._stop.is_set():
                    self._down(port_error_text(exc))
            finally:
                self._port = None
                try:
                    port.close()
                except PORT_ERRORS:
                    pass
            # a port that opens and fails at once must not spin: the backoff only resets
            # after a connection that held for a while
            if time.monotonic() - opened > STABLE_S:
                delay = self.backoff_min
            self._stop.wait(delay)
            delay = min(delay * 2, self.backoff_max)
        self._up.clear()

    def _read_loop(self, port: serial.Serial) -> None:
        framer = framer_for(self.settings)
        try:
            while not self._stop.is_set():
                waiting = port.in_waiting
                data = port.read(waiting or 1)
                now = time.monotonic()
                for frame in (framer.feed(data, now) if data else framer.poll(now)):
                    for event in self.decoder.decode(frame):
                        self._emit(event)
        finally:
            dropped = framer.reset()
            if dropped:
                log.info("%s: dropped a partial frame of %d byte(s)", self.decoder.source, dropped)
