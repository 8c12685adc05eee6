"""The till's small dialogs in a cashier's hands: points (F7), gifts (F8), manager
prompts, hold/recall (F9), the blind shift count, a restart between cashiers and the
sign-in hint. Real widgets and dialogs, keys with 20–90 ms gaps, the database checked."""
from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from PySide6.QtCore import Qt

from app import dialogs, i18n
from app.main_window import MainWindow
from app.signin_screen import SignInScreen
from pos.loyalty import ledger
from pos.rules.money import yuan
from tests.ui.test_search_ui import (  # noqa: F401  (fixtures)
    activate, basket_doc, enter, key, product_names, sign_in, store, store_template, type_keys, when_modal, window,
)


def give_points(db, member_id: str, points: int) -> None:
    with db.transaction() as s:
        ledger.credit(s, uuid.UUID(member_id), "bonus", points, now=db.clock.now(), expires_at=None,
                      store_code=db.store_code, reason="test")


def scan_priced(qtbot, w, lo_fen: int, hi_fen: int) -> int:
    """Scan one product priced lo..hi (a wedge burst); its price."""
    name, barcode, price = next(r for r in product_names(w.db) if lo_fen <= r[2] <= hi_fen)
    type_keys(qtbot, w.checkout.input, barcode, 5, 15)
    enter(qtbot, w.checkout.input)
    qtbot.waitUntil(lambda: not w.checkout.reprice_timer.isActive(), timeout=2000)
    return price


def attach(qtbot, w, phone: str) -> None:
    type_keys(qtbot, w.checkout.input, phone)
    enter(qtbot, w.checkout.input)
    assert w.checkout.till.checkout.member_id is not None, w.checkout.message.text()


def rows_of(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


# --- F7 points -------------------------------------------------------------------------------------


def test_points_dialog_never_changes_what_was_typed(qtbot, window, store):
    c = window.checkout
    a = store.people["a"]
    give_points(store, a.id, 20000)
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 10000, 30000)
    cap, _value = c.till.points_cap()
    assert 0 < cap < 9000
    seen = {}

    def first(d):
        seen["selected"] = d.edit.selectedText()
        seen["start"] = d.edit.text()
        seen["labels"] = [w.text() for w in d.findChildren(dialogs.QLabel)]
        type_keys(qtbot, d.edit, "9000")  # replaces the selected cap
        enter(qtbot, d.edit)
        seen["after_9000"] = (d.isVisible(), d.edit.text(), d.error.text())
        d.edit.selectAll()
        type_keys(qtbot, d.edit, "150")
        enter(qtbot, d.edit)
        seen["after_150"] = (d.isVisible(), d.edit.text(), d.error.text())
        d.edit.selectAll()
        type_keys(qtbot, d.edit, "1000")
        enter(qtbot, d.edit)
    when_modal(qtbot, dialogs.RedeemDialog, first)
    key(qtbot, window, Qt.Key_F7)
    assert seen["selected"] == seen["start"] == str(cap)  # selected on open: typing replaces it
    assert any(f"{cap:,}" in t for t in seen["labels"])  # the cap is shown
    assert any("尚未使用" in t for t in seen["labels"])
    visible, text, error = seen["after_9000"]
    assert visible and text == "9000"  # not silently turned into 900 or the cap
    assert "9,000" in error and f"{cap:,}" in error
    visible, text, error = seen["after_150"]
    assert visible and text == "150" and "100" in error
    q = c.till.last_quote
    assert q.points_for_cash == 1000 and q.points_value_fen == 2000
    assert basket_doc(store)["redeem_points"] == 1000
    # opened again: what is already applied is shown and is the starting value
    seen.clear()

    def again(d):
        seen["start"] = d.edit.text()
        seen["labels"] = [w.text() for w in d.findChildren(dialogs.QLabel)]
        qtbot.keyClick(d.edit, Qt.Key_Escape)
    when_modal(qtbot, dialogs.RedeemDialog, again)
    key(qtbot, window, Qt.Key_F7)
    assert seen["start"] == "1000"
    assert any("本单已用：1,000 积分" in t for t in seen["labels"])
    assert c.till.last_quote.points_for_cash == 1000  # Esc changed nothing


# --- F8 gifts ---------------------------------------------------------------------------------------


