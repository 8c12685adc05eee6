"""Finding people and products by name at the till, by keys alone (pytest-qt, real
widgets and real dialogs, keys typed with 20–90 ms gaps, over a small real store).

The dialogs are answered the way a cashier answers them: a timer waits for the
modal window to open and types into it."""
from __future__ import annotations

import json
import random
import sqlite3
import uuid

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app import dialogs, i18n
from app.main_window import MainWindow
from pos.demo import store as demo
from pos.services import joining, members, staff
from pos.store import program_store
from pos.store.database import open_db

RNG = random.Random(11)


def make_store(path):
    """A small store: the preset program, 40 products, demo staff, named members."""
    from devices import config as device_config

    off = device_config.DeviceSettings.model_validate({"scanner": {"mode": "off"}, "card_reader": {"mode": "off"}})
    device_config.save(off, path.parent / "devices.json")
    db = open_db(path)
    program = program_store.ensure_default(db)
    demo.make_products(db, 40, seed=1)
    staff.add(db, "C01", "收银员一", "cashier", "1234")
    staff.add(db, "C02", "收银员二", "cashier", "2345")
    staff.add(db, "M01", "店长", "manager", "9999")
    people = {
        "a": joining.join(db, program, "13800138000", name="王小明"),
        "b": joining.join(db, program, "13900139000", name="王小明"),
        "c": joining.join(db, program, "13712348000", name="李娜"),
    }
    return db, people


@pytest.fixture(scope="session")
def store_template(tmp_path_factory):
    """Built once (migrations, scrypt PINs, sign-up rewards take seconds); each test gets a copy."""
    import os

    before = os.environ.get("POS_CLOCK")
    os.environ["POS_CLOCK"] = "2026-11-23T19:00"
    try:
        path = tmp_path_factory.mktemp("h7store") / "till.sqlite3"
        db, people = make_store(path)
        db.close()
    finally:
        if before is None:
            os.environ.pop("POS_CLOCK", None)
        else:
            os.environ["POS_CLOCK"] = before
    return path, people


@pytest.fixture
def store(tmp_path, monkeypatch, store_template):
    import shutil

    monkeypatch.setenv("POS_CLOCK", "2026-11-23T19:00")
    template, people = store_template
    path = tmp_path / "till.sqlite3"
    shutil.copy(template, path)
    shutil.copy(template.parent / "devices.json", tmp_path / "devices.json")
    db = open_db(path)
    db.people = people
    yield db
    db.close()


def type_keys(qtbot, widget, text: str, lo: int = 20, hi: int = 90) -> None:
    """A person typing: one key at a time, 20–90 ms apart. Chinese arrives as a
    pinyin input method delivers it: a committed character (QInputMethodEvent)."""
    from PySide6.QtGui import QInputMethodEvent

    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            ev = QInputMethodEvent()
            ev.setCommitString(ch)
            QApplication.sendEvent(widget, ev)
        qtbot.wait(RNG.randint(lo, hi))


def enter(qtbot, widget) -> None:
    qtbot.keyClick(widget, Qt.Key_Return)


def when_modal(qtbot, cls, act, seen: list | None = None, timeout_ms: int = 8000) -> None:
    """When a modal `cls` opens, call act(dialog) inside its event loop."""
    left = [timeout_ms // 20]

    def poll():
        w = QApplication.activeModalWidget()
        if isinstance(w, cls) and w.isVisible():
            if seen is not None:
                seen.append(w)
            act(w)
        elif left[0] > 0:
            left[0] -= 1
            QTimer.singleShot(20, poll)
    QTimer.singleShot(20, poll)


def close_leftover_dialogs() -> None:
    """A modal window an earlier test left open would take every key: close it first."""
    from PySide6.QtWidgets import QDialog

    for top in QApplication.topLevelWidgets():
        if isinstance(top, QDialog) and top.isVisible():
            top.done(0)
    QApplication.processEvents()


def sign_in(qtbot, w, code="C01", pin="1234", float_yuan="200"):
    close_leftover_dialogs()
    if not staff.current_shift(w.db, code):
        when_modal(qtbot, dialogs.TextDialog, lambda d: (d.edit.selectAll(), type_keys(qtbot, d.edit, float_yuan),
                                                          enter(qtbot, d.edit)))
    type_keys(qtbot, w.signin.code, code)
    enter(qtbot, w.signin.code)
    type_keys(qtbot, w.signin.pin, pin)
    enter(qtbot, w.signin.pin)
    qtbot.waitUntil(lambda: w.checkout is not None and w.stack.currentWidget() is w.checkout, timeout=5000)
    activate(qtbot, w)


def activate(qtbot, w) -> None:
    """The window manager gives the till its focus back once a dialog closes (offscreen, we do)."""
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)


