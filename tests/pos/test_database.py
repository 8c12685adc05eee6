"""Opening the store: Alembic on open, WAL, foreign keys, busy timeout,
refusing newer files, settings, and the POS_CLOCK test clock."""
import datetime as dt
import sqlite3
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from pos.store import database, migrate
from pos.services import members
from pos.clock import Clock, FixedClock
from pos.store.database import open_db
from pos.errors import DomainError
from pos.store.models import Member, OutboxEvent, Setting

UTC = dt.timezone.utc


def revision(path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def test_new_file_is_migrated_to_head(db):
    from alembic.script import ScriptDirectory
    head = ScriptDirectory.from_config(database.alembic_config()).get_current_head()
    assert head and revision(db.path) == head
    raw = db.raw()
    try:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        raw.close()
    assert {"members", "member_cards", "points_entries", "points_allocations", "stored_value_entries",
            "member_balances", "outbox", "audit_log", "products", "programs", "settings"} <= tables


def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path, clock, monkeypatch):
    path = tmp_path / "store.sqlite3"
    calls = []
    from alembic import command  # pos.store.migrate imports it only when an upgrade is due

    real_upgrade = command.upgrade
    monkeypatch.setattr(command, "upgrade", lambda *a, **k: (calls.append(a[1]), real_upgrade(*a, **k)))
    first = open_db(path, clock=clock)
    m = members.register(first, "13800138000", name="王小明")
    first.set_setting("store_code", "SH-07")
    first.close()
    assert calls == ["head"]
    rev = revision(path)

    again = open_db(path, clock=clock)
    try:
        assert calls == ["head"]  # not run a second time
        assert revision(path) == rev
        assert again.store_code == "SH-07"
        assert members.detail(again, m.id).name == "王小明"
        with again.read() as s:
            assert len(s.scalars(select(Member)).all()) == 1
            assert len(s.scalars(select(Setting)).all()) == len(database.DEFAULT_SETTINGS)
    finally:
        again.close()


