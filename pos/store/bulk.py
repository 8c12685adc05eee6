"""Bulk inserts for imports: many rows, one statement, the ORM's own column types.

SQLAlchemy's executemany spends most of its time in per-row machinery; an
import of a million members cannot afford that. Rows are converted here with
the same bind processors the ORM uses (UUIDs, UTC date-times, JSON, booleans
are stored exactly as every other write stores them) and handed to the DB-API
cursor in one `executemany`, inside the caller's transaction.
"""
from __future__ import annotations

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
