"""app.operations: work runs off the GUI thread, its outcome comes back on it,
a failure is a sentence (never a traceback), and what changed reaches every
screen that listens (app.events)."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from app import events, i18n
from app.operations import Changes, Operation
from pos import changes
from pos.errors import DomainError


def test_work_runs_on_a_worker_and_the_outcome_on_the_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    seen = {}

    def work():
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        changes.publish("members", ["m1"])
        return 42

    def done(result):
        seen["result"] = result
        seen["gui"] = QThread.currentThread() is owner.thread()

    op = Operation(owner, work, name="answer", changes=Changes.of(sales=["s1"])).success(done)
    op.run_in_background()
    assert op.running
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen == {"worker": True, "result": 42, "gui": True}
    assert not op.running
    assert op.changes.members == {"m1"} and op.changes.sales == {"s1"} and "basket" not in op.changes


def test_a_failure_is_said_in_words(qtbot):
    i18n.install("en")
    owner = QWidget()
    qtbot.addWidget(owner)
    said = []

    def broken():
        raise ValueError("internal detail")

    Operation(owner, broken, what="Printing").failure(lambda msg, exc: said.append((msg, type(exc)))).run_in_background()
    Operation(owner, lambda: (_ for _ in ()).throw(DomainError("sale.no_basket"))).failure(
        lambda msg, exc: said.append((msg, type(exc)))).run_in_background()
    qtbot.waitUntil(lambda: len(said) == 2, timeout=5000)
    said = dict((t, m) for m, t in said)
    assert said[ValueError] == "Printing could not be done (ValueError); try again"
    assert "Traceback" not in said[ValueError] and "internal detail" not in said[ValueError]
    assert said[DomainError] == DomainError("sale.no_basket").message("en")
    i18n.install("zh_CN")


def test_declared_changes_reach_listeners_after_success(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    heard = []
    events.listen(owner, "sales", lambda ids: heard.append(("sales", set(ids))))
    events.listen(owner, "members", lambda ids: heard.append(("members", set(ids))))
    Operation(owner, lambda: None, changes=Changes.of(sales=["s9"])).run_in_background()
    qtbot.waitUntil(lambda: ("sales", {"s9"}) in heard, timeout=5000)
    assert all(kind == "sales" for kind, _ in heard)


def test_publishes_from_a_worker_are_coalesced_into_one_signal(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    heard = []
    events.listen(owner, "members", lambda ids: heard.append(set(ids)))

    def pull():
        for i in range(50):
            changes.publish("members", [f"m{i}"])

    op = Operation(owner, pull).run_in_background()
    op.wait(5)
    qtbot.waitUntil(lambda: bool(heard), timeout=5000)
    qtbot.wait(50)
    assert heard == [{f"m{i}" for i in range(50)}]


def test_an_owner_that_is_gone_is_not_called(qtbot):
    owner = QWidget()
    called = []
    gate = threading.Event()
    op = Operation(owner, gate.wait).success(called.append).run_in_background()
    owner.deleteLater()
    qtbot.wait(50)
    gate.set()
    assert op.wait(5)
    qtbot.wait(100)
    assert called == [] and not op.running


def test_run_now_has_the_same_callbacks(qtbot):
    got = []
    Operation(None, lambda: "here").success(got.append).run_now()
    assert got == ["here"]
    with pytest.raises(RuntimeError):
        Operation(None, lambda: 1).run_now().run_now()
    with pytest.raises(ValueError):
        changes.publish("nonsense")


def test_a_payment_never_queues_behind_a_sync_round(qtbot):
    """The sync worker busy (a round waiting on the network): a payment's operation runs at once."""
    gate = threading.Event()
    stuck = Operation(None, lambda: gate.wait(10), name="hq-sync", pool="sync").run_in_background()
    blocked = Operation(None, lambda: "second round", name="hq-sync", pool="sync").run_in_background()
    paid = []
    Operation(None, lambda: "paid", name="pay", pool="pay").success(paid.append).run_in_background()
    try:
        qtbot.waitUntil(lambda: paid == ["paid"], timeout=3000)
        assert stuck.running and blocked.running  # the sync worker is still busy with the first round
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not stuck.running and not blocked.running, timeout=5000)