@pytest.fixture
def window(qtbot, store, monkeypatch):
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    sign_in(qtbot, w)
    yield w
    w.close()
    i18n.install("zh_CN")


def basket_doc(db) -> dict:
    conn = sqlite3.connect(db.path)
    row = conn.execute("SELECT document FROM baskets WHERE status = 'current' ORDER BY updated_at DESC").fetchone()
    conn.close()
    return json.loads(row[0]) if row else {}


def product_names(db, n=40):
    conn = sqlite3.connect(db.path)
    rows = conn.execute("SELECT p.name, b.barcode, p.price_fen FROM products p JOIN product_barcodes b "
                        "ON b.product_id = p.id ORDER BY p.name LIMIT ?", (n,)).fetchall()
    conn.close()
    return rows


def key(qtbot, w, k, mod=Qt.NoModifier):
    """An F-key or shortcut, pressed where focus is (the one input)."""
    if not w.isActiveWindow():
        activate(qtbot, w)
    qtbot.keyClick(w.checkout.input, k, mod)


# --- members by name -----------------------------------------------------------------------------


def test_a_name_lists_every_member_with_what_tells_them_apart(qtbot, window, store):
    c = window.checkout
    seen: list = []

    def pick(d):
        rows = [[d.table.item(r, col).text() for col in range(d.table.columnCount())] for r in range(d.table.rowCount())]
        pick.rows = rows
        qtbot.keyClick(d.table, Qt.Key_Down)
        qtbot.wait(40)
        qtbot.keyClick(d.table, Qt.Key_Return)
    when_modal(qtbot, dialogs.SearchDialog, pick, seen)
    type_keys(qtbot, c.input, "王小明")
    enter(qtbot, c.input)
    assert seen, "a pick list opened"
    members_rows = [r for r in pick.rows if r[0] == "会员"]
    assert len(members_rows) == 2
    assert {r[2] for r in members_rows} == {"138****8000", "139****9000"}  # masked, and different
    assert all(r[3] == "普通会员" for r in members_rows)  # the tier's name, not `member`
    assert all(r[4] == "100" for r in members_rows)  # the sign-up bonus
    assert not any("13800138000" in cell or "13900139000" in cell for r in pick.rows for cell in r)
    chosen = [m for m in members.search(store, "王小明")][1]
    assert c.till.checkout.member_id == chosen.id
    assert basket_doc(store)["member_id"] == chosen.id  # saved (a crash resumes it)
    assert "王小明" in c.panel.title.text()


def test_last_four_digits_shared_by_two_members_opens_the_same_pick_list(qtbot, window, store):
    c = window.checkout
    seen: list = []
    when_modal(qtbot, dialogs.PickMemberDialog, lambda d: enter(qtbot, d.table), seen)
    type_keys(qtbot, c.input, "8000")
    enter(qtbot, c.input)
    assert seen
    d = seen[0]
    assert d.table.rowCount() == 2 and d.table.item(0, 2).text() == "普通会员"
    assert c.till.checkout.member_id in {store.people["a"].id, store.people["c"].id}


def test_a_product_name_fragment_adds_the_picked_product(qtbot, window, store):
    c = window.checkout
    name, barcode, _price = product_names(store)[3]
    fragment = name[:4] if len(name) > 4 else name
    seen: list = []

    def pick(d):
        for r in range(d.table.rowCount()):
            if d.table.item(r, 2).text() == barcode:
                d.table.setCurrentCell(r, 0)
        qtbot.keyClick(d.table, Qt.Key_Return)
    when_modal(qtbot, dialogs.SearchDialog, pick, seen)
    type_keys(qtbot, c.input, fragment)
    enter(qtbot, c.input)
    assert seen and any(seen[0].table.item(r, 0).text() == "商品" for r in range(seen[0].table.rowCount()))
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    assert [ln.code for ln in c.till.checkout.lines] == [barcode]
    assert [ln["code"] for ln in basket_doc(store)["lines"]] == [barcode]
    # Esc on the list adds nothing
    when_modal(qtbot, dialogs.SearchDialog, lambda d: qtbot.keyClick(d.table, Qt.Key_Escape))
    type_keys(qtbot, c.input, fragment)
    enter(qtbot, c.input)
    assert len(c.till.checkout.lines) == 1 and c.till.checkout.lines[0].qty == 1


