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
