"""Points outside the sale in the cashier's hands (issue 14): the member panel's "points
to stored value" button opens the dialog, a value off the step is said, not fixed, and
after the conversion the panel shows both balances anew (Vancl: 100 pts = 2 yuan)."""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt

from app.points_dialogs import ConvertPointsDialog, CouponExchangeDialog
from pos.loyalty import ledger
from tests.ui.test_search_ui import (  # noqa: F401  (fixtures)
    enter, key, sign_in, store, store_template, type_keys, when_modal, window,
)


def test_points_to_stored_value_from_the_member_panel(qtbot, window, store):
    c = window.checkout
    mid = store.people["a"].id
    with store.transaction() as s:
        ledger.credit(s, uuid.UUID(mid), "bonus", 1000, now=store.clock.now(), expires_at=None,
                      store_code=store.store_code, reason="test")
    type_keys(qtbot, c.input, "13800138000")
    enter(qtbot, c.input)
    assert c.till.member_id == mid and c.panel.convert_btn.isEnabled()
    with store.read() as s:
        points_before, sv_before = ledger.points_balance(s, uuid.UUID(mid)), ledger.sv_balance(s, uuid.UUID(mid))
    seen = {}

    def convert(d):
        seen["start"] = d.edit.text()
        d.edit.selectAll()
        type_keys(qtbot, d.edit, "250")
        enter(qtbot, d.edit)
        seen["after_250"] = (d.isVisible(), d.error.text())
        d.edit.selectAll()
        type_keys(qtbot, d.edit, "200")
        enter(qtbot, d.edit)
    when_modal(qtbot, ConvertPointsDialog, convert)
    qtbot.mouseClick(c.panel.convert_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: "200" in c.message.text(), timeout=5000)
    assert seen["start"] == f"{points_before // 100 * 100}"  # starts at the most that can be converted
    visible, error = seen["after_250"]
    assert visible and "100" in error  # off the step: said, the dialog stays
    with store.read() as s:
        assert ledger.points_balance(s, uuid.UUID(mid)) == points_before - 200
        assert ledger.sv_balance(s, uuid.UUID(mid)) == sv_before + 400
    assert c.panel.stored.text() == f"¥{(sv_before + 400) / 100:.2f}"  # the panel refreshed
    assert f"{points_before - 200:,}" in c.panel.points.text()
    # the coupon exchange key opens the list of coupons for points (Vancl: pts-5 for 300)
    seen.clear()
    when_modal(qtbot, CouponExchangeDialog, lambda d: (seen.setdefault("rows", d.table.rowCount()), d.reject()))
    key(qtbot, window, Qt.Key_E, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: "rows" in seen, timeout=5000)
    assert seen["rows"] == 1
    assert not c.panel.lottery_btn.isEnabled()  # Vancl has no lottery


def test_a_lottery_draw_says_the_prize_and_shows_it_to_the_customer(qtbot, store, monkeypatch):
    """HDCRM (50 points a draw): Ctrl+Shift+O asks, draws, says the prize on the screen and
    sends it to the customer display; the member's points are 50 lower plus any points won."""
    from PySide6.QtWidgets import QMessageBox

    from app import dialogs, i18n
    from app.main_window import MainWindow
    from pos.rules import program as programs
    from pos.store import program_store

    program_store.install(store, programs.preset("hdcrm"), source="test")
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    sign_in(qtbot, w)
    try:
        c = w.checkout
        shown = []
        c.customer_display.connect(lambda a, b: shown.append((a, b)))
        mid = store.people["a"].id
        with store.transaction() as s:
            ledger.credit(s, uuid.UUID(mid), "bonus", 500, now=store.clock.now(), expires_at=None,
                          store_code=store.store_code, reason="test")
        with store.read() as s:
            before = ledger.points_balance(s, uuid.UUID(mid))
        type_keys(qtbot, c.input, "13800138000")
        enter(qtbot, c.input)
        assert c.panel.lottery_btn.isEnabled()
        when_modal(qtbot, QMessageBox, lambda box: box.button(QMessageBox.Yes).click())
        key(qtbot, w, Qt.Key_O, Qt.ControlModifier | Qt.ShiftModifier)
        qtbot.waitUntil(lambda: bool(shown), timeout=5000)
        assert shown[0][1] in c.message.text() and "50" in c.message.text()  # the prize's name, the cost
        prizes = {p.name.zh: p for p in program_store.active(store).bonuses.lottery_prizes}
        won = prizes[shown[0][1]]
        with store.read() as s:
            assert ledger.points_balance(s, uuid.UUID(mid)) == before - 50 + (won.points or 0)
    finally:
        w.close()
