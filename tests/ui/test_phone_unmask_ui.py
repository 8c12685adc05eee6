"""The manager's "show phone" on an enrolled till (issue 12 item 7): the till has only the
hash and the masked form, HQ cannot be reached -> the cashier reads why, nothing shown."""
from __future__ import annotations

import socket
import sqlite3

from app import dialogs, i18n
from app.main_window import MainWindow
from pos.services import phone_privacy
from pos.rules import phones
from tests.ui.test_search_ui import enter, sign_in, store, store_template, type_keys  # noqa: F401  (fixtures)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_show_phone_offline_on_an_enrolled_till_says_it_needs_hq(qtbot, store, monkeypatch, tmp_path):
    monkeypatch.setenv(phones.KEY_DIR_ENV, str(tmp_path / "keys"))
    phone_privacy.install_key(store, bytes(range(32)))
    store.set_setting("sync.hq_url", f"http://127.0.0.1:{closed_port()}")  # enrolled, HQ away
    store.set_setting("sync.token", "t" * 40)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE outbox SET status = 'sent'")  # HQ has every registration
    conn.commit()
    conn.close()
    phone_privacy.after_push(store)
    with sqlite3.connect(store.path) as c:
        assert c.execute("SELECT count(*) FROM members WHERE phone IS NOT NULL").fetchone() == (0,)
    i18n.install("zh_CN")
    monkeypatch.setattr(dialogs.ReceiptDialog, "exec", lambda self: 1)
    w = MainWindow(store)
    qtbot.addWidget(w)
    w.show()
    sign_in(qtbot, w, "M01", "9999")
    c = w.checkout
    type_keys(qtbot, c.input, "13800138000")  # found by its hash
    enter(qtbot, c.input)
    assert c.till.checkout.member_id is not None, c.message.text()
    assert "138****8000" in c.panel.title.text()
    c.panel.unmask_btn.click()
    qtbot.waitUntil(lambda: "总部" in c.message.text(), timeout=8000)
    assert "13800138000" not in c.panel.title.text() and "138****8000" in c.panel.title.text()
    w.close()
