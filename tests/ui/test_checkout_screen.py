"""The cashier screen end to end, by keyboard, over a real store (pytest-qt, offscreen).

Modal dialogs are answered by replacing their `exec` with a function that
fills them in as a cashier would and accepts — the dialog's own code
(validation, tenders, approvals) still runs."""
from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt

from app import dialogs, i18n
from app.application import open_store
from app.main_window import MainWindow
from app.returns_screen import ReturnsDialog
from pos.services import checkout
from pos.demo import store as demo
from pos.loyalty import ledger
from pos.store.database import open_db


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T19:00")
    path = tmp_path / "till.sqlite3"
    # qtbot types faster than any person: with the keyboard-wedge detector on, its typing
    # would count as scans. The wedge has its own test below.
    from devices import config as device_config
    off = device_config.DeviceSettings.model_validate({"scanner": {"mode": "off"}, "card_reader": {"mode": "off"}})
    device_config.save(off, tmp_path / "devices.json")
    db = open_store(path)  # first run: program, demo members/products/sales, demo staff
    yield db
    db.close()


def answer(monkeypatch, cls, fill):
    """Make `cls(...).exec()` fill the dialog and accept it (or return 0 when fill says so)."""
    def fake_exec(self):
        result = fill(self)
        if result is False:
            return 0
        if isinstance(self, dialogs.PaymentDialog) and self.paid() < self.due:
            return 0
        return 1
    monkeypatch.setattr(cls, "exec", fake_exec)


@pytest.fixture
def window(qtbot, store, monkeypatch):
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)  # the receipt preview after each sale
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    with monkeypatch.context() as m:
        answer(m, dialogs.TextDialog, lambda d: d.edit.setText("200"))  # opening float
        qtbot.keyClicks(w.signin.code, "C01")
        qtbot.keyClick(w.signin.code, Qt.Key_Return)
        qtbot.keyClicks(w.signin.pin, "1234")
        qtbot.keyClick(w.signin.pin, Qt.Key_Return)
    assert w.checkout is not None and w.stack.currentWidget() is w.checkout
    yield w
    w.close()
    i18n.install("zh_CN")


def codes(db, n=3):
    conn = sqlite3.connect(db.path)
    out = [r[0] for r in conn.execute(
        "SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
        "WHERE p.points_class = 'regular' AND p.price_fen BETWEEN 1000 AND 20000 ORDER BY b.barcode LIMIT ?", (n,))]
    conn.close()
    return out


def scan(qtbot, w, code):
    qtbot.keyClicks(w.checkout.input, code)
    qtbot.keyClick(w.checkout.input, Qt.Key_Return)
    # the row is painted at once; saving and re-pricing follow on the next loop turn
    qtbot.waitUntil(lambda: not w.checkout.reprice_timer.isActive(), timeout=2000)


def test_sign_in_refuses_a_wrong_pin(qtbot, store):
    w = MainWindow(store)
    qtbot.addWidget(w)
    qtbot.keyClicks(w.signin.code, "C01")
    qtbot.keyClicks(w.signin.pin, "0000")
    qtbot.keyClick(w.signin.pin, Qt.Key_Return)
    assert w.stack.currentWidget() is w.signin
    assert "工号或密码错误" in w.signin.error.text()


