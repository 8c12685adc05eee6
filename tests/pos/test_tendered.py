"""What the customer handed over (issue 11 item 7): two 500-yuan notes for a
¥989.92 bill are recorded, returned by `checkout --json` and printed as
500.00 / 500.00 / change 10.08 — not 489.92 / 500.00. `amount_fen` stays what
each tender paid of the bill (returns and reports use it).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.receipt_text import receipt_text
from devices.receipt import layout, receipt_from_sale, render_text
from pos.store import program_store
from pos.services import returns
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender, sale_by_receipt
from pos.demo.store import ean13
from pos.store.models import Payment

ROOT = Path(__file__).resolve().parents[2]
COAT = ean13("690123400021")  # ¥1079.92: 满300减30 three times → ¥989.92 due
BAG = ean13("690123400022")  # ¥50.00
CATALOG = f"""barcode,name,category,price_fen,kind,member_price_fen,no_member_discount
{COAT},羊绒大衣,服装,107992,regular,,false
{BAG},帆布袋,日用,5000,regular,,false
"""


@pytest.fixture
def store(db, tmp_path):
    program_store.ensure_default(db)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return db


def coat_sale(db):
    co = Checkout(db)
    co.add(COAT)
    assert co.quote().net_fen == 98992
    return co.pay([Tender("cash", 50000), Tender("cash", 50000)])


def tender_lines(text: str) -> list[str]:
    return [ln.split()[-1] for ln in text.splitlines() if ln.startswith(("现金", "Cash", "找零", "Change"))]


def test_two_notes_for_989_92_are_recorded_as_handed_over_with_the_change(store):
    result = coat_sale(store)
    assert result.totals["paid_fen"] == 100000 and result.totals["change_fen"] == 1008
    assert result.payments == [{"tender": "cash", "amount_fen": 48992, "tendered_fen": 50000},
                               {"tender": "cash", "amount_fen": 50000, "tendered_fen": 50000}]
    with store.read() as s:
        rows = s.scalars(select(Payment).where(Payment.sale_id == uuid.UUID(result.sale_id))).all()
        assert sorted((p.tendered_fen, p.amount_fen) for p in rows) == [(50000, 48992), (50000, 50000)]
        assert sum(p.amount_fen for p in rows) == 98992  # what the bill got: reports and returns use it


def test_the_receipt_and_its_reprint_print_500_500_and_change_10_08(store):
    result = coat_sale(store)
    for lang, words in (("zh_CN", ["500.00", "500.00", "10.08"]), ("en", ["500.00", "500.00", "10.08"])):
        text = receipt_text(result.as_dict(), "测试店", lang)
        assert tender_lines(text) == words, text
        assert "489.92" not in text
        # the discount line names the promotion, never its code
        assert ("满300减30" if lang == "zh_CN" else "30 off every 300") in text and "mr-300-30" not in text
    again = sale_by_receipt(store, result.receipt_no)  # the reprint reads the store
    assert again.payments == result.payments
    r = receipt_from_sale(again, reprint=True)
    assert tender_lines(render_text(layout(r, 48), 48)) == ["500.00", "500.00", "10.08"]
    assert r.cash_tendered


def test_a_note_given_back_whole_as_change_is_still_printed(store):
    # ¥50 bag, the customer hands over 20 + 100: change 70, the 20 went back whole
    co = Checkout(store)
    co.add(BAG)
    result = co.pay([Tender("cash", 2000), Tender("cash", 10000)])
    assert result.totals["change_fen"] == 7000
    assert [(p["tendered_fen"], p["amount_fen"]) for p in result.payments] == [(2000, 0), (10000, 5000)]
    assert tender_lines(receipt_text(result.as_dict(), "", "zh_CN")) == ["20.00", "100.00", "70.00"]


def test_a_return_refunds_what_the_bill_was_paid_not_what_was_handed_over(store):
    result = coat_sale(store)
    ret = returns.return_sale(store, result.receipt_no)
    assert ret.sale.totals["paid_fen"] == -98992
    assert sum(p["amount_fen"] for p in ret.sale.payments) == -98992


def test_card_and_cash_tendered_and_older_rows_without_tendered(store):
    co = Checkout(store)
    co.add(COAT)
    result = co.pay([Tender("wechat", 48992), Tender("cash", 100000)])
    assert result.payments == [{"tender": "wechat", "amount_fen": 48992, "tendered_fen": 48992},
                               {"tender": "cash", "amount_fen": 50000, "tendered_fen": 100000}]
    assert result.totals["change_fen"] == 50000
    with store.transaction() as s:  # a row written before revision 0007 kept no tendered amount
        for p in s.scalars(select(Payment).where(Payment.sale_id == uuid.UUID(result.sale_id))):
            p.tendered_fen = None
    again = sale_by_receipt(store, result.receipt_no)
    assert [p["tendered_fen"] for p in again.payments] == [48992, 50000]


def test_checkout_json_gives_tendered_fen_per_tender(store):
    basket = {"lines": [{"code": COAT, "qty": 1}],
              "tenders": [{"type": "cash", "amount_fen": 50000}, {"type": "cash", "amount_fen": 50000}]}
    env = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), "checkout", "--json", "--db", str(store.path)],
                       input=json.dumps(basket), capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert body["payments"] == [{"tender": "cash", "amount_fen": 48992, "tendered_fen": 50000},
                                {"tender": "cash", "amount_fen": 50000, "tendered_fen": 50000}]
    assert body["totals"]["change_fen"] == 1008 and body["totals"]["paid_fen"] == 100000
    # the promotion is named in words beside its code
    d = body["lines"][0]["discounts"][0]
    assert d["code"] == "mr-300-30" and d["name"] == "满300减30" and d["name_en"] == "30 off every 300"
