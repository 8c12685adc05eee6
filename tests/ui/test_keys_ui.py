"""Keys at a cashier's pace, through the window system's path (issue 11 items 4, 5, 6):
every key of the README's table works from the main input; no keystroke is lost,
reordered or sent to the wrong widget when dialogs open and close; a scan belongs
to the dialog that is open."""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app import dialogs
from app.returns_screen import ReturnsDialog
from pos.demo import store as demo

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401

README = Path(__file__).resolve().parents[2] / "README.md"


def basket_doc(db, sale_id):
    """The basket in progress as the store has it (saved on every change)."""
    conn = connect(db)
    row = conn.execute("SELECT document FROM baskets WHERE id = ?", (sale_id.hex,)).fetchone()
    conn.close()
    return json.loads(row[0]) if row else None


def readme_keys() -> list[str]:
    """Every key named in the cashier app's key table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("| key | action | key | action |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows += [cells[0], cells[2]]
    keys = []
    for cell in rows:
        for k in re.split(r"\s*/\s*|\s+(?=[↑↓])", cell):
            keys.append(k.strip())
    return [k for k in keys if k]


def test_a_receipt_scanned_inside_returns_loads_there(qtbot, till_window, till_store):
    """A wedge scan of a receipt barcode while Returns is open goes to Returns, not to
    the checkout behind it ("商品不存在：S001-01-…")."""
    w, c = till_window, till_window.checkout
    for code in product_codes(till_store, 2):
        Typist(qtbot).scan(code).wait(40).run()
    from pos.services.checkout import Tender
    sale = c.till.pay([Tender("cash", c.till.last_quote.net_fen)])
    c.refresh()
    seen = {}

    def look():
        d = QApplication.activeModalWidget()
        seen["loaded"] = d.loaded
        seen["rows"] = d.table.rowCount()
        seen["plan"] = d.plan_label.text()
        d.reject()
    t = Typist(qtbot, seed=8)
    t.key(Qt.Key_F10).wait(200).scan(sale.receipt_no).wait(200).call(look)
    t.run()
    assert seen.get("loaded") == sale.receipt_no and seen["rows"] == 2, (t.log, c.message.text())
    assert "退款" in seen["plan"]
    assert "商品不存在" not in c.message.text()
    assert not c.till.checkout.lines  # nothing reached the checkout behind
    conn = connect(till_store)
    assert conn.execute("SELECT COUNT(*) FROM sales WHERE original_sale_id = ?",
                        (uuid.UUID(sale.sale_id).hex,)).fetchone()[0] == 0  # loading returns nothing
    conn.close()


def test_ctrl_u_and_delete_work_from_the_main_input(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    Typist(qtbot).type(demo.demo_phone(5, 1)[3:]).enter().wait(100).run()
    for code in product_codes(till_store, 2):
        Typist(qtbot).scan(code).wait(60).run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    doc = basket_doc(till_store, c.till.checkout.sale_id)
    assert len(doc["lines"]) == 2 and doc["member_id"] and c.input.hasFocus()
    Typist(qtbot).key(Qt.Key_Delete).wait(150).run()
    assert len(basket_doc(till_store, c.till.checkout.sale_id)["lines"]) == 1
    Typist(qtbot).key(Qt.Key_U, Qt.ControlModifier).wait(150).run()
    assert basket_doc(till_store, c.till.checkout.sale_id)["member_id"] is None and c.till.checkout.member_id is None
    assert c.input.hasFocus()


def test_every_key_of_the_readme_table_works_from_the_main_input(qtbot, till_window, till_store, monkeypatch):
    w, c = till_window, till_window.checkout
    t = Typist(qtbot, seed=2)
    phone = demo.demo_phone(5, 1)[3:]
    codes = product_codes(till_store, 3)
    t.type(phone).enter().wait(100)
    for code in codes:
        t.scan(code).wait(60)
    t.run()
    opened: list[str] = []

    walking = [True]

    def close_dialogs():
        """Whatever dialog a key opened: note it and close it (Esc would do the same)."""
        if not walking[0]:
            return
        modal = QApplication.activeModalWidget()
        if modal is not None and modal.isVisible():
            opened.append(type(modal).__name__)
            modal.reject()
        QTimer.singleShot(20, close_dialogs)
    QTimer.singleShot(20, close_dialogs)

    def opens(name):
        def check(before):
            return opened[len(before):] and opened[len(before)] == name
        return check

    def opens_any(before):
        return len(opened) > len(before)

    state = {}
    checks = {
        "Enter": None,  # the typing above: phone and scans went through Enter
        "F2": lambda b: c.input.hasFocus(),
        "F3": opens_any, "F4": opens("TextDialog"), "F5": opens("TextDialog"),
        "F6": lambda b: len(c.till.checkout.lines) == state["lines"] - 1,
        "Delete": lambda b: len(c.till.checkout.lines) == state["lines"] - 1,
        "F7": opens("RedeemDialog"), "F8": opens("GiftDialog"),
        "F9": lambda b: not c.till.checkout.lines,  # held; pressed again below to recall
        "F10": opens("ReturnsDialog"), "F11": opens("TextDialog"), "F12": opens("PaymentDialog"),
        "Ctrl+Del": opens("QMessageBox"),
        "Ctrl+L": lambda b: w.stack.currentWidget() is w.signin,
        "Ctrl+D": opens("MemberDetailDialog"),
        "Ctrl+U": lambda b: c.till.checkout.member_id is None,
        "↑": lambda b: w.checkout.selected_row() == max(0, state["row"] - 1),
        "↓": lambda b: w.checkout.selected_row() == min(state["lines"] - 1, state["row"] + 1),
        "Ctrl+Q": opens_any, "Ctrl+Shift+S": opens_any,  # the shift's blind count
        "Ctrl+Shift+L": lambda b: w.checkout.key_buttons["F12"].text().endswith("Pay"),
        "Ctrl+Shift+D": opens("DeviceSettingsDialog"),
        "Ctrl+P": opens("TextDialog"),
        "Ctrl+R": opens("ManagerDialog"),
        "Ctrl+Shift+I": opens("ManagerDialog"),  # diagnostics: a cashier is asked for a manager
        "Ctrl+Shift+V": opens("ConvertPointsDialog"), "Ctrl+Shift+E": opens("CouponExchangeDialog"),
        "Ctrl+Shift+O": lambda b: "抽奖" in c.message.text() or opens("QMessageBox")(b),  # Vancl: no lottery, said
        "Ctrl+G": lambda b: any(x in c.message.text() for x in ("签到", "checked in")),  # no arrival today: said
        "Ctrl+K": lambda b: connect(till_store).execute(  # the member's check-in is recorded
            "SELECT COUNT(*) FROM audit_log WHERE action = 'member.checkin'").fetchone()[0] > 0,
    }
    keys = readme_keys()
    assert set(keys) == set(checks), set(keys) ^ set(checks)  # a key added to the README needs a check here
    seq = {"Enter": None, "↑": (Qt.Key_Up, Qt.NoModifier), "↓": (Qt.Key_Down, Qt.NoModifier),
           "Delete": (Qt.Key_Delete, Qt.NoModifier), "Ctrl+Del": (Qt.Key_Delete, Qt.ControlModifier)}
    failed = []
    for name in keys:
        if checks[name] is None:
            continue
        c = w.checkout
        if not c.till.checkout.lines:
            for code in codes:
                Typist(qtbot).scan(code).wait(40).run()
        if not c.till.checkout.member_id:
            Typist(qtbot).type(phone).enter().wait(100).run()
        if name == "↓":
            c.table.selectRow(0)
        if name == "↑":
            c.table.selectRow(len(c.till.checkout.lines) - 1)
        state["lines"] = len(c.till.checkout.lines)
        state["row"] = c.selected_row()
        c.focus_input()
        assert c.input.hasFocus(), name
        if name in seq:
            key, mods = seq[name]
        else:
            parts = name.split("+")
            mods = Qt.NoModifier
            for m in parts[:-1]:
                mods |= {"Ctrl": Qt.ControlModifier, "Shift": Qt.ShiftModifier}[m]
            key = getattr(Qt, f"Key_{parts[-1]}")
        before = list(opened)
        Typist(qtbot).key(key, mods).wait(150).run()
        if not checks[name](before):
            failed.append(name)
        # back to a plain checkout after each key
        if name == "Ctrl+L":
            Typist(qtbot).type("1234").enter().run()
        if name == "Ctrl+Shift+L":
            w.set_language("zh_CN")
        if name == "F9":
            Typist(qtbot).key(Qt.Key_F9).wait(150).run()  # recall: the list opens and closes; held stays held
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=3000)
    walking[0] = False
    assert failed == [], (failed, opened)


def test_keys_typed_as_a_dialog_opens_and_closes_keep_their_order(qtbot, till_window, till_store):
    """F3, the phone typed at a person's pace, Enter, then at once (20 ms) CP12345678 +
    Enter at 90 ms a key (the issue's case: "C" stayed in the input and "P12345678" was
    looked up): the phone reaches the join dialog whole, the code the one input whole."""
    w, c = till_window, till_window.checkout
    seen = []
    orig = c.handle_code
    c.handle_code = lambda text: (seen.append(text), orig(text))
    t = Typist(qtbot, seed=4)
    t.key(Qt.Key_F3).wait(150).type("13900007777", gaps=(60, 90)).enter(gap=20).type("CP12345678", gaps=90).enter(gap=90)
    t.run()
    conn = connect(till_store)
    joined = conn.execute("SELECT COUNT(*) FROM members WHERE phone_last4 = '7777' AND created_at >= '2026-11-23'").fetchone()[0]
    conn.close()
    assert c.till.checkout.member_id is not None and joined >= 1, (t.log, c.message.text(), seen)
    assert seen == ["CP12345678"], seen
    assert c.input.text() == ""
    assert "CP12345678" in c.message.text() or "券" in c.message.text()


def test_keys_right_after_a_dialog_closes_go_to_the_input_in_order(qtbot, till_window, till_store):
    """Esc closes the quantity dialog and the cashier goes on typing a barcode at a
    person's pace: every digit lands in the one input, none in the dialog that went."""
    w, c = till_window, till_window.checkout
    a, b = product_codes(till_store, 2)
    t = Typist(qtbot, seed=6)
    t.scan(a).wait(80).key(Qt.Key_F4).wait(120).type("3", gaps=40).key(Qt.Key_Escape, gap=30)
    t.type(b, gaps=(20, 50)).enter(gap=40)
    t.run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    assert [ln.code for ln in c.till.checkout.lines] == [a, b]
    assert [ln.qty for ln in c.till.checkout.lines] == [1, 1]  # Esc: the 3 was not taken
    doc = basket_doc(till_store, c.till.checkout.sale_id)
    assert [ln["code"] for ln in doc["lines"]] == [a, b]
