"""Finding members by name or phone fragment, and products by name or code
fragment: the till's pick lists and `member find` on the CLI (real store files)."""
from __future__ import annotations

import json

import pytest

from pos.services import catalog, checkout, members
from pos.demo import store as demo
from pos.store import program_store
from tests.test_cli import run


@pytest.fixture
def people(db):
    program_store.ensure_default(db)
    a = members.register(db, "13800138000", name="王小明")
    b = members.register(db, "13900139000", name="王小明")  # same name, another person
    c = members.register(db, "13712348000", name="王大明")
    d = members.register(db, "13612345678", name="Li Lei")
    return a, b, c, d


def test_search_by_name_lists_every_match_with_what_tells_them_apart(db, people):
    a, b, c, _d = people
    found = members.search(db, "王小明")
    assert {m.id for m in found} == {a.id, b.id}
    assert {m.phone_masked for m in found} == {"138****8000", "139****9000"}
    assert all(m.tier == "member" and m.points >= 0 for m in found)
    assert {m.id for m in members.search(db, "明")} == {a.id, b.id, c.id}
    assert [m.id for m in members.search(db, "王大")] == [c.id]
    assert [m.name for m in members.search(db, "li lei")] == ["Li Lei"]  # any case
    assert members.search(db, "%") == [] and members.search(db, "_") == []  # LIKE wildcards are literal


def test_search_by_phone_fragment_uses_last4_and_the_masked_form(db, people):
    a, _b, c, d = people
    assert {m.id for m in members.search(db, "8000")} == {a.id, c.id}
    assert [m.id for m in members.search(db, "138****8000")] == [a.id]
    assert [m.id for m in members.search(db, "137*8000")] == [c.id]
    assert {m.id for m in members.search(db, "567")} == {d.id}
    assert members.search(db, "1380013") == []  # a longer digit run is an exact lookup, not a fragment


def test_search_shows_last_visit_and_points(db, people):
    a = people[0]
    demo.make_products(db, 5, seed=1)
    import sqlite3
    conn = sqlite3.connect(db.path)
    barcode = conn.execute("SELECT barcode FROM product_barcodes LIMIT 1").fetchone()[0]
    conn.close()
    co = checkout.Checkout(db)
    co.add(barcode)
    co.attach_member_id(a.id)
    co.pay([checkout.Tender("cash", co.quote().net_fen)])
    m = next(x for x in members.search(db, "王小明") if x.id == a.id)
    assert m.last_visit == db.clock.today().isoformat() and m.points > 0
    other = next(x for x in members.search(db, "王小明") if x.id != a.id)
    assert other.last_visit is None


def test_product_search_by_name_sku_or_barcode_fragment(db):
    demo.make_products(db, 30, seed=2)
    import sqlite3
    conn = sqlite3.connect(db.path)
    name, sku, barcode = conn.execute(
        "SELECT p.name, p.sku, b.barcode FROM products p JOIN product_barcodes b ON b.product_id = p.id "
        "ORDER BY p.name LIMIT 1").fetchone()
    conn.close()
    assert name in [p.name for p in catalog.search(db, name)]
    assert catalog.search(db, name)[0].name == name  # the exact name first
    assert sku in [p.sku for p in catalog.search(db, sku[-4:])]
    assert any(barcode in p.barcodes for p in catalog.search(db, barcode[3:10]))
    assert catalog.search(db, "x") == [] and catalog.search(db, "%%") == []


def test_cli_member_find_by_name_lists_every_match_masked(tmp_path):
    from pos.store.database import open_db

    store = tmp_path / "s.sqlite3"
    d = open_db(store)
    for phone, name in (("13800138000", "张伟"), ("13900139000", "张伟"), ("13700137000", "李娜")):
        members.register(d, phone, name=name)
    d.close()
    p = run("member", "find", "张伟", "--json", db=store, check=0)
    found = json.loads(p.stdout)
    assert sorted(m["phone_masked"] for m in found) == ["138****8000", "139****9000"]
    assert all({"points", "last_visit", "tier", "member_code"} <= set(m) for m in found)
    assert "13800138000" not in p.stdout and "13900139000" not in p.stdout
    text = run("member", "find", "张", db=store, check=0).stdout
    assert text.count("张伟") == 2 and "138****8000" in text and "13800138000" not in text