def test_gift_dialog_says_why_and_counts_what_the_basket_uses(qtbot, window, store):
    c = window.checkout
    give_points(store, store.people["a"].id, 700)  # 100 sign-up + 700 = 800
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 10000, 30000)
    c.till.redeem(100)  # the basket already takes 100 points for cash
    c.refresh()
    seen = {}

    def pick(d):
        seen["rows"] = rows_of(d.table)
        seen["header"] = [w.text() for w in d.findChildren(dialogs.QLabel)]
        seen["width"] = (d.width(), sum(d.table.columnWidth(i) for i in range(d.table.columnCount())))
        cup = next(r for r, row in enumerate(seen["rows"]) if "800" in row[1])
        d.table.setCurrentCell(cup, 0)
        qtbot.keyClick(d.table, Qt.Key_Return)
        seen["refused"] = (d.isVisible(), d.error.text())
        towel = next(r for r, row in enumerate(seen["rows"]) if row[2] == "可兑换")
        d.table.setCurrentCell(towel, 0)
        qtbot.wait(30)
        qtbot.keyClick(d.table, Qt.Key_Return)
    when_modal(qtbot, dialogs.GiftDialog, pick)
    key(qtbot, window, Qt.Key_F8)
    assert any("可用积分：700" in t and "本单已用 100" in t for t in seen["header"])
    assert [row[2] for row in seen["rows"]] == ["可兑换", "还差 100 积分", "还差 800 积分"]
    assert all(row[0] and row[0].isascii() is False for row in seen["rows"])  # the gifts' Chinese names
    assert seen["refused"] == (True, "还差 100 积分")  # Enter on an unavailable gift says why
    width, columns = seen["width"]
    assert columns <= width <= 1024  # every column fits on a 1024-wide screen
    q = c.till.last_quote
    assert q.gifts == ["g-towel"] and q.points_redeemed == 100 + 500
    assert basket_doc(store)["gifts"] == ["g-towel"]


# --- manager prompts -----------------------------------------------------------------------------------


def test_a_wrong_manager_pin_says_so_and_the_dialog_stays_for_a_second_try(qtbot, window, store):
    c = window.checkout
    scan_priced(qtbot, window, 2000, 30000)
    seen = {}

    def manager(d):
        type_keys(qtbot, d.code, "M01")
        enter(qtbot, d.code)  # on to the PIN, no refusal yet
        seen["after_code"] = (d.isVisible(), d.error.text())
        type_keys(qtbot, d.pin, "0000")
        enter(qtbot, d.pin)
        seen["after_wrong"] = (d.isVisible(), d.error.text(), d.pin.text())
        type_keys(qtbot, d.pin, "9999")
        enter(qtbot, d.pin)
    when_modal(qtbot, dialogs.TextDialog, lambda d: (type_keys(qtbot, d.edit, "30"), enter(qtbot, d.edit)))
    when_modal(qtbot, dialogs.ManagerDialog, manager)
    key(qtbot, window, Qt.Key_F5)
    assert seen["after_code"] == (True, "")
    visible, error, pin = seen["after_wrong"]
    assert visible and "密码错误" in error and pin == ""
    assert any(d.kind == "manual" for d in c.till.last_quote.lines[0].discounts)
    conn = sqlite3.connect(store.path)
    actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'override.%' ORDER BY rowid")]
    conn.close()
    assert actions == ["override.refused", "override.line_discount"]


def test_a_signed_in_manager_is_not_asked_again(qtbot, store, monkeypatch):
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    sign_in(qtbot, w, "M01", "9999")
    c = w.checkout
    attach(qtbot, w, "13800138000")
    asked: list = []
    when_modal(qtbot, dialogs.ManagerDialog, lambda d: (asked.append(d), qtbot.keyClick(d.code, Qt.Key_Escape)),
               timeout_ms=1500)
    c.panel.unmask_btn.click()
    assert not asked
    assert "13800138000" in c.panel.title.text()
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT actor FROM audit_log WHERE action = 'override.unmask_phone'").fetchall() == [("M01",)]
    conn.close()
    w.close()


# --- F9 hold and recall -------------------------------------------------------------------------------


