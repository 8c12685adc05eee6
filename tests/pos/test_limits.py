"""Input limits (issue 12 item 3): text and numbers are validated once, where they
enter — catalog import, member fields, tags, notes, program documents, HQ's own
admin inputs — with the limits of HQ's columns (pos/rules/limits.py), so nothing a till
accepts can stop a PostgreSQL HQ. Real SQLite stores; HQ's database on SQLite, and
on PostgreSQL too when HQ_TEST_DATABASE_URL is set."""
from __future__ import annotations

import json
import os
import uuid

import pytest
from sqlalchemy import String, func, select

from pos.services import catalog, members
from pos.rules import limits, program
from pos.errors import DomainError, card_like, echo
from pos.store.models import MemberNote, MemberTag, Product

NUL_NAME = "6901234567892,A\x00B,cat,100,regular"


# --- the limits themselves ------------------------------------------------------------

def test_text_lengths_are_the_hq_column_sizes():
    """One table, checked against the String(n) of HQ's and the till's columns."""
    from sync.server import models as hq

    from pos.store import models as till

    def size(model, col):
        t = model.__table__.c[col].type
        return t.length if isinstance(t, String) else None

    expected = {"product_name": (hq.Product, "name"), "category": (hq.Product, "category"), "sku": (hq.Product, "sku"),
                "name": (hq.Member, "name"), "address": (hq.Member, "address"), "region": (hq.Member, "region"),
                "occupation": (hq.Member, "occupation"), "income_band": (hq.Member, "income_band"),
                "card_no": (hq.MemberCard, "card_no"), "actor": (hq.MemberNote, "actor"),
                "coupon_code": (hq.Coupon, "code"), "program_version": (hq.Program, "version"),
                "store_code": (hq.Store, "code"), "store_name": (hq.Store, "name"), "tag": (till.MemberTag, "tag"),
                "barcode": (till.ProductBarcode, "barcode"), "receipt_no": (hq.Sale, "receipt_no")}
    for field, (model, col) in expected.items():
        assert limits.TEXT_MAX[field] == size(model, col), field
    assert limits.TEXT_MAX["product_name"] == size(till.Product, "name")


def test_number_bounds_keep_sums_in_32_bit_columns():
    assert limits.QTY_MAX * limits.PRICE_MAX_FEN <= limits.INT64_MAX  # a line, on the till
    assert limits.SALE_MAX_FEN <= limits.INT32_MAX and limits.POINTS_MAX <= limits.INT32_MAX
    assert limits.PRICE_MAX_FEN <= limits.SALE_MAX_FEN


@pytest.mark.parametrize("value, code", [
    ("a\x00b", "input.control"), ("\x1b[31m", "input.control"), ("a\u202eb", "input.control"),
    ("\ud800", "input.control"), ("a\u2028b", "input.control"), ("x" * 65, "input.too_long"),
    ("", "input.empty"), ("   ", "input.empty"), (None, "input.empty"), (5, "input.not_text"), (b"x", "input.not_text"),
])
def test_check_text_refuses(value, code):
    with pytest.raises(DomainError) as e:
        limits.check_text(value, "name")
    assert e.value.code == code
    assert "\x00" not in e.value.message("en") and "\ud800" not in e.value.message("en")


def test_check_text_accepts_clean_text_as_nfc():
    assert limits.check_text("  Cafe\u0301 ", "name") == "Caf\u00e9"
    assert limits.check_text("王" * 64, "name") == "王" * 64
    assert limits.check_text("👨‍👩‍👧", "name") == "👨‍👩‍👧"  # joiners are not controls
    assert limits.check_text("line 1\nline 2", "note", multiline=True) == "line 1\nline 2"
    assert limits.check_text("", "name", required=False) is None


@pytest.mark.parametrize("value, code", [
    (True, "input.not_int"), (False, "input.not_int"), (" 2 ", "input.not_int"), ("2", "input.not_int"),
    (2.0, "input.not_int"), (None, "input.not_int"), (0, "input.range"), (10**4, "input.range"),
    (2**63, "input.range"), (-(2**70), "input.range"),
])
def test_check_int_is_strict_and_bounded(value, code):
    with pytest.raises(DomainError) as e:
        limits.check_int(value, "qty", 1, limits.QTY_MAX)
    assert e.value.code == code
    assert len(e.value.message("en")) < 120  # huge numbers are named by their size


