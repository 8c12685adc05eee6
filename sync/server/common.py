"""What HQ's ingest modules share: the event's context, values as HQ stores them,
members by id (a merged one answers as its survivor), balance locks, the errors
an event is answered with, and the log of HQ's own ledger rows.

Who uses what: `ingest` (the batch), `members`, `sales`, `ledger_rows`,
`catalog`, and the jobs beside them (`expiry`, `reviews`, `holds`, `admin`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from . import changes
from .models import Member, MemberBalance, PointsAllocation, PointsEntry, StoredValueEntry, SyncException

UTC = dt.timezone.utc
UNKNOWN_MEMBER = "refers to a member HQ does not know (register the member first)"


class Forbidden(Exception):
    """An event claims another store than the token's."""


class Reject(Exception):
    """The event cannot be applied as sent: answered `rejected` with this reason."""


class BadBatch(Exception):
    """The request cannot be answered event by event (an event without a readable id): 422."""


def bad_data(exc: Exception) -> bool:
    """An error caused by what one event carries (that event is rejected), not by HQ
    (a lost database connection fails the request and the till retries)."""
    if isinstance(exc, (Reject, KeyError, ValueError, TypeError, OverflowError, IntegrityError, DataError)):
        return True
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)  # a value the driver cannot bind


def safe_text(value: Any, n: int) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return "".join(ch for ch in text if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF)[:n]


def clean_reason(text: str) -> str:
    return safe_text(text, 300)


