"""Opening the local store: one SQLite file per till.

WAL so the GUI reads while a sale commits; foreign keys on; synchronous=FULL
so a committed sale survives a power cut; a busy timeout instead of errors
when two processes (app and CLI) touch the file. Write transactions start
with BEGIN IMMEDIATE: they take the write lock before reading the balances
they are about to change. Alembic migrates the file on every open (a file at
head is recognised without loading Alembic: pos.store.migrate).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from pos.clock import Clock, clock_from_env
from pos.errors import DomainError
from pos.store import settings as store_settings
from pos.store.migrate import config_for, to_head
from pos.store.models import Setting

if TYPE_CHECKING:
    from alembic.config import Config

APP_NAME = "memberpos"
MIGRATIONS = Path(__file__).with_name("migrations")

DEFAULT_SETTINGS: dict[str, Any] = store_settings.initial()  # what a new store holds (pos.store.settings)


def sql_ts(when: dt.datetime) -> str:
    """A UTC instant in the text form SQLAlchemy's DateTime stores on SQLite (naive UTC),
    for bulk rows written through the DB-API and for range filters in raw SQL."""
    utc = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    # isoformat is strftime's text for every year from 1000 (and a third faster: demo and imports call this per row)
    return utc.isoformat(" ", "microseconds") if utc.year >= 1000 else utc.strftime("%Y-%m-%d %H:%M:%S.%f")


def default_db_path() -> Path:
    env = os.environ.get("POS_DB")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "store.sqlite3"


def alembic_config() -> "Config":
    """The Alembic configuration of the till's store (its migration scripts)."""
    return config_for(MIGRATIONS)


def _make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")  # cleared phone numbers leave no bytes behind (pos.services.phone_privacy)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def migrate(engine: Engine, path: Path | str = "") -> None:
    """Bring the schema to head; refuse a file from a newer release."""
    to_head(engine, MIGRATIONS, lambda rev: DomainError("db.newer", path=str(path), rev=rev))


class Database:
    """The till's store: engine, sessions and the injected clock."""

    def __init__(self, path: Path | str, clock: Clock | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = _make_engine(self.path)
        migrate(self.engine, self.path)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False
        )
        self.settings = self._load_settings()
        self.clock = clock or clock_from_env(store_settings.TIMEZONE.get(self))

    @property
    def store_code(self) -> str:
        return store_settings.STORE_CODE.get(self)

    @property
    def test_clock(self) -> bool:
        return self.clock.is_test

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: everything in it commits together or not at all."""
        with self._writer() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session:
            yield session

    def raw(self):
        """A raw DB-API connection, for bulk paths (demo data, benchmarks)."""
        return self.engine.raw_connection()

    def bulk_connection(self, cache_mib: int = 256):
        """A plain `sqlite3` connection of its own with the store's pragmas (WAL, synchronous=FULL,
        foreign keys, secure delete) and a larger page cache, usable from another thread (one
        at a time): `pos.store.bulk.BulkWriter` writes demo data and imports through it."""
        import sqlite3

        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        for pragma in ("busy_timeout=10000", "journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       "secure_delete=ON", f"cache_size=-{int(cache_mib) * 1024}"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    def _load_settings(self) -> dict[str, Any]:
        return store_settings.load(self)  # upgraded, defaults written (pos.store.settings)

    def set_setting(self, key: str, value: Any) -> None:
        """A declared setting is checked (pos.store.settings); another module's row is stored as given."""
        if key in store_settings.OPTIONS:
            return store_settings.OPTIONS[key].set(self, value)
        with self.transaction() as s:
            s.merge(Setting(key=key, value=value))
        self.settings[key] = value

    def close(self) -> None:
        self.engine.dispose()


def open_db(path: Path | str | None = None, clock: Clock | None = None) -> Database:
    return Database(path or default_db_path(), clock)