def test_echo_never_shows_card_data_or_a_full_phone():
    for track in (";4111111111111111=25121010000000000000?", "%B4111111111111111^DOE/JOHN^2512101?",
                  "4111111111111111", ";6222021234567890123=2512?"):
        assert card_like(track) and echo(track) == "****"
    assert echo("13800138000") == "138****8000" and echo("+86 138 0013 8000") == "138****8000"
    for code in ("6901234567892", "S001-01-20261123-0001", "M0000025VT4F", "2026-11-23"):
        assert not card_like(code) and echo(code) == code
    e = DomainError("scan.unknown_product", code=";4111111111111111=2512101?")
    assert "4111" not in e.message() and "4111" not in str(e)


# --- catalog import ------------------------------------------------------------------

def write_csv(tmp_path, rows, name="cat.csv"):
    path = tmp_path / name
    path.write_text("barcode,name,category,price_fen,kind\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_catalog_import_refuses_what_stopped_hq_per_row_with_line_and_reason(db, tmp_path):
    """A NUL in a name, a 5,000-character category and a price of 10**10 were all
    accepted; each made every push of the till answer HTTP 500 at a PostgreSQL HQ."""
    path = write_csv(tmp_path, [NUL_NAME, "6900000000014,ok," + "c" * 5000 + ",100,regular",
                                "6900000000021,big,cat,10000000000,regular", "6900000000038,fine,cat,100,regular",
                                "6900000000045,x,cat,1_000,regular", "6900000000052," + "n" * 101 + ",cat,100,regular"])
    report = catalog.import_csv(db, path)
    assert not report.ok
    reasons = dict(report.errors)
    assert "control character (U+0000)" in reasons[2] and reasons[2].startswith("name")
    assert "category is longer than 64" in reasons[3]
    assert "price_fen is above the limit" in reasons[4]
    assert 5 not in reasons
    assert "whole number of fen" in reasons[6]
    assert "name is longer than 100" in reasons[7]
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 0  # all or nothing


def test_catalog_import_at_the_limits_is_accepted(db, tmp_path):
    path = write_csv(tmp_path, [f"6901234567892,{'名' * 100},{'类' * 64},{limits.PRICE_MAX_FEN},regular",
                                "6900000000014,全角价格,日化,３９９０,regular"])
    report = catalog.import_csv(db, path)
    assert report.ok, report.errors
    assert catalog.find(db, "6901234567892").price_fen == limits.PRICE_MAX_FEN


# --- members ------------------------------------------------------------------------

@pytest.fixture
def member(db):
    return members.register(db, "13800138000", name="王小明")


@pytest.mark.parametrize("tag", ["\x00", "a\x00", "x\u202ey", "\ud800", "t" * 33, "a,b", ""])
def test_a_tag_hq_could_not_serve_is_refused(db, member, tag):
    """One tag "\\u0000" made /v1/pull answer 500 for every store."""
    with pytest.raises(DomainError) as e:
        members.set_tag(db, member.id, tag)
    assert e.value.code == "tag.invalid"
    e.value.message("en").encode("utf-8")  # printable: no lone surrogate reaches stderr
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(MemberTag)) == 0


@pytest.mark.parametrize("fields", [{"name": "a\x00"}, {"address": "x\u202e"}, {"name": "n" * 65},
                                    {"address": "a" * 201}, {"preferences": {"a\x00": ["b"]}},
                                    {"preferences": {"size": ["x" * 5000]}}, {"preferences": {str(i): [] for i in range(21)}}])
def test_member_fields_are_bounded_and_clean(db, member, fields):
    with pytest.raises(DomainError) as e:
        members.update_profile(db, member.id, **fields)
    assert e.value.code == "member.bad_field"
    with pytest.raises(DomainError):
        members.register(db, "13900139000", **fields)


@pytest.mark.parametrize("text, actor", [("a\x00b", "cli"), ("x" * 2001, "cli"), ("ok", "a" * 33), ("ok", "a\x00")])
def test_notes_are_refused_not_cut(db, member, text, actor):
    with pytest.raises(DomainError):
        members.add_note(db, member.id, text, actor=actor)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(MemberNote)) == 0


