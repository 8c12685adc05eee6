"""Catalog CSV import (all or nothing, errors by line) and barcode lookup."""
import pytest
from sqlalchemy import func, select

from pos.services import catalog
from pos.errors import DomainError
from pos.store.models import OutboxEvent, Product, ProductBarcode

HEADER = "barcode,name,category,price_fen,kind,member_price_fen,sku,no_member_discount"
GOOD = [
    "6901234567892,洗发水 500ml,日化,3990,regular,3590,SH-500,",
    "4006381333931,特价牛奶,乳品,1250,special,,MILK-1,yes",
    "96385074,购物袋,杂项,50,none,,,",
    "036000291452,进口饼干,零食,1800,REGULAR,1700,BISCUIT,否",  # UPC-A
    "2312345000002,散装苹果,生鲜,0,regular,,APPLE,",  # price-embedded scale code, value zeroed
    "SKU-TEA-01,绿茶(散),茶叶,8800,regular,8000,TEA-1,false",
]


def write(tmp_path, lines, name="catalog.csv", encoding="utf-8", header=HEADER):
    path = tmp_path / name
    path.write_bytes(("\n".join(([header] if header else []) + lines) + "\n").encode(encoding))
    return path


def n_products(db):
    with db.read() as s:
        return (s.scalar(select(func.count()).select_from(Product)),
                s.scalar(select(func.count()).select_from(ProductBarcode)),
                s.scalar(select(func.count()).select_from(OutboxEvent)))


def test_good_file_imports(db, tmp_path):
    report = catalog.import_csv(db, write(tmp_path, GOOD))
    assert report.ok and report.errors == []
    assert (report.rows, report.created, report.updated, report.barcodes_added) == (6, 6, 0, 6)
    assert catalog.count(db) == 6
    p = catalog.find(db, "6901234567892")
    assert (p.sku, p.name, p.category, p.price_fen, p.member_price_fen, p.points_class, p.no_member_discount) == (
        "SH-500", "洗发水 500ml", "日化", 3990, 3590, "regular", False)
    assert isinstance(p.price_fen, int)
    milk = catalog.find(db, "4006381333931")
    assert (milk.points_class, milk.no_member_discount, milk.member_price_fen) == ("special", True, None)
    bag = catalog.find(db, "96385074")
    assert bag.sku == "96385074"  # no sku column value: the barcode is the sku
    assert catalog.find(db, "SKU-TEA-01").name == "绿茶(散)"
    assert catalog.find(db, "sku-tea-01") is not None  # scanned codes are upper-cased before lookup
    assert catalog.find(db, "4901234567894") is None
    assert catalog.find(db, "6901234567893") is None  # misread: never another product
    with db.read() as s:
        evs = s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "product.upserted")).all()
    assert sorted(e.payload["product"]["sku"] for e in evs) == sorted(
        ["SH-500", "MILK-1", "96385074", "BISCUIT", "APPLE", "TEA-1"])


def test_upca_is_stored_as_ean13(db, tmp_path):
    catalog.import_csv(db, write(tmp_path, GOOD))
    with db.read() as s:
        codes = set(s.scalars(select(ProductBarcode.barcode)))
    assert "0036000291452" in codes and "036000291452" not in codes
    assert catalog.find(db, "036000291452").sku == "BISCUIT"
    assert catalog.find(db, "0036000291452").sku == "BISCUIT"
    assert catalog.find(db, "036000291452").barcodes == ("0036000291452",)


def test_scale_label_with_a_price_finds_the_product(db, tmp_path):
    catalog.import_csv(db, write(tmp_path, GOOD))
    label = "2312345012500"  # 12.50 yuan of apples
    p = catalog.find(db, label)
    assert p is not None and p.sku == "APPLE"
    with db.read() as s:
        scan, product = catalog.get_by_barcode(s, label)
        assert scan.kind == "price" and scan.value == 1250 and product.sku == "APPLE"
    assert catalog.find(db, "2312345012501") is None  # bad check digit on the label


