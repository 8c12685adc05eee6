"""HQ's database: PostgreSQL (psycopg 3) in production, SQLite as the embedded default.

`--db` takes a SQLAlchemy URL (`postgresql://user@host/db` is read as
`postgresql+psycopg://...`) or a plain file path (SQLite). The schema is
migrated by HQ's own Alembic scripts whenever HQ opens the database.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import platformdirs
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from pos.store.migrate import to_head

MIGRATIONS = Path(__file__).with_name("migrations")


def default_url() -> str:
    env = os.environ.get("HQ_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{Path(platformdirs.user_data_dir('memberpos', appauthor=False)) / 'hq.sqlite3'}"


def normalize_url(url: str | None) -> str:
    url = (url or default_url()).strip()
    if "://" not in url:  # a plain path: SQLite
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


IDLE_TX_TIMEOUT_MS = 60_000


POOL = 20  # connections of one process by default (10 kept, 10 more under load)


def make_engine(url: str, pool: int | None = None) -> Engine:
    url = normalize_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # one writer at a time: take the write lock before reading what we change
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")

        return engine
    # The change feed serves rows below the oldest transaction still open on the server
    # (sync/server/changes.py): one of HQ's own left open would hold back every till's pull.
    pool = max(2, pool or POOL)
    return create_engine(url, pool_size=pool - pool // 2, max_overflow=pool // 2, pool_pre_ping=True,
                         connect_args={"options": f"-c idle_in_transaction_session_timeout={IDLE_TX_TIMEOUT_MS}"})


def migrate(engine: Engine) -> None:
    """Bring HQ's schema to head; refuse a database written by a newer release."""
    to_head(engine, MIGRATIONS, lambda rev: RuntimeError(f"HQ database is at revision {rev}, written by a newer release"))


class HQDatabase:
    def __init__(self, url: str | None = None, pool: int | None = None):
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool)
        self.dialect = self.engine.dialect.name
        # connections this process may hold at once (request threads are bounded by it: app.py)
        self.pool_capacity = max(2, pool or POOL) if self.dialect == "postgresql" else 40
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reads = sessionmaker(self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)

    @property
    def is_pg(self) -> bool:
        return self.dialect == "postgresql"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions() as s, s.begin():
            yield s

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._reads() as s, s.begin():
            yield s

    def close(self) -> None:
        self.engine.dispose()
