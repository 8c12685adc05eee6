"""A committed sale's own rows, carried in its event, and put back from them (issue 19 §1).

Every `sale.committed`, `sale.returned` and `sale.topup` event carries, under
`record`, the sale's rows exactly as the till wrote them: the `sales` row (every
column), its `sale_lines` and `payments` rows and its `coupon_uses`, ids
included (`dump`, called by `pos.store.outbox.emit` in the sale's own
transaction, after its rows are flushed and before the commit; a sale's rows
never change after that). HQ keeps the event's payload as the sale's document
(`sync.server.models.Sale.document`).

A till restored from a backup asks HQ for its own rows (`sync.resync_own`,
`/v1/pull?own=true`); HQ then serves this store's own sales too (change kind
`sale`, never to another store, never on a normal pull), and `restore_sales`
(`pos.services.sync_apply.apply_page`) puts back each one the till lacks:

* a sale the till has (by id) is left as it is: nothing is doubled;
* nothing is posted: its points / stored-value entries and allocations come
  back as their own rows in the same re-sync, and no outbox event is written
  (HQ has the sale);
* a document without `record` (sent by a till older than this) cannot be put
  back exactly and is skipped (counted as `sales_without_record`); so is one
  whose member, product, original sale or returned line is not on this till, or
  whose receipt number a sale made here since the restore has taken (counted as
  `sales_not_restored`, with the reason in the log);
* only this register's sales are put back (a second register enrolled under
  the same store code has its own);
* the receipt counter of the sale's store, register and business day is moved
  up to at least the sale's sequence (for every sale served, restored or
  already here), so the next receipt number is one HQ has never seen.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pos.store.models import Coupon, CouponUse, Member, Payment, Product, ReceiptCounter, Sale, SaleLine

SALE_EVENT_KINDS = ("sale.committed", "sale.returned", "sale.topup")
RECORD_SCHEMA = 1
log = logging.getLogger("memberpos.sync")

_TABLES: dict[str, Table] = {"sale": Sale.__table__, "lines": SaleLine.__table__, "payments": Payment.__table__,
                             "coupon_uses": CouponUse.__table__}


def _plain(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return (v if v.tzinfo else v.replace(tzinfo=dt.timezone.utc)).isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def _row(table: Table, r) -> dict[str, Any]:
    return {c.key: _plain(r._mapping[c]) for c in table.columns}


def dump(s: Session, sale_id: Any) -> dict[str, Any] | None:
    """The sale's rows as stored (plain JSON values), or None if it is not here. Read through
    the DB-API with the ORM's own conversions (`pos.store.bulk.read_rows`): the values
    `select(table)` gives, at a fraction of its cost (this runs inside every sale's commit)."""
    from pos.store import bulk

    hexid = uuid.UUID(str(sale_id)).hex
    s.flush()
    conn = s.connection()
    head = bulk.read_rows(conn, _TABLES["sale"], "id = ?", (hexid,))
    if not head:
        return None
    out: dict[str, Any] = {"schema": RECORD_SCHEMA, "sale": {k: _plain(v) for k, v in head[0].items()}}
    for key, order in (("lines", "line_no"), ("payments", "id"), ("coupon_uses", "id")):
        out[key] = [{k: _plain(v) for k, v in r.items()}
                    for r in bulk.read_rows(conn, _TABLES[key], "sale_id = ?", (hexid,), order)]
    return out


def attach(s: Session, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with the sale's `record`, for the sale event kinds (others unchanged)."""
    if kind not in SALE_EVENT_KINDS or "record" in payload:
        return payload
    sale = payload.get("sale") if isinstance(payload.get("sale"), dict) else {}
    rec = dump(s, sale.get("sale_id")) if sale.get("sale_id") else None
    return payload if rec is None else {**payload, "record": rec}


# --- putting back --------------------------------------------------------------------------

def _value(col, v: Any) -> Any:
    if v is None:
        return None
    try:
        kind = getattr(col.type, "impl_instance", col.type).python_type  # UTCDateTime: a DateTime
    except NotImplementedError:  # JSON
        return v
    if kind is dt.datetime:
        w = dt.datetime.fromisoformat(v)
        return w if w.tzinfo else w.replace(tzinfo=dt.timezone.utc)
    if kind is dt.date:
        return dt.date.fromisoformat(v)
    if kind is uuid.UUID:
        return uuid.UUID(str(v))
    if kind is bool:
        return bool(v)
    return v


def _values(table: Table, d: dict[str, Any]) -> dict[str, Any]:
    """The row's columns this schema has (a column the record lacks takes its default)."""
    return {c.key: _value(c, d[c.key]) for c in table.columns if c.key in d}


def receipt_seq(receipt_no: str) -> int | None:
    """The sequence of `STORE-REGISTER-YYYYmmdd-NNNN` (checkout.next_receipt_no)."""
    tail = str(receipt_no).rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def advance_counter(s: Session, store: str, register: str, day: dt.date, seq: int) -> None:
    counter = s.get(ReceiptCounter, (store, register, day))
    if counter is None:
        s.add(ReceiptCounter(store_code=store, register_no=register, business_date=day, last_seq=seq))
    elif counter.last_seq < seq:
        counter.last_seq = seq
    s.flush()


def _exists(s: Session, model, ids: set) -> set:
    ids = {i for i in ids if i is not None}
    if not ids:
        return set()
    return set(s.scalars(select(model.id).where(model.id.in_(ids))))


def _why_not(s: Session, sale: dict, lines: list[dict]) -> str | None:
    """What this till lacks for the sale's references (None: all there)."""
    if sale.get("member_id") is not None and not _exists(s, Member, {sale["member_id"]}):
        return "its member is not on this till"
    if sale.get("original_sale_id") is not None and not _exists(s, Sale, {sale["original_sale_id"]}):
        return "its original sale is not on this till"
    products = {ln.get("product_id") for ln in lines} - {None}
    if products - _exists(s, Product, products):
        return "a product of its lines is not on this till"
    returned = {ln.get("returns_line_id") for ln in lines} - {None}
    if returned - _exists(s, SaleLine, returned):
        return "a line it returns is not on this till"
    taken = s.scalar(select(Sale.id).where(Sale.receipt_no == sale["receipt_no"]))
    if taken is not None:
        return "its receipt number is taken by a sale made here since the restore"
    return None


def restore_sales(s: Session, docs: list[dict[str, Any]], register: str | None = None) -> dict[str, int]:
    """Put back the sales of `docs` (HQ's `sale` changes: `{"id", "document", ...}`)
    that this till lacks, in the order they were made; advance the receipt counters.
    `register`: only that register's sales (another register sharing the store code
    keeps its own; they were never on this till)."""
    out = {"sales": 0, "sales_without_record": 0, "sales_not_restored": 0}
    recs = []
    for d in docs:
        rec = (d.get("document") or {}).get("record")
        if not isinstance(rec, dict) or not isinstance(rec.get("sale"), dict):
            out["sales_without_record"] += 1
            continue
        if register is not None and rec["sale"].get("register_no") != register:
            continue
        recs.append(rec)
    recs.sort(key=lambda r: (str(r["sale"].get("created_at") or ""), str(r["sale"].get("id"))))
    have = _exists(s, Sale, {uuid.UUID(str(r["sale"]["id"])) for r in recs})
    for rec in recs:
        sale = _values(_TABLES["sale"], rec["sale"])
        lines = [_values(_TABLES["lines"], x) for x in rec.get("lines") or []]
        seq = receipt_seq(sale["receipt_no"])
        if seq is not None and sale.get("business_date") is not None:
            advance_counter(s, sale["store_code"], sale["register_no"], sale["business_date"], seq)
        if sale["id"] in have:
            continue
        why = _why_not(s, sale, lines)
        if why is not None:
            log.warning("sale %s not restored: %s", sale["receipt_no"], why)
            out["sales_not_restored"] += 1
            continue
        s.execute(insert(_TABLES["sale"]), [sale])
        if lines:
            s.execute(insert(_TABLES["lines"]), lines)
        pays = [_values(_TABLES["payments"], x) for x in rec.get("payments") or []]
        if pays:
            s.execute(insert(_TABLES["payments"]), pays)
        for use in rec.get("coupon_uses") or []:  # HQ's copy of a use may be here already (its own id)
            u = _values(_TABLES["coupon_uses"], use)
            if s.get(Coupon, u["coupon_id"]) is not None and not s.scalar(select(func.count()).select_from(CouponUse).where(
                    (CouponUse.coupon_id == u["coupon_id"]) | (CouponUse.id == u["id"]))):
                s.execute(insert(_TABLES["coupon_uses"]), [u])
        have.add(sale["id"])
        out["sales"] += 1
    s.flush()
    return out