def test_held_baskets_show_local_time_total_and_member(qtbot, window, store):
    c = window.checkout
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 2000, 30000)
    total = c.till.last_quote.net_fen
    key(qtbot, window, Qt.Key_F9)  # hold
    assert not c.till.checkout.lines and c.till.checkout.member_id is None
    seen = {}

    def recall(d):
        seen["rows"] = rows_of(d.table)
        seen["columns"] = [d.table.horizontalHeaderItem(i).text() for i in range(d.table.columnCount())]
        qtbot.keyClick(d.table, Qt.Key_Return)
    when_modal(qtbot, dialogs.HeldDialog, recall)
    key(qtbot, window, Qt.Key_F9)  # recall
    assert seen["columns"][:3] == ["挂单时间", "合计", "会员"]
    (row,) = seen["rows"]
    assert row[0] == "19:00"  # store-local (Asia/Shanghai), not UTC 11:00
    assert row[1] == "¥" + yuan(total)
    assert row[2] == "王** 138****8000"
    assert row[4] == "C01"
    assert c.till.checkout.member_id == store.people["a"].id and len(c.till.checkout.lines) == 1
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM baskets WHERE status = 'suspended'").fetchone()[0] == 0
    conn.close()


# --- the blind shift count -----------------------------------------------------------------------------


def test_closing_the_shift_is_a_blind_count(qtbot, window, store):
    from pos.services import checkout

    c = window.checkout
    scan_priced(qtbot, window, 2000, 30000)
    due = c.till.last_quote.net_fen
    c.till.pay([checkout.Tender("cash", due)])
    c.refresh()
    expected = 20000 + due  # the opening float + cash taken
    seen = {}

    def count(d):
        seen["before"] = " ".join(w.text() for w in d.findChildren(dialogs.QLabel))
        type_keys(qtbot, d.edit, "250")
        enter(qtbot, d.edit)
        seen["after"] = d.result.text()
        enter(qtbot, d.edit)  # done
    when_modal(qtbot, dialogs.ShiftCloseDialog, count)
    key(qtbot, window, Qt.Key_Q, Qt.ControlModifier)
    assert yuan(expected) not in seen["before"] and "应有" not in seen["before"]  # nothing to copy from
    assert "实点 ¥250.00" in seen["after"] and f"应有 ¥{yuan(expected)}" in seen["after"]
    assert f"差额 {'+' if 25000 > expected else '-'}¥{yuan(abs(25000 - expected))}" in seen["after"]
    conn = sqlite3.connect(store.path)
    counted, exp, closed = conn.execute("SELECT counted_fen, expected_fen, closed_at FROM shifts").fetchone()
    conn.close()
    assert (counted, exp) == (25000, expected) and closed is not None
    assert window.stack.currentWidget() is window.signin


def test_esc_before_the_count_keeps_the_shift_open(qtbot, window, store):
    when_modal(qtbot, dialogs.ShiftCloseDialog, lambda d: qtbot.keyClick(d.edit, Qt.Key_Escape))
    key(qtbot, window, Qt.Key_Q, Qt.ControlModifier)
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT closed_at FROM shifts").fetchone() == (None,)
    conn.close()
    assert window.stack.currentWidget() is window.checkout


# --- a restart between cashiers ------------------------------------------------------------------------


def test_a_restart_gives_the_basket_back_to_its_own_cashier_only(qtbot, store, monkeypatch):
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)

    def start(code, pin):
        w = MainWindow(store)
        qtbot.addWidget(w)
        w.show()
        sign_in(qtbot, w, code, pin)
        return w

    w = start("C01", "1234")
    attach(qtbot, w, "13800138000")
    scan_priced(qtbot, w, 2000, 30000)
    w.close()  # a restart (the basket is saved on every change, as after a crash)
    w = start("C01", "1234")  # the same cashier: resumed, member and all
    assert w.checkout.till.checkout.member_id == store.people["a"].id and len(w.checkout.till.checkout.lines) == 1
    w.close()
    w = start("C02", "2345")  # the next cashier does not inherit the member or the lines
    assert w.checkout.till.checkout.member_id is None and not w.checkout.till.checkout.lines
    assert "王小明" not in w.checkout.panel.title.text()
    conn = sqlite3.connect(store.path)
    held = [json.loads(d) for (d,) in conn.execute("SELECT document FROM baskets WHERE status = 'suspended'")]
    conn.close()
    assert [h["cashier"] for h in held] == ["C01"] and held[0]["member_id"] == store.people["a"].id  # on hold, kept
    w.close()


# --- the sign-in screen ------------------------------------------------------------------------------


def test_demo_pins_are_shown_only_on_the_demo_store(qtbot, store):
    i18n.install("zh_CN")
    real = SignInScreen(store)
    qtbot.addWidget(real)
    assert real.hint.isHidden()
    store.set_setting("demo_store", True)
    demo = SignInScreen(store)
    qtbot.addWidget(demo)
    assert not demo.hint.isHidden() and "1234" in demo.hint.text()
