"""Ctrl+K at the till (issue 14): the attached member checks in — the program's check-in
points once a day at this store, said on the screen; again the same day gives nothing."""
from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt

from pos.loyalty import ledger
from pos.rules import program as program_rules
from pos.store import program_store

from .cashier import Typist, connect, demo_template, till_store, till_window  # noqa: F401


@pytest.fixture
def checkin_5(till_store):
    doc = program_store.active(till_store)
    doc = doc.model_copy(update={"version": doc.version + "-ci", "bonuses": doc.bonuses.model_copy(update={"checkin": 5})})
    program_store.install(till_store, program_rules.parse(program_rules.to_json(doc)))
    return doc


def test_ctrl_k_checks_the_attached_member_in_once_a_day(qtbot, checkin_5, till_window, till_store):
    c = till_window.checkout
    assert c.till.program.bonuses.checkin == 5
    Typist(qtbot).key(Qt.Key_K, Qt.ControlModifier).wait(100).run()
    assert "会员" in c.message.text()  # no member yet: identify first
    conn = connect(till_store)
    code, mid = conn.execute("SELECT member_code, id FROM members WHERE status = 'active' ORDER BY member_code LIMIT 1").fetchone()
    conn.close()
    Typist(qtbot).type(code).enter().wait(150).run()
    assert c.till.member_id == str(uuid.UUID(hex=mid))
    with till_store.read() as s:
        before = ledger.points_balance(s, uuid.UUID(hex=mid))
    Typist(qtbot).key(Qt.Key_K, Qt.ControlModifier).wait(150).run()
    assert "+5" in c.message.text(), c.message.text()
    Typist(qtbot).key(Qt.Key_K, Qt.ControlModifier).wait(150).run()
    with till_store.read() as s:
        assert ledger.points_balance(s, uuid.UUID(hex=mid)) == before + 5
    assert "+5" not in c.message.text()


def test_member_detail_profile_and_review_bonuses(qtbot, till_store):
    """The member detail (Ctrl+D) saves a completed profile with its bonus (vancl: 200) once,
    and a review naming the member's receipt earns the program's review points."""
    from app import i18n
    from app.member_detail import MemberDetailDialog

    i18n.install("en")
    conn = connect(till_store)
    mid, receipt = conn.execute("SELECT m.id, s.receipt_no FROM members m JOIN sales s ON s.member_id = m.id "
                                "WHERE m.status = 'active' AND s.kind = 'sale' ORDER BY s.receipt_no LIMIT 1").fetchone()
    conn.close()
    mid = str(uuid.UUID(hex=mid))
    doc = program_store.active(till_store)
    doc = doc.model_copy(update={"version": doc.version + "-rv", "bonuses": doc.bonuses.model_copy(update={"review": 10})})
    program_store.install(till_store, program_rules.parse(program_rules.to_json(doc)))
    with till_store.read() as s:
        before = ledger.points_balance(s, uuid.UUID(mid))
    d = MemberDetailDialog(till_store, mid, "C01")
    qtbot.addWidget(d)
    for key, value in (("name", "测试甲"), ("birthday", "1990-01-02"), ("region", "上海市")):
        d.fields[key].setText(value)
    d.gender.setCurrentIndex(1)
    d.save_profile()
    assert "+200" in d.profile_msg.text(), d.profile_msg.text()
    d.fields["region"].setText("北京市")
    d.save_profile()
    assert "+200" not in d.profile_msg.text()
    d.note_kind.setCurrentIndex(d.note_kind.findData("review"))
    d.note_receipt.setText(receipt)
    d.note_text.setText("很好")
    d.add_note()
    assert "+10" in d.note_receipt.placeholderText()
    with till_store.read() as s:
        assert ledger.points_balance(s, uuid.UUID(mid)) == before + 200 + 10
    i18n.install("zh_CN")


def test_the_member_panel_checks_in_too(qtbot, checkin_5, till_window, till_store):
    c = till_window.checkout
    assert not c.panel.checkin_btn.isEnabled()  # no member on the sale
    conn = connect(till_store)
    code, mid = conn.execute("SELECT member_code, id FROM members WHERE status = 'active' ORDER BY member_code DESC LIMIT 1").fetchone()
    conn.close()
    Typist(qtbot).type(code).enter().wait(150).run()
    assert c.panel.checkin_btn.isEnabled()
    c.panel.checkin_btn.click()
    assert "+5" in c.message.text(), c.message.text()
    assert c.input.hasFocus() or not c.panel.checkin_btn.hasFocus()  # the button never takes the keyboard
