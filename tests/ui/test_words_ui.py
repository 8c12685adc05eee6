"""Clear words on every screen a cashier or manager reads: names of promotions,
coupons, tiers, ledger kinds, tenders, devices and report figures — never the codes
the domain records (mr-300-30, welcome-10, svip, earn, wedge, sales_fen) — and no
card data or full phone number echoed back. Real widgets, keys typed with gaps."""
from __future__ import annotations

import re
import sqlite3
import uuid

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QPushButton, QTableView

from app import i18n
from app.device_settings import DeviceSettingsDialog
from app.member_detail import MemberDetailDialog
from pos.services import checkout
from pos.store import program_store
from tests.ui.test_dialogs_ui import attach, scan_priced
from tests.ui.test_search_ui import (  # noqa: F401  (fixtures)
    basket_doc, enter, key, product_names, store, store_template, type_keys, window,
)

CODES = re.compile(r"mr-300-30|mj-300-30|welcome-10|winback-20|bday-svip|pts-5|g-towel|g-cup|g-umbrella|"
                   r"\bsvip\b|\bvip\b|\bmember\b|_fen\b|\bwedge\b|\bearn\b|\bredeem\b|\bbonus\b|\bsignup\b|"
                   r"\bstored_value\b|\bbank_card\b|\bwechat\b|\balipay\b|\bcash\b")


def screen_text(widget) -> list[str]:
    """Everything a widget shows: labels, buttons, list rows, table cells and headers, combo items."""
    out = [w.text() for w in widget.findChildren(QLabel) + widget.findChildren(QPushButton)]
    for lst in widget.findChildren(QListWidget):
        out += [lst.item(i).text() for i in range(lst.count())]
    for view in widget.findChildren(QTableView):
        m = view.model()
        if m is None:
            continue
        cols = m.columnCount()
        for r in range(min(m.rowCount(), 200)):
            out += [str(m.index(r, c).data() or "") for c in range(cols)]
        out += [str(m.headerData(c, Qt.Horizontal) or "") for c in range(cols)]
    for box in widget.findChildren(QComboBox):
        out += [box.itemText(i) for i in range(box.count())]
    return [t for t in out if t]


def codes_in(texts: list[str]) -> list[str]:
    return [t for t in texts if CODES.search(t)]


def set_tier(db, member_id: str, tier: str) -> None:
    conn = sqlite3.connect(db.path)
    conn.execute("UPDATE members SET tier_code = ? WHERE id = ?", (tier, uuid.UUID(member_id).hex))
    conn.commit()
    conn.close()


def test_the_checkout_names_every_discount_and_says_why_without_a_mouse(qtbot, window, store):
    c = window.checkout
    set_tier(store, store.people["a"].id, "svip")
    attach(qtbot, window, "13800138000")
    while c.till.last_quote is None or c.till.last_quote.gross_fen < 32000:  # over 满300减30's threshold
        scan_priced(qtbot, window, 10000, 40000)
    q = c.till.last_quote
    kinds = {d.kind for ln in q.lines for d in ln.discounts}
    shown = "\n".join(t for t in (c.applied.text(), c.refusals.text()) if t)  # applied (green), not applied (red)
    assert "已优惠：满300减30" in shown if "promotion" in kinds else "满300减30" in shown, shown
    if "tier" in kinds:
        assert "已优惠：SVIP 会员折扣" in shown, shown  # the tier's discount, by name
    assert all(line.startswith(("已优惠：", "未使用：")) for line in shown.splitlines()), shown
    assert c.panel.tier_badge.text() == "SVIP"
    texts = screen_text(c) + [c.model.tooltip(r) for r in range(c.model.rowCount())]  # hovering too
    assert codes_in(texts) == []


