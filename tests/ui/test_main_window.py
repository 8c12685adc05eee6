"""The till's main window over a real store, driven with pytest-qt."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app import i18n
from app.application import open_store
from app.main_window import MainWindow
from pos import demo


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T19:00")
    i18n.install("zh_CN")
    db = open_store(tmp_path / "till.sqlite3")  # first run: preset program + demo data
    w = MainWindow(db)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()
    db.close()
    i18n.install("zh_CN")


def test_first_run_has_demo_members_and_test_clock_banner(window):
    assert window.banner.isVisible()
    assert "2026-11-23 19:00" in window.banner.text()
    assert window.banner.text().startswith("测试时钟")  # zh_CN is the default language


def test_identify_by_card_with_keyboard(window, qtbot):
    qtbot.keyClicks(window.input, demo.demo_card(3))
    qtbot.keyClick(window.input, Qt.Key_Return)
    assert window.matches.count() == 1
    assert "****" in window.card.title.text()  # the phone is masked
    assert demo.demo_phone(3, 1)[3:] not in window.card.title.text()
    assert window.message.text() == "找到 1 位会员"


def test_identify_by_phone_and_unknown(window, qtbot):
    phone = demo.demo_phone(10, 1)[3:]
    qtbot.keyClicks(window.input, phone)
    qtbot.keyClick(window.input, Qt.Key_Return)
    assert window.matches.count() == 1
    qtbot.keyClick(window, Qt.Key_Escape)
    assert window.input.text() == "" and window.matches.count() == 0
    qtbot.keyClicks(window.input, "1380013")
    qtbot.keyClick(window.input, Qt.Key_Return)
    assert window.matches.count() == 0
    assert "未找到会员" in window.message.text()


def test_english_switch(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("POS_CLOCK", raising=False)
    i18n.install("en")
    try:
        db = open_store(tmp_path / "till.sqlite3")
        w = MainWindow(db)
        qtbot.addWidget(w)
        assert w.windowTitle().startswith("Member checkout")
        assert not w.banner.isVisibleTo(w)  # real clock: no banner
        assert w.sync_label.text() == "HQ sync: not configured"
        db.close()
    finally:
        i18n.install("zh_CN")