# --- unknown member: quick join with the number kept ----------------------------------------------


def test_an_unknown_mobile_offers_quick_join_with_the_number_kept(qtbot, window, store):
    c = window.checkout
    type_keys(qtbot, c.input, "13912345678")
    enter(qtbot, c.input)
    said = c.message.text()
    assert "139****5678" in said and "F3" in said and "13912345678" not in said
    seen: list = []
    when_modal(qtbot, dialogs.TextDialog, lambda d: (seen.append(d.edit.text()), enter(qtbot, d.edit)))
    key(qtbot, window, Qt.Key_F3)
    assert seen == ["13912345678"]  # the number typed a moment ago, not typed again
    conn = sqlite3.connect(store.path)
    mid = conn.execute("SELECT id FROM members WHERE phone_last4 = '5678'").fetchone()[0]
    conn.close()
    assert c.till.checkout.member_id == str(uuid.UUID(hex=mid)) if len(mid) == 32 else mid
    # the sign-up coupon (新人10元无门槛券) is usable: it applies by itself and is marked in the wallet
    for code in (b for _n, b, p in product_names(store) if 2000 <= p <= 20000):
        type_keys(qtbot, c.input, code, 5, 15)  # a wedge scanner's burst
        enter(qtbot, c.input)
        break
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    q = c.till.last_quote
    assert len(q.coupons) == 1 and any(d.kind == "coupon" for ln in q.lines for d in ln.discounts)
    assert c.panel.coupons.item(0).text().startswith("✓")
    assert "新人10元无门槛券" in c.applied.text()  # applied, by name, on screen (not with the refusals)
    assert basket_doc(store)["coupons"] == q.coupons
    # the number is forgotten once used: the next F3 (after saying yes to replacing this
    # sale's member by a new one) starts empty
    from PySide6.QtWidgets import QMessageBox

    seen.clear()
    asked: list = []
    when_modal(qtbot, QMessageBox, lambda d: (asked.append(d.text()), d.button(QMessageBox.Yes).click()))
    when_modal(qtbot, dialogs.TextDialog, lambda d: (seen.append(d.edit.text()), qtbot.keyClick(d.edit, Qt.Key_Escape)))
    key(qtbot, window, Qt.Key_F3)
    assert asked and "139****5678" in asked[0] and seen == [""]


# --- a second member -----------------------------------------------------------------------------


def test_a_second_member_asks_before_replacing_the_first(qtbot, window, store):
    from PySide6.QtWidgets import QMessageBox

    c = window.checkout
    a, cc = store.people["a"], store.people["c"]
    type_keys(qtbot, c.input, "13800138000")
    enter(qtbot, c.input)
    assert c.till.checkout.member_id == a.id
    barcode = next(b for _n, b, p in product_names(store) if 10000 <= p <= 30000)
    type_keys(qtbot, c.input, barcode, 5, 15)
    enter(qtbot, c.input)
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    c.till.redeem(100)  # a's points on this sale
    asked: list = []
    when_modal(qtbot, QMessageBox, lambda d: (asked.append(d.text()), qtbot.keyClick(d, Qt.Key_Return)))  # Enter = keep
    type_keys(qtbot, c.input, "13712348000")
    enter(qtbot, c.input)
    assert asked and "王**" in asked[0] and "李*" in asked[0] and "13712348000" not in asked[0]
    assert c.till.checkout.member_id == a.id and basket_doc(store)["member_id"] == a.id
    when_modal(qtbot, QMessageBox, lambda d: d.button(QMessageBox.Yes).click())
    type_keys(qtbot, c.input, "13712348000")
    enter(qtbot, c.input)
    assert c.till.checkout.member_id == cc.id and basket_doc(store)["member_id"] == cc.id
    assert c.till.checkout.redeem_points == 0 and basket_doc(store)["redeem_points"] == 0  # a's points left with a
    # the same member again asks nothing
    asked.clear()
    type_keys(qtbot, c.input, "13712348000")
    enter(qtbot, c.input)
    assert not asked and c.till.checkout.member_id == cc.id
