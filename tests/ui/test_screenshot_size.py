"""`python main.py screenshot` renders at the size asked for (default 1024x768), not at
the offscreen platform's screen (the till opens maximized: it gave 796x796)."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtGui import QImage

from app import i18n

from .cashier import POS_CLOCK, demo_template  # noqa: F401


@pytest.mark.parametrize("screen,size", [("member", (1024, 768)), ("join", (1366, 768))])
def test_a_screenshot_has_the_size_asked_for(tmp_path, demo_template, monkeypatch, qapp, screen, size):
    from app.screenshot import render

    monkeypatch.setenv("POS_CLOCK", POS_CLOCK)
    db = tmp_path / "store.sqlite3"
    shutil.copy(demo_template, db)
    out = tmp_path / f"{screen}.png"
    from PySide6.QtWidgets import QApplication

    before = set(QApplication.topLevelWidgets())
    try:
        render(screen, "zh_CN", str(out), str(db), size)
    finally:
        i18n.install("zh_CN")
        for w in set(QApplication.topLevelWidgets()) - before:  # no window of it is left for the next test
            w.close()
            w.deleteLater()
    img = QImage(str(out))
    assert (img.width(), img.height()) == size
