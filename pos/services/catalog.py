"""The catalog: products, their barcodes, and CSV import.

An import is all or nothing: every bad row is reported with its line number
and reason, and a file with any error changes nothing.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos.rules import limits
from pos.rules.barcodes import Nomenclature, ScanResult
from pos.errors import DomainError, echo
from pos.ids import uuid7
from pos.services.csv_files import read_text
from pos.store.models import Product, ProductBarcode
from pos.store.outbox import emit

POINTS_CLASSES = ("regular", "special", "none")
REQUIRED = ("barcode", "name", "category", "price_fen", "kind")
OPTIONAL = ("member_price_fen", "sku", "no_member_discount")
_TRUE = {"1", "true", "yes", "y", "是"}
_FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass(frozen=True)
class ProductView:
    id: str
    sku: str
    name: str
    category: str
    price_fen: int
    member_price_fen: int | None
    points_class: str
    no_member_discount: bool
    barcodes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _view(p: Product) -> ProductView:
    return ProductView(str(p.id), p.sku, p.name, p.category, p.price_fen, p.member_price_fen,
                       p.points_class, p.no_member_discount, tuple(sorted(b.barcode for b in p.barcodes)))


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    barcodes_added: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "created": self.created, "updated": self.updated,
                "barcodes_added": self.barcodes_added,
                "errors": [{"line": n, "reason": r} for n, r in self.errors]}


def read_file(path: Path) -> str:
    """A catalog CSV's text (UTF-8 or GB18030), or DomainError `catalog.file`."""
    return read_text(path, "catalog.file")


