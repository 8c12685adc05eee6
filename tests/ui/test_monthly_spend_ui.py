"""The cashier sees the monthly-spend bonus the sale gave (pos.loyalty.monthly_spend):
said on the screen after payment, with the points."""
from __future__ import annotations

import uuid

from PySide6.QtCore import Qt

from pos.rules.program import MonthlySpendBonus
from pos.store import program_store

from .cashier import Typist, connect, demo_template, product_codes, till_store, till_window  # noqa: F401


def test_the_screen_says_the_bonus_after_payment(qtbot, till_window, till_store):
    c = till_window.checkout
    p = c.till.program  # the demo's program, with a bonus any member's month reaches in this sale
    doc = p.model_copy(update={"version": "ui-monthly-spend", "bonuses": p.bonuses.model_copy(
        update={"monthly_spend": [MonthlySpendBonus(min_fen=1, points=200)]})})
    program_store.install(till_store, doc)
    c.till.program = c.till.checkout.program = doc
    conn = connect(till_store)
    mid = conn.execute("SELECT id FROM members WHERE status = 'active' ORDER BY member_code LIMIT 1").fetchone()[0]
    conn.close()
    c.till.checkout.attach_member_id(str(uuid.UUID(hex=str(mid).replace("-", ""))))
    t = Typist(qtbot)
    t.scan(product_codes(till_store, 1)[0]).wait(200)
    t.run()
    assert c.till.last_quote is not None and c.till.checkout.member_id
    t.key(Qt.Key_F12).wait(200).enter().wait(300)  # the amount due pre-filled: Enter takes it as cash
    t.run()
    assert c.last_result.points["bonuses"] == [{"rule": "monthly_spend:1", "points": 200}]
    said = c.message.text()
    assert "+200" in said and ("月消费奖励" in said or "monthly spend bonus" in said), said