def test_serve_a_member_by_keyboard(qtbot, window, store, monkeypatch):
    w = window
    c = w.checkout
    scan(qtbot, w, demo.demo_phone(5, 1)[3:])  # identify by phone
    assert c.till.checkout.member_id is not None
    assert "****" in c.panel.title.text()
    for code in codes(store):
        scan(qtbot, w, code)
    assert c.model.rowCount() == 3
    q = c.till.last_quote
    assert c.due.text().endswith(q.net_fen and f"{q.net_fen // 100}.{q.net_fen % 100:02d}")
    # a coupon from the member's wallet, by clicking it in the panel
    from pos.loyalty import coupons
    from pos.store import program_store
    with store.transaction() as s:
        import uuid
        coupons.issue(s, store, program_store.active(store), "welcome-10", member_id=uuid.UUID(c.till.checkout.member_id), source="manual")
    c.refresh()
    assert c.panel.coupons.count() >= 1
    before = c.till.last_quote.net_fen
    c.panel.coupons.itemClicked.emit(c.panel.coupons.item(0))
    assert c.till.last_quote.coupons, c.refusals.text()
    assert c.till.last_quote.net_fen == before - 1000  # 10-yuan voucher
    # redeem points: the dialog shows the cap; the cashier takes 100 points (= 2 yuan)
    with store.read() as s:
        have = ledger.available_points(s, uuid.UUID(c.till.checkout.member_id), store.clock.now())
    assert have >= 100
    answer(monkeypatch, dialogs.RedeemDialog, lambda d: d.edit.setText("100"))
    qtbot.keyClick(c, Qt.Key_F7)
    assert c.till.last_quote.points_for_cash == 100 and c.till.last_quote.points_value_fen == 200
    due = c.till.last_quote.net_fen
    # pay cash with change; the receipt number is shown and the receipt preview opens
    shown = {}
    monkeypatch.setattr(type(c), "show_receipt", lambda self, sale: shown.setdefault("sale", sale))
    w.checkout.sale_done.disconnect()
    w.checkout.sale_done.connect(c.show_receipt)

    def pay(d):
        d.amount.setText(f"{(due + 5000) // 100}.{(due + 5000) % 100:02d}")
        d.add_tender("cash")
    answer(monkeypatch, dialogs.PaymentDialog, pay)
    qtbot.keyClick(c, Qt.Key_F12)
    assert shown["sale"]["receipt_no"].startswith("S001-01-20261123-")
    assert shown["sale"]["totals"]["change_fen"] == 5000
    assert shown["sale"]["receipt_no"] in c.message.text()
    assert c.model.rowCount() == 0 and c.till.checkout.member_id is None


def test_non_member_and_bad_barcode(qtbot, window, store, monkeypatch):
    c = window.checkout
    scan(qtbot, window, "6901234567893")  # bad check digit
    assert c.message.property("error") is True
    assert "条码错误" in c.message.text() and c.model.rowCount() == 0
    for code in codes(store, 2):
        scan(qtbot, window, code)
    due = c.till.last_quote.net_fen
    answer(monkeypatch, dialogs.PaymentDialog, lambda d: d.add_tender("wechat"))
    qtbot.keyClick(c, Qt.Key_F12)
    conn = sqlite3.connect(store.path)
    row = conn.execute("SELECT member_id, net_fen FROM sales ORDER BY created_at DESC, receipt_no DESC LIMIT 1").fetchone()
    assert row == (None, due)


def test_quick_join_gets_the_first_order_benefit(qtbot, window, store, monkeypatch):
    c = window.checkout
    for code in codes(store, 2):
        scan(qtbot, window, code)
    answer(monkeypatch, dialogs.TextDialog, lambda d: d.edit.setText("139 0000 7777"))
    qtbot.keyClick(c, Qt.Key_F3)
    assert c.till.checkout.member_id is not None
    assert c.panel.points.text().startswith("100")  # sign-up bonus of the Vancl preset
    assert c.panel.coupons.count() == 1  # the welcome voucher, usable now
    c.panel.coupons.itemClicked.emit(c.panel.coupons.item(0))
    assert c.till.last_quote.coupons


def test_manager_override_for_a_big_line_discount(qtbot, window, store, monkeypatch):
    c = window.checkout
    scan(qtbot, window, codes(store, 1)[0])
    answer(monkeypatch, dialogs.TextDialog, lambda d: d.edit.setText("30"))  # 30 % > the cashier's 10 %
    answer(monkeypatch, dialogs.ManagerDialog, lambda d: (d.code.setText("M01"), d.pin.setText("9999")))
    qtbot.keyClick(c, Qt.Key_F5)
    line = c.till.last_quote.lines[0]
    assert any(d.kind == "manual" for d in line.discounts)
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT actor FROM audit_log WHERE action = 'override.line_discount'").fetchone() == ("M01",)
    # a wrong manager PIN changes nothing
    scan(qtbot, window, codes(store, 2)[1])
    answer(monkeypatch, dialogs.ManagerDialog, lambda d: (d.code.setText("M01"), d.pin.setText("0000")))
    qtbot.keyClick(c, Qt.Key_F5)
    assert not any(d.kind == "manual" for d in c.till.last_quote.lines[1].discounts)
    assert c.message.property("error") is True


