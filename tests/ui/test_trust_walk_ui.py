"""Issue 11, what a walk-through still found: the panel's usable points count what this
sale already uses; the member detail's ledger shows each lot's expiry, right-aligns money
and points and has no row numbers; applied discounts are not styled as refusals."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget

from app.member_detail import MemberDetailDialog
from app.style import STYLE
from pos.services import checkout
from tests.ui.test_dialogs_ui import attach, scan_priced
from tests.ui.test_search_ui import (  # noqa: F401  (fixtures)
    enter, product_names, store, store_template, type_keys, window,
)


def test_the_panels_usable_points_leave_out_what_this_sale_uses(qtbot, window, store):
    c = window.checkout
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 10000, 30000)
    p = c.till.panel(with_suggestions=False)
    assert c.till.redeem(100)
    c.refresh()
    q = c.till.last_quote
    used = q.points_redeemed
    assert used > 0
    shown = c.panel.points.text()
    nums = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", shown)]
    assert p.points_available - used in nums, shown  # still usable on this sale
    assert p.points_available not in nums or p.points_available == p.points, shown
    assert f"{used:,}" in shown, shown  # and what the sale already takes is said
    # the F7 dialog agrees: its usable points less what it says is applied is what the panel says
    from app.dialogs import RedeemDialog
    r = c.till.program.redemption
    most, value = c.till.points_cap()
    dlg = RedeemDialog(c, p.points_available, most, value, r.step_points, r.points_per_unit, r.unit_fen,
                       applied=q.points_for_cash, gift_points=q.points_redeemed - q.points_for_cash)
    qtbot.addWidget(dlg)
    f7 = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", dlg.findChild(QLabel, "redeemUsable").text())]
    f7_applied = int(re.findall(r"\d[\d,]*", dlg.findChild(QLabel, "redeemApplied").text())[0].replace(",", ""))
    assert f7[0] - f7_applied == p.points_available - used, (f7, f7_applied, shown)
    dlg.reject()
    c.till.redeem(0)  # taken off: the plain balance again
    c.refresh(panel=False)
    assert "可用 100" in c.panel.points.text() and "本单" not in c.panel.points.text(), c.panel.points.text()


def test_the_ledger_shows_expiry_right_aligned_numbers_and_no_row_numbers(qtbot, window, store):
    c = window.checkout
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 10000, 30000)
    c.till.pay([checkout.Tender("cash", c.till.last_quote.net_fen)])
    d = MemberDetailDialog(store, store.people["a"].id, "C01", window)
    qtbot.addWidget(d)
    tables = d.findChildren(QTableWidget)
    ledger = next(t for t in tables if t.horizontalHeaderItem(4) is not None
                  and t.horizontalHeaderItem(4).text() == "到期")
    kinds = [ledger.item(r, 2).text() for r in range(ledger.rowCount())]
    earned = [r for r, k in enumerate(kinds) if k == "消费得积分"]
    assert earned, kinds
    for r in earned:
        day = ledger.item(r, 4).text()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) and day > "2026-11-23", (r, day)  # store-local, after today
    for r in range(ledger.rowCount()):
        assert ledger.item(r, 3).textAlignment() & Qt.AlignRight, r
    for t in tables:
        assert not t.verticalHeader().isVisibleTo(d) and t.verticalHeader().isHidden()
    purchases = next(t for t in tables if t.horizontalHeaderItem(1).text() == "小票")
    for r in range(purchases.rowCount()):
        for col in (3, 4, 5):
            assert purchases.item(r, col).textAlignment() & Qt.AlignRight, (r, col)
    d.close()


def test_applied_discounts_are_not_red_like_refusals(qtbot, window, store):
    c = window.checkout
    attach(qtbot, window, "13800138000")
    while c.till.last_quote is None or c.till.last_quote.gross_fen < 32000:  # over 满300减30's threshold
        scan_priced(qtbot, window, 10000, 40000)
    applied = c.applied.text()
    assert applied and all(ln.startswith("已优惠：") for ln in applied.splitlines()), applied
    assert "已优惠：" not in c.refusals.text()
    assert all(ln.startswith("未使用：") for ln in c.refusals.text().splitlines() if ln), c.refusals.text()
    rule = re.search(r"#appliedDiscounts\s*\{([^}]*)\}", STYLE)
    assert rule and "#c62828" not in rule.group(1), STYLE
    assert c.applied.palette().color(c.applied.foregroundRole()).name() != "#c62828"
