"""What the cashier UI tests share: one demo store built once per session and
copied for each test (building it takes seconds), a signed-in window with the
devices as a till has them by default (keyboard-wedge detector on), and typing
at a person's pace or a scanner's burst through real key events."""
from __future__ import annotations

import shutil
import sqlite3

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from app import dialogs, i18n

POS_CLOCK = "2026-11-23T19:00"
PERSON_MS = (35, 90)  # a person: 35-90 ms between keys (above the wedge's 55 ms, and below it)
WEDGE_MS = 8  # a keyboard-wedge scanner's burst


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    import os

    from app.application import open_store

    old = os.environ.get("POS_CLOCK")
    os.environ["POS_CLOCK"] = POS_CLOCK
    try:
        path = tmp_path_factory.mktemp("demo") / "store.sqlite3"
        db = open_store(path)
        db.close()
    finally:
        if old is None:
            os.environ.pop("POS_CLOCK", None)
        else:
            os.environ["POS_CLOCK"] = old
    return path


@pytest.fixture
def till_store(tmp_path, demo_template, monkeypatch):
    """A copy of the demo store; devices as shipped (wedge on) unless a test says otherwise."""
    from app.application import open_store

    monkeypatch.setenv("POS_CLOCK", POS_CLOCK)
    path = tmp_path / "till.sqlite3"
    shutil.copy(demo_template, path)
    db = open_store(path)
    yield db
    db.close()


def wait_gap(qtbot, ms: int) -> None:
    qtbot.wait(ms)


def type_keys(qtbot, text: str, gaps=PERSON_MS, enter: bool = False) -> None:
    """Type into whatever has focus now, key by key, as the window system delivers it."""
    import random

    rnd = random.Random(len(text))
    for ch in text:
        target = QApplication.focusWidget() or QApplication.activeWindow()
        qtbot.keyClick(target, ch)
        qtbot.wait(rnd.randint(*gaps) if isinstance(gaps, tuple) else gaps)
    if enter:
        press(qtbot, Qt.Key_Return)
        qtbot.wait(rnd.randint(*gaps) if isinstance(gaps, tuple) else gaps)


def press(qtbot, key, modifier=Qt.NoModifier) -> None:
    target = QApplication.focusWidget() or QApplication.activeWindow()
    qtbot.keyClick(target, key, modifier)


def scan(qtbot, code: str) -> None:
    """A wedge scanner: the code and Enter in a burst, to whatever has focus."""
    type_keys(qtbot, code, gaps=WEDGE_MS, enter=True)


def settle(qtbot, ms: int = 120) -> None:
    """Past the wedge's hold-back: everything typed has landed."""
    qtbot.wait(ms)


def sign_in(qtbot, window, code="C01", pin="1234") -> None:
    window.signin.code.setFocus()
    Typist(qtbot).type(code).enter().type(pin).enter().run()


def connect(db):
    return sqlite3.connect(db.path)


def product_codes(db, n=3, lo=1000, hi=20000):
    conn = connect(db)
    out = [r[0] for r in conn.execute(
        "SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
        "WHERE p.points_class = 'regular' AND p.price_fen BETWEEN ? AND ? ORDER BY b.barcode LIMIT ?", (lo, hi, n))]
    conn.close()
    return out


@pytest.fixture
def till_window(qtbot, till_store, monkeypatch):
    """The till's window, signed in as cashier C01 with a float of ¥200, typed by keys."""
    from app.main_window import MainWindow

    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)  # the receipt preview after each sale
    w = MainWindow(till_store)
    qtbot.addWidget(w)
    w.show()
    w.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is w.windowHandle(), timeout=3000)
    answer_float(monkeypatch, "200")
    sign_in(qtbot, w)
    qtbot.waitUntil(lambda: w.checkout is not None and w.stack.currentWidget() is w.checkout, timeout=5000)
    monkeypatch.undo()
    monkeypatch.setenv("POS_CLOCK", POS_CLOCK)
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)
    w.checkout.focus_input()
    yield w
    w.close()
    i18n.install("zh_CN")


def answer_float(monkeypatch, amount: str) -> None:
    orig = dialogs.TextDialog.exec

    def fill(self):
        self.edit.setText(amount)
        return 1
    monkeypatch.setattr(dialogs.TextDialog, "exec", fill)
    return orig


