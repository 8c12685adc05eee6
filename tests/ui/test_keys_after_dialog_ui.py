"""Issue 11 item 4, the exact case: `CP12345678` typed at 90 ms a key into the till
right as a dialog closes, and right as one opens ("C" stayed in the input and
"P12345678" was looked up, 2 times in 3). Every key lands, in order, in what is
open when it lands; none is lost, none goes to a window that went or is blocked.
And a dialog that closes leaving the keyboard nowhere (the window system gives
focus back to no window) does not swallow the next F-key."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from .cashier import Typist, demo_template, product_codes, till_store, till_window  # noqa: F401
from .test_cashier_hour import commit_text, one, pick_people

CODE = "CP12345678"


def record(c) -> list:
    seen = []
    orig = c.handle_code
    c.handle_code = lambda text: (seen.append(text), orig(text))
    return seen


def test_typed_as_a_dialog_closes_the_code_reaches_the_input_whole(qtbot, till_window, till_store):
    """F4, 2, Enter closes the quantity dialog; 20 ms later CP12345678 at 90 ms a key + Enter."""
    w, c = till_window, till_window.checkout
    a = product_codes(till_store, 1)[0]
    seen = record(c)
    for seed in (1, 2, 3):  # the "2 times in 3": three tries, each must be whole
        t = Typist(qtbot, seed=seed)
        t.scan(a).wait(120).key(Qt.Key_F4).wait(150).type("2", gaps=40).enter(gap=20)
        t.type(CODE, gaps=90).enter(gap=90).wait(100)
        t.run()
        assert seen[-1] == CODE, (seen, t.log)
        assert c.input.text() == ""
        assert c.till.checkout.lines[0].qty == 2
        assert "P12345678" not in [s for s in seen if s != CODE]
        c.till.void()
        c.refresh()
    assert seen.count(CODE) == 3


def test_typed_as_a_dialog_opens_the_code_reaches_the_dialog_whole(qtbot, till_window, till_store):
    """F10 opens Returns; CP12345678 follows 20 ms later at 90 ms a key: every key in the
    receipt field, none left in the one input behind it."""
    w, c = till_window, till_window.checkout
    seen = record(c)
    got = {}

    def look():
        d = QApplication.activeModalWidget()
        got.update(kind=type(d).__name__, receipt=d.receipt.text(), error=d.error.text(), main=c.input.text())
        d.reject()
    for seed in (4, 5, 6):
        t = Typist(qtbot, seed=seed)
        t.key(Qt.Key_F10).type(CODE, gaps=90).enter(gap=90).wait(150).call(look).wait(100)
        t.run()
        assert got["kind"] == "ReturnsDialog", (got, t.log)
        assert got["receipt"] == CODE and got["main"] == "", (got, t.log[:3])
        assert CODE in got["error"]  # Enter loaded it: no such receipt, said with the number typed
        assert seen == []  # nothing reached the checkout behind the dialog


def test_the_key_after_a_pick_list_closes_is_not_lost(qtbot, till_window, till_store):
    """A name typed (an input method commits it), Enter opens the pick list, Enter picks;
    F9 and the code typed right after act on the till, though the window system gave the
    keyboard back to no window when the list closed."""
    w, c = till_window, till_window.checkout
    (_p, _pp), (_l, _l4), (n_id, name), _k = pick_people(till_store)
    a = product_codes(till_store, 1)[0]
    seen = record(c)
    t = Typist(qtbot, seed=7)
    t.call(lambda: commit_text(name, c.input)).wait(60).enter().wait(250).enter(gap=20)
    t.type(CODE, gaps=90).enter(gap=90).wait(150)
    t.run()
    assert c.till.checkout.member_id is not None and c.till.checkout.member_id.replace("-", "") == n_id, c.message.text()
    assert seen[-1] == CODE, (seen, t.log)
    t.scan(a).wait(150).call(lambda: commit_text(name, c.input)).wait(60).enter().wait(250).enter(gap=20)
    t.key(Qt.Key_F9, gap=30).wait(200)
    t.run()
    held = one(till_store, "SELECT COUNT(*) FROM baskets WHERE status = 'suspended'")[0]
    assert not c.till.checkout.lines and held >= 1, (t.log, c.message.text())
    assert QApplication.focusWidget() is c.input
