"""Start-up of the till: Qt application, language, store, main window."""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from pos import demo, programs, staff, suggestions
from pos.database import Database, default_db_path, open_db

from . import i18n


def open_store(db_path: str | os.PathLike | None) -> Database:
    """Open (and migrate) the store; a brand-new store gets the preset program and demo data."""
    path = Path(db_path) if db_path else default_db_path()
    first_run = not path.exists()
    db = open_db(path)
    programs.ensure_default(db)
    if first_run:
        demo.build(db, members=2000, products=300, seed=1, sales=6000)
        suggestions.rebuild(db)
    if not staff.count(db):  # a till nobody can sign in to is useless: demo staff
        staff.add(db, "C01", "收银员一", "cashier", "1234")
        staff.add(db, "M01", "店长", "manager", "9999")
    return db


def run_app(db_path: str | None = None, lang: str | None = None) -> int:
    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("memberpos")
    i18n.install(lang or os.environ.get("POS_LANG") or i18n.DEFAULT_LANG)
    db = open_store(db_path)
    window = MainWindow(db)
    window.show()
    # Everything built so far lives as long as the app: keep the cyclic GC from walking
    # it again and again, so a collection never lands in the middle of a scan.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20000, 20, 20)
    return app.exec()
