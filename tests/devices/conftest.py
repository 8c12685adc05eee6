"""Pseudo-terminals standing in for serial ports, and an event collector with waits."""
from __future__ import annotations

import os
import threading
import time
import tty

import pytest

from devices.events import FRAME_EVENTS

BANK_PAN = "4111111111111111"  # the public Visa test number: Luhn-valid, no one's card
BANK_SWIPE = f"%B{BANK_PAN}^TEST/CARD^29121010000000000000?;{BANK_PAN}=29121010000000000000?"
MEMBER_SWIPE = "%9000000001^WANG/XIAOMING^?;9000000001?"


class Pty:
    """One pseudo-terminal: write() on the master = bytes arriving at the 'device port' (path)."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # before any byte arrives: no echo, CR stays CR
        self.path = os.ttyname(self.slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def read(self, n: int = 4096, timeout: float = 2.0) -> bytes:
        """What the program wrote to the port (printer/display tests)."""
        import select

        ready, _, _ = select.select([self.master], [], [], timeout)
        return os.read(self.master, n) if ready else b""

    def unplug(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def close(self) -> None:
        self.unplug()
        if self.slave is not None:
            os.close(self.slave)
            self.slave = None


@pytest.fixture
def make_pty():
    made: list[Pty] = []

    def make() -> Pty:
        p = Pty()
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


class Events:
    """A thread-safe on_event callback that tests can wait on (no fixed sleeps)."""

    def __init__(self):
        self.items: list = []
        self._cond = threading.Condition()

    def __call__(self, event) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait(self, predicate, timeout: float = 5.0) -> list:
        end = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.items):
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; events so far: {self.items!r}")
                self._cond.wait(left)
            return list(self.items)

    def wait_type(self, cls, count: int = 1, timeout: float = 5.0) -> list:
        return [e for e in self.wait(lambda xs: sum(isinstance(e, cls) for e in xs) >= count, timeout)
                if isinstance(e, cls)]

    def frames(self, count: int, timeout: float = 5.0) -> list:
        """The first `count` frame events (what each frame was), ignoring connect/disconnect."""
        got = self.wait(lambda xs: sum(isinstance(e, FRAME_EVENTS) for e in xs) >= count, timeout)
        return [e for e in got if isinstance(e, FRAME_EVENTS)]


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Device settings and the reprint queue never touch the real user data dir."""
    monkeypatch.setenv("POS_DB", str(tmp_path / "data" / "store.sqlite3"))
    monkeypatch.delenv("POS_DEVICES_CONFIG", raising=False)