def test_a_refused_coupon_names_itself_says_why_once_and_leaves_no_row(qtbot, window, store):
    c = window.checkout
    scan_priced(qtbot, window, 2000, 30000)
    for code in ("CP00000001", "CP00000002"):
        type_keys(qtbot, c.input, code, 5, 15)
        enter(qtbot, c.input)
        assert c.message.text() == f"未使用：券 {code} — 无效的券码"
    assert c.till.checkout.coupon_codes == [] and basket_doc(store)["coupons"] == []
    assert c.refusals.text() == "" or "CP0000000" not in c.refusals.text()  # nothing piles up under the basket
    # a wallet coupon the member cannot use yet is said by name, not by template code
    attach(qtbot, window, "13800138000")
    c.panel.coupons.itemClicked.emit(c.panel.coupons.item(0))
    assert "新人10元无门槛券" in c.message.text() and "welcome-10" not in c.message.text()
    assert c.panel.coupons.item(0).text().startswith("✓")  # marked in the wallet as applied


def test_card_track_data_and_full_phones_are_never_echoed(qtbot, window, store):
    c = window.checkout
    type_keys(qtbot, c.input, ";4111111111111111=25121010000000000000?", 5, 15)  # a swipe into the input
    enter(qtbot, c.input)
    assert c.message.text() == "这是银行卡，已拒绝"
    assert c.input.text() == ""
    for typed, masked in (("13812340000", "138****0000"), ("+8613812340000", "138****0000")):
        type_keys(qtbot, c.input, typed)
        enter(qtbot, c.input)
        said = c.message.text()
        assert masked in said and "13812340000" not in said, said
    type_keys(qtbot, c.input, "4111111111111111")  # a bare card number typed by hand
    enter(qtbot, c.input)
    assert "4111" not in c.message.text()


def test_member_detail_is_in_words(qtbot, window, store):
    c = window.checkout
    attach(qtbot, window, "13800138000")
    scan_priced(qtbot, window, 10000, 30000)
    c.till.redeem(100)
    c.till.pay([checkout.Tender("cash", c.till.last_quote.net_fen)])
    d = MemberDetailDialog(store, store.people["a"].id, "C01", window)
    qtbot.addWidget(d)
    texts = screen_text(d)
    assert codes_in(texts) == []
    assert "消费得积分" in texts and "入会奖励" in texts and "销售" in texts
    assert "新人10元无门槛券" in texts  # the coupon's name, not its template code
    d.close()


def test_device_settings_show_words_and_save_codes(qtbot, window, tmp_path):
    d = DeviceSettingsDialog(window.bridge, window, path=tmp_path / "devices.json")
    qtbot.addWidget(d)
    items = [d.scanner_mode.itemText(i) for i in range(d.scanner_mode.count())]
    assert items == ["关闭", "串口", "键盘模拟"]
    d.scanner_mode.setCurrentIndex(2)
    assert d.collected().scanner.mode == "wedge"  # the setting keeps its code
    assert codes_in(screen_text(d)) == []
    # the status bar says the same in words (it said "scanner:wedge card:wedge")
    from devices import config as device_config

    saved = window.bridge.settings
    window.bridge.settings = device_config.DeviceSettings.model_validate(
        {"scanner": {"mode": "wedge"}, "card_reader": {"mode": "wedge"}})
    try:
        assert window.bridge.describe() == "扫码枪：键盘模拟  读卡器：键盘模拟"
    finally:
        window.bridge.settings = saved
    assert codes_in([window.device_label.text()]) == []


def test_the_reports_figures_show_names_not_keys(qtbot, window, store):
    from app.reports_screen import ReportsScreen

    i18n.install("zh_CN")
    w = ReportsScreen(store, program_store.active(store))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.ready and not w._pending, timeout=30000)
    rows = rows_of_model(w.summary_table.model)
    assert rows and all("_fen" not in cell and "_rate" not in cell for row in rows for cell in row)
    headers = [w.summary_table.model.headerData(i, Qt.Horizontal) for i in range(w.summary_table.model.columnCount())]
    assert len(headers) == 2 and headers[0] == "指标"  # no column of keys
    w.shutdown()


def rows_of_model(m) -> list[list[str]]:
    return [[str(m.index(r, c).data() or "") for c in range(m.columnCount())] for r in range(m.rowCount())]