def test_gb18030_file(db, tmp_path):
    path = write(tmp_path, GOOD, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # really not UTF-8
    report = catalog.import_csv(db, path)
    assert report.ok, report.errors
    assert catalog.find(db, "6901234567892").name == "洗发水 500ml"
    assert catalog.find(db, "2312345000002").category == "生鲜"


def test_utf8_with_bom_and_crlf(db, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\r\n".join([HEADER] + GOOD[:2]) + "\r\n").encode("utf-8-sig"))
    report = catalog.import_csv(db, path)
    assert report.ok and report.created == 2


def test_reimport_updates_price_by_sku(db, tmp_path, clock):
    catalog.import_csv(db, write(tmp_path, GOOD))
    first_id = catalog.find(db, "6901234567892").id
    clock.advance(days=1)
    changed = ["6901234567892,洗发水 500ml 新包装,日化,4290,regular,3890,SH-500,",
               "6901234567908,洗发水 500ml 新包装,日化,4290,regular,3890,SH-500,"]  # second barcode, same sku
    report = catalog.import_csv(db, write(tmp_path, changed, name="v2.csv"))
    assert report.ok, report.errors
    assert (report.created, report.updated, report.barcodes_added) == (0, 1, 1)
    p = catalog.find(db, "6901234567892")
    assert p.id == first_id and p.price_fen == 4290 and p.member_price_fen == 3890 and p.name.endswith("新包装")
    assert catalog.find(db, "6901234567908").id == first_id
    assert p.barcodes == ("6901234567892", "6901234567908")
    assert catalog.count(db) == 6
    with db.read() as s:
        row = s.scalar(select(Product).where(Product.sku == "SH-500"))
        assert row.updated_at == clock.now() and row.created_at < row.updated_at


BAD_ROWS = [
    ("6901234567893,洗发水,日化,3990,regular,,,", "check digit"),
    ("6901234567892,洗发水,日化,12.5,regular,,,", "whole number of fen"),
    ("6901234567892,洗发水,日化,3990,vip,,,", "kind must be regular, special or none"),
    ("6901234567892,洗发水,日化,3990,regular,4000,,", "member_price_fen 4000 is above price_fen 3990"),
    ("6901234567892,洗发水,日化,-1,regular,,,", "must not be negative"),
    ("6901234567892,,日化,3990,regular,,,", "name is empty"),
    ("6901234567892,洗发水,,3990,regular,,,", "category is empty"),
    ("6901234567892,洗发水,日化,,regular,,,", "whole number of fen"),
    ("6901234567892,洗发水,日化,3990,regular,,,maybe", "no_member_discount"),
    ("9000000001,会员卡,杂项,100,regular,,,", "not a product code"),
    ("2312345012500,苹果,生鲜,0,regular,,,", "zero value"),
    ("6901234567892,洗发水,日化,3990,regular,,,,extra", "more fields than columns"),
    ("6901234567892,洗发水,日化,1e3,regular,,,", "whole number of fen"),
    ("6901234567892,洗发水,日化,39.90,regular,,,", "whole number of fen"),
]


@pytest.mark.parametrize("bad,reason", BAD_ROWS)
def test_one_bad_row_imports_nothing_and_names_line_and_reason(db, tmp_path, bad, reason):
    # good rows other than the first product (so the bad row never collides with one of them)
    lines = GOOD[1:3] + [bad] + GOOD[3:]
    report = catalog.import_csv(db, write(tmp_path, lines))
    assert not report.ok
    assert len(report.errors) == 1
    line, why = report.errors[0]
    assert line == 4  # header is line 1, the bad row is the third data row
    assert reason in why
    assert (report.created, report.updated, report.barcodes_added) == (0, 0, 0)
    assert n_products(db) == (0, 0, 0)
    assert report.as_dict()["errors"] == [{"line": 4, "reason": why}]


def test_full_width_digits_in_a_price_read_as_ascii(db, tmp_path):
    report = catalog.import_csv(db, write(tmp_path, ["6901234567892,洗发水,日化,３９９０,regular,,,"]))
    assert report.ok, report.errors
    assert catalog.find(db, "6901234567892").price_fen == 3990


def test_duplicate_barcode_in_file(db, tmp_path):
    lines = GOOD + ["6901234567892,别的商品,日化,100,regular,,OTHER,"]
    report = catalog.import_csv(db, write(tmp_path, lines))
    assert report.errors == [(8, "barcode 6901234567892 already on line 2")]
    assert n_products(db) == (0, 0, 0)


def test_upca_and_its_ean13_form_are_the_same_barcode(db, tmp_path):
    lines = ["036000291452,饼干,零食,1800,regular,,A,", "0036000291452,饼干2,零食,1900,regular,,B,"]
    report = catalog.import_csv(db, write(tmp_path, lines))
    assert [line for line, _ in report.errors] == [3]
    assert n_products(db) == (0, 0, 0)


def test_same_sku_with_different_fields_refused(db, tmp_path):
    lines = ["6901234567892,洗发水,日化,3990,regular,,SH,", "6901234567908,洗发水,日化,4990,regular,,SH,"]
    report = catalog.import_csv(db, write(tmp_path, lines))
    assert report.errors == [(3, "sku SH differs from line 2")]
    assert n_products(db) == (0, 0, 0)


def test_every_bad_row_is_reported(db, tmp_path):
    lines = [BAD_ROWS[0][0], GOOD[1], BAD_ROWS[1][0].replace("6901234567892", "6901234567908"), GOOD[2],
             "", BAD_ROWS[2][0].replace("6901234567892", "6901234567915")]
    report = catalog.import_csv(db, write(tmp_path, lines))
    assert [line for line, _ in report.errors] == [2, 4, 7]  # the blank line 6 is skipped, not an error
    assert report.rows == 5
    assert n_products(db) == (0, 0, 0)


@pytest.mark.parametrize("header,missing", [
    ("barcode,name,category,price_fen", "kind"),
    ("barcode,name,price_fen,kind", "category"),
    ("name,category,price_fen,kind", "barcode"),
])
def test_missing_column(db, tmp_path, header, missing):
    report = catalog.import_csv(db, write(tmp_path, ["6901234567892,洗发水,日化,3990"], header=header))
    assert len(report.errors) == 1
    line, why = report.errors[0]
    assert line == 1 and "missing column" in why and missing in why
    assert n_products(db) == (0, 0, 0)


def test_unknown_column_and_case_insensitive_header(db, tmp_path):
    report = catalog.import_csv(db, write(tmp_path, GOOD[:1], header=HEADER + ",colour"))
    assert report.errors and report.errors[0][0] == 1 and "colour" in report.errors[0][1]
    report = catalog.import_csv(db, write(tmp_path, [GOOD[0]], name="upper.csv", header=HEADER.upper().replace(",", " , ")))
    assert report.ok, report.errors
    assert catalog.find(db, "6901234567892").sku == "SH-500"


def test_barcode_owned_by_another_sku_in_the_store_rolls_back_the_whole_file(db, tmp_path):
    assert catalog.import_csv(db, write(tmp_path, GOOD)).ok
    before = n_products(db)
    lines = ["6901234567908,新品,日化,100,regular,,NEW-1,",
             "4006381333931,抢了牛奶的条码,乳品,1250,special,,NEW-2,"]
    report = catalog.import_csv(db, write(tmp_path, lines, name="v2.csv"))
    assert report.errors == [(3, "barcode 4006381333931 belongs to sku MILK-1")]
    assert (report.created, report.updated, report.barcodes_added) == (0, 0, 0)
    assert n_products(db) == before
    assert catalog.find(db, "6901234567908") is None
    assert catalog.find(db, "4006381333931").sku == "MILK-1"


def test_unreadable_files(db, tmp_path):
    with pytest.raises(DomainError) as exc:
        catalog.import_csv(db, tmp_path / "missing.csv")
    assert exc.value.code == "catalog.file"
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x30\x81")  # neither UTF-8 nor GB18030
    with pytest.raises(DomainError) as exc:
        catalog.import_csv(db, path)
    assert exc.value.code == "catalog.file"
