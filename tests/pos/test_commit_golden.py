"""The commit's output, byte for byte (issue 20: the commit path without per-row ORM).

A fixed run of sales through the public API — a guest with change, a referred member's
first purchase (the referrer's bonus), a redemption, a top-up and a stored-value payment,
a coupon, a tier upgrade at commit, a sale that settles debt, a return, a replay, and the
monthly-spend bonus of the HDCRM preset — and what it leaves: each result as the CLI shows
it, every outbox event it wrote (the `sale.committed` event with its `record`, HQ's copy of
the sale's rows) and the rows of every table a sale writes. Ids, coupon codes and phone
hashes are replaced by their order of first appearance (they are random by design); all
else must equal `golden/commit_run.json`, made by the ORM commit path before the Core one
replaced it. `MEMBERPOS_REGOLD=1` writes the file again (only for a deliberate change).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid
from pathlib import Path

from pos.demo.store import ean13
from pos.loyalty import coupons, ledger
from pos.rules import program
from pos.services import members, returns
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender, topup
from pos.store import program_store

GOLDEN = Path(__file__).with_name("golden") / "commit_run.json"
REG = ean13("690123400002")  # 100 yuan regular
SPECIAL = ean13("690123400003")  # 100 yuan special price
HALF = ean13("690123400005")  # 50 yuan regular
WINE = ean13("690888000001")  # 100 yuan (the monthly-spend store)
CATALOG = f"""barcode,name,category,price_fen,kind,member_price_fen,no_member_discount
{REG},T恤,服装,10000,regular,,false
{SPECIAL},特价T恤,服装,10000,special,,false
{HALF},袜子,服装,5000,regular,,false
{WINE},黄酒,烟酒,10000,regular,,false
"""
TABLES = {  # what a sale writes, in a stable order
    "sales": "created_at, receipt_no", "sale_lines": "sale_id, line_no", "payments": "sale_id, tender, amount_fen",
    "points_entries": "created_at, kind, reason, points", "points_allocations": "points, debit_id, lot_id",
    "stored_value_entries": "created_at, member_id, kind, amount_fen", "coupon_uses": "used_at, amount_fen",
    "tier_changes": "at, member_id, to_tier", "member_balances": "points, stored_value_fen", "receipt_counters": "business_date",
    "outbox": "seq", "baskets": "id",
}
HEX = re.compile(r"\b[0-9a-f]{32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def _store(db, tmp_path, preset: str):
    program_store.install(db, program.preset(preset), source="preset")
    path = tmp_path / f"catalog-{preset}.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return db


def _sell(db, codes, member_id=None, tenders=None, redeem=0, coupon=None, sale_id=None):
    co = Checkout(db, cashier="c1", sale_id=sale_id)
    for code, qty in codes:
        co.add(code, qty)
    if member_id:
        co.attach_member_id(member_id)
    if redeem:
        co.redeem(redeem)
    if coupon:
        co.add_coupon(coupon)
    q = co.quote()
    return co, co.pay(tenders or [Tender("wechat", q.net_fen)])


class Run:
    """Results and the outbox events each step wrote, in order."""

    def __init__(self, db):
        self.db, self.steps, self.seq = db, [], 0

    def step(self, name: str, result) -> None:
        c = sqlite3.connect(self.db.path)
        rows = c.execute("SELECT seq, kind, payload FROM outbox WHERE seq > ? ORDER BY seq", (self.seq,)).fetchall()
        c.close()
        if rows:
            self.seq = rows[-1][0]
        # the stored bytes of each payload: HQ gets exactly these
        self.steps.append({"step": name, "result": result.as_dict() if hasattr(result, "as_dict") else result,
                           "events": [[k, p] for _seq, k, p in rows]})


def _tables(db) -> dict:
    c = sqlite3.connect(db.path)
    out = {}
    for t, order in TABLES.items():
        cur = c.execute(f"SELECT * FROM {t} ORDER BY {order}")
        cols = [d[0] for d in cur.description]
        out[t] = [dict(zip(cols, r)) for r in cur]
    out["members"] = [dict(zip(("member_code", "tier_code", "tier_since", "tier_expires", "updated_at"), r))
                      for r in c.execute("SELECT member_code, tier_code, tier_since, tier_expires, updated_at "
                                         "FROM members ORDER BY phone_last4")]
    codes = [r[0] for r in c.execute("SELECT code FROM coupons ORDER BY issued_at, code")]
    codes += [r[0] for r in c.execute("SELECT member_code FROM members ORDER BY phone")]
    c.close()
    return out, codes


def _normal(text: str, codes: list[str]) -> str:
    for i, code in enumerate(codes):
        text = text.replace(code, f"<code {i}>")
    seen: dict[str, str] = {}

    def name(m):
        key = m.group(0).replace("-", "")
        return seen.setdefault(key, f"<id {len(seen)}>")
    return HEX.sub(name, text)


def _run(db, tmp_path) -> tuple[list, dict, list]:
    _store(db, tmp_path, "vancl")
    run = Run(db)
    program_doc = program_store.active(db)
    _co, r = _sell(db, [(REG, 1), (HALF, 1)], tenders=[Tender("cash", 20000)])
    run.step("guest with change", r)
    m0 = members.register(db, "13800138000", name="王小明")
    m1 = members.register(db, "13800138001", name="李小红", referrer_id=m0.id)
    m2 = members.register(db, "13800138002", name="张三")
    m3 = members.register(db, "13800138003", name="赵四")
    with db.transaction() as s:  # opening points and a debt, through the ledger
        ledger.credit(s, uuid.UUID(m1.id), "adjust", 5000, now=db.clock.now(), expires_at=None)
        ledger.debit(s, uuid.UUID(m3.id), "adjust", 300, now=db.clock.now(), allow_debt=True)
        code = coupons.issue(s, db, program_doc, program_doc.coupon_templates[0].code, member_id=uuid.UUID(m1.id),
                             source="manual").code
    run.seq = sqlite3.connect(db.path).execute("SELECT max(seq) FROM outbox").fetchone()[0]
    co, r = _sell(db, [(REG, 2), (SPECIAL, 1)], m1.id)
    run.step("referred member's first purchase", r)
    run.step("replay", co.pay([Tender("wechat", 1)]))
    _co, r = _sell(db, [(REG, 3)], m1.id, redeem=1000, tenders=None)
    run.step("redeem points", r)
    run.step("top-up", topup(db, m1.id, 50000, [Tender("cash", 50000)]))
    q = Checkout(db)
    q.add(REG, 2)
    q.attach_member_id(m1.id)
    due = q.quote().net_fen
    _co, r = _sell(db, [(REG, 2)], m1.id, tenders=[Tender("stored_value", 10000), Tender("cash", due - 10000 + 500)])
    run.step("stored value and cash", r)
    _co, r = _sell(db, [(REG, 2), (HALF, 1)], m1.id, coupon=code)
    run.step("coupon", r)
    _co, r = _sell(db, [(REG, 25)], m2.id)
    run.step("tier upgrade at commit", r)
    _co, r = _sell(db, [(HALF, 2)], m3.id)
    run.step("earn settles debt", r)
    first = run.steps[1]["result"]["receipt_no"]
    ret = returns.return_sale(db, first, {REG: 1})
    run.step("partial return", ret.as_dict() if hasattr(ret, "as_dict") else ret.__dict__)
    tables, codes = _tables(db)
    return run.steps, tables, codes


def _run_monthly(db) -> tuple[list, dict, list]:
    run = Run(db)
    m = members.register(db, "13900139000", name="钱五")
    run.seq = sqlite3.connect(db.path).execute("SELECT max(seq) FROM outbox").fetchone()[0]
    _co, r = _sell(db, [(WINE, 12)], m.id)
    run.step("monthly-spend bonus", r)
    tables, codes = _tables(db)
    return run.steps, tables, codes


def _document(tmp_path, clock) -> str:
    from pos.store.database import open_db

    db = open_db(tmp_path / "vancl.sqlite3", clock=clock)
    steps, tables, codes = _run(db, tmp_path)
    db.close()
    db2 = open_db(tmp_path / "hdcrm.sqlite3", clock=clock)
    _store(db2, tmp_path, "hdcrm")
    steps2, tables2, codes2 = _run_monthly(db2)
    db2.close()
    doc = {"vancl": {"steps": steps, "tables": tables}, "hdcrm": {"steps": steps2, "tables": tables2}}
    text = json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    return _normal(text, codes + codes2)


def test_the_commit_writes_what_it_wrote_before(tmp_path, clock):
    got = _document(tmp_path, clock)
    if os.environ.get("MEMBERPOS_REGOLD") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(got + "\n", encoding="utf-8")
    want = GOLDEN.read_text(encoding="utf-8").rstrip("\n")
    assert "sale.committed" in want and 'record' in want and "member.tier" in want and "sale.returned" in want
    if got != want:  # the first differing line says where
        for i, (a, b) in enumerate(zip(got.splitlines(), want.splitlines())):
            assert a == b, f"line {i + 1} differs"
        assert got.count("\n") == want.count("\n")