def test_a_return_from_the_returns_screen(qtbot, window, store, monkeypatch):
    c = window.checkout
    scan(qtbot, window, demo.demo_phone(7, 1)[3:])
    for code in codes(store, 2):
        scan(qtbot, window, code)
    result = c.till.pay([checkout.Tender("cash", c.till.last_quote.net_fen)])

    def fill(d: ReturnsDialog):
        d.receipt.setText(result.receipt_no)
        d.load()
        d.table.cellWidget(1, 2).setValue(0)  # only the first line
        d.preview()
        assert "退款" in d.plan_label.text()
        d.confirm()
        return d.result is not None
    answer(monkeypatch, ReturnsDialog, fill)
    qtbot.keyClick(c, Qt.Key_F10)
    conn = sqlite3.connect(store.path)
    import uuid
    kind, net = conn.execute("SELECT kind, net_fen FROM sales WHERE original_sale_id = ?",
                             (uuid.UUID(result.sale_id).hex,)).fetchone()
    assert kind == "return" and net == -result.lines[0]["net_fen"]
    assert "已退货" in c.message.text()


def test_language_switch_without_restart(qtbot, window):
    c = window.checkout
    assert c.key_buttons["F12"].text().endswith("结账")
    window.set_language("en")
    assert window.checkout.key_buttons["F12"].text().endswith("Pay")
    assert window.sync_label.text() == "HQ sync: not configured"
    window.set_language("zh_CN")
    assert window.checkout.key_buttons["F12"].text().endswith("结账")


def test_restart_after_a_crash_resumes_the_basket(qtbot, window, store, monkeypatch):
    c = window.checkout
    scan(qtbot, window, demo.demo_phone(9, 1)[3:])
    for code in codes(store, 3):
        scan(qtbot, window, code)
    member = c.till.checkout.member_id
    # the process dies: nothing is closed or saved on purpose; a new app opens the same file
    db2 = open_db(store.path, clock=store.clock)
    answer(monkeypatch, dialogs.TextDialog, lambda d: d.edit.setText("0"))
    w2 = MainWindow(db2)
    qtbot.addWidget(w2)
    w2.signin.code.setText("C01")
    w2.signin.pin.setText("1234")
    w2.signin.submit()
    assert w2.checkout.model.rowCount() == 3
    assert w2.checkout.till.checkout.member_id == member
    db2.close()


def test_lock_screen(qtbot, window):
    qtbot.keyClick(window.checkout, Qt.Key_L, Qt.ControlModifier)
    assert window.stack.currentWidget() is window.signin
    assert window.signin.code.text() == "C01"
    window.signin.pin.setText("1234")
    window.signin.submit()
    assert window.stack.currentWidget() is window.checkout


def test_serial_and_wedge_scans_reach_the_basket_alike(qtbot, window, store):
    """A serial scanner's frame and a keyboard-wedge burst end in the same place: the basket."""
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication
    from devices import config as device_config
    from devices.decoder import Decoder

    c = window.checkout
    code_a, code_b = codes(store, 2)
    # serial: the reader's worker thread decodes a frame and hands the event to the bridge
    window.bridge.feed_event(Decoder("scanner").decode(code_a.encode() + b"\r")[0])
    qtbot.waitUntil(lambda: c.model.rowCount() == 1, timeout=2000)
    # keyboard wedge: keys 5 ms apart then Enter, sent to whatever has focus (here the member panel)
    window.bridge.stop()
    window.bridge.settings = device_config.DeviceSettings()  # wedge mode
    window.bridge.start()
    c.panel.coupons.setFocus()
    t = 1000
    for ch in code_b + "\r":
        key = Qt.Key_Return if ch == "\r" else Qt.Key(ord(ch))
        ev = QKeyEvent(QEvent.KeyPress, key, Qt.NoModifier, ch)
        ev.setTimestamp(t)
        QApplication.sendEvent(QApplication.focusWidget() or c.panel.coupons, ev)
        t += 5
    qtbot.waitUntil(lambda: c.model.rowCount() == 2, timeout=2000)
    assert c.input.text() == ""  # nothing leaked into a text field
    # a person typing slowly into the input is passed through untouched
    c.input.setFocus()
    for ch in "1234":
        ev = QKeyEvent(QEvent.KeyPress, Qt.Key(ord(ch)), Qt.NoModifier, ch)
        ev.setTimestamp(t)
        QApplication.sendEvent(c.input, ev)
        t += 300
        qtbot.wait(1)
    qtbot.waitUntil(lambda: c.input.text() == "1234", timeout=2000)
    # a bank card swiped by mistake is refused and shown, and no digit of it is kept anywhere
    pan = "4111111111111111"
    window.bridge.feed_event(Decoder("card").decode(f";{pan}=2512101?\r".encode())[0])
    qtbot.waitUntil(lambda: c.message.property("error") is True, timeout=2000)
    assert pan not in c.message.text() and pan not in "\n".join(window.bridge.recent)


