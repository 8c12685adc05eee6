"""History import: years of sales from the old POS, one CSV row per sale line (issue 15 §2).

Columns: `receipt_no, sold_at, member (phone or external_id; empty = no member),
barcode or sku, qty, amount_fen`, optional `store, points_earned, returned_of`.
Rows of one receipt make one sale; a receipt with `returned_of` is a return of
the receipt it names (in the file or already in the store), its quantities and
amounts taken back (give them positive or negative, they are stored negative).

- Amounts stay as recorded — never re-priced by today's program (`discount_fen`
  0, `program_version` empty). Tier spend and reports (RFM, ABC, Pareto) use them.
- Points by choice: `recorded` (the `points_earned` column), `recompute` (the
  installed program's earning rules on the recorded amounts, with the member's
  tier today), or `none` (when opening balances already hold them). Earned points
  are lots dated at the sale, expiring as the program says from then; `daily
  --since` afterwards runs the expiry and tier reviews along the history.
- Records are flagged `imported` (never `test_clock`). A product the catalog does
  not know keeps its code as name, category 未分类.
- All rows or none, every bad row by line and reason; a receipt already imported
  is skipped (re-importing a file never doubles); a receipt number the store
  used for a sale of its own is an error.
- Bulk: rows go in with executemany through the ORM's converters (pos.store.bulk),
  no outbox event per row. The history goes to HQ as a compact bulk upload:
  `history.imported` outbox events of many sales each (`upload_events`: at most
  UPLOAD_SALES sales or about UPLOAD_BYTES of JSON per event, so a push of 200
  events stays far below HQ's body limit), which HQ keeps as recorded (never
  re-priced, sync/server/history.py). The points lots of imported sales travel
  as every ledger row does (`ledger.entries`), never inside these events: HQ
  posts nothing for them twice. An enrolled till may import its own store's
  history (its members pulled from HQ, found by phone or external_id).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pos.store import settings as store_settings
from pos.errors import DomainError, echo
from pos.ids import uuid7, uuid7_at
from pos.loyalty import expiry
from pos.rules import limits, phones, pricing
from pos.services import phone_privacy
from pos.services.csv_files import read_text, whole_number
from pos.services.import_formats import OPTIONAL, POINTS, REQUIRED  # the file's format (public)
from pos.store import bulk, program_store
from pos.store.models import (Member, MemberBalance, MemberImport, OutboxEvent, PointsEntry, Product, ProductBarcode, Sale,
                              SaleLine)

UNKNOWN_CATEGORY = "未分类"
REGISTER = "IMP"  # register_no of imported sales
UPLOAD_SALES = 2000  # sales per `history.imported` event at most
UPLOAD_BYTES = 96_000  # and about this much JSON
CHUNK = 20_000


@dataclass
class Line:
    line: int
    code: str
    qty: int
    amount_fen: int
    points: int | None


@dataclass
class Receipt:
    receipt_no: str
    line: int  # first line in the file
    sold_at: dt.datetime
    member: str
    store: str
    returned_of: str | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: int = 0
    sales: int = 0
    returns: int = 0
    lines: int = 0
    skipped: int = 0  # receipts imported before
    points: int = 0
    net_fen: int = 0
    unknown_products: int = 0
    upload_events: int = 0  # `history.imported` events written for HQ
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "dry_run": self.dry_run, "rows": self.rows, "sales": self.sales,
                "returns": self.returns, "lines": self.lines, "skipped": self.skipped, "points": self.points,
                "net_fen": self.net_fen, "unknown_products": self.unknown_products,
                "upload_events": self.upload_events, "errors": [{"line": n, "reason": r} for n, r in self.errors]}


def _when(value: str, clock) -> dt.datetime:
    text_ = value.strip().replace("/", "-").replace("T", " ")
    try:
        local = dt.datetime.fromisoformat(text_) if len(text_) > 10 else dt.datetime.fromisoformat(text_ + " 12:00")
    except ValueError:
        raise ValueError(f"sold_at must be a local date-time (YYYY-MM-DD HH:MM), got {echo(value, 24)!r}") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=clock.tz)
    return local.astimezone(dt.timezone.utc)


def parse_csv(db, text_: str) -> tuple[list[Receipt], list[tuple[int, str]], int]:
    import unicodedata

    reader = csv.DictReader(io.StringIO(text_))
    header = [unicodedata.normalize("NFKC", h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if not ({"barcode", "sku"} & set(header)):
        missing.append("barcode or sku")
    if missing:
        return [], [(1, f"missing column(s): {', '.join(missing)}")], 0
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        return [], [(1, f"unknown column(s): {', '.join(unknown)}")], 0
    reader.fieldnames = header
    now = db.clock.now()
    receipts: dict[str, Receipt] = {}
    errors: list[tuple[int, str]] = []
    read = 0
    for rec in reader:
        line = reader.line_num
        if None in rec:
            errors.append((line, "more fields than columns"))
            continue
        get = {k: unicodedata.normalize("NFKC", v or "").strip() for k, v in rec.items()}
        if not any(get.values()):
            continue
        read += 1
        try:
            receipt_no = get["receipt_no"]
            if not receipt_no or len(receipt_no) > 40 or limits.bad_char(receipt_no) is not None:
                raise ValueError("receipt_no must be 1 to 40 characters")
            sold_at = _when(get["sold_at"], db.clock)
            if sold_at > now:
                raise ValueError("sold_at is in the future")
            code = get.get("barcode") or get.get("sku") or ""
            if not code or len(code) > 40 or limits.bad_char(code) is not None:
                raise ValueError("barcode or sku must be 1 to 40 characters")
            qty = whole_number(get["qty"], "qty", limits.QTY_MAX, signed=True)
            if qty == 0:
                raise ValueError("qty must not be 0")
            amount = whole_number(get["amount_fen"], "amount_fen", limits.SALE_MAX_FEN, signed=True)
            points = whole_number(get["points_earned"], "points_earned", limits.POINTS_MAX, signed=True) \
                if get.get("points_earned") else None
            store = get.get("store") or db.store_code
            if len(store) > 16 or limits.bad_char(store) is not None:
                raise ValueError("store must be at most 16 characters")
            returned_of = get.get("returned_of") or None
            if returned_of is None and (qty < 0 or amount < 0):
                raise ValueError("a negative qty or amount_fen needs returned_of (the receipt it returns)")
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        r = receipts.get(receipt_no)
        if r is None:
            r = receipts[receipt_no] = Receipt(receipt_no, line, sold_at, get["member"], store, returned_of)
        elif (r.sold_at, r.member, r.store, r.returned_of) != (sold_at, get["member"], store, returned_of):
            errors.append((line, f"receipt {receipt_no} has another sold_at, member, store or returned_of on line {r.line}"))
            continue
        r.lines.append(Line(line, code, abs(qty), abs(amount), abs(points) if points is not None else None))
    for r in receipts.values():
        if r.returned_of == r.receipt_no:
            errors.append((r.line, f"receipt {r.receipt_no} cannot return itself"))
    return list(receipts.values()), errors, read


class _Abort(Exception):
    pass


def import_csv(db, path: str | Path, *, points: str = "recorded", dry_run: bool = False) -> ImportReport:
    if points not in POINTS:
        raise DomainError("history_import.points", value=str(points)[:16])
    program = program_store.active(db)
    receipts, errors, read = parse_csv(db, read_text(Path(path), "history_import.file"))
    report = ImportReport(rows=read, errors=errors, dry_run=dry_run)
    if errors:
        return report
    try:
        _write(db, program, receipts, points, report, dry_run)
    except _Abort:
        if not dry_run or report.errors:
            report.sales = report.returns = report.lines = report.points = report.net_fen = 0
            report.skipped = report.unknown_products = report.upload_events = 0
    return report


class _Members:
    """Who a `member` cell names: a phone (hashed on an enrolled till) or an external_id."""

    def __init__(self, s, db):
        self.db = db
        self.hashed = phone_privacy.hashed(db)
        self.region = store_settings.PHONE_REGION.get(db)
        self.external = dict(s.execute(select(MemberImport.external_id, MemberImport.member_id)
                                       .where(MemberImport.external_id.is_not(None))).all())
        column = Member.phone_hash if self.hashed else Member.phone
        self.by_phone = dict(s.execute(select(column, Member.id).where(column.is_not(None),
                                                                        Member.status == "active")).all())
        self.tiers = dict(s.execute(select(Member.id, Member.tier_code)).all())
        self.birthdays = dict(s.execute(select(Member.id, Member.birthday).where(Member.birthday.is_not(None))).all())
        self.cache: dict[str, uuid.UUID | None] = {}

    def find(self, cell: str) -> uuid.UUID | None:
        if cell in self.cache:
            return self.cache[cell]
        mid = self.external.get(cell)
        if mid is None:
            try:
                e164 = phones.normalize(cell, self.region)
            except DomainError:
                e164 = None
            if e164 is not None:
                key = phone_privacy.lookup(self.db, e164)[1] if self.hashed else e164
                mid = self.by_phone.get(key)
        self.cache[cell] = mid
        return mid


def _write(db, program, receipts: list[Receipt], points_mode: str, report: ImportReport, dry_run: bool) -> None:
    rng = random.Random(0x15)
    clock = db.clock
    with db.transaction() as s:
        conn = s.connection()
        people = _Members(s, db)
        products: dict[str, tuple[uuid.UUID, str, str, str]] = {}
        for pid, sku, name, cat, pc in s.execute(select(Product.id, Product.sku, Product.name, Product.category,
                                                       Product.points_class)):
            products[sku] = (pid, name, cat, pc)
        by_pid = {v[0]: v for v in products.values()}
        for bc, pid in s.execute(select(ProductBarcode.barcode, ProductBarcode.product_id)):
            products.setdefault(bc, by_pid[pid])
        existing = dict(s.execute(select(Sale.receipt_no, Sale.id).where(Sale.imported.is_(True))).all())
        own = set(s.scalars(select(Sale.receipt_no).where(Sale.imported.is_(False))))
        sale_ids: dict[str, uuid.UUID] = dict(existing)
        todo = []
        for r in receipts:
            if r.receipt_no in existing:
                report.skipped += 1
                continue
            if r.receipt_no in own:
                report.errors.append((r.line, f"receipt {r.receipt_no} is a sale of this store, not an import"))
                continue
            mid = None
            if r.member:
                mid = people.find(r.member)
                if mid is None:
                    report.errors.append((r.line, f"member {phones.shown(r.member)} is not in the store "
                                                  f"(import members first: member import)"))
                    continue
            sale_ids[r.receipt_no] = uuid7_at(r.sold_at, rng)
            todo.append((r, mid))
        originals: dict[str, Receipt] = {r.receipt_no: r for r, _ in todo}
        for r, mid in todo:
            if r.returned_of and r.returned_of not in sale_ids:
                report.errors.append((r.line, f"returned_of {r.returned_of}: no such receipt in the file or the store"))
            elif r.returned_of and r.returned_of in originals and originals[r.returned_of].sold_at > r.sold_at:
                report.errors.append((r.line, f"return {r.receipt_no} is dated before the sale it returns"))
        if report.errors:
            report.errors.sort()
            raise _Abort
        todo.sort(key=lambda t: t[0].sold_at)
        sales, lines, lots, balance = [], [], [], defaultdict(int)
        earned_by_sale: dict[str, int] = {}
        for r, mid in todo:
            sid = sale_ids[r.receipt_no]
            is_return = r.returned_of is not None
            sign = -1 if is_return else 1
            net = sum(ln.amount_fen for ln in r.lines) * sign
            units = sum(ln.qty for ln in r.lines) * sign
            line_pts = _points(program, points_mode, r, mid, people, products, earned_by_sale) if mid else [0] * len(r.lines)
            pts = sum(line_pts)
            local_day = clock.local(r.sold_at).date()
            sales.append(dict(
                id=sid, receipt_no=r.receipt_no, kind="return" if is_return else "sale", store_code=r.store,
                register_no=REGISTER, business_date=local_day, created_at=r.sold_at, cashier=None, member_id=mid,
                tier_before=None, tier_after=None, program_version=None, channel="store",
                original_sale_id=sale_ids[r.returned_of] if is_return else None,
                gross_fen=net, discount_fen=0, net_fen=net, paid_fen=net, change_fen=0,
                spend_fen=net if mid else 0, points_earned=pts * sign, points_redeemed=0, points_value_fen=0,
                member_saved_fen=0, provisional=False, units=units, detail={"imported": True},
                test_clock=False, imported=True))
            for no, (ln, lp) in enumerate(zip(r.lines, line_pts), start=1):
                pid, name, cat, pc = products.get(ln.code) or (None, ln.code, UNKNOWN_CATEGORY, "regular")
                if pid is None:
                    report.unknown_products += 1
                lines.append(dict(
                    id=uuid7_at(r.sold_at, rng), sale_id=sid, line_no=no, code=ln.code, product_id=pid, name=name[:100],
                    category=cat, points_class=pc, qty=ln.qty * sign, unit_fen=ln.amount_fen // ln.qty if ln.qty else 0,
                    gross_fen=ln.amount_fen * sign, net_fen=ln.amount_fen * sign, points=lp * sign,
                    points_value_fen=0, reward=None, discounts=None, returns_line_id=None))
            if mid and pts:
                lots.append(dict(
                    id=uuid7_at(r.sold_at, rng), member_id=mid, kind="return" if is_return else "earn",
                    points=pts * sign, created_at=r.sold_at, available_at=r.sold_at,
                    expires_at=None if is_return else expiry.lot_expiry(program, r.sold_at, clock),
                    reverses_id=None, source_lot_id=None, sale_id=sid, store_code=r.store,
                    program_version=program.version if points_mode == "recompute" else None,
                    reason=f"imported {'return' if is_return else 'sale'} {r.receipt_no}", test_clock=False))
                balance[mid] += pts * sign
                earned_by_sale[r.receipt_no] = pts
            report.returns += is_return
            report.sales += not is_return
            report.lines += len(r.lines)
            report.points += pts * sign
            report.net_fen += net
        if dry_run:
            raise _Abort
        for i in range(0, len(sales), CHUNK):
            bulk.insert_rows(conn, Sale.__table__, sales[i:i + CHUNK])
        for i in range(0, len(lines), CHUNK):
            bulk.insert_rows(conn, SaleLine.__table__, lines[i:i + CHUNK])
        for i in range(0, len(lots), CHUNK):
            bulk.insert_rows(conn, PointsEntry.__table__, lots[i:i + CHUNK])
        _post_balances(s, conn, balance, clock.now())
        _settle_returns(s, lots, balance)
        events = upload_events(db, sales, lines)
        bulk.insert_rows(conn, OutboxEvent.__table__, events)
        report.upload_events = len(events)


def upload_events(db, sales: list[dict], lines: list[dict]) -> list[dict]:
    """The imported sales as `history.imported` outbox rows, many sales per event (in sale
    order): compact — a sale's header and its lines as [code, qty, net_fen, points]."""
    import json

    by_sale: dict[uuid.UUID, list] = defaultdict(list)
    for ln in lines:
        by_sale[ln["sale_id"]].append([ln["code"], ln["qty"], ln["net_fen"], ln["points"]])
    now = db.clock.now()
    events, chunk, size = [], [], 0

    def close() -> None:
        nonlocal chunk, size
        if chunk:
            events.append(dict(event_id=uuid7(), kind="history.imported", created_at=now, status="pending",
                               test_clock=False, payload={"store": db.store_code, "sales": chunk}))
        chunk, size = [], 0

    for sa in sales:
        item = {"id": str(sa["id"]), "receipt_no": sa["receipt_no"], "kind": sa["kind"],
                "sold_at": sa["created_at"].isoformat(), "member_id": str(sa["member_id"]) if sa["member_id"] else None,
                "net_fen": sa["net_fen"], "points": sa["points_earned"], "units": sa["units"],
                "returns": str(sa["original_sale_id"]) if sa["original_sale_id"] else None,
                "origin": sa["store_code"], "lines": by_sale[sa["id"]]}
        n = len(json.dumps(item, ensure_ascii=False)) + 2
        if chunk and (len(chunk) >= UPLOAD_SALES or size + n > UPLOAD_BYTES):
            close()
        chunk.append(item)
        size += n
    close()
    return events