def test_the_quick_read_of_the_head_agrees_with_alembic(tmp_path):
    """An open at head skips Alembic (pos.store.migrate.script_heads reads the scripts'
    revision lines); the heads it reads are Alembic's, for the till's and HQ's scripts;
    a script it cannot follow sends the open through Alembic (None)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    hq = Path(database.MIGRATIONS).parents[2] / "sync" / "server" / "migrations"
    for scripts in (database.MIGRATIONS, hq):
        heads = ScriptDirectory.from_config(migrate.config_for(scripts)).get_heads()
        assert migrate.script_heads(scripts) == frozenset(heads) and heads, scripts
    odd = tmp_path / "versions"
    odd.mkdir()
    (odd / "0001_x.py").write_text("revision = make_id()\ndown_revision = None\n", encoding="utf-8")
    assert migrate.script_heads(tmp_path) is None


def test_pragmas_on_every_connection(db):
    raw = db.raw()
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        raw.close()
    # WAL is a property of the file: a plain sqlite3 connection sees it too
    plain = sqlite3.connect(db.path)
    try:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    finally:
        plain.close()


def test_foreign_keys_are_enforced(db):
    raw = db.raw()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(
                "INSERT INTO member_cards (id, card_no, member_id, kind, status, issued_at, test_clock) "
                "VALUES (?, '9000000001', ?, 'magstripe', 'active', '2026-11-23 02:00:00', 0)",
                (uuid.uuid4().hex, uuid.uuid4().hex),
            )
    finally:
        raw.close()


def test_write_transactions_take_the_lock_up_front_and_readers_still_read(db):
    members.register(db, "13800138000")
    with db.transaction() as s:
        s.get(Setting, "store_code")  # only a read so far, but BEGIN IMMEDIATE already holds the write lock
        other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # WAL: a reader is not blocked by the writer
            assert other.execute("SELECT count(*) FROM members").fetchone()[0] == 1
        finally:
            other.close()


def test_a_failed_transaction_writes_nothing(db, clock):
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            s.add(Setting(key="scratch", value={"a": 1}))
            s.flush()
            raise RuntimeError("boom")
    with db.read() as s:
        assert s.get(Setting, "scratch") is None


def test_naive_datetimes_are_refused(db, clock):
    m = members.register(db, "13800138000")
    with pytest.raises(StatementError) as exc:
        with db.transaction() as s:
            s.get(Member, uuid.UUID(m.id)).updated_at = dt.datetime(2026, 11, 23, 10, 0)
    assert "naive" in str(exc.value)
    with db.read() as s:
        row = s.get(Member, uuid.UUID(m.id))
        assert row.updated_at == clock.now() and row.updated_at.tzinfo is not None


def test_a_file_from_a_newer_release_is_refused(tmp_path, clock):
    path = tmp_path / "store.sqlite3"
    open_db(path, clock=clock).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    with pytest.raises(DomainError) as exc:
        open_db(path, clock=clock)
    err = exc.value
    assert err.code == "db.newer"
    assert err.params["rev"] == "9999_future" and str(path) in err.message("en")
    assert "9999_future" in err.message("zh_CN")
    assert revision(path) == "9999_future"  # untouched


def test_settings_defaults_and_changes(db, tmp_path, clock):
    assert db.settings == database.DEFAULT_SETTINGS
    assert db.store_code == "S001"
    db.set_setting("barcode_rules", [{"name": "x", "kind": "product"}])
    db.set_setting("store_name", "徐家汇店")
    db.close()
    again = open_db(db.path, clock=clock)
    try:
        assert again.settings["barcode_rules"] == [{"name": "x", "kind": "product"}]
        assert again.settings["store_name"] == "徐家汇店"
        assert again.settings["register_no"] == "01"
    finally:
        again.close()


def test_pos_clock_env_fixes_now_and_flags_records(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2026-12-12T09:30:00")  # naive: store-local (Asia/Shanghai)
    db = open_db(tmp_path / "store.sqlite3")
    try:
        assert isinstance(db.clock, FixedClock) and db.test_clock is True
        when = dt.datetime(2026, 12, 12, 1, 30, tzinfo=UTC)
        assert db.clock.now() == when
        assert db.clock.today() == dt.date(2026, 12, 12)
        m = members.register(db, "13800138000")
        with db.read() as s:
            row = s.get(Member, uuid.UUID(m.id))
            assert row.test_clock is True
            assert row.created_at == when and row.joined_at == when
            [ev] = s.scalars(select(OutboxEvent)).all()
            assert ev.test_clock is True and ev.created_at == when
    finally:
        db.close()


def test_pos_clock_date_only_and_explicit_offset(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_CLOCK", "2027-01-31")
    db = open_db(tmp_path / "a.sqlite3")
    try:
        assert db.clock.now() == dt.datetime(2027, 1, 31, 4, 0, tzinfo=UTC)  # noon in Shanghai
    finally:
        db.close()
    monkeypatch.setenv("POS_CLOCK", "2027-01-31T23:30:00+00:00")
    db = open_db(tmp_path / "b.sqlite3")
    try:
        assert db.clock.today() == dt.date(2027, 2, 1)  # business date in the store's zone
    finally:
        db.close()
    monkeypatch.setenv("POS_CLOCK", "next tuesday")
    with pytest.raises(ValueError, match="POS_CLOCK"):
        open_db(tmp_path / "c.sqlite3")


def test_without_pos_clock_records_are_not_test_records(tmp_path, monkeypatch):
    monkeypatch.delenv("POS_CLOCK", raising=False)
    db = open_db(tmp_path / "store.sqlite3")
    try:
        assert type(db.clock) is Clock and db.test_clock is False
        m = members.register(db, "13800138000")
        with db.read() as s:
            row = s.get(Member, uuid.UUID(m.id))
            assert row.test_clock is False
            assert abs(row.created_at - dt.datetime.now(UTC)) < dt.timedelta(minutes=1)
    finally:
        db.close()


def test_default_db_path_honours_pos_db(tmp_path, monkeypatch):
    monkeypatch.setenv("POS_DB", str(tmp_path / "x" / "till.sqlite3"))
    assert database.default_db_path() == tmp_path / "x" / "till.sqlite3"
    db = open_db(None, clock=FixedClock(dt.datetime(2026, 11, 23, 10)))
    try:
        assert db.path == tmp_path / "x" / "till.sqlite3" and db.path.exists()
    finally:
        db.close()
