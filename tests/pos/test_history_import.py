"""History import and the catch-up of daily jobs (issue 15 §2–§3): sales as recorded,
points recorded / recomputed / none, returns taking points back, all rows or none,
re-import never doubles, `daily --since` expires and reviews along the history."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.demo.store import ean13
from pos.errors import DomainError
from pos.loyalty import expiry, ledger
from pos.services import catch_up, history_import, member_import, members
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store, settings
from pos.store.models import PointsAllocation, PointsEntry, Sale, SaleLine

ROOT = Path(__file__).resolve().parents[2]
TEE, CAP = ean13("690555000004"), ean13("690555000009")  # 100 yuan, 99 yuan
HEADER = "receipt_no,sold_at,member,barcode,qty,amount_fen,points_earned,returned_of"
GOOD = [
    "H1,2025-03-01 10:00,13800138000,%s,2,20000,200," % TEE,
    "H1,2025-03-01 10:00,13800138000,OLD-SKU-7,1,5000,50,",
    "H2,2025-04-01 11:00,,%s,1,9900,," % CAP,
    "R1,2025-04-02 12:00,13800138000,%s,1,10000,100,H1" % TEE,
    "H3,2026-11-20 18:30,OLD-2,%s,1,9900,99," % CAP,
]


@pytest.fixture
def store(db, tmp_path):
    program_store.ensure_default(db)
    cat = tmp_path / "catalog.csv"
    cat.write_text(f"barcode,name,category,price_fen,kind\n{TEE},T恤,服装,10000,regular\n"
                   f"{CAP},帽子,配饰,9900,regular\n", encoding="utf-8")
    assert import_csv(db, cat).ok
    m = tmp_path / "members.csv"
    m.write_text("phone,name,external_id\n13800138000,王小明,OLD-1\n13900139000,李红,OLD-2\n", encoding="utf-8")
    assert member_import.import_csv(db, m, rewards=False).ok
    return db


def write(tmp_path, lines, header=HEADER, name="history.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def mid(db, phone):
    return uuid.UUID(members.MemberIndex(str(db.path)).by_phone(phone)[0].id)


def counts(db):
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Sale, SaleLine, PointsEntry))


def test_sales_as_recorded_with_recorded_points(store, tmp_path, clock):
    report = history_import.import_csv(store, write(tmp_path, GOOD))
    assert report.ok, report.errors
    assert (report.sales, report.returns, report.lines, report.points, report.net_fen, report.unknown_products) == (
        3, 1, 5, 250 - 100 + 99, 25000 + 9900 - 10000 + 9900, 1)
    wang, li = mid(store, "13800138000"), mid(store, "13900139000")
    with store.read() as s:
        h1 = s.scalar(select(Sale).where(Sale.receipt_no == "H1"))
        assert (h1.kind, h1.net_fen, h1.discount_fen, h1.spend_fen, h1.points_earned, h1.imported, h1.test_clock) == (
            "sale", 25000, 0, 25000, 250, True, False)
        assert h1.created_at == clock.start_of_day(dt.date(2025, 3, 1)) + dt.timedelta(hours=10)
        assert h1.business_date == dt.date(2025, 3, 1) and h1.member_id == wang
        lines = s.scalars(select(SaleLine).where(SaleLine.sale_id == h1.id).order_by(SaleLine.line_no)).all()
        assert [(ln.name, ln.category, ln.qty, ln.net_fen, ln.points) for ln in lines] == [
            ("T恤", "服装", 2, 20000, 200), ("OLD-SKU-7", "未分类", 1, 5000, 50)]
        r1 = s.scalar(select(Sale).where(Sale.receipt_no == "R1"))
        assert (r1.kind, r1.original_sale_id, r1.net_fen, r1.spend_fen, r1.points_earned) == (
            "return", h1.id, -10000, -10000, -100)
        assert s.scalar(select(Sale.member_id).where(Sale.receipt_no == "H2")) is None
        lot = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == h1.id))
        assert (lot.kind, lot.points, lot.created_at) == ("earn", 250, h1.created_at)
        assert lot.expires_at == expiry.lot_expiry(program_store.active(store), h1.created_at, clock)
        back = s.scalar(select(PointsEntry).where(PointsEntry.sale_id == r1.id))
        assert back.points == -100  # paid from the sale's lot: no debt
        assert s.scalar(select(func.sum(PointsAllocation.points)).where(PointsAllocation.debit_id == back.id)) == 100
        assert ledger.points_balance(s, wang) == 150 and ledger.points_balance(s, li) == 99  # by external_id
        assert ledger.find_drift(s) == []


def test_points_none_and_recompute(store, tmp_path, clock):
    report = history_import.import_csv(store, write(tmp_path, GOOD), points="none")
    assert report.ok and report.points == 0 and counts(store)[2] == 0
    # recompute: the program's earning on the recorded amount equals what a live sale of
    # the same net earns (one 99 yuan cap, no promotion reaches it)
    co = Checkout(store)
    co.add(CAP)
    co.attach_member_id(str(mid(store, "13900139000")))
    q = co.quote()
    assert q.net_fen == 9900
    live = co.pay([Tender("cash", 9900)]).points["earned"]
    assert live > 0
    r = history_import.import_csv(store, write(tmp_path, ["X1,2026-11-01 10:00,13900139000,%s,1,9900,7," % CAP]),
                                  points="recompute")
    assert r.ok and r.points == live  # the recorded 7 is ignored


BAD = [
    ("B1,2025-13-01 10:00,,%s,1,100,," % TEE, "sold_at must be"),
    ("B1,2099-01-01 10:00,,%s,1,100,," % TEE, "sold_at is in the future"),
    ("B1,2025-01-01 10:00,,%s,0,100,," % TEE, "qty must not be 0"),
    ("B1,2025-01-01 10:00,,%s,1,-100,," % TEE, "needs returned_of"),
    ("B1,2025-01-01 10:00,,%s,1,1.5,," % TEE, "amount_fen must be a whole number"),
    ("B1,2025-01-01 10:00,13700137000,%s,1,100,," % TEE, "member 137****7000 is not in the store"),
    ("B1,2025-01-01 10:00,,%s,1,100,,NOPE" % TEE, "returned_of NOPE"),
    ("H1,2025-03-02 10:00,13800138000,%s,1,100,," % TEE, "receipt H1 has another sold_at"),
]


@pytest.mark.parametrize("row,reason", BAD)
def test_bad_rows_reported_and_nothing_written(store, tmp_path, row, reason):
    before = counts(store)
    report = history_import.import_csv(store, write(tmp_path, [GOOD[0], row]))
    assert not report.ok and len(report.errors) == 1 and reason in report.errors[0][1], report.errors
    assert report.errors[0][0] == 3
    assert counts(store) == before


def test_header_checked(store, tmp_path):
    r = history_import.import_csv(store, write(tmp_path, ["x"], header="receipt_no,sold_at"))
    assert r.errors[0][0] == 1 and "member" in r.errors[0][1] and "barcode or sku" in r.errors[0][1]


def test_reimport_never_doubles_and_own_receipts_are_kept_apart(store, tmp_path):
    path = write(tmp_path, GOOD)
    assert history_import.import_csv(store, path).ok
    before = counts(store)
    again = history_import.import_csv(store, path)
    assert (again.ok, again.sales, again.skipped) == (True, 0, 4)
    assert counts(store) == before
    co = Checkout(store)
    co.add(CAP)
    own = co.pay([Tender("cash", 9900)]).receipt_no
    r = history_import.import_csv(store, write(tmp_path, [f"{own},2025-01-01 10:00,,{TEE},1,100,,"]))
    assert r.errors == [(2, f"receipt {own} is a sale of this store, not an import")]


def test_catch_up_expires_and_resumes(store, tmp_path, clock):
    """The 2025 points are gone along the history, posted as of the day they fell
    due (that day's 08:30 job time), not today; a second run replays nothing."""
    from pos.loyalty.tiers import add_months

    assert history_import.import_csv(store, write(tmp_path, GOOD)).ok
    wang = mid(store, "13800138000")
    program = program_store.active(store)
    with store.read() as s:
        lot = s.scalar(select(PointsEntry).where(PointsEntry.member_id == wang, PointsEntry.kind == "earn"))
    if program.expiry.model == "rolling":  # no purchase for `months`: the first day whose limit passes the last sale
        last = lot.created_at
        due_day = dt.date(2025, 3, 1)
        while clock.start_of_day(add_months(due_day, -program.expiry.months) + dt.timedelta(days=1)) <= last:
            due_day += dt.timedelta(days=1)
    else:
        due_day = clock.local(lot.expires_at).date()
    assert due_day < clock.today()
    out = catch_up.catch_up(store, dt.date(2025, 3, 1))
    assert out["days"] == (clock.today() - dt.date(2025, 3, 1)).days + 1
    assert out["expired_points"] == 150
    with store.read() as s:
        gone = s.scalars(select(PointsEntry).where(PointsEntry.member_id == wang, PointsEntry.kind == "expire")).all()
        assert sum(e.points for e in gone) == -150
        assert {clock.local(e.created_at).date() for e in gone} == {due_day}
        assert all(clock.local(e.created_at).time() == dt.time(8, 30) for e in gone)
        assert ledger.points_balance(s, wang) == 0 and ledger.find_drift(s) == []
    assert settings.CAUGHT_UP_TO.get(store) == clock.today().isoformat()
    again = catch_up.catch_up(store, dt.date(2025, 3, 1))
    assert again["days"] == 0 and again["expired_points"] == 0
    with pytest.raises(DomainError):
        catch_up.catch_up(store, clock.today() + dt.timedelta(days=1))


def test_cli(tmp_path):
    db = tmp_path / "cli.sqlite3"
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db), *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=180)
    assert run("program", "install", str(ROOT / "pos" / "resources" / "presets" / "vancl.json")).returncode == 0
    (tmp_path / "m.csv").write_text("phone\n13800138000\n", encoding="utf-8")
    assert run("member", "import", str(tmp_path / "m.csv"), "--no-rewards").returncode == 0
    bad = run("history", "import", str(write(tmp_path, [GOOD[0], BAD[0][0]])))
    assert bad.returncode == 2 and "line 3: sold_at" in bad.stderr and "Traceback" not in bad.stderr
    good = run("history", "import", str(write(tmp_path, [GOOD[0]])), "--json")
    assert good.returncode == 0 and json.loads(good.stdout)["sales"] == 1
    caught = run("daily", "--since", "2025-12-25", "--json")
    assert caught.returncode == 0, caught.stderr
    assert json.loads(caught.stdout)["expired_points"] == 200
    odd = run("daily", "--since", "yesterday")
    assert odd.returncode != 0 and "Traceback" not in odd.stderr