def _points(program, mode: str, r: Receipt, mid, people: _Members, products, earned_by_sale: dict[str, int]) -> list[int]:
    if mode == "none":
        return [0] * len(r.lines)
    if mode == "recorded":
        return [ln.points or 0 for ln in r.lines]
    if r.returned_of is not None:  # a return takes back its share of what the sale earned
        earned = earned_by_sale.get(r.returned_of, 0)
        return [0] * len(r.lines) if not earned else _share(earned, [ln.amount_fen for ln in r.lines])
    items = []
    for ln in r.lines:
        _pid, name, cat, pc = products.get(ln.code) or (None, ln.code, UNKNOWN_CATEGORY, "regular")
        items.append((pricing.Item(ln.code, name, cat, ln.qty, ln.amount_fen // ln.qty, points_class=pc), ln.amount_fen))
    member = pricing.MemberCtx(str(mid), people.tiers.get(mid) or program.tiers.levels[0].code,
                               birthday=people.birthdays.get(mid))
    return pricing.earn_on_amounts(program, items, member, store=r.store, now=r.sold_at,
                                   local_date=people.db.clock.local(r.sold_at).date())


def _share(earned: int, amounts: list[int]) -> list[int]:
    # a full return takes back what the sale earned; a partial one its share (rounded down)
    total = sum(amounts) or 1
    return [earned * a // total for a in amounts]


def _post_balances(s, conn, balance: dict, now: dt.datetime) -> None:
    if not balance:
        return
    have = set(s.scalars(select(MemberBalance.member_id).where(MemberBalance.member_id.in_(list(balance)))))
    for mid, pts in balance.items():
        if mid in have:
            s.execute(MemberBalance.__table__.update().where(MemberBalance.member_id == mid)
                      .values(points=MemberBalance.points + pts, updated_at=now))
        else:
            bulk.insert_rows(conn, MemberBalance.__table__,
                             [dict(member_id=mid, points=pts, stored_value_fen=0, updated_at=now)])


def _settle_returns(s, lots, balance) -> None:
    """Returns took points back as negative entries; pay them from the member's lots
    (oldest expiry first) so lots and debt stay explicit (pos.loyalty.ledger)."""
    from pos.loyalty import ledger
    from pos.store.models import PointsAllocation

    debits = [lot for lot in lots if lot["points"] < 0]
    if not debits:
        return
    s.flush()
    for d in debits:
        pos = ledger.position(s, d["member_id"])
        left = -d["points"]
        for lot in pos.lots:
            if left == 0:
                break
            take = min(left, lot.remaining)
            if take > 0 and lot.id != d["id"]:
                s.add(PointsAllocation(id=uuid7(), debit_id=d["id"], lot_id=lot.id, points=take))
                left -= take
        s.flush()
