"""Returns by keys (issue 11 item 1): Enter only loads; the preview (lines, refund per
tender, points, tier) is on screen before anything commits; F12 confirms; the real
errors are said; a refund above the store's limit needs a manager."""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app import dialogs
from pos.demo import store as demo
from pos.services.checkout import Tender

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401


def returns_of(db, sale_id: str) -> list:
    conn = connect(db)
    rows = conn.execute("SELECT receipt_no, net_fen FROM sales WHERE original_sale_id = ?", (uuid.UUID(sale_id).hex,)).fetchall()
    conn.close()
    return rows


def member_sale(qtbot, c, store, n=2, lo=1000, hi=20000):
    Typist(qtbot).type(demo.demo_phone(7, 1)[3:]).enter().wait(100).run()
    for code in product_codes(store, n, lo, hi):
        Typist(qtbot).scan(code).wait(40).run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    sale = c.till.pay([Tender("cash", c.till.last_quote.net_fen)])
    c.refresh()
    return sale


def test_f10_enter_loads_and_never_refunds(qtbot, till_window, till_store):
    """A member's last receipt is pre-filled: F10 + Enter shows the preview, refunds nothing;
    F12 then returns, and the message says by which tender."""
    w, c = till_window, till_window.checkout
    sale = member_sale(qtbot, c, till_store)
    Typist(qtbot).type(demo.demo_phone(7, 1)[3:]).enter().wait(100).run()  # the member is back at the till
    seen = {}

    def look():
        d = QApplication.activeModalWidget()
        seen.update(loaded=d.loaded, rows=d.table.rowCount(), plan=d.plan_label.text(), returns=len(returns_of(till_store, sale.sale_id)))
    t = Typist(qtbot, seed=3)
    t.key(Qt.Key_F10).wait(200).enter().wait(150).enter().wait(150).call(look).key(Qt.Key_F12).wait(200)
    t.run()
    assert seen["loaded"] == sale.receipt_no and seen["rows"] == 2
    assert seen["returns"] == 0  # two Enters: nothing refunded
    assert "退款" in seen["plan"] and "现金" in seen["plan"]
    got = returns_of(till_store, sale.sale_id)
    assert len(got) == 1 and got[0][1] == -sale.totals["net_fen"]
    assert "现金" in c.message.text() and got[0][0] in c.message.text()


def test_the_real_errors_are_said(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    sale = member_sale(qtbot, c, till_store)
    seen = {}

    def look(name):
        def f():
            d = QApplication.activeModalWidget()
            seen[name] = d.error.text()
        return f
    t = Typist(qtbot, seed=5)
    t.key(Qt.Key_F10).wait(200).type("S001-01-20991231-0009", gaps=40).enter().wait(150).call(look("missing"))
    t.key(Qt.Key_F12).wait(150).call(look("missing_f12")).key(Qt.Key_Escape).wait(150)
    t.run()
    assert "未找到" in seen["missing"] and "未找到" in seen["missing_f12"]
    assert "至少" not in seen["missing_f12"]
    from pos.services import returns
    returns.return_sale(till_store, sale.receipt_no, cashier="C01")
    t.key(Qt.Key_F10).wait(200).key(Qt.Key_A, Qt.ControlModifier).type(sale.receipt_no, gaps=30).enter().wait(150)
    t.call(look("all")).key(Qt.Key_Escape).wait(150).run()
    assert "全部退货" in seen["all"] or "已退" in seen["all"], seen["all"]
