"""A sale put back from the record its event carried (pos.store.sale_record; issue 19 §1):
exactly as committed, never twice, nothing posted, the receipt counter moved past it, a
receipt number taken meanwhile reported instead of failing the page. Real SQLite files."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from pos.loyalty import ledger
from pos.services import catalog, members, returns
from pos.services.checkout import Checkout
from pos.rules.pricing import Tender
from pos.store import backup as bk
from pos.store import program_store, sale_record
from pos.store.database import open_db
from pos.store.models import OutboxEvent, PointsEntry, Sale

CATALOG = "barcode,name,category,price_fen,kind\n6901234567892,Towel,home,5000,regular\n"
TOWEL = "6901234567892"


def sell(db, member=None, qty=1):
    co = Checkout(db)
    co.add(TOWEL, qty)
    if member:
        co.attach_member(member)
    return co.pay([Tender("cash", co.quote().net_fen)])


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A till backed up, then two sales and a return: their events' payloads and rows."""
    tmp = tmp_path_factory.mktemp("sale_record")
    db = open_db(tmp / "store.sqlite3")
    program_store.ensure_default(db)
    (tmp / "c.csv").write_text(CATALOG)
    assert catalog.import_csv(db, tmp / "c.csv").ok
    m = members.register(db, "13800138000")
    copy = bk.backup(db, to=tmp / "copies")["file"]
    a, b = sell(db, m.member_code, 2), sell(db, None, 3)
    r = returns.return_sale(db, b.receipt_no, {TOWEL: 1})
    ids = [a.sale_id, b.sale_id, r.sale.sale_id]
    with db.read() as s:
        docs = [{"id": e.payload["sale"]["sale_id"], "document": e.payload}
                for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind.like("sale.%")).order_by(OutboxEvent.seq))]
        rows = {i: sale_record.dump(s, i) for i in ids}
    db.close()
    return {"tmp": tmp, "copy": copy, "docs": docs, "rows": rows, "ids": ids, "member": m.member_code}


def restored(made, name: str):
    path = made["tmp"] / f"{name}.sqlite3"
    shutil.copy(made["copy"], path)
    return open_db(path)


def test_put_back_exactly_once_and_the_counter_moves_past(made):
    db = restored(made, "once")
    try:
        assert all(d["document"]["record"]["schema"] == sale_record.RECORD_SCHEMA for d in made["docs"])
        with db.transaction() as s:
            got = sale_record.restore_sales(s, list(reversed(made["docs"])))  # the return after its sale all the same
        assert got == {"sales": 3, "sales_without_record": 0, "sales_not_restored": 0}
        with db.read() as s:
            assert {i: sale_record.dump(s, i) for i in made["ids"]} == made["rows"]
            assert s.scalar(select(func.count()).select_from(PointsEntry)) == 0  # nothing posted here
            assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind.like("sale.%"))) == 0
        with db.transaction() as s:
            again = sale_record.restore_sales(s, made["docs"] + [{"id": "x", "document": {"sale": {}}}])
        assert again == {"sales": 0, "sales_without_record": 1, "sales_not_restored": 0}
        nxt = sell(db)
        assert sale_record.receipt_seq(nxt.receipt_no) == 4  # after the return's 0003
        returns.return_sale(db, made["rows"][made["ids"][0]]["sale"]["receipt_no"], {TOWEL: 1})  # a restored sale
    finally:
        db.close()


def test_a_receipt_number_taken_meanwhile_is_reported_not_fatal(made):
    db = restored(made, "taken")
    try:
        first = sell(db)  # sold after the restore, before the re-sync: takes the first sale's number
        assert first.receipt_no == made["rows"][made["ids"][0]]["sale"]["receipt_no"]
        with db.transaction() as s:
            got = sale_record.restore_sales(s, made["docs"])
        assert got == {"sales": 2, "sales_without_record": 0, "sales_not_restored": 1}
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Sale)) == 3
            assert ledger.find_drift(s) == []
        assert sale_record.receipt_seq(sell(db).receipt_no) == 4
    finally:
        db.close()