def test_a_note_keeps_its_lines(db, member):
    members.add_note(db, member.id, "第一行\n第二行", actor="cli")
    with db.read() as s:
        assert s.scalar(select(MemberNote.text)) == "第一行\n第二行"


# --- program documents ---------------------------------------------------------------------

def _doc(**change):
    d = program.to_json(program.preset())
    for path, value in change.items():
        node = d
        *head, last = path.split("__")
        for k in head:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[last] = value
    return d


@pytest.mark.parametrize("change, words", [
    ({"name__zh": "会员\x00方案"}, "control character"),
    ({"tiers__levels__0__name__en": "x\u202e"}, "control character"),
    ({"redemption__min_points": True}, "valid integer"),
    ({"redemption__min_points": "100"}, "valid integer"),
    ({"redemption__cash_cap_pct": 50.0}, "valid integer"),
    ({"stored_value__max_balance_fen": 10**10}, "less than or equal"),
    ({"redemption__offline_cap_points": 2**63}, "less than or equal"),
    ({"member_discount__exclude_categories": ["c" * 65]}, "at most 64"),
    ({"member_discount__exclude_products": ["\x00"]}, "control character"),
])
def test_program_documents_are_bounded(change, words):
    with pytest.raises(DomainError) as e:
        program.parse(_doc(**change))
    assert words in e.value.message("en")
    assert "\x00" not in e.value.message("en")


def test_every_preset_still_loads():
    for path in program.PRESETS.glob("*.json"):
        program.load_file(path)


# --- HQ's own admin inputs -----------------------------------------------------------------

@pytest.fixture
def hq_db(tmp_path):
    from sync.server.db import HQDatabase

    base = os.environ.get("HQ_TEST_DATABASE_URL")
    if base:  # the same checks in front of PostgreSQL, on a throwaway database
        from tests.sync.conftest import create_pg_db, drop_pg_db

        url = create_pg_db(base)
        hq = HQDatabase(url)
        yield hq
        hq.close()
        drop_pg_db(url)
    else:
        hq = HQDatabase(f"sqlite:///{tmp_path / 'hq.sqlite3'}")
        yield hq
        hq.close()


def test_hq_catalog_import_uses_the_same_checks(hq_db, tmp_path):
    from sync.server import admin
    from sync.server.models import Product as HQProduct

    bad = admin.catalog_import(hq_db, str(write_csv(tmp_path, [NUL_NAME, "6900000000021,big,cat,10000000000,regular"])))
    assert not bad["ok"] and [e["line"] for e in bad["errors"]] == [2, 3]
    assert "U+0000" in bad["errors"][0]["reason"]
    good = admin.catalog_import(hq_db, str(write_csv(tmp_path, ["6901234567892,毛巾,家居,5000,regular"], "ok.csv")))
    assert good["ok"], good
    with hq_db.read() as s:
        assert [p.name for p in s.scalars(select(HQProduct))] == ["毛巾"]  # and it is served back as stored


@pytest.mark.parametrize("name", ["店\x00", "x" * 65, "a\u202eb"])
def test_hq_store_names_are_checked_not_cut(hq_db, name):
    from sync.server import admin

    with pytest.raises(admin.AdminError):
        admin.store_add(hq_db, "S" + uuid.uuid4().hex[:6].upper(), name)


def test_a_sale_above_the_total_bound_is_refused_before_commit(db, tmp_path):
    """Each line may be fine and the sum still beyond what HQ's columns hold."""
    from pos.store import program_store
    from pos.services.checkout import Checkout, Tender
    from pos.store.models import Sale

    program_store.ensure_default(db)
    assert catalog.import_csv(db, write_csv(tmp_path, [f"6901234567892,金条,贵金属,{limits.PRICE_MAX_FEN},none"])).ok
    co = Checkout(db)
    co.add("6901234567892", 101)
    with pytest.raises(DomainError) as e:
        co.pay([Tender("cash", limits.SALE_MAX_FEN)])
    assert e.value.code == "sale.too_big"
    co.set_qty(0, 100)
    assert co.pay([Tender("cash", limits.SALE_MAX_FEN)]).totals["gross_fen"] == limits.SALE_MAX_FEN
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Sale)) == 1
