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


def test_a_screenshot_of_a_small_store_with_no_vip(tmp_path, monkeypatch, qapp):
    """A store with little history (no VIP who bought, few products): the checkout is
    still drawn, with whoever buys most (it was `None[0]`, a traceback)."""
    from PySide6.QtWidgets import QApplication

    from app.screenshot import render
    from pos.demo import store as demo
    from pos.store import program_store
    from pos.store.database import open_db

    monkeypatch.setenv("POS_CLOCK", POS_CLOCK)
    path = tmp_path / "small.sqlite3"
    db = open_db(path)
    program_store.ensure_default(db)
    demo.build(db, members=30, products=8, seed=3)
    db.close()
    before = set(QApplication.topLevelWidgets())
    out = tmp_path / "checkout.png"
    try:
        render("checkout", "zh_CN", str(out), str(path), (1024, 768))
    finally:
        i18n.install("zh_CN")
        for w in set(QApplication.topLevelWidgets()) - before:
            w.close()
            w.deleteLater()
    assert (QImage(str(out)).width(), QImage(str(out)).height()) == (1024, 768)
