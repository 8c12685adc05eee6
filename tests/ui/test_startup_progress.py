"""First start: a progress window shows at once and moves while the demo store is
built on a worker thread; the sign-in window follows. Real widgets, real SQLite file."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication

from app import application, i18n
from app.startup_progress import StartupProgress, run_with_progress


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-11-23T19:00")
    from devices import config as device_config
    off = device_config.DeviceSettings.model_validate({"scanner": {"mode": "off"}, "card_reader": {"mode": "off"}})
    device_config.save(off, tmp_path / "devices.json")
    return tmp_path / "fresh.sqlite3"


def test_first_start_shows_progress_then_sign_in(qtbot, fresh, monkeypatch):
    seen = []  # (visible, stage, done, total, bar or None when busy, text, on the GUI thread, note) per report
    real = StartupProgress.report

    def spy(self, stage, done, total):
        real(self, stage, done, total)
        seen.append((self.isVisible(), stage, done, total, self.bar.value() if self.bar.maximum() else None,
                     self.step.text(), threading.current_thread() is threading.main_thread(), self.note.text()))
    monkeypatch.setattr(StartupProgress, "report", spy)
    window = application.start(str(fresh), "zh_CN")
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and window.stack.currentWidget() is window.signin
        shown = [s for s in seen if s[0]]
        assert len(shown) > 10, "the window should be shown and report while the store is built"
        assert all(s[6] for s in seen)  # painted by the GUI thread, reported from the worker
        stages = [s[1] for s in shown]
        assert stages[0] == "new" and "sales" in stages and stages[-1] in ("staff", "suggestions")
        assert any(s[4] is None for s in shown[:2])  # a busy bar while the store opens: no known length yet
        bars = [s[4] for s in shown if s[4] is not None]
        assert bars == sorted(bars) and bars[0] < 100 and bars[-1] >= 950  # it moves, forwards only
        assert len(set(bars)) > 5
        sales = [s for s in shown if s[1] == "sales"]
        assert any("笔销售" in s[5] for s in sales) and "6,000" in sales[-1][5]
        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, StartupProgress) and w.isVisible()]
        assert window.db.settings["demo_store"] is True
    finally:
        window.db.close()
    # the next start of the same store: the window says it opens the store, and the sign-in follows
    seen.clear()
    again = application.start(str(fresh), "en")
    qtbot.addWidget(again)
    try:
        shown = [s for s in seen if s[0]]
        assert shown and {s[1] for s in shown} == {"open"} and shown[-1][4] > 0
        assert all(s[7] == "Opening the store…" for s in shown)  # not a first start: nothing is built
        assert again.isVisible() and again.stack.currentWidget() is again.signin
    finally:
        again.db.close()
        i18n.install("zh_CN")


@pytest.mark.parametrize("lang, words", [("zh_CN", ("正在准备收银台", "首次启动")), ("en", ("Getting the till ready", "First start"))])
def test_progress_window_speaks_the_tills_language(qtbot, lang, words):
    i18n.install(lang)
    try:
        w = StartupProgress(first_run=True)
        qtbot.addWidget(w)
        w.show()
        assert w.heading.text() == words[0] and w.note.text().startswith(words[1])
        w.report("sales", 1500, 6000)
        assert 0 < w.bar.value() < 1000
        assert ("1,500" in w.step.text()) and ("6,000" in w.step.text())
        assert "sales" not in w.step.text() if lang == "zh_CN" else "sales" in w.step.text()
    finally:
        i18n.install("zh_CN")


def test_a_failing_start_job_raises_on_the_gui_thread(qtbot):
    w = StartupProgress()
    qtbot.addWidget(w)
    w.show()

    def job(report):
        report("open", 0, 0)
        raise ValueError("this store file is from a newer release")
    with pytest.raises(ValueError, match="newer release"):
        run_with_progress(w, job)
    assert run_with_progress(w, lambda report: 42) == 42
