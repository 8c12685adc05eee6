"""A cashier's hour (issue 11, "Tests"): one cashier at one till, by keys alone, at the
speeds people and scanners type (20-90 ms between a person's keys, 5-15 ms in a
wedge scanner's burst), through real widgets and real dialogs over a copy of the
demo store. After every step the store file itself (SQLite, read with SQL) is
asked what happened: the basket document, sale rows, payments with what was
tendered, the points ledger, coupon use, return rows and the shift row.

The hour: sign in (float ¥200) -> member by full phone, three scans, points (F7),
a gift (F8), two tenders (F12: WeChat Pay for part, cash with change) -> member by
last 4, a wallet coupon scanned, cash -> member by name (an input method commits
the name), a scan, hold (F9) and recall (F9, Enter), detach (Ctrl+U), member by
card (wedge), WeChat Pay -> part of the first sale returned (F10: receipt typed,
Enter loads, the preview, one line to 0, F12) -> shift closed on a blind count
(Ctrl+Shift+S)."""
from __future__ import annotations

import json
import random
import time
import uuid

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from app import dialogs
from app.returns_screen import ReturnsDialog
from pos.services import catalog, members

from .cashier import Typist, connect, demo_template, till_store, till_window  # noqa: F401

WEDGE_BURST_MS = (5, 15)


def rows(db, sql, *args):
    conn = connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def one(db, sql, *args):
    got = rows(db, sql, *args)
    return got[0] if got else None


def basket(db, c) -> dict:
    """The basket in progress as the store keeps it (saved on every change)."""
    row = one(db, "SELECT document, status FROM baskets WHERE id = ?", c.till.checkout.sale_id.hex)
    return json.loads(row[0]) | {"_status": row[1]} if row else {}


def commit_text(text: str, fallback=None) -> None:
    """What a pinyin input method delivers: the chosen characters, committed at once
    (to the widget with focus; `fallback` when the window system left focus nowhere)."""
    target = QApplication.focusWidget() or fallback
    assert target is not None, "no widget has focus: an input method would commit nowhere"
    ev = QInputMethodEvent()
    ev.setCommitString(text)
    QApplication.sendEvent(target, ev)


class Wedge(Typist):
    """The shared Typist, with a scan's keys 5-15 ms apart (a real scanner's jitter)."""

    def __init__(self, qtbot, seed: int = 1):
        super().__init__(qtbot, seed)
        self.wedge_gaps = WEDGE_BURST_MS

    def burst(self, code: str) -> "Wedge":
        return self.scan(code).wait(90)


def pick_people(db):
    """Four members of the demo store, each found by one way: full phone, last 4, name, card."""
    by_phone = one(db, "SELECT m.id, m.phone FROM members m JOIN member_balances b ON b.member_id = m.id "
                       "WHERE m.status = 'active' AND b.points BETWEEN 5000 AND 60000 AND m.phone LIKE '+861%' "
                       "AND m.id NOT IN (SELECT member_id FROM member_cards) ORDER BY m.member_code LIMIT 1")
    by_last4 = one(db, "SELECT m.id, m.phone_last4 FROM members m WHERE m.status = 'active' AND m.phone_last4 IN "
                       "(SELECT phone_last4 FROM members WHERE status = 'active' GROUP BY phone_last4 HAVING COUNT(*) = 1) "
                       "AND m.id != ? ORDER BY m.member_code LIMIT 1", by_phone[0])
    by_name = None
    for mid, name in rows(db, "SELECT id, name FROM members WHERE status = 'active' AND length(name) = 3 "
                              "AND id NOT IN (?, ?) ORDER BY member_code LIMIT 200", by_phone[0], by_last4[0]):
        found = members.search(db, name)
        if len(found) == 1 and uuid.UUID(str(found[0].id)).hex == mid and not catalog.search(db, name):
            by_name = (mid, name)
            break
    by_card = one(db, "SELECT c.member_id, c.card_no FROM member_cards c JOIN members m ON m.id = c.member_id "
                      "WHERE c.status = 'active' AND m.status = 'active' AND c.member_id NOT IN (?, ?, ?) "
                      "ORDER BY c.card_no LIMIT 1", by_phone[0], by_last4[0], by_name[0])
    return by_phone, by_last4, by_name, by_card


