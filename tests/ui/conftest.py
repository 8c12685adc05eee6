"""A UI test that leaves a modal dialog waiting (its `exec()` never returns) fails
with the dialog's name instead of hanging its worker until pytest-timeout ends it."""
from __future__ import annotations

import pytest

STUCK_AFTER_MS = 240_000  # past our longest UI test on a loaded machine (the cashier's hour: 150 s), before the 280 s stack dump


@pytest.fixture(autouse=True)
def _no_dialog_waits_forever(request):
    if "qtbot" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("qapp")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    closed: list[str] = []

    def close_modals():
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog):
            closed.append(type(w).__name__)
            w.done(0)  # its exec() returns; the test goes on and fails below
        timer.start(1000)  # and any dialog the test opens next

    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(close_modals)
    timer.start(STUCK_AFTER_MS)
    yield
    timer.stop()
    if closed:
        pytest.fail(f"modal dialog(s) {', '.join(closed)} still waiting after {STUCK_AFTER_MS // 1000} s: closed "
                    "so the test could end")