def _int_fen(value: str, name: str) -> int:
    import unicodedata

    value = unicodedata.normalize("NFKC", value).strip()  # full-width ３９９０ from a Chinese IME reads as 3990
    digits = value.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):  # int() would also take "1_000" and "٣"
        raise ValueError(f"{name} must be a whole number of fen, got {echo(value, 24)!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    if number > limits.PRICE_MAX_FEN:  # HQ's price columns are 32-bit, and qty x price must fit too
        raise ValueError(f"{name} is above the limit of {limits.PRICE_MAX_FEN} fen: {limits.shown_int(number)}")
    return number


def _text(value: str, field: str, label: str) -> str:
    """A name/category/sku as HQ can store and serve it back (pos/rules/limits.py)."""
    try:
        return limits.check_text(value, field)
    except DomainError as exc:
        raise ValueError(exc.message("en").replace(field, label, 1)) from None


@dataclass
class _Row:
    line: int
    barcode: str
    sku: str
    name: str
    category: str
    price_fen: int
    member_price_fen: int | None
    points_class: str
    no_member_discount: bool


def product_key(scan: ScanResult) -> str | None:
    """The catalog key of a scanned product code (value zeroed for scale labels)."""
    if scan.kind in ("product", "price", "weight"):
        return scan.base_code
    return None


def _parse_row(line: int, row: dict[str, str], nomenclature: Nomenclature) -> _Row:
    get = lambda k: (row.get(k) or "").strip()  # noqa: E731
    scan = nomenclature.classify(get("barcode"))
    if scan.kind == "bad_barcode":
        raise ValueError(f"bad barcode {echo(get('barcode'))!r}: {scan.error}")
    if scan.kind not in ("product", "price", "weight"):
        raise ValueError(f"barcode {echo(get('barcode'))!r} is not a product code ({scan.kind})")
    if scan.kind in ("price", "weight") and scan.value:
        raise ValueError(f"scale barcode {echo(get('barcode'))!r} must carry a zero value in the catalog")
    if len(scan.base_code or "") > limits.TEXT_MAX["barcode"]:
        raise ValueError(f"barcode is longer than {limits.TEXT_MAX['barcode']} characters")
    name = _text(row.get("name") or "", "product_name", "name")
    category = _text(row.get("category") or "", "category", "category")
    price = _int_fen(get("price_fen"), "price_fen")
    kind = get("kind").lower()
    if kind not in POINTS_CLASSES:
        raise ValueError(f"kind must be regular, special or none, got {echo(get('kind'))!r}")
    member_price = None
    if get("member_price_fen"):
        member_price = _int_fen(get("member_price_fen"), "member_price_fen")
        if member_price > price:
            raise ValueError(f"member_price_fen {member_price} is above price_fen {price}")
    flag = get("no_member_discount").lower()
    if flag not in _TRUE | _FALSE:
        raise ValueError(f"no_member_discount must be true or false, got {echo(flag)!r}")
    sku = _text(get("sku") or scan.base_code, "sku", "sku")
    return _Row(line, scan.base_code, sku, name, category, price, member_price, kind, flag in _TRUE)


def parse_csv(text: str, nomenclature: Nomenclature) -> tuple[list[_Row], list[tuple[int, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")]
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        return [], [(1, f"unknown column(s): {', '.join(unknown)}")]
    reader.fieldnames = header
    rows, errors = [], []
    seen_barcodes: dict[str, int] = {}
    sku_fields: dict[str, tuple] = {}
    for record in reader:
        line = reader.line_num
        if None in record:
            errors.append((line, "more fields than columns"))
            continue
        if all(not (v or "").strip() for v in record.values()):
            continue  # blank line
        try:
            row = _parse_row(line, record, nomenclature)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        if row.barcode in seen_barcodes:
            errors.append((line, f"barcode {row.barcode} already on line {seen_barcodes[row.barcode]}"))
            continue
        seen_barcodes[row.barcode] = line
        fields = (row.name, row.category, row.price_fen, row.member_price_fen, row.points_class, row.no_member_discount)
        if row.sku in sku_fields and sku_fields[row.sku][1] != fields:
            errors.append((line, f"sku {row.sku} differs from line {sku_fields[row.sku][0]}"))
            continue
        sku_fields.setdefault(row.sku, (line, fields))
        rows.append(row)
    return rows, errors


def import_csv(db, path: str | Path, nomenclature: Nomenclature | None = None) -> ImportReport:
    """Upsert products by sku; add barcodes. All rows or none."""
    nomenclature = nomenclature or Nomenclature.default()
    rows, errors = parse_csv(read_file(Path(path)), nomenclature)
    report = ImportReport(rows=len(rows) + len(errors), errors=errors)
    if errors:
        return report
    now = db.clock.now()
    try:
        _write(db, rows, report, now)
    except _Conflicts:
        report.created = report.updated = report.barcodes_added = 0
    return report


class _Conflicts(Exception):
    """Raised inside the transaction so that nothing of the file is kept."""


def _write(db, rows: list[_Row], report: ImportReport, now) -> None:
    with db.transaction() as s:
        by_sku: dict[str, Product] = {}
        for row in rows:
            product = by_sku.get(row.sku) or s.scalar(select(Product).where(Product.sku == row.sku))
            if product is None:
                product = Product(id=uuid7(), sku=row.sku, created_at=now, updated_at=now,
                                  name=row.name, category=row.category, price_fen=row.price_fen,
                                  member_price_fen=row.member_price_fen, points_class=row.points_class,
                                  no_member_discount=row.no_member_discount)
                s.add(product)
                report.created += 1
            elif row.sku not in by_sku:
                product.name, product.category, product.price_fen = row.name, row.category, row.price_fen
                product.member_price_fen, product.points_class = row.member_price_fen, row.points_class
                product.no_member_discount, product.updated_at, product.active = row.no_member_discount, now, True
                report.updated += 1
            by_sku[row.sku] = product
            owner = s.get(ProductBarcode, row.barcode)
            if owner is None:
                s.add(ProductBarcode(barcode=row.barcode, product=product))
                report.barcodes_added += 1
            elif owner.product_id != product.id:
                report.errors.append((row.line, f"barcode {row.barcode} belongs to sku {owner.product.sku}"))
        if report.errors:
            raise _Conflicts
        s.flush()
        for product in by_sku.values():
            emit(s, db, "product.upserted", {"product": _view(product).as_dict()})


def get_by_barcode(s: Session, code: str, nomenclature: Nomenclature | None = None,
                   scan: ScanResult | None = None) -> tuple[ScanResult, Product | None]:
    """The scan (classified here unless the caller already did) and its product."""
    scan = scan if scan is not None else (nomenclature or Nomenclature.default()).classify(code)
    key = product_key(scan)
    if key is None:
        return scan, None
    # one query for the barcode and its product (a get and then a lazy load were two: a host POS quotes per scan)
    product = s.scalar(select(Product).join(ProductBarcode, ProductBarcode.product_id == Product.id)
                       .where(ProductBarcode.barcode == key))
    return scan, product


def find(db, code: str) -> ProductView | None:
    with db.read() as s:
        _, product = get_by_barcode(s, code)
        return _view(product) if product else None


def count(db) -> int:
    from sqlalchemy import func
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Product))


SEARCH_LIMIT = 50


def search(db, query: str, limit: int = SEARCH_LIMIT, nomenclature: Nomenclature | None = None) -> list[ProductView]:
    """Active products by (part of) name, SKU or barcode, for the till's pick list.
    Only barcodes that scan as a plain product are offered (a scale item needs its label)."""
    import unicodedata

    from sqlalchemy import or_

    q = unicodedata.normalize("NFKC", query or "").strip()
    if len(q) < 2:
        return []
    nom = nomenclature or Nomenclature.default()
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.read() as s:
        hit_codes = select(ProductBarcode.product_id).where(ProductBarcode.barcode.like(pattern, escape="\\"))
        rows = s.scalars(select(Product).where(
            Product.active.is_(True),
            or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\"), Product.id.in_(hit_codes)),
        ).order_by(Product.name).limit(limit * 2)).all()
        low = q.casefold()
        rows = sorted(rows, key=lambda p: (p.name.casefold() != low, not p.name.casefold().startswith(low), p.name))
        out = []
        for p in rows:
            view = _view(p)
            plain = tuple(b for b in view.barcodes if nom.classify(b).kind == "product")
            if plain:
                out.append(dataclasses.replace(view, barcodes=plain))
            if len(out) >= limit:
                break
    return out