def reason(exc: Exception) -> str:
    """Why an event was rejected, in one line a person can read."""
    if isinstance(exc, (DataError, StatementError)) and not isinstance(exc, IntegrityError):
        return "bad payload: a value HQ's database cannot store"
    if isinstance(exc, Reject):
        return str(exc)[:300]
    if isinstance(exc, KeyError):
        return f"bad payload: missing field {exc.args[0]!r}"[:300]
    if isinstance(exc, IntegrityError):
        return f"conflict: {str(exc.orig).splitlines()[0]}"[:300]
    return f"bad payload: {exc}"[:300]


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def dialect_insert(s: Session, table):
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def insert_new(s: Session, table, rows: list[dict], key: str = "id") -> set:
    """Insert rows whose key is not there yet; return the keys inserted."""
    if not rows:
        return set()
    stmt = dialect_insert(s, table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return {r[0] for r in s.execute(stmt, rows)}


def copy_rows(s: Session, table, rows: list[dict]) -> None:
    """Insert `rows` (all with the same keys; none there yet). PostgreSQL: one COPY, each
    value converted as the column's type would bind it (UTC times naive, JSON as
    SQLAlchemy writes it) — a fraction of a multi-row INSERT's cost in the driver and
    the server. A conflict raises IntegrityError as an INSERT would. SQLite: executemany."""
    if not rows:
        return
    if s.bind.dialect.name != "postgresql":
        s.execute(table.insert(), rows)
        return
    import json

    import psycopg
    from sqlalchemy import JSON
    from sqlalchemy.exc import DBAPIError

    dialect = s.bind.dialect
    cols = list(rows[0])
    # columns the rows leave out that have a Python-side default (an INSERT would compute it per row)
    extra = [c for c in table.columns if c.key not in rows[0] and c.default is not None
             and (c.default.is_scalar or c.default.is_callable)]
    encode = dialect._json_serializer or json.dumps
    memo = s.info.setdefault("json_text", {})  # id -> (value, text): an event's payload is also its sale's document

    def dumps(value):
        hit = memo.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        text = encode(value)
        if isinstance(value, dict):
            memo[id(value)] = (value, text)
        return text

    procs = []
    for c in cols + [c.key for c in extra]:
        t = table.c[c].type
        procs.append(dumps if isinstance(t, JSON) else t._cached_bind_processor(dialect))
    sql = f"COPY {table.name} ({', '.join(cols + [c.key for c in extra])}) FROM STDIN"
    raw = s.connection().connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(sql) as cp:
            for r in rows:
                values = [r[c] for c in cols]
                values += [c.default.arg if c.default.is_scalar else c.default.arg(None) for c in extra]
                cp.write_row([v if p is None else p(v) for v, p in zip(values, procs)])
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from None


def insert_new_rows(s: Session, table, rows: list[dict], key: str = "id") -> set:
    """What `insert_new` does, for a batch that has the session's `bulk` mark: the keys
    already there are read, the others COPYed (a concurrent insert of one of them raises
    IntegrityError and ingest applies the batch again the careful way, `insert_new`)."""
    if not rows:
        return set()
    if s.bind.dialect.name != "postgresql" or not s.info.get("bulk"):
        return insert_new(s, table, rows, key)
    keys = list({r[key] for r in rows})
    raw = s.connection().connection.driver_connection
    with raw.cursor() as cur:  # one array parameter, not thousands of bound ones
        have = {k for (k,) in cur.execute(f"SELECT {key} FROM {table.name} WHERE {key} = ANY(%s)", [keys])}
    fresh, new = [], set()
    for r in rows:
        if r[key] not in have and r[key] not in new:
            new.add(r[key])
            fresh.append(r)
    copy_rows(s, table, fresh)
    return new


def as_uuid(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def as_time(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    else:
        when = dt.datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"time without a zone: {value!r}")
    return when.astimezone(UTC)


def as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value not in (None, "") else None


def e164(phone: Any) -> str | None:
    """A pushed phone: E.164 or nothing; anything else rejects the event."""
    phone = phone or None
    if phone is not None and not (isinstance(phone, str) and phone.startswith("+") and phone[1:].isdigit()):
        raise Reject("phone must be E.164")
    return phone


@dataclass
class Ctx:
    """One event being applied: its session, store, HQ's time, and the exceptions it opened."""

    s: Session
    store: str
    now: dt.datetime
    event_id: uuid.UUID
    created_at: dt.datetime
    test_clock: bool
    exceptions: list[str] = field(default_factory=list)

    def exception(self, kind: str, member_id=None, **detail) -> None:
        self.s.add(SyncException(id=uuid.uuid4(), kind=kind, store_code=self.store, member_id=as_uuid(member_id),
                                 event_id=self.event_id, detail=detail, status="open", created_at=self.now))
        self.exceptions.append(kind)


def resolve(s: Session, member_id) -> Member | None:
    """The member, or the survivor it was merged into."""
    m = s.get(Member, as_uuid(member_id))
    for _ in range(8):
        if m is None or m.status != "merged" or m.merged_into is None:
            return m
        m = s.get(Member, m.merged_into)
    return m


def lock_balances(s: Session, member_ids) -> None:
    """Create missing balance rows, then lock them all in one sorted pass."""
    ids = sorted({as_uuid(m) for m in member_ids if m is not None})
    if not ids:
        return
    stmt = dialect_insert(s, MemberBalance.__table__).on_conflict_do_nothing(index_elements=["member_id"])
    s.execute(stmt, [{"member_id": i, "points": 0, "stored_value_fen": 0, "updated_at": now_utc()} for i in ids])
    if s.bind.dialect.name == "postgresql":
        for i in range(0, len(ids), 1000):
            s.execute(select(MemberBalance.member_id).where(MemberBalance.member_id.in_(ids[i:i + 1000]))
                      .order_by(MemberBalance.member_id).with_for_update())


def log_hq_ledger_rows(s: Session) -> None:
    """HQ's own ledger rows (merges, expiry, re-pricing) are found on flush and logged for the tills."""
    from sqlalchemy import event as sa_event

    if s.info.get("ledger_listener"):
        return

    @sa_event.listens_for(s, "before_flush")
    def _log_new(session, _ctx, _instances):
        for obj in session.new:
            if isinstance(obj, PointsEntry):
                changes.record(session, "points_entry", obj.id)
            elif isinstance(obj, PointsAllocation):
                changes.record(session, "points_allocation", obj.id)
            elif isinstance(obj, StoredValueEntry):
                changes.record(session, "sv_entry", obj.id)

    s.info["ledger_listener"] = True
