"""Shared fixtures: a fixed clock and a real SQLite store in tmp_path."""
from __future__ import annotations

import datetime as dt

import pytest

from pos.clock import FixedClock
from pos.store.database import open_db

# 2026-11-23 10:00 in the store's zone (Asia/Shanghai) == 02:00 UTC
NOW_LOCAL = dt.datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW_LOCAL, tz="Asia/Shanghai")


@pytest.fixture
def db(tmp_path, clock):
    database = open_db(tmp_path / "store.sqlite3", clock=clock)
    try:
        yield database
    finally:
        database.close()


def pytest_configure(config):
    # The suite is headless wherever it runs (CI, a developer's terminal over ssh).
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # enrolled tills keep the chain's phone key in a file of their own (pos.rules.phones.key_dir): not the user's
    import tempfile

    os.environ.setdefault("MEMBERPOS_KEY_DIR", tempfile.mkdtemp(prefix="memberpos-keys-"))
    os.environ.setdefault("MEMBERPOS_LOG_DIR", tempfile.mkdtemp(prefix="memberpos-logs-"))  # pos.logs: not the user's
    # an enrolled till asks HQ to hold spending and unmask phones, as main.py sets up for the app and the CLI
    from sync.authority import install

    install()


# --- a hung test names itself -------------------------------------------------
# pytest-timeout (thread method, pyproject) ends a test stuck for 300 s by ending its
# xdist worker, whose stderr — where the stacks go — nobody sees; and a crashed worker is
# not replaced (--max-worker-restart=0), so the run ends at once instead of re-running the
# stuck file on worker after worker. Before that, each worker writes the stacks of all its
# threads to a file the controller prints at the end of the run.
_HANG_ENV = "MEMBERPOS_HANG_DIR"


def pytest_sessionstart(session):
    import os
    import tempfile

    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist)
        os.environ.setdefault(_HANG_ENV, tempfile.mkdtemp(prefix="memberpos-hangs-"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    import faulthandler
    import os
    from pathlib import Path

    where = os.environ.get(_HANG_ENV)
    if not where:
        yield
        return
    worker = getattr(item.config, "workerinput", {}).get("workerid", "main")
    after = max(1.0, float(item.config.getoption("timeout", None) or 300) - 20)  # before pytest-timeout
    fh = open(Path(where) / f"{worker}.txt", "w", encoding="utf-8")
    fh.write(f"{item.nodeid} did not end within {after:.0f} s; its threads:\n")
    fh.flush()
    faulthandler.dump_traceback_later(after, file=fh)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        fh.truncate(0)
        fh.close()


def pytest_terminal_summary(terminalreporter):
    import os
    from pathlib import Path

    where = os.environ.get(_HANG_ENV)
    if not where or hasattr(terminalreporter.config, "workerinput"):
        return
    for f in sorted(Path(where).glob("*.txt")):
        text = f.read_text(encoding="utf-8", errors="replace")
        if text.strip():
            # the project's own frames (and each thread's header): the libraries' would fill the screen
            lines = [ln for ln in text.splitlines() if "site-packages" not in ln and "/lib/python3" not in ln]
            terminalreporter.section(f"hung test ({f.stem})", sep="=")
            for line in lines[:40]:
                terminalreporter.write_line(line)
