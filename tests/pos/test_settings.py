"""Typed store settings (pos.store.settings): declared options, checked writes, upgrade
steps run when a store opens. Real SQLite files; old rows written by raw SQL."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from pos.errors import DomainError
from pos.store import settings
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parents[2]


def raw_rows(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        # JSON text; numbers come back as numbers (the column's affinity is NUMERIC)
        return {k: json.loads(v) if isinstance(v, str) else v for k, v in conn.execute("SELECT key, value FROM settings")}
    finally:
        conn.close()


def test_typed_get_defaults_and_set(db):
    assert settings.REGISTER_NO.get(db) == "01"
    assert settings.SYNC_INTERVAL_S.get(db) == 30.0
    assert settings.DEMO_STORE.get(db) is False
    assert settings.HQ_URL.get(db) is None and not settings.enrolled(db)
    settings.REGISTER_NO.set(db, "07")
    settings.RETURNS_MANAGER_ABOVE_FEN.set(db, "80000")  # lax like the device settings: text of a number is the number
    assert settings.RETURNS_MANAGER_ABOVE_FEN.get(db) == 80000
    settings.HQ_URL.set(db, "http://127.0.0.1:9")
    assert not settings.enrolled(db)  # an address without a credential is not an enrolment
    settings.HQ_TOKEN.set(db, "t0ken")
    assert settings.enrolled(db)
    rows = raw_rows(db.path)  # stored, not only cached
    assert rows["register_no"] == "07" and rows["returns.manager_above_fen"] == 80000
    assert rows["sync.hq_url"] == "http://127.0.0.1:9"


@pytest.mark.parametrize("opt, value, words", [
    (settings.REGISTER_NO, "0 1", "without spaces"),
    (settings.REGISTER_NO, "123456789", "1-8 characters"),
    (settings.TIMEZONE, "Mars/Olympus", "IANA time zone"),
    (settings.HQ_URL, "ftp://hq", "http://"),
    (settings.CASH_CONFIRM_ABOVE_FEN, -5, "greater than or equal to 0"),
    (settings.DEMO_STORE, "maybe", "boolean"),
    (settings.DAILY_RAN_ON, "23/11/2026", "YYYY-MM-DD"),
])
def test_a_bad_value_is_refused_with_the_setting_named_and_nothing_written(db, opt, value, words):
    before = raw_rows(db.path).get(opt.name)
    with pytest.raises(DomainError) as exc:
        opt.set(db, value)
    err = exc.value
    assert err.code == "settings.bad_value" and err.params["name"] == opt.name
    assert words in err.message("en") and opt.name in err.message("zh_CN")
    assert raw_rows(db.path).get(opt.name) == before
    assert opt.get(db) == (before if before is not None else opt.default)


def test_the_legacy_set_setting_checks_a_declared_setting(db):
    with pytest.raises(DomainError) as exc:
        db.set_setting("register_no", "")
    assert exc.value.code == "settings.bad_value"
    db.set_setting("barcode_rules", [{"name": "x"}])  # another module's row: stored as given
    assert raw_rows(db.path)["barcode_rules"] == [{"name": "x"}]


def test_put_in_a_transaction_reaches_the_cache_only_when_it_commits(db):
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            settings.SYNC_CURSOR.put(s, "c-1", db)
            raise RuntimeError("power cut")
    assert settings.SYNC_CURSOR.get(db) is None and "sync.cursor" not in raw_rows(db.path)
    with db.transaction() as s:
        settings.SYNC_CURSOR.put(s, "c-2", db)
    assert settings.SYNC_CURSOR.get(db) == "c-2"
    with db.transaction() as s:
        settings.SYNC_CURSOR.forget(s, db)
    assert settings.SYNC_CURSOR.get(db) is None and "sync.cursor" not in raw_rows(db.path)


def old_store(tmp_path, clock, rows: dict) -> Path:
    """A store as a release before typed settings left it: no version row, values as text."""
    path = tmp_path / "old.sqlite3"
    open_db(path, clock=clock).close()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM settings")
    conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [(k, json.dumps(v)) for k, v in rows.items()])
    conn.commit()
    conn.close()
    return path


def test_an_old_store_is_upgraded_when_it_opens(tmp_path, clock):
    path = old_store(tmp_path, clock, {
        "store_code": "SH-07", "register_no": 3, "demo_store": "true", "phone.scrubbed": "1",
        "returns.manager_above_fen": "80000", "cash.confirm_above_fen": "lots",  # cannot be a number: dropped
        "sync.interval_s": "45", "sync.hq_url": "", "barcode_rules": [{"name": "x"}],
    })
    db = open_db(path, clock=clock)
    try:
        assert settings.REGISTER_NO.get(db) == "03"
        assert settings.DEMO_STORE.get(db) is True and settings.PHONE_SCRUBBED.get(db) is True
        assert settings.RETURNS_MANAGER_ABOVE_FEN.get(db) == 80000
        assert settings.CASH_CONFIRM_ABOVE_FEN.get(db) == settings.CASH_CONFIRM_ABOVE_FEN.default
        assert settings.SYNC_INTERVAL_S.get(db) == 45.0
        assert settings.HQ_URL.get(db) is None
        assert db.store_code == "SH-07" and settings.STORE_NAME.get(db) == "Demo store"  # missing: the default written
    finally:
        db.close()
    rows = raw_rows(path)  # converted in the file, not only in memory
    assert rows["settings.version"] == settings.VERSION
    assert rows["register_no"] == "03" and rows["demo_store"] is True and rows["phone.scrubbed"] is True
    assert rows["returns.manager_above_fen"] == 80000 and rows["sync.interval_s"] == 45.0
    assert "cash.confirm_above_fen" not in rows and rows["sync.hq_url"] is None
    assert rows["barcode_rules"] == [{"name": "x"}]  # not a declared setting: left as it was
    assert rows["store_name"] == "Demo store"


def test_an_upgraded_store_is_not_upgraded_again(tmp_path, clock, monkeypatch):
    path = old_store(tmp_path, clock, {"register_no": 5})
    open_db(path, clock=clock).close()
    ran = []
    monkeypatch.setattr(settings, "UPGRADES", [lambda rows: ran.append(1)] * settings.VERSION)
    open_db(path, clock=clock).close()
    assert ran == []


def test_settings_from_a_newer_release_are_refused(tmp_path, clock):
    path = old_store(tmp_path, clock, {"settings.version": settings.VERSION + 1, "register_no": "01"})
    with pytest.raises(DomainError) as exc:
        open_db(path, clock=clock)
    assert exc.value.code == "settings.newer" and str(settings.VERSION + 1) in exc.value.message("en")
    assert raw_rows(path)["settings.version"] == settings.VERSION + 1  # untouched


def test_every_declared_setting_is_read_somewhere():
    """No dead settings: each option is used by name outside its declaration."""
    source = "\n".join(p.read_text(encoding="utf-8") for pkg in ("pos", "sync", "app", "devices")
                       for p in (ROOT / pkg).rglob("*.py") if p.name != "settings.py" or p.parent.name != "store")
    own = (ROOT / "pos/store/settings.py").read_text(encoding="utf-8")
    for const in re.findall(r"^([A-Z_]+) = Option\(", own, re.M):
        used_here = len(re.findall(rf"\b{const}\b", own)) > 1  # e.g. enrolled() reads HQ_URL
        assert used_here or re.search(rf"\b{const}\b", source), f"setting {const} is declared but never read"
