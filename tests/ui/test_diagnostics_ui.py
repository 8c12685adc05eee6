"""The diagnostics window (issue 19 §3): Ctrl+Shift+I, a manager's; the doctor's
figures in words, the report for IT, "copy report" to the clipboard."""
from __future__ import annotations

import sqlite3

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app import dialogs, i18n
from app.diagnostics import DiagnosticsDialog
from app.main_window import MainWindow
from pos.store import backup as bk
from tests.ui.test_search_ui import (  # noqa: F401  (fixtures)
    enter, sign_in, store, store_template, type_keys, when_modal, window,
)


def test_a_cashier_needs_a_manager_and_the_window_says_what_doctor_says(qtbot, window, store):
    bk.backup(store)  # one backup, so the window shows when
    seen = {}

    def manager(d):
        type_keys(qtbot, d.code, "M01")
        enter(qtbot, d.code)
        type_keys(qtbot, d.pin, "9999")
        enter(qtbot, d.pin)

    def look(d):
        seen["backup"] = d.backup_label.text()
        seen["report"] = d.text.toPlainText()
        seen["sync"] = d.sync_label.text()
        seen["title"] = d.windowTitle()
        qtbot.mouseClick(d.copy, Qt.LeftButton)
        seen["copied"] = QGuiApplication.clipboard().text()
        seen["button"] = d.copy.text()
        d.reject()
    when_modal(qtbot, dialogs.ManagerDialog, manager)
    when_modal(qtbot, DiagnosticsDialog, look)
    qtbot.keyClick(window.checkout.input, Qt.Key_I, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: "copied" in seen, timeout=8000)
    last = store.settings.get("backup.last") or {}
    assert seen["title"] == "诊断信息"
    assert seen["backup"] and seen["backup"] == last.get("at")
    assert seen["report"].startswith("memberpos ") and "last backup:" in seen["report"]
    assert seen["copied"] == seen["report"] and seen["button"] == "已复制"
    assert seen["sync"] == "未连接总部"
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT actor FROM audit_log WHERE action = 'override.diagnostics'").fetchall() == [("M01",)]
    conn.close()
    qtbot.waitUntil(window.checkout.input.hasFocus, timeout=3000)  # back to the scan input


def test_a_wrong_pin_does_not_open_it(qtbot, window, store):
    opened = []

    def manager(d):
        type_keys(qtbot, d.code, "C01")
        enter(qtbot, d.code)
        type_keys(qtbot, d.pin, "1234")
        enter(qtbot, d.pin)
        qtbot.keyClick(d.pin, Qt.Key_Escape)
    when_modal(qtbot, dialogs.ManagerDialog, manager)
    when_modal(qtbot, DiagnosticsDialog, lambda d: (opened.append(d), d.reject()), timeout_ms=1500)
    qtbot.keyClick(window.checkout.input, Qt.Key_I, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.wait(1700)
    assert not opened
