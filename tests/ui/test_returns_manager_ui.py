"""A refund above `returns.manager_above_fen` (default ¥500) needs a manager (issue 11
item 1, "a return above a configurable amount needs a manager"; "Manager prompts: a
wrong PIN says so"): by keys, F10 + Enter loads, F12 asks for a manager's code and
PIN; a wrong PIN refuses with a message and returns nothing, a right one returns
(the approval audited); below the limit no PIN is asked."""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app import dialogs
from pos.demo import store as demo
from pos.services.checkout import Tender

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401


def returns_of(db, sale_id: str) -> list:
    conn = connect(db)
    got = conn.execute("SELECT receipt_no, net_fen FROM sales WHERE original_sale_id = ?", (uuid.UUID(sale_id).hex,)).fetchall()
    conn.close()
    return got


def audits(db) -> list:
    conn = connect(db)
    got = [r for r in conn.execute("SELECT actor, action FROM audit_log WHERE action IN "
                                   "('override.return', 'override.refused') ORDER BY rowid")]
    conn.close()
    return got


def sale_for(qtbot, c, store, who: int, lo: int, hi: int, n: int = 2):
    """A member's sale paid in cash; the member is at the till again for the return."""
    phone = demo.demo_phone(who, 1)[3:]
    Typist(qtbot).type(phone).enter().wait(100).run()
    for code in product_codes(store, n, lo, hi):
        Typist(qtbot).scan(code).wait(40).run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    sale = c.till.pay([Tender("cash", c.till.last_quote.net_fen)])
    c.refresh()
    Typist(qtbot).type(phone).enter().wait(100).run()
    return sale


def watch_dialogs(qtbot) -> list[str]:
    """Every modal dialog that opens, by class name, while the test runs."""
    opened: list[str] = []
    last = [None]

    def check():
        d = QApplication.activeModalWidget()
        if d is not None and d is not last[0]:
            opened.append(type(d).__name__)
        last[0] = d
        QTimer.singleShot(10, check)
    QTimer.singleShot(10, check)
    return opened


def test_a_large_refund_needs_a_manager_and_a_wrong_pin_is_refused(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    sale = sale_for(qtbot, c, till_store, 9, 30000, 60000)
    assert sale.totals["net_fen"] > 50000
    opened = watch_dialogs(qtbot)
    seen = {}

    def look(name):
        def f():
            d = QApplication.activeModalWidget()
            seen[name] = (type(d).__name__, d.error.text(), len(returns_of(till_store, sale.sale_id)), audits(till_store))
        return f
    # one run: the Returns dialog is open from F10 to the last key (its exec() runs inside the typing)
    t = Typist(qtbot, seed=21)

    def rescue():
        d = QApplication.activeModalWidget()
        if d is not None:
            seen["stuck"] = (type(d).__name__, d.error.text(), t.log[-6:], t.steps, c.message.text())
            d.reject()
            QTimer.singleShot(50, rescue)
    rescuer = QTimer()  # owned by this test: a bare singleShot would fire in the next test and close its dialog
    rescuer.setSingleShot(True)
    rescuer.timeout.connect(rescue)
    rescuer.start(12000)
    t.key(Qt.Key_F10).wait(200).enter().wait(200).key(Qt.Key_F12).wait(250).call(look("asked"))
    t.type("M01", gaps=(40, 80)).enter().type("0000", gaps=(40, 80)).enter().wait(250).call(look("wrong"))
    t.key(Qt.Key_F12).wait(250).call(look("again")).type("M01", gaps=(40, 80)).enter().type("9999", gaps=(40, 80)).enter()
    t.wait(300)
    t.run()
    rescuer.stop()
    assert "stuck" not in seen, seen
    assert seen["asked"][0] == "ManagerDialog", (seen, t.log)
    assert seen["wrong"][0] == "ReturnsDialog"  # back in Returns, the preview still there
    assert "店长" in seen["wrong"][1] or "密码" in seen["wrong"][1], seen["wrong"]
    assert seen["wrong"][2] == 0  # a wrong PIN returns nothing
    assert seen["wrong"][3] == [("M01", "override.refused")]
    assert seen["again"][0] == "ManagerDialog"
    got = returns_of(till_store, sale.sale_id)
    assert len(got) == 1 and got[0][1] == -sale.totals["net_fen"], (got, c.message.text())
    assert audits(till_store) == [("M01", "override.refused"), ("M01", "override.return")]
    assert got[0][0] in c.message.text()
    assert QApplication.activeModalWidget() is None
    assert opened.count("ManagerDialog") == 2


def test_below_the_limit_no_pin_is_asked(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    sale = sale_for(qtbot, c, till_store, 11, 2000, 10000)
    assert sale.totals["net_fen"] <= 50000
    opened = watch_dialogs(qtbot)
    t = Typist(qtbot, seed=22)
    t.key(Qt.Key_F10).wait(200).enter().wait(200).key(Qt.Key_F12).wait(300)
    t.run()
    got = returns_of(till_store, sale.sale_id)
    assert len(got) == 1 and got[0][1] == -sale.totals["net_fen"], (opened, c.message.text())
    assert "ManagerDialog" not in opened and "ReturnsDialog" in opened
    assert audits(till_store) == []


def test_the_limit_is_the_stores_setting(qtbot, till_window, till_store):
    """With the store's limit at ¥50, a ¥60+ refund asks; Esc in the manager prompt returns nothing."""
    w, c = till_window, till_window.checkout
    sale = sale_for(qtbot, c, till_store, 13, 3000, 10000)
    assert sale.totals["net_fen"] > 5000
    till_store.set_setting("returns.manager_above_fen", 5000)
    opened = watch_dialogs(qtbot)
    seen = {}
    t = Typist(qtbot, seed=23)
    t.key(Qt.Key_F10).wait(200).enter().wait(200).key(Qt.Key_F12).wait(250).key(Qt.Key_Escape).wait(200)
    t.call(lambda: seen.update(error=QApplication.activeModalWidget().error.text())).key(Qt.Key_Escape).wait(150)
    t.run()
    assert "ManagerDialog" in opened, (opened, t.log)
    assert "50.00" in seen["error"]
    assert returns_of(till_store, sale.sale_id) == []
