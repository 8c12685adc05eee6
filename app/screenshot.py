"""`python main.py screenshot --screen checkout|member|payment|returns|join --lang zh_CN|en --out FILE.png`:
the screen rendered offscreen over a demo store, for the README and for a look at it."""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

SCREENS = ("signin", "checkout", "member", "payment", "returns", "join",
           "reports", "reports-rfm", "reports-pyramid", "reports-churn")
REPORT_TABS = {"reports": 0, "reports-rfm": 1, "reports-pyramid": 2, "reports-churn": 3}


def _reports(app, db, screen: str, out: str, size: tuple[int, int]) -> str:
    """The manager's reports over the last 30 days of the demo store, once every
    figure is in (computed on worker threads)."""
    import datetime as dt
    import time

    from pos.store import program_store

    from .reports_screen import ReportsScreen

    r = ReportsScreen(db, program_store.active(db))
    r.resize(*size)
    r.show()
    end = db.clock.today()
    r.set_range(end - dt.timedelta(days=29), end)
    deadline = time.monotonic() + 60
    while not (r.ready and not r._pending) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    r.tabs.setCurrentIndex(REPORT_TABS[screen])
    if screen == "reports-churn" and r.churn_table.model.rowCount():
        r.churn_table.view.selectRow(0)
    for _ in range(5):
        app.processEvents()
    r.grab().save(out)
    r.shutdown()
    return out


def _compose(window, dialog, out: str) -> None:
    """The window with the dialog drawn centred on top, as a cashier sees it."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPainter

    if not dialog.testAttribute(Qt.WA_Resized):  # as exec() shows it: the size it set, else its hint
        dialog.adjustSize()
    dialog.resize(dialog.size().boundedTo(window.size()))
    dialog.show()
    pix = window.grab()
    dpix = dialog.grab()
    painter = QPainter(pix)
    painter.fillRect(pix.rect(), QColor(0, 0, 0, 96))
    x = (pix.width() - dpix.width()) // 2
    y = (pix.height() - dpix.height()) // 2
    painter.drawPixmap(x, y, dpix)
    painter.end()
    pix.save(out)
    dialog.hide()


def render(screen: str, lang: str, out: str, db_path: str | None = None, size: tuple[int, int] = (1024, 768)) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from . import dialogs, i18n
    from .application import open_store
    from .main_window import MainWindow

    i18n.install(lang)
    if db_path is None:
        os.environ.setdefault("POS_CLOCK", "2026-11-23T19:00")
        db_path = str(Path(tempfile.mkdtemp(prefix="memberpos-shot-")) / "store.sqlite3")
    db = open_store(db_path)
    w = MainWindow(db)
    # the till opens maximized (over the offscreen platform's 800x800 screen, a 796x796 picture):
    # a screenshot is the size asked for, as on a till with that screen
    w.setWindowState(Qt.WindowNoState)
    w.resize(*size)
    w.show()
    app.processEvents()
    if (w.width(), w.height()) != tuple(size):
        w.setFixedSize(*size)
    if screen.startswith("reports"):
        w.hide()
        return _reports(app, db, screen, out, size)
    if screen == "signin":
        app.processEvents()
        w.grab().save(out)
        return out
    w.signin.code.setText("C01")
    w.signin.pin.setText("1234")
    saved_exec = dialogs.TextDialog.exec
    dialogs.TextDialog.exec = lambda self: 1  # the opening-float prompt
    try:
        w.signin.submit()
    finally:
        dialogs.TextDialog.exec = saved_exec
    c = w.checkout
    conn = sqlite3.connect(db_path)
    codes = [r[0] for r in conn.execute(
        "SELECT l.code FROM sale_lines l JOIN products p ON 1 JOIN product_barcodes b ON b.barcode = l.code "
        "AND b.product_id = p.id WHERE p.points_class = 'regular' GROUP BY l.code ORDER BY count(*) DESC LIMIT 5")]
    if len(codes) < 5:  # a store with little history: any regular products
        codes += [r[0] for r in conn.execute(
            "SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
            "WHERE p.points_class = 'regular' ORDER BY p.price_fen DESC LIMIT 5") if r[0] not in codes]
    # the member shown: a VIP who buys most, else whoever buys most, else anyone (by phone, or
    # by member code on an enrolled till, which keeps no numbers)
    row = None
    for where in ("WHERE m.tier_code = 'vip' AND m.status = 'active'", "WHERE m.status = 'active'"):
        row = conn.execute(f"SELECT m.phone, m.member_code FROM members m JOIN sales s ON s.member_id = m.id {where} "
                           "GROUP BY m.id ORDER BY count(*) DESC LIMIT 1").fetchone()
        if row:
            break
    row = row or conn.execute("SELECT phone, member_code FROM members WHERE status = 'active' LIMIT 1").fetchone()
    conn.close()
    member = (row[0][3:] if row[0] and row[0].startswith("+86") else row[1]) if row else None
    if screen == "join":
        for code in codes[:3]:
            c.handle_code(code)
        dlg = dialogs.TextDialog(c, c.tr("Quick join"), c.tr("Mobile number (the rest of the profile later)"), "139 1234 5678")
        app.processEvents()
        _compose(w, dlg, out)
        return out
    if member:
        c.handle_code(member)
    for code in codes[:4]:
        c.handle_code(code)
    if codes:
        c.handle_code(codes[0])
    app.processEvents()
    if screen in ("checkout", "member"):
        if screen == "member":
            from .member_detail import MemberDetailDialog

            dlg = MemberDetailDialog(db, c.till.member_id, "C01", w)
            app.processEvents()
            _compose(w, dlg, out)
            return out
        w.grab().save(out)
        return out
    if screen == "payment":
        q = c.till.last_quote
        p = c.till.panel(with_suggestions=False)
        dlg = dialogs.PaymentDialog(c, q.net_fen, p.stored_value_fen, q.member_saved_fen)
        dlg.amount.setText("2000")
        dlg.add_tender("cash")
        app.processEvents()
        _compose(w, dlg, out)
        return out
    if screen == "returns":
        from pos.services.checkout import Tender
        from .returns_screen import ReturnsDialog

        q = c.till.last_quote
        result = c.till.pay([Tender("wechat", q.net_fen)])
        dlg = ReturnsDialog(db, "C01", None, w)
        dlg.receipt.setText(result.receipt_no)
        dlg.load()
        dlg.table.cellWidget(0, 2).setValue(1)
        if dlg.table.rowCount() > 1:
            dlg.table.cellWidget(1, 2).setValue(0)
        dlg.preview()
        app.processEvents()
        _compose(w, dlg, out)
        return out
    raise ValueError(f"unknown screen {screen!r}; one of {', '.join(SCREENS)}")
