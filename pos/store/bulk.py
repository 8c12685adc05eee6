"""Bulk inserts for imports: many rows, one statement, the ORM's own column types.

SQLAlchemy's executemany spends most of its time in per-row machinery; an
import of a million members cannot afford that. Rows are converted here with
the same bind processors the ORM uses (UUIDs, UTC date-times, JSON, booleans
are stored exactly as every other write stores them) and handed to the DB-API
cursor in one `executemany`, inside the caller's transaction.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Iterable

from sqlalchemy import Boolean, Date, DateTime, Table


def _memo(proc, type_):
    """Date-times, dates and flags repeat across an import's rows (one `now`):
    convert each distinct value once."""
    base = getattr(type_, "impl", type_)  # a TypeDecorator (UTCDateTime) converts like what it wraps
    if proc is None or not isinstance(base, (DateTime, Date, Boolean)):
        return proc
    seen: dict = {}

    def convert(value):
        out = seen.get(value, _MISSING)
        if out is _MISSING:
            out = seen[value] = proc(value)
        return out
    return convert


_MISSING = object()


def insert_rows(conn, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Insert `rows` (dicts keyed by column name, every row with the keys of the
    first; the ORM's Python-side defaults are not applied, so give every value)
    into `table` on the session connection `conn`. Returns the number of rows."""
    rows = list(rows)
    if not rows:
        return 0
    dialect = conn.dialect
    cols = [c for c in table.columns if c.key in rows[0]]  # every row has the same keys
    procs = [(c.key, _memo(c.type._cached_bind_processor(dialect), c.type))
             for c in cols]
    values = [tuple(p(r.get(k)) if p is not None and r.get(k) is not None else r.get(k) for k, p in procs)
              for r in rows]
    sql = f'INSERT INTO {table.name} ({", ".join(c.name for c in cols)}) VALUES ({", ".join("?" for _ in cols)})'
    conn.connection.driver_connection.executemany(sql, values)
    return len(values)


# --- the commit path: a few rows, many times (pos.services.checkout) --------------------------
# The same conversion as above, prepared once per table and set of columns, and every column
# the ORM would write (its Python-side scalar defaults) filled in, so a row written here is
# the row the ORM writes. `read_rows` converts back with the ORM's result processors: what
# `select(table)` returns, for a fraction of its cost.

_PREPARED: dict = {}
_READERS: dict = {}


def _defaults(table: Table) -> dict[str, Any]:
    out = {}
    for c in table.columns:
        d = c.default
        if d is not None and getattr(d, "is_scalar", False):
            out[c.key] = d.arg
        elif c.autoincrement is True or (c.primary_key and c.autoincrement == "auto" and
                                         c.type._type_affinity.__name__ == "Integer"):
            continue  # the database numbers it (outbox.seq)
        else:
            out[c.key] = None  # a callable default (ids) is always given by the caller
    return out


def _prepared(dialect, table: Table, keys: tuple[str, ...]):
    key = (id(dialect), table.name, keys)
    p = _PREPARED.get(key)
    if p is None:
        cols = [table.columns[k] for k in keys]
        procs = tuple(c.type._cached_bind_processor(dialect) for c in cols)
        sql = f'INSERT INTO {table.name} ({", ".join(c.name for c in cols)}) VALUES ({", ".join("?" for _ in cols)})'
        p = _PREPARED[key] = (sql, procs, _defaults(table))
    return p


def write_rows(conn, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (each with the keys of the first) on the session connection `conn`,
    every column the ORM would write included (missing ones take the column's default)."""
    if not rows:
        return
    dialect = conn.dialect
    defaults = _prepared(dialect, table, ())[2]
    keys = tuple(k for k in defaults)
    sql, procs, _ = _prepared(dialect, table, keys)
    values = []
    for r in rows:
        row = []
        for k, p in zip(keys, procs):
            v = r[k] if k in r else defaults[k]
            row.append(p(v) if p is not None and v is not None else v)
        values.append(row)
    cur = conn.connection.driver_connection
    if len(values) == 1:
        cur.execute(sql, values[0])
    else:
        cur.executemany(sql, values)


def read_rows(conn, table: Table, where: str, params: tuple | list, order: str | None = None) -> list[dict[str, Any]]:
    """`SELECT * FROM table WHERE where [ORDER BY order]` as dicts of column key -> value,
    converted as the ORM converts them (aware UTC date-times, UUIDs, parsed JSON, flags)."""
    dialect = conn.dialect
    key = (id(dialect), table.name)
    r = _READERS.get(key)
    if r is None:
        cols = list(table.columns)
        r = _READERS[key] = ([c.key for c in cols], [c.type._cached_result_processor(dialect, None) for c in cols],
                             ", ".join(c.name for c in cols))
    keys, procs, names = r
    sql = f"SELECT {names} FROM {table.name} WHERE {where}" + (f" ORDER BY {order}" if order else "")
    out = []
    for row in conn.connection.driver_connection.execute(sql, params):
        out.append({k: (p(v) if p is not None else v) for k, p, v in zip(keys, procs, row)})
    return out


def bind_processor(conn, table: Table, key: str):
    """The ORM's conversion of one column's value for the database (identity if none)."""
    p = table.columns[key].type._cached_bind_processor(conn.dialect)
    return p or (lambda v: v)


def result_processor(conn, table: Table, key: str):
    """The ORM's conversion of one column's stored value (identity if none)."""
    p = table.columns[key].type._cached_result_processor(conn.dialect, None)
    return p or (lambda v: v)


class BulkWriter:
    """Statements run in order by a thread of their own, on a connection of their own
    (`Database.bulk_connection`), while the caller makes the next rows: SQLite does its
    B-tree work without Python's lock, so on two cores making and writing overlap.
    Used like a cursor (`execute`, `executemany`) between `begin()` and `commit()`;
    a failed statement is raised to the caller at its next call, and nothing after it
    runs (`rollback()` then undoes the transaction). The rows handed over must not be
    changed afterwards."""

    def __init__(self, db, cache_mib: int = 256, depth: int = 4):
        self._conn = db.bulk_connection(cache_mib)
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is not None:
                continue
            sql, params, many = item
            try:
                (self._conn.executemany if many else self._conn.execute)(sql, params)
            except BaseException as exc:  # raised in the caller's thread (`_check`)
                self._error = exc

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def execute(self, sql: str, params=()) -> None:
        self._check()
        self._queue.put((sql, params, False))

    def executemany(self, sql: str, rows) -> None:
        self._check()
        if rows:
            self._queue.put((sql, rows, True))

    def begin(self) -> None:
        self.execute("BEGIN IMMEDIATE")

    def _finish(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def commit(self) -> None:
        """Wait for every statement, then commit (or raise what failed, after a rollback)."""
        self._queue.put(("COMMIT", (), False))
        self._finish()
        try:
            self._check()
        except BaseException:
            self._rollback_now()
            raise
        finally:
            self._conn.close()

    def rollback(self) -> None:
        if self._thread.is_alive():
            self._finish()
        self._rollback_now()
        self._conn.close()

    def _rollback_now(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
