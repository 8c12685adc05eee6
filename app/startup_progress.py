"""The small window a till shows at once while it gets ready: opening (and
migrating) the store file, and on the very first start building the demo store
(10–14 s). The work runs on a worker thread and reports through a plain
callback `(stage, done, total)` (pos/ knows no Qt); a queued signal brings each
report to this window, and the GUI thread keeps painting meanwhile. HQ's first
pull needs no window: it runs on the sync thread after the main window opens."""
from __future__ import annotations

import time
from typing import Any, Callable

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from .operations import Operation

# each stage's share of the bar (the sales history is most of a first start)
WEIGHTS = {"new": 0, "open": 4, "members": 8, "products": 2, "sales": 74, "tags": 5, "daily": 3, "suggestions": 3, "staff": 1}
DEMO_STAGES = ("new", "members", "products", "sales", "tags", "daily", "suggestions")
MIN_INTERVAL_S = 0.05  # reports closer together than this are not worth a repaint


class StartupProgress(QWidget):
    """Title, what is being done, a bar; no buttons (nothing to cancel half-way)."""

    def __init__(self, first_run: bool = False):
        super().__init__(None, Qt.Window | Qt.WindowTitleHint | Qt.CustomizeWindowHint)
        self.setObjectName("startupProgress")
        self.first_run = first_run
        self.painted = False
        self.stage = "open"
        self.stages_seen: list[str] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        lay.setSpacing(10)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 18px; font-weight: bold;")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.step = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        for w in (self.heading, self.note, self.step, self.bar):
            lay.addWidget(w)
        self.setFixedWidth(440)
        self.retranslate()
        self.report("open", 0, 0)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted = True

    def show_now(self, wait_s: float = 0.5) -> None:
        """Show, and let the first paint happen before the worker starts competing
        for the interpreter (its imports would otherwise delay it by a second)."""
        from PySide6.QtWidgets import QApplication

        self.show()
        deadline = time.monotonic() + wait_s
        while not self.painted and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.AllEvents, 20)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Member POS"))
        self.heading.setText(self.tr("Getting the till ready"))
        self.note.setText(self.tr("First start: building a demo store with two years of sales, "
                                  "as it would be today. This takes a few seconds.") if self.first_run
                          else self.tr("Opening the store…"))
        self.note.setVisible(True)
        self.adjustSize()  # the note may have grown to two lines since the window was shown: they get their height

    def _stage_text(self, stage: str) -> str:
        return {
            "new": self.tr("Opening the store database (and bringing it up to date)…"),
            "open": self.tr("Opening the store database (and bringing it up to date)…"),
            "members": self.tr("Creating demo members…"),
            "products": self.tr("Creating demo products…"),
            "sales": self.tr("Playing the sales history and each day's jobs…"),
            "tags": self.tr("Grouping members (active, dormant …)…"),
            "daily": self.tr("Running today's daily jobs…"),
            "suggestions": self.tr("Preparing product suggestions…"),
            "staff": self.tr("Setting up demo staff…"),
        }.get(stage, self.tr("Working…"))

    def report(self, stage: str, done: int, total: int) -> None:
        """One progress report (GUI thread): what runs, and the bar over all stages."""
        if stage not in self.stages_seen:
            self.stages_seen.append(stage)
        if stage in DEMO_STAGES and not self.first_run:  # a brand-new store: it is being built
            self.first_run = True
            self.retranslate()
        self.stage = stage
        text = self._stage_text(stage)
        if stage == "sales" and total:
            text += " " + self.tr("%1 of %2 sales").replace("%1", f"{done:,}").replace("%2", f"{total:,}")
        self.step.setText(text)
        if not total:  # how long it takes is not known (opening, migrating): a busy bar shows it is alive
            self.bar.setRange(0, 0)
            return
        self.bar.setRange(0, 1000)
        plan = list(WEIGHTS) if self.first_run else ["open", "staff"]
        before = sum(WEIGHTS[s] for s in plan[:plan.index(stage)]) if stage in plan else 0
        share = WEIGHTS.get(stage, 0) * min(done, total) / total if stage in plan else 0
        self.bar.setValue(min(1000, int(1000 * (before + share) / sum(WEIGHTS[s] for s in plan))))


class _Relay(QObject):
    progress = Signal(str, int, int)


def run_with_progress(window: StartupProgress, job: Callable[[Callable[[str, int, int], None]], Any]) -> Any:
    """Run `job(progress)` on a worker thread while `window` shows its reports;
    returns what the job returned, or raises what it raised, on this (GUI) thread."""
    relay = _Relay()
    relay.progress.connect(window.report)  # emitted off the GUI thread: delivered queued
    loop = QEventLoop()
    last = [0.0, ""]

    def report(stage: str, done: int, total: int) -> None:
        t = time.monotonic()
        if stage == last[1] and t - last[0] < MIN_INTERVAL_S and done < total:
            return
        last[0], last[1] = t, stage
        relay.progress.emit(stage, int(done), int(total))

    # an operation on a worker; its outcome, delivered here, ends the local loop (queued: it
    # quits the loop even if the job was quicker than `loop.exec()`)
    op = Operation(None, lambda: job(report), name="startup").success(lambda _r: loop.quit()).failure(
        lambda _message, _exc: loop.quit())
    op.run_in_background()
    loop.exec()
    op.wait()
    if op.error is not None:
        raise op.error  # raised on the GUI thread, as the job raised it
    return op.result
