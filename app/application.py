"""Start-up of the till: Qt application, language, a progress window at once,
the store (opened, migrated, built on a first start) on a worker thread, main window.

The engine (pos/, SQLAlchemy, Alembic) is imported by that worker, not before the
window shows: on a slow till its import alone is a second or more of nothing on screen."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import QApplication

from . import crash, i18n

if TYPE_CHECKING:
    from pos.store.database import Database


def open_store(db_path: str | os.PathLike | None, progress: Callable[[str, int, int], None] | None = None) -> Database:
    """Open (and migrate) the store; a brand-new store gets the preset program and
    a demo store as it would be today. `progress(stage, done, total)` hears how far
    it got (called on the thread doing the work)."""
    from pos.demo import store
    from pos.store import program_store
    from pos.services import staff, suggestions
    from pos.store.database import default_db_path, open_db

    def step(stage: str, done: int = 0, total: int = 0) -> None:
        if progress:
            progress(stage, done, total)

    path = Path(db_path) if db_path else default_db_path()
    first_run = not path.exists()
    if first_run:
        step("new")  # a brand-new file: the demo store will be built (the window says so from now on)
    step("open")
    db = open_db(path)
    program_store.ensure_default(db)
    step("open", 1, 1)
    if first_run:
        store.build(db, members=2000, products=300, seed=1, sales=6000, progress=progress)
        step("suggestions")
        suggestions.rebuild(db)
        step("suggestions", 1, 1)
    if not staff.count(db):  # a till nobody can sign in to is useless: demo staff
        step("staff")
        staff.add(db, "C01", "收银员一", "cashier", "1234")
        staff.add(db, "M01", "店长", "manager", "9999")
        step("staff", 1, 1)
    return db


def start(db_path: str | None = None, lang: str | None = None):
    """Everything up to the sign-in window: a progress window at once, the store
    opened (migrated, built on a first start) on a worker thread, then the main window."""
    from .startup_progress import StartupProgress, run_with_progress

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("memberpos")
    i18n.install(lang or os.environ.get("POS_LANG") or i18n.DEFAULT_LANG)
    crash.install()  # the log file (pos.logs); every unexpected error -> the log and a friendly dialog
    # a window before anything slow: the store may need migrating, or building (first start)
    # a named file that is not there yet is a first start (the default path is only known to pos/: it says "new")
    progress = StartupProgress(first_run=db_path is not None and not Path(db_path).exists())
    progress.show_now()

    def job(report):
        db = open_store(db_path, progress=report)
        from . import main_window  # noqa: F401  (imported here, off the GUI thread)
        return db

    try:
        db = run_with_progress(progress, job)
        from .main_window import MainWindow

        window = MainWindow(db)
        window.show()
    finally:
        progress.close()
    return window


def run_app(db_path: str | None = None, lang: str | None = None) -> int:
    window = start(db_path, lang)
    # Everything built so far lives as long as the app: keep the cyclic GC from walking
    # it again and again, so a collection never lands in the middle of a scan.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20000, 20, 20)
    return QApplication.instance().exec() if window else 1
