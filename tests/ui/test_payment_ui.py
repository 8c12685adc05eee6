"""Payment by keys at a cashier's speed (issue 11 item 3 and "Cash", "Pay never blocks"):
the typed amount always wins, an absurd amount asks first, a number beyond any
till is refused, and the HQ hold waits in the background."""
from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest
from PySide6.QtCore import Qt, QTimer

from app import dialogs

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401


def last_sale(db):
    conn = connect(db)
    row = conn.execute("SELECT id, net_fen, change_fen, provisional FROM sales WHERE kind = 'sale' "
                       "ORDER BY created_at DESC, receipt_no DESC LIMIT 1").fetchone()
    pays = conn.execute("SELECT tender, amount_fen FROM payments WHERE sale_id = ? ORDER BY tender", (row[0],)).fetchall()
    conn.close()
    return row, dict(pays)


def sales_count(db) -> int:
    conn = connect(db)
    n = conn.execute("SELECT COUNT(*) FROM sales WHERE kind = 'sale'").fetchone()[0]
    conn.close()
    return n


def big_basket(qtbot, w, store, t: Typist):
    qtbot.wait(400)  # the window's first paint and the member index are done: a scan's keys are not stretched
    for code in product_codes(store, 2, lo=30000, hi=60000):
        t.scan(code).wait(60)
    t.run()
    assert w.checkout.till.last_quote is not None, w.checkout.message.text()
    assert w.checkout.till.last_quote.net_fen > 50000


def test_a_fast_f1_takes_the_typed_amount(qtbot, till_window, till_store):
    """Typed 500 then F1 20 ms later (the wedge still holds the digits): cash ¥500, not the amount due."""
    w, c = till_window, till_window.checkout
    t = Typist(qtbot)
    big_basket(qtbot, w, till_store, t)
    due = c.till.last_quote.net_fen
    before = sales_count(till_store)
    # F12 opens the payment dialog; 500 at 40 ms a key; F1 20 ms after the last digit;
    # the rest by WeChat (F2 takes what is still due), Enter pays
    t.key(Qt.Key_F12).wait(150).type("500", gaps=40).key(Qt.Key_F1, gap=20).wait(100).key(Qt.Key_F2).wait(80).enter()
    t.run()
    assert sales_count(till_store) == before + 1
    row, pays = last_sale(till_store)
    assert row[1] == due
    assert pays == {"cash": 50000, "wechat": due - 50000}
    assert row[2] == 0  # no change: ¥500 was not more than due


def test_typed_cash_over_due_gives_change_at_any_speed(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    t = Typist(qtbot, seed=3)
    for code in product_codes(till_store, 2):
        t.scan(code).wait(60)
    t.run()
    due = c.till.last_quote.net_fen
    paid = (due // 10000 + 1) * 10000  # the next hundred
    t.key(Qt.Key_F12).wait(150).type(str(paid // 100), gaps=(20, 45)).key(Qt.Key_F1, gap=15).wait(80)
    t.run()
    row, pays = last_sale(till_store)
    assert row[1] == due and row[2] == paid - due  # change shown and recorded
    assert "找零" in c.message.text()


def test_absurd_cash_asks_first_and_a_huge_number_is_refused(qtbot, till_window, till_store):
    w, c = till_window, till_window.checkout
    t = Typist(qtbot, seed=5)
    for code in product_codes(till_store, 1):
        t.scan(code).wait(60)
    t.run()
    due = c.till.last_quote.net_fen
    before = sales_count(till_store)
    seen = {}

    def look(name):
        def f():
            from PySide6.QtWidgets import QApplication

            d = QApplication.activeModalWidget()
            seen[name] = (d.error.text(), len(d.tenders), sales_count(till_store))
        return f
    # beyond any till (and beyond 64 bits): a clear error, nothing taken
    t.key(Qt.Key_F12).wait(150).type("99999999999999999999", gaps=10).key(Qt.Key_F1, gap=20).wait(60).call(look("huge"))
    # ¥50,000 for a basket of a few yuan: asks; the second F1 takes it
    t.key(Qt.Key_A, Qt.ControlModifier).type("50000", gaps=40).key(Qt.Key_F1, gap=30).wait(60).call(look("ask"))
    t.key(Qt.Key_F1).wait(60)  # taken: all is paid, the sale goes through
    t.run()
    assert "过大" in seen["huge"][0] and seen["huge"][1] == 0
    assert "50,000.00" in seen["ask"][0] or "50000.00" in seen["ask"][0]
    assert seen["ask"][1] == 0 and seen["ask"][2] == before  # nothing taken, nothing committed while it asks
    row, pays = last_sale(till_store)
    assert row[1] == due and row[2] == 5_000_000 - due


class BlackHoleHQ:
    """An HQ on 127.0.0.1 that accepts connections and never answers (a slow network)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.conns: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()


@pytest.fixture
def slow_hq():
    hq = BlackHoleHQ()
    yield hq
    hq.close()


def test_the_hq_hold_waits_in_the_background(qtbot, till_window, till_store, slow_hq):
    """A member redeems points on an enrolled till whose HQ does not answer: the screen
    keeps running and says it waits, a second F12 / Enter starts nothing, a scan made
    meanwhile lands in the next basket, and after the hold's timeout the sale commits
    once, provisional (the offline policy)."""
    from pos.demo import store as demo
    from pos.services import spending as policy

    w, c = till_window, till_window.checkout
    t = Typist(qtbot, seed=7)
    t.type(demo.demo_phone(5, 1)[3:]).enter().wait(100)
    codes = product_codes(till_store, 3)
    for code in codes[:2]:
        t.scan(code).wait(60)
    t.run()
    assert c.till.checkout.member_id
    c.till.redeem(100)
    c.refresh()
    assert c.till.last_quote.points_redeemed == 100
    till_store.set_setting("sync.hq_url", slow_hq.url)
    till_store.set_setting("sync.token", "t0ken")
    before = sales_count(till_store)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(50)
    seen = {}

    def during():
        seen["paying"] = c.paying is not None
        seen["message"] = c.message.text()
        seen["ticks"] = len(ticks)
    started = time.monotonic()
    t.key(Qt.Key_F12).wait(150).enter().wait(300).call(during)
    t.key(Qt.Key_F12).wait(100).enter().wait(60).scan(codes[2]).wait(200)
    t.run()
    assert seen["paying"] and "总部" in seen["message"]
    qtbot.waitUntil(lambda: c.paying is None, timeout=10000)
    timer.stop()
    waited = time.monotonic() - started
    assert waited >= policy.HOLD_TIMEOUT * 0.9
    # the screen kept painting while HQ was silent: about one tick per 50 ms, not none
    during_wait = [x for x in ticks if started + 0.5 < x < started + policy.HOLD_TIMEOUT]
    assert len(during_wait) >= 10, ticks
    assert sales_count(till_store) == before + 1  # one sale, not two
    row, pays = last_sale(till_store)
    assert row[3] == 1  # provisional: the offline policy decided
    assert [ln.code for ln in c.till.checkout.lines] == [codes[2]], "\n".join(t.log[-40:])  # the scan made while waiting
    assert c.till.checkout.member_id is None
    conn = connect(till_store)
    redeemed = conn.execute("SELECT points_redeemed FROM sales WHERE id = ?", (row[0],)).fetchone()[0]
    conn.close()
    assert redeemed == 100
    slow_hq.close()  # the background sync round (kicked by the sale) ends at once
    till_store.set_setting("sync.hq_url", "")
