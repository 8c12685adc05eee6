"""The till fits 1024x768 with a title bar, in Chinese and English (issue 11 item 9):
it opens maximized, its minimum size fits the screen, and the status bar with the
sync state stays on screen."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from .cashier import demo_template, till_store, till_window  # noqa: F401

TITLE_BAR = 28  # a window manager's title bar on a 768-line screen


def test_the_screen_fits_1024x768_in_both_languages(qtbot, till_window):
    w = till_window
    assert w.windowState() & Qt.WindowMaximized
    for lang in ("zh_CN", "en"):
        w.set_language(lang)
        w.stack.setCurrentWidget(w.checkout)
        qtbot.wait(50)
        hint = w.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 768 - TITLE_BAR, (lang, hint.toTuple())
        w.setWindowState(Qt.WindowNoState)
        w.resize(1024, 768 - TITLE_BAR)
        qtbot.wait(50)
        assert w.width() <= 1024 and w.height() <= 768 - TITLE_BAR, (lang, w.size().toTuple())
        bar = w.statusBar()
        assert bar.isVisible()
        corner = w.sync_label.mapTo(w, QPoint(w.sync_label.width(), w.sync_label.height()))
        assert corner.x() <= w.width() and corner.y() <= w.height(), (lang, corner.toTuple())
        assert w.checkout.key_buttons["F12"].mapTo(w, QPoint(0, 0)).x() + w.checkout.key_buttons["F12"].width() <= w.width()
        w.resize(1366, 768 - TITLE_BAR)
        qtbot.wait(30)
        assert w.minimumSizeHint().width() <= 1366
    w.set_language("zh_CN")