def test_receipt_printed_after_a_sale_and_queued_when_the_printer_fails(qtbot, window, store, tmp_path):
    from devices import config as device_config

    c = window.checkout
    out = tmp_path / "printer.bin"
    window.bridge.settings = device_config.DeviceSettings.model_validate(
        {"scanner": {"mode": "off"}, "card_reader": {"mode": "off"}, "printer": {"backend": "file", "path": str(out)}})
    for code in codes(store, 2):
        scan(qtbot, window, code)
    result = c.till.pay([checkout.Tender("cash", c.till.last_quote.net_fen)])
    window.print_receipt(result.as_dict())
    qtbot.waitUntil(lambda: out.exists() and result.receipt_no.encode() in out.read_bytes(), timeout=5000)
    # a printer that cannot be reached: the sale stands, the receipt waits in the reprint queue
    window.bridge.settings = device_config.DeviceSettings.model_validate(
        {"scanner": {"mode": "off"}, "card_reader": {"mode": "off"},
         "printer": {"backend": "file", "path": str(tmp_path / "no" / "such" / "dir" / "lp0")}})
    with qtbot.waitSignal(window.bridge.printed, timeout=5000) as blocker:
        window.print_receipt(result.as_dict())
    assert blocker.args[1] is True
    assert c.message.property("error") is True
    queue = store.path.parent / "reprint_queue.json"  # beside the store, not in the user's data dir
    assert queue.exists() and result.receipt_no in queue.read_text(encoding="utf-8")


def test_reports_from_the_till_with_a_managers_approval(qtbot, window, store, monkeypatch):
    """Ctrl+R on a cashier's till asks for a manager; the reports open over the
    till, the manager issues win-back coupons to the churn list (audited as the
    manager), and the till is back at its input afterwards."""
    from app.reports_screen import ReportsDialog

    seen = {}

    def run(dlg):
        scr = dlg.screen
        qtbot.waitUntil(lambda: scr.ready and not scr._pending, timeout=30000)
        seen["sales"] = scr.tiles["sales"].value.text()
        seen["churn"] = scr.churn.total
        seen["result"] = scr.issue_win_back([m["id"] for m in scr.churn.members[:2]], confirm=False)
        dlg.done(1)
        return 1

    monkeypatch.setattr(ReportsDialog, "exec", run)
    answer(monkeypatch, dialogs.ManagerDialog, lambda d: (d.code.setText("M01"), d.pin.setText("0000")))
    qtbot.keyClick(window.checkout, Qt.Key_R, Qt.ControlModifier)
    assert not seen and window.checkout.message.property("error") is True  # a wrong PIN opens nothing
    answer(monkeypatch, dialogs.ManagerDialog, lambda d: (d.code.setText("M01"), d.pin.setText("9999")))
    qtbot.keyClick(window.checkout, Qt.Key_R, Qt.ControlModifier)
    assert seen["sales"].startswith("¥") or seen["sales"][0].isdigit()
    assert seen["churn"] > 0 and len(seen["result"].issued) == 2
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT actor FROM audit_log WHERE action = 'override.reports'").fetchone() == ("M01",)
    assert conn.execute("SELECT actor FROM audit_log WHERE action = 'coupon.win_back'").fetchone() == ("M01",)
    assert conn.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'coupon.issued'").fetchone()[0] >= 2
    assert window.stack.currentWidget() is window.checkout and window.reports is None


def test_segment_tags_show_at_the_till(qtbot, window, store):
    """The first-run demo writes the segment tags; a member's panel shows theirs."""
    conn = sqlite3.connect(store.path)
    phone = conn.execute(
        "SELECT m.phone FROM members m JOIN member_tags t ON t.member_id = m.id "
        "WHERE t.source = 'derived' AND t.tag = '重度消费' LIMIT 1").fetchone()[0]
    scan(qtbot, window, phone[3:])
    assert "重度消费" in window.checkout.panel.tags.text()
    assert any(t in window.checkout.panel.tags.text() for t in ("活跃会员", "近期流失", "中期流失", "沉睡会员"))