def products(db, n, lo, hi, skip=()):
    got = rows(db, "SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
                   "WHERE p.points_class = 'regular' AND p.price_fen BETWEEN ? AND ? AND p.member_price_fen IS NULL "
                   "ORDER BY b.barcode LIMIT ?", lo, hi, n + len(skip))
    return [r[0] for r in got if r[0] not in skip][:n]


def sale_row(db, sale_id: str):
    return one(db, "SELECT receipt_no, kind, member_id, net_fen, paid_fen, change_fen, points_earned, points_redeemed, "
                   "original_sale_id FROM sales WHERE id = ?", uuid.UUID(sale_id).hex)


def payments(db, sale_id: str) -> dict:
    return {t: (a, td) for t, a, td in rows(db, "SELECT tender, amount_fen, tendered_fen FROM payments WHERE sale_id = ?",
                                            uuid.UUID(sale_id).hex)}


def ledger(db, sale_id: str) -> dict:
    return dict(rows(db, "SELECT kind, SUM(points) FROM points_entries WHERE sale_id = ? GROUP BY kind",
                     uuid.UUID(sale_id).hex))


def test_a_cashiers_hour_by_keys(qtbot, till_window, till_store):
    started = time.monotonic()
    w, db = till_window, till_store
    c = w.checkout
    (p_id, p_phone), (l_id, l4), (n_id, n_name), (k_id, k_card) = pick_people(db)
    goods = products(db, 6, 3000, 12000)
    seen: dict = {}

    def look(name, fn):
        return lambda: seen.__setitem__(name, fn())

    def modal():
        return QApplication.activeModalWidget()

    # --- signed in (the fixture typed C01, 1234, the float ¥200): one open shift -------------------------
    shift = one(db, "SELECT id, opening_float_fen, closed_at FROM shifts WHERE cashier = 'C01' AND closed_at IS NULL")
    assert shift is not None and shift[1] == 20000
    assert w.stack.currentWidget() is c and c.input.hasFocus()

    # --- sale 1: member by full phone, three scans --------------------------------------------------------
    t = Wedge(qtbot, seed=11)
    handled = []
    orig = c.handle_code
    c.handle_code = lambda text: (handled.append((round(time.monotonic() - started, 3), text)), orig(text))
    t.type(p_phone[3:], gaps=(20, 90)).enter().wait(100)
    for code in goods[:3]:
        t.burst(code)
    t.run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    doc = basket(db, c)
    assert doc["member_id"] and uuid.UUID(doc["member_id"]).hex == p_id, c.message.text()
    assert [ln["code"] for ln in doc["lines"]] == goods[:3], (handled, t.log, c.message.text())
    assert doc["_status"] == "current"

    # points for cash (F7): the field is selected on open, typing replaces it
    most, _value = c.till.points_cap()
    points = min(most, 1000) // 100 * 100
    assert points >= 100
    t.key(Qt.Key_F7).wait(150).call(look("redeem_open", lambda: (type(modal()).__name__, modal().edit.hasSelectedText())))
    t.type(str(points), gaps=(40, 90)).enter().wait(150)
    t.run()
    assert seen["redeem_open"] == ("RedeemDialog", True)
    assert c.till.last_quote.points_for_cash == points
    assert basket(db, c)["redeem_points"] == points

    # a gift for points (F8): the first one the member can take, Enter
    t.key(Qt.Key_F8).wait(200).call(look("gift", lambda: (type(modal()).__name__, modal().chosen()))).enter().wait(150)
    t.run()
    kind, gift_code = seen["gift"]
    assert kind == "GiftDialog" and gift_code
    gift = next(g for g in c.till.program.gifts if g.code == gift_code)
    q = c.till.last_quote
    assert q.points_redeemed == points + gift.points, (q.points_redeemed, c.message.text())
    assert basket(db, c)["gifts"] == [gift_code]
    due = q.net_fen
    assert due > 6000

    # two tenders (F12): WeChat Pay for a round part, then cash handed over above the rest
    wechat = due // 2 // 100 * 100  # about half, in whole yuan
    rest = due - wechat
    handed = (rest // 10000 + 1) * 10000  # the next ¥100 note
    t.key(Qt.Key_F12).wait(200).key(Qt.Key_A, Qt.ControlModifier).type(str(wechat // 100), gaps=(30, 70))
    t.key(Qt.Key_F2, gap=40).wait(120).type(str(handed // 100), gaps=(30, 70)).key(Qt.Key_F1, gap=30).wait(250)
    t.run()
    sale1 = c.last_result
    r = sale_row(db, sale1.sale_id)
    assert r is not None and r[1] == "sale" and r[2] == p_id and r[3] == due, (r, c.message.text())
    assert payments(db, sale1.sale_id) == {"wechat": (wechat, wechat), "cash": (rest, handed)}
    assert r[4] == wechat + handed and r[5] == handed - rest  # what was handed over, the change
    led = ledger(db, sale1.sale_id)
    assert led.get("redeem") == -(points + gift.points), led
    assert led.get("earn") == r[6] > 0
    assert r[7] == points + gift.points
    assert not c.till.checkout.lines and c.till.checkout.member_id is None
    assert "找零" in c.message.text() or "change" in c.message.text().lower()

    # --- sale 2: member by last 4, a coupon from the wallet scanned, cash --------------------------------
    t.type(l4, gaps=(30, 90)).enter().wait(150)
    t.run()
    assert c.till.checkout.member_id and uuid.UUID(c.till.checkout.member_id).hex == l_id, (t.log, c.message.text())
    from pos.loyalty import coupons
    from pos.store import program_store
    with db.transaction() as s:  # the store's win-back campaign put a coupon in this member's wallet
        code = coupons.issue(s, db, program_store.active(db), "winback-20", member_id=uuid.UUID(l_id), source="campaign").code
    for g in goods[3:5]:
        t.burst(g)
    t.burst(code).wait(100)
    t.run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    assert code in c.till.last_quote.coupons, (c.message.text(), c.refusals.text())
    assert code in basket(db, c)["coupons"]
    assert "回归礼20元券" in c.message.text() and code not in c.message.text()
    due2 = c.till.last_quote.net_fen
    t.key(Qt.Key_F12).wait(200).enter().wait(250)  # the amount due is pre-filled: Enter takes it as cash
    t.run()
    sale2 = c.last_result
    assert sale_row(db, sale2.sale_id)[3] == due2
    assert payments(db, sale2.sale_id) == {"cash": (due2, due2)}
    use = one(db, "SELECT u.sale_id, u.amount_fen, u.member_id FROM coupon_uses u JOIN coupons k ON k.id = u.coupon_id "
                  "WHERE k.code = ?", code)
    assert use == (uuid.UUID(sale2.sale_id).hex, 2000, l_id)

    # --- sale 3: member by name, hold and recall, detach, member by card, WeChat Pay ----------------------
    t.call(lambda: commit_text(n_name)).wait(60).enter().wait(250)
    t.call(look("search", lambda: (type(modal()).__name__, modal().chosen()))).enter().wait(150)
    t.burst(goods[5])
    t.run()
    qtbot.waitUntil(lambda: not c.reprice_timer.isActive(), timeout=2000)
    assert seen["search"][0] == "SearchDialog", seen
    assert c.till.checkout.member_id and uuid.UUID(c.till.checkout.member_id).hex == n_id, c.message.text()
    held_id = c.till.checkout.sale_id.hex
    t.key(Qt.Key_F9).wait(200)
    t.run()
    assert one(db, "SELECT status FROM baskets WHERE id = ?", held_id)[0] == "suspended", (
        t.log[-3:], c.message.text(), len(c.till.checkout.lines), QApplication.focusWidget(), modal())
    assert not c.till.checkout.lines
    t.key(Qt.Key_F9).wait(250).call(look("held", lambda: (type(modal()).__name__, modal().table.rowCount(),
                                                           modal().table.item(0, 2).text())))
    t.enter().wait(200)
    t.run()
    assert seen["held"][0] == "HeldDialog" and seen["held"][1] >= 1
    assert c.till.checkout.sale_id.hex == held_id and [ln.code for ln in c.till.checkout.lines] == [goods[5]]
    assert uuid.UUID(c.till.checkout.member_id).hex == n_id
    assert one(db, "SELECT status FROM baskets WHERE id = ?", held_id)[0] == "current"
    t.key(Qt.Key_U, Qt.ControlModifier).wait(150)
    t.run()
    assert c.till.checkout.member_id is None and basket(db, c)["member_id"] is None
    assert c.input.hasFocus()
    t.burst(k_card).wait(150)
    t.run()
    assert c.till.checkout.member_id and uuid.UUID(c.till.checkout.member_id).hex == k_id, (t.log, c.message.text())
    assert uuid.UUID(basket(db, c)["member_id"]).hex == k_id
    due3 = c.till.last_quote.net_fen
    t.key(Qt.Key_F12).wait(200).key(Qt.Key_F2, gap=60).wait(250)
    t.run()
    sale3 = c.last_result
    assert sale_row(db, sale3.sale_id)[2] == k_id
    assert payments(db, sale3.sale_id) == {"wechat": (due3, due3)}

    # --- return part of sale 1 (F10): receipt typed, Enter loads, the preview, one line to 0, F12 ----------
    def preview():
        d = modal()
        return (type(d).__name__, d.loaded, d.table.rowCount(), d.plan_label.text(), d.confirm_btn.isEnabled(),
                d.lines[0]["code"] if d.lines else None,
                len(rows(db, "SELECT id FROM sales WHERE original_sale_id = ?", uuid.UUID(sale1.sale_id).hex)))
    t.key(Qt.Key_F10).wait(250).key(Qt.Key_A, Qt.ControlModifier).type(sale1.receipt_no, gaps=(20, 60)).enter().wait(200)
    t.call(look("loaded", preview)).type("0", gaps=60).wait(150).call(look("partial", preview))
    t.key(Qt.Key_F12).wait(300)
    t.run()
    name, loaded, n_rows, plan_full, can, kept, returned = seen["loaded"]
    assert name == "ReturnsDialog" and loaded == sale1.receipt_no and n_rows >= 3 and returned == 0
    _, _, _, plan_part, can, _kept, returned = seen["partial"]
    assert can and returned == 0 and plan_part != plan_full and "退款" in plan_part
    assert modal() is None
    ret = one(db, "SELECT id, receipt_no, kind, net_fen FROM sales WHERE original_sale_id = ?", uuid.UUID(sale1.sale_id).hex)
    assert ret is not None and ret[2] == "return" and ret[1] in c.message.text()
    ret_lines = rows(db, "SELECT code, qty FROM sale_lines WHERE sale_id = ?", ret[0])
    assert ret_lines and kept not in [code for code, _q in ret_lines]  # the line set to 0 stays sold
    refund = -ret[3]
    assert 0 < refund < due
    refunded = dict(rows(db, "SELECT tender, amount_fen FROM payments WHERE sale_id = ?", ret[0]))
    assert sum(refunded.values()) == -refund and all(v <= 0 for v in refunded.values())
    ret_ledger = dict(rows(db, "SELECT kind, SUM(points) FROM points_entries WHERE sale_id = ? GROUP BY kind", ret[0]))
    assert ret_ledger and sum(v for v in ret_ledger.values() if v < 0) < 0, ret_ledger  # earned points taken back

    # --- close the shift (Ctrl+Shift+S): a blind count, then what was expected ---------------------------
    cash = sum(a for (a,) in rows(db, "SELECT p.amount_fen FROM payments p JOIN sales s ON s.id = p.sale_id "
                                      "WHERE p.tender = 'cash' AND s.cashier = 'C01' AND s.created_at >= "
                                      "(SELECT opened_at FROM shifts WHERE id = ?)", shift[0]))
    expected = 20000 + cash
    counted = expected - 500  # five yuan short
    t.key(Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier).wait(250)
    t.call(look("blind", lambda: (type(modal()).__name__, modal().result.text())))
    t.type(f"{counted // 100}.{counted % 100:02d}", gaps=(30, 80)).enter().wait(200)
    t.call(look("counted", lambda: modal().result.text())).enter().wait(200)
    t.run()
    assert seen["blind"] == ("ShiftCloseDialog", "")  # nothing expected on screen before the count
    assert "-¥5.00" in seen["counted"]
    closed = one(db, "SELECT closed_at, counted_fen, expected_fen FROM shifts WHERE id = ?", shift[0])
    assert closed[0] is not None and closed[1] == counted and closed[2] == expected
    assert w.stack.currentWidget() is w.signin
    assert time.monotonic() - started < 60
