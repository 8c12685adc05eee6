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
