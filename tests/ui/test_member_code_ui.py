"""Scanning a member page's dynamic code at the checkout screen attaches the member; an
old one (a screenshot) is refused on the screen and attaches nobody (issue 16 item 3)."""
from __future__ import annotations

import uuid

from pos.rules import dynamic_code

from .cashier import Typist, connect, demo_template, till_store, till_window  # noqa: F401

SECRET = "c0" * 32


def test_scanning_a_dynamic_code_attaches_the_member(qtbot, till_window, till_store):
    c = till_window.checkout
    conn = connect(till_store)
    code, mid = conn.execute("SELECT member_code, id FROM members WHERE status = 'active' ORDER BY member_code "
                             "LIMIT 1").fetchone()
    conn.execute("UPDATE members SET code_secret = ? WHERE id = ?", (SECRET, mid))  # as HQ's pull brings it
    conn.commit()
    conn.close()
    step = dynamic_code.step_at(till_store.clock.now().timestamp())
    Typist(qtbot).scan(dynamic_code.make(code, SECRET, step - 5)).wait(150).run()
    assert c.till.member_id is None and "过期" in c.message.text(), c.message.text()
    Typist(qtbot).scan(dynamic_code.make(code, SECRET, step)).wait(150).run()
    assert c.till.member_id == str(uuid.UUID(hex=mid)), c.message.text()
    assert "会员" in c.message.text()


def test_a_member_not_here_yet_is_asked_of_hq_off_the_gui_thread(qtbot, till_window, till_store):
    """The till lacks the member's secret (HQ's pull not in yet): HQ is asked in the background —
    the screen says it waits — and its answer (the member's row) attaches the member."""
    import threading
    import uuid as _uuid

    c = till_window.checkout
    conn = connect(till_store)
    conn.row_factory = __import__("sqlite3").Row
    row = dict(conn.execute("SELECT * FROM members WHERE status = 'active' ORDER BY member_code LIMIT 1").fetchone())
    conn.close()
    mid = str(_uuid.UUID(hex=row["id"]))
    asked, gui = [], threading.get_ident()

    class HQ:  # answers as sync.authority.HQAuthority does: the member's pull rows
        def resolve_code(self, code):
            asked.append(threading.get_ident())
            threading.Event().wait(0.3)
            data = {**row, "id": mid, "code_secret": SECRET, "tags": []}
            return {"member_id": mid, "changes": [{"kind": "member", "id": mid, "data": data}]}

    c.till.authority = HQ()
    code = dynamic_code.make(row["member_code"], SECRET, dynamic_code.step_at(till_store.clock.now().timestamp()))
    Typist(qtbot).scan(code).wait(50).run()
    assert c.paying is not None and ("总部" in c.message.text() or "HQ" in c.message.text()), c.message.text()
    qtbot.waitUntil(lambda: c.till.member_id == mid, timeout=5000)
    assert asked and asked[0] != gui and c.paying is None