def when_open(qtbot, cls, then, timeout=3000):
    """Run `then(dialog)` once a real dialog of `cls` is open (its exec() runs for real)."""
    from PySide6.QtCore import QTimer

    def check():
        modal = QApplication.activeModalWidget()
        if isinstance(modal, cls) and modal.isVisible():
            then(modal)
        else:
            QTimer.singleShot(10, check)
    QTimer.singleShot(10, check)


class Typist:
    """Keys at a person's (or a scanner's) pace, each from its own turn of the event
    loop, so a key that opens a dialog (whose exec() runs for real) does not stop the
    keys after it: they reach the dialog as they would from the window system.
    Steps: text (typed char by char), Qt keys, ("wait", ms), or callables."""

    def __init__(self, qtbot, seed: int = 1):
        import random

        self.qtbot = qtbot
        self.rnd = random.Random(seed)
        self.steps: list[tuple] = []
        self.done = False
        self.log: list[str] = []
        self.wedge_gaps = WEDGE_MS  # ms between a burst's keys: a number, or (lo, hi) for a scanner's jitter

    def type(self, text: str, gaps=PERSON_MS) -> "Typist":
        for ch in text:
            self.steps.append(("char", ch, gaps))
        return self

    def scan(self, code: str) -> "Typist":
        """A wedge scanner's burst: WEDGE_MS between keys, in one go (a loaded machine
        must not stretch a scanner into a person)."""
        self.steps.append(("burst", code + "\r", PERSON_MS))
        return self

    def key(self, key, modifier=Qt.NoModifier, gap=PERSON_MS) -> "Typist":
        self.steps.append(("key", (key, modifier), gap))
        return self

    def enter(self, gap=PERSON_MS) -> "Typist":
        return self.key(Qt.Key_Return, gap=gap)

    def wait(self, ms: int) -> "Typist":
        self.steps.append(("wait", ms, 0))
        return self

    def call(self, fn) -> "Typist":
        self.steps.append(("call", fn, 0))
        return self

    def _gap(self, gaps) -> int:
        return self.rnd.randint(*gaps) if isinstance(gaps, tuple) else int(gaps)

    def run(self, timeout: int = 15000) -> None:
        """Play every step and wait until the last one is done (dialogs included)."""
        from PySide6.QtCore import QTimer

        steps = list(self.steps)
        self.steps = []
        self.done = False

        def step():
            if not steps:
                self.done = True
                return
            kind, what, gaps = steps.pop(0)
            if kind == "wait":
                QTimer.singleShot(what, step)
                return
            if kind != "burst":  # the next key is on its way already
                QTimer.singleShot(self._gap(gaps) if kind != "call" else 0, step)
            if kind == "call":
                what()
                return
            # as the window system does: to the window that has keyboard focus (not to a widget)
            target = QGuiApplication.focusWindow()
            if target is None:
                top = QApplication.activeModalWidget() or QApplication.activeWindow() or next(
                    (w for w in QApplication.topLevelWidgets() if w.isVisible() and w.inherits("QMainWindow")), None)
                target = top.windowHandle() if top is not None else None
            self.log.append(f"{target.objectName() if target else None}:{what!r}")
            if target is None:
                if kind == "burst":
                    QTimer.singleShot(self._gap(gaps), step)
                return
            if kind == "burst":
                import time

                for ch in what:
                    win = QGuiApplication.focusWindow() or target
                    if ch == "\r":
                        self.qtbot.keyClick(win, Qt.Key_Return)
                    else:
                        self.qtbot.keyClick(win, ch)
                    time.sleep(self._gap(self.wedge_gaps) / 1000)
                # a burst is one device's keys: what follows starts after its last key (keyClick runs the
                # event loop, so a timer started before the burst would interleave the next step into it)
                QTimer.singleShot(self._gap(gaps), step)
            elif kind == "char":
                if what == "\r":
                    self.qtbot.keyClick(target, Qt.Key_Return)
                else:
                    self.qtbot.keyClick(target, what)
            else:
                self.qtbot.keyClick(target, what[0], what[1])

        QTimer.singleShot(0, step)
        self.qtbot.waitUntil(lambda: self.done, timeout=timeout)
        self.qtbot.wait(120)  # past the wedge's hold-back: every key has landed
