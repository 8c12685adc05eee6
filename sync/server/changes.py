"""The change log and the pull cursor.

Every change a till must learn (a member, a card, a ledger entry, a program
version ...) is a `change_log` row written in the transaction that makes the
change. A till pulls the rows after its cursor, page by page; the page carries
the CURRENT state of each entity it names.

The cursor can never skip a change that commits late
-------------------------------------------------------
A sequence alone is not enough on PostgreSQL: transaction T1 draws seq 5,
T2 draws seq 6 and commits first; a reader that serves 6 and moves its
cursor to 6 never sees 5 when T1 commits. So:

* each row carries `txid`, the id of the transaction that wrote it
  (`pg_current_xact_id()`, a column default: evaluated by the writing
  transaction itself, which gets its id at its first write at the latest);
* the cursor is the pair (txid, seq) of the last row served, and rows are
  served in (txid, seq) order;
* a page only holds rows with `txid < xmin`, where xmin =
  `pg_snapshot_xmin(pg_current_snapshot())` is the oldest transaction still in
  flight when the page is read (cluster-wide), read in the same REPEATABLE
  READ snapshot as the rows.

Why nothing is skipped: a row not visible to the page's snapshot, which commits
later, was written by a transaction that was either in flight at snapshot time
(so its id >= xmin) or had no id yet (so its id >= the snapshot's xmax >= xmin).
Either way its txid >= xmin >= every txid already served, so it sorts after
the cursor. Every row below xmin is final (its transaction is over), so a
page never serves half a transaction either. A long transaction only delays
pulls (liveness), never loses a change (safety). `tests/sync/test_cursor_pg.py`
proves it with concurrent writers that commit out of order, and shows the
naive seq cursor losing rows under the same load.

On SQLite there is one writer at a time and a row's seq is drawn inside the
write lock, so seq order is commit order: txid is 0 and the cursor is the seq.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select, text, tuple_
from sqlalchemy.orm import Session

from ..protocol import PROTOCOL_VERSION, PullResponse
from . import phones as server_phones
from .models import (
    ChangeLog, Coupon, CouponUse, Member, MemberCard, MemberNote, PointsAllocation, PointsEntry, Product, Program,
    Sale, StoredValueEntry,
)

from .o2o_models import OnlineOrder, Parcel  # noqa: E402
from .import_models import MemberImport  # noqa: E402
from .alliance_models import CoinAllocation, CoinEntry, HQAllianceProgram  # noqa: E402

CURSOR_PREFIX = "v1"


def record(s: Session, kind: str, entity_id: Any, origin: str | None = None) -> None:
    """Note a change; written to the log by `flush` in the same transaction."""
    s.info.setdefault("changes", []).append({"kind": kind, "entity_id": str(entity_id), "origin": origin})


def record_many(s: Session, kind: str, ids: Iterable[Any], origin: str | None = None) -> None:
    bucket = s.info.setdefault("changes", [])
    bucket.extend({"kind": kind, "entity_id": str(i), "origin": origin} for i in ids)


def flush(s: Session) -> int:
    rows = s.info.pop("changes", [])
    if rows:
        s.flush()
        from .common import copy_rows

        copy_rows(s, ChangeLog.__table__, rows)  # seq, txid: the column defaults (txid: this transaction's id)
    return len(rows)


def discard(s: Session) -> None:
    s.info.pop("changes", None)


# --- cursor -----------------------------------------------------------------------------

_CURSOR = re.compile(r"v1:(-1|0|[1-9][0-9]{0,18}):(0|[1-9][0-9]{0,18})")
_INT64 = 2 ** 63 - 1


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    """(txid, seq) of a cursor this HQ gave out; (-1, 0) is the start. Anything
    else — another format, a negative or too big number — is refused (ValueError),
    never read as "from the start"."""
    if not cursor:
        return (-1, 0)  # before everything
    m = _CURSOR.fullmatch(cursor)
    if m is None:
        raise ValueError("not a cursor from this HQ (expected the cursor of the last page, as given)")
    txid, seq = int(m[1]), int(m[2])
    if txid > _INT64 or seq > _INT64 or (txid == -1) != (seq == 0):
        raise ValueError("not a cursor from this HQ (out of range)")
    return txid, seq


def check_position(s: Session, pos: tuple[int, int]) -> None:
    """A cursor names the last row it served, and change-log rows are never deleted:
    a cursor whose row is not there (beyond the log's end, forged, from another HQ
    or a database restored to an earlier state) is refused."""
    if pos == (-1, 0):
        return
    t = ChangeLog.__table__
    txid = s.execute(select(t.c.txid).where(t.c.seq == pos[1])).scalar()
    if txid is None or txid != pos[0]:
        raise ValueError("cursor beyond the end of HQ's change log or not from this HQ "
                         "(a forged cursor, or HQ's database restored to an earlier state)")


def format_cursor(txid: int, seq: int) -> str:
    return f"{CURSOR_PREFIX}:{txid}:{seq}"


def visible_horizon(s: Session) -> int | None:
    """PostgreSQL: the oldest transaction id still in flight (rows below it are final)."""
    if s.bind.dialect.name != "postgresql":
        return None
    return int(s.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar())


def page_rows(s: Session, cursor: tuple[int, int], limit: int) -> list[ChangeLog]:
    txid, seq = cursor
    horizon = visible_horizon(s)
    t = ChangeLog.__table__
    q = select(t.c.seq, t.c.txid, t.c.kind, t.c.entity_id, t.c.origin)
    if s.bind.dialect.name == "postgresql":
        q = q.where(tuple_(t.c.txid, t.c.seq) > tuple_(txid, seq), t.c.txid < horizon).order_by(t.c.txid, t.c.seq)
    else:
        q = q.where(t.c.seq > seq).order_by(t.c.seq)
    return s.execute(q.limit(limit)).all()


def held_back(s: Session, cursor: tuple[int, int]) -> bool:
    """PostgreSQL: committed rows past the cursor wait behind a transaction still in
    flight (any on the server: ids are the cluster's); it is usually a moment away."""
    horizon = visible_horizon(s)
    if horizon is None:
        return False
    t = ChangeLog.__table__
    return s.execute(select(t.c.seq).where(tuple_(t.c.txid, t.c.seq) > tuple_(*cursor), t.c.txid >= horizon)
                     .limit(1)).first() is not None


HOLD_BACK_WAITS = (0.02, 0.05, 0.1, 0.2)  # seconds, before a page answers without rows held back


# --- entity state -----------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return int(value)
    return value


def row_dict(obj, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in obj.__table__.columns if c.key not in skip}


# kind -> (model, key column, columns left out of what tills receive)
ENTITIES: dict[str, tuple[Any, str, tuple[str, ...]]] = {
    "member": (Member, "id", ("field_times",)),
    "card": (MemberCard, "card_no", ()),
    "note": (MemberNote, "id", ()),
    "points_entry": (PointsEntry, "id", ()),
    "points_allocation": (PointsAllocation, "id", ()),
    "sv_entry": (StoredValueEntry, "id", ()),
    "coupon": (Coupon, "code", ()),
    "coupon_use": (CouponUse, "id", ()),
    "program": (Program, "version", ()),
    "product": (Product, "sku", ()),
    "online_order": (OnlineOrder, "id", ()),  # issue 18: an online shop's order in the member's history
    "parcel": (Parcel, "id", ()),  # a parcel for pickup: served to its store only (STORE_ONLY)
    # a member imported at HQ (hq member import): its external_id and carried tier spend (issue 15)
    "member_import": (MemberImport, "member_id", ()),
    # a store's own sale, only on its own re-sync (`own`; pos.store.sale_record): the document as committed
    "sale": (Sale, "id", ("member_id", "net_fen", "points_earned", "points_redeemed", "provisional", "repriced",
                          "hq_net_fen", "hq_points_earned")),
    # issue 17, the alliance: its shared rules and the shared coin ledger go to every merchant's tills
    "alliance_program": (HQAllianceProgram, "version", ()),
    "coin_entry": (CoinEntry, "id", ()),
    "coin_allocation": (CoinAllocation, "id", ()),
}
UUID_KEYS = ("id", "member_id")  # key columns of type uuid
OWN_ONLY = {"sale"}  # never served to another store, nor to its own store's normal pull
STORE_ONLY = {"parcel": "store_code"}  # kind -> the column naming the one store that receives it
IMMUTABLE = {"points_entry", "points_allocation", "sv_entry", "note", "coupon_use", "coin_entry",
             "coin_allocation"}  # a store's own need not echo
# kind -> the column naming the merchant whose stores receive it (NULL: `main`); issue 17: each merchant's
# own points and stored value go to its own stores only (the coin ledger is shared, served to all)
MERCHANT_ONLY = {"program": "merchant_code", "points_entry": "merchant_code", "points_allocation": "merchant_code",
                 "sv_entry": "merchant_code"}


def _key(kind: str, value: str) -> Any:
    col = ENTITIES[kind][1]
    if col in UUID_KEYS:
        return uuid.UUID(value)
    return value


def load_states(s: Session, wanted: dict[str, list[str]]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, ids in wanted.items():
        model, col, skip = ENTITIES[kind]
        column = getattr(model, col)
        for i in range(0, len(ids), 900):
            chunk = [_key(kind, x) for x in ids[i:i + 900]]
            for obj in s.scalars(select(model).where(column.in_(chunk))):
                out[(kind, str(getattr(obj, col)))] = row_dict(obj, skip)
    return out


def _page(hq, s: Session, pos: tuple[int, int], limit: int):
    if hq.is_pg:  # one snapshot for the horizon and the rows (see the module docstring)
        s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    return page_rows(s, pos, limit)


def log_page(hq, cursor: str | None, limit: int) -> tuple[list, str]:
    """The raw change-log rows of one page and the cursor after them (what `pull` serves from)."""
    pos = parse_cursor(cursor)
    with hq.read() as s:
        rows = _page(hq, s, pos, limit)
        check_position(s, pos)
    return rows, (format_cursor(rows[-1].txid, rows[-1].seq) if rows else (cursor or format_cursor(-1, 0)))


def _states_json(s: Session, wanted: dict[str, list[str]], phone_fields) -> dict[tuple[str, str], str]:
    """Entity states as JSON text. PostgreSQL writes the JSON itself (to_jsonb), which
    is what makes a first pull of a million members fast; SQLite goes through Python.
    A member's full phone stays at HQ: `phone_fields` (server.phones.pull_fields) gives
    the hash and masked form in its place."""
    out: dict[tuple[str, str], str] = {}
    if s.bind.dialect.name != "postgresql":
        for key, state in load_states(s, wanted).items():
            if key[0] == "member":
                state.update(phone_fields(state.pop("phone", None)))
            out[key] = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        return out
    for kind, ids in wanted.items():
        model, col, skip = ENTITIES[kind]
        table = model.__tablename__
        member = kind == "member"
        drop = "".join(f" - '{c}'" for c in skip + (("phone",) if member else ()))
        cast = "::uuid" if col in UUID_KEYS else ""
        for i in range(0, len(ids), 5000):
            chunk = ids[i:i + 5000]
            rows = s.execute(text(f"SELECT t.{col}::text, (to_jsonb(t){drop})::text{', t.phone' if member else ''} "
                                  f"FROM {table} t "
                                  f"WHERE t.{col} = ANY(CAST(:ids AS text[]){cast and '::uuid[]'})"), {"ids": chunk})
            for key, doc, *phone in rows:
                out[(kind, key)] = server_phones.splice(doc, phone_fields(phone[0])) if member else doc
    return out


@dataclass
class Page:
    """A pull page, its changes already JSON text (see PullResponse for the shape)."""

    changes: list[str]
    cursor: str
    more: bool
    hq_time: dt.datetime

    def json(self) -> str:
        return ('{"protocol":%d,"changes":[%s],"cursor":%s,"more":%s,"hq_time":%s}' % (
            PROTOCOL_VERSION, ",".join(self.changes), json.dumps(self.cursor), "true" if self.more else "false",
            json.dumps(self.hq_time.isoformat())))


def pull_page(hq, store_code: str, cursor: str | None, limit: int, own: bool = False) -> Page:
    """`own`: the store's own immutable rows and its own sales too (a till restored from a
    backup lacks some); sales (`OWN_ONLY`) are served on nothing else."""
    pos = parse_cursor(cursor)
    server_phones.chain_key(hq)  # made (once) before the read snapshot
    for wait in (*HOLD_BACK_WAITS, None):
        with hq.read() as s:
            rows = _page(hq, s, pos, limit)
            if wait is None or len(rows) == limit or not held_back(s, pos):
                return _serve(hq, s, store_code, cursor, pos, rows, limit, own)
        time.sleep(wait)  # then a new snapshot: the writer in flight has most likely committed
    raise AssertionError("unreachable")


def _serve(hq, s: Session, store_code: str, cursor: str | None, pos: tuple[int, int], rows, limit: int,
           own: bool) -> Page:
    check_position(s, pos)
    seen: set[tuple[str, str]] = set()
    picked: list[tuple[str, str]] = []
    for r in rows:
        if r.kind in IMMUTABLE and r.origin == store_code and not own:
            continue  # the store's own rows: it has them already
        if r.kind in OWN_ONLY and not (own and r.origin == store_code):
            continue
        key = (r.kind, r.entity_id)
        if key in seen or r.kind not in ENTITIES:
            continue
        seen.add(key)
        picked.append(key)
    wanted: dict[str, list[str]] = defaultdict(list)
    for kind, eid in picked:
        wanted[kind].append(eid)
    states = _states_json(s, wanted, server_phones.pull_fields(s, hq))
    for k, i in list(states):
        if k in STORE_ONLY and json.loads(states[(k, i)]).get(STORE_ONLY[k]) != store_code:
            del states[(k, i)]
    if any(k in MERCHANT_ONLY or k == "member" for k, _ in states):  # issue 17: one merchant's, consent
        from . import alliance

        if alliance.several(s):  # one merchant: every row is `main`'s and every store too
            merchant = alliance.merchant_of_store(s, store_code)
            for k, i in list(states):
                if k in MERCHANT_ONLY and (json.loads(states[(k, i)]).get(MERCHANT_ONLY[k]) or "main") != merchant:
                    del states[(k, i)]
            alliance.redact_members(s, store_code, states)
    changes = ['{"kind":"%s","id":%s,"data":%s}' % (k, json.dumps(i), states[(k, i)])
               for k, i in picked if (k, i) in states]
    new_cursor = format_cursor(rows[-1].txid, rows[-1].seq) if rows else (cursor or format_cursor(-1, 0))
    return Page(changes, new_cursor, len(rows) == limit, dt.datetime.now(dt.timezone.utc))


def pull(hq, store_code: str, cursor: str | None, limit: int) -> PullResponse:
    """The same page as a validated protocol message (tests, tools)."""
    return PullResponse.model_validate_json(pull_page(hq, store_code, cursor, limit).json())
