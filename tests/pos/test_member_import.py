"""Member import (issue 15 §1): all rows or none, every bad row by line and reason,
opening balances as ledger entries, re-import by external_id never doubles,
duplicates reported or merged, the carried tier spend counts at the next sale."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.errors import DomainError
from pos.loyalty import ledger
from pos.services import member_import, members
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.demo.store import ean13
from pos.store import program_store
from pos.store.models import (Member, MemberBalance, MemberCard, MemberImport, MemberTag, OutboxEvent, PointsEntry,
                              StoredValueEntry)

ROOT = Path(__file__).resolve().parents[2]
HEADER = ("phone,name,gender,birthday,region,tier,tier_expires,qualifying_spend_fen,points,points_expire_on,"
          "stored_value_fen,tags,marketing_consent,external_id,card_no,joined_at")
GOOD = [
    "13800138000,王小明,男,1990-05-01,上海,vip,2027-05-31,50000,1200,2027-06-30,5000,常客|咖啡,是,OLD-1,C0001,2019-03-08",
    "139 0013 9000,李红,F,,,普通会员,,,300,,0,,no,OLD-2,,2020/01/15 18:30",
    "+86 137-0013-7000,,,,,,,,,,,,,,,",
]


def write(tmp_path, lines, header=HEADER, encoding="utf-8", name="members.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


@pytest.fixture
def store(db):
    program_store.ensure_default(db)
    return db


def counts(db):
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in
                     (Member, PointsEntry, StoredValueEntry, MemberCard, MemberTag, MemberImport, OutboxEvent))


def member(db, phone):
    found = members.MemberIndex(str(db.path)).by_phone(phone)
    assert len(found) == 1
    with db.read() as s:
        return s.get(Member, uuid.UUID(found[0].id))


def balances(db, mid):
    with db.read() as s:
        return ledger.points_balance(s, mid), ledger.sv_balance(s, mid), s.get(MemberBalance, mid).points


def test_good_file_imports_with_opening_ledger_entries(store, tmp_path, clock):
    report = member_import.import_csv(store, write(tmp_path, GOOD), rewards=False)  # opening balances alone
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.points_fen, report.stored_value_fen) == (3, 3, 0, 1500, 5000)
    m = member(store, "13800138000")
    assert (m.name, m.gender, m.birthday, m.region, m.tier_code, m.tier_expires, m.marketing_consent, m.channel) == (
        "王小明", "M", dt.date(1990, 5, 1), "上海", "vip", dt.date(2027, 5, 31), True, "import")
    assert m.joined_at == clock.start_of_day(dt.date(2019, 3, 8))
    with store.read() as s:
        lot = s.scalars(select(PointsEntry).where(PointsEntry.member_id == m.id)).one()
        assert (lot.kind, lot.points) == ("opening", 1200)
        assert lot.expires_at == clock.start_of_day(dt.date(2027, 7, 1))  # valid through 2027-06-30
        sv = s.scalars(select(StoredValueEntry).where(StoredValueEntry.member_id == m.id)).one()
        assert (sv.kind, sv.amount_fen) == ("opening", 5000)
        assert {t.tag for t in s.scalars(select(MemberTag).where(MemberTag.member_id == m.id))} == {"常客", "咖啡"}
        assert s.scalar(select(MemberCard.card_no).where(MemberCard.member_id == m.id)) == "C0001"
        assert s.scalars(select(OutboxEvent.kind)).all().count("member.registered") == 3
        assert ledger.find_drift(s) == []  # `ledger verify`: cache equals the entries
    assert balances(store, m.id) == (1200, 5000, 1200)
    li = member(store, "13900139000")  # spaces, the tier's Chinese name, a local date-time
    assert (li.tier_code, li.gender, li.marketing_consent) == ("member", "F", False)
    assert li.joined_at == dt.datetime(2020, 1, 15, 10, 30, tzinfo=dt.timezone.utc)
    with store.read() as s:  # no expiry date given: the program's rule, as if earned today
        lot = s.scalars(select(PointsEntry).where(PointsEntry.member_id == li.id)).one()
        from pos.loyalty import expiry
        assert lot.expires_at == expiry.lot_expiry(program_store.active(store), clock.now(), clock)
    only_phone = member(store, "13700137000")
    assert balances(store, only_phone.id)[:2] == (0, 0)


BAD = [
    ("12345,x", "phone"),
    ("13800138000,,x", "gender must be M/F"),
    ("13800138000,,,1990-13-01", "birthday must be a date"),
    ("13800138000,,,2099-01-01", "birthday"),
    ("13800138000,,,,,gold", "unknown tier 'gold'"),
    ("13800138000,,,,,,,,-5", "points must not be negative"),
    ("13800138000,,,,,,,,,,12.50", "stored_value_fen must be a whole number"),
    ("13800138000,,,,,,,,100,2020-01-01", "in the past"),
    ("13800138000,,,,,,,,,,,,maybe", "marketing_consent"),
    ("13800138000,,,,,,,,,,,,,,C 01", "card_no"),
    ("13800138000,,,,,,,,,,,,,,,2099-01-01", "joined_at is in the future"),
    ("13800138000,,,,,,,,99999999999", "points is above the limit"),
    ("13800138000,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "more fields than columns"),
]


@pytest.mark.parametrize("line,reason", BAD)
def test_each_bad_row_is_reported_by_line_and_nothing_is_written(store, tmp_path, line, reason):
    before = counts(store)
    report = member_import.import_csv(store, write(tmp_path, [GOOD[2], line]))
    assert not report.ok
    assert [n for n, _ in report.errors] == [3], report.errors
    assert reason in report.errors[0][1], report.errors
    assert (report.created, report.updated) == (0, 0)
    assert counts(store) == before


def test_every_bad_row_at_once_and_the_header_checked(store, tmp_path):
    report = member_import.import_csv(store, write(tmp_path, [GOOD[0], *(b for b, _ in BAD)]))
    assert [n for n, _ in report.errors] == list(range(3, 3 + len(BAD)))
    r = member_import.import_csv(store, write(tmp_path, ["x"], header="name,colour"))
    assert r.errors == [(1, "missing column: phone")]
    r = member_import.import_csv(store, write(tmp_path, ["13800138000,red"], header="phone,colour"))
    assert r.errors[0][0] == 1 and "unknown column(s): colour" in r.errors[0][1]
    assert counts(store)[0] == 0


def test_gb18030_file_reads_and_a_broken_file_is_a_clear_error(store, tmp_path):
    report = member_import.import_csv(store, write(tmp_path, GOOD[:1], encoding="gb18030"))
    assert report.ok and member(store, "13800138000").name == "王小明"
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"phone\n\xff\xfe\xfa\x80\x81")
    with pytest.raises(DomainError) as exc:
        member_import.import_csv(store, broken)
    assert exc.value.code == "member_import.file"
    with pytest.raises(DomainError):
        member_import.import_csv(store, tmp_path / "missing.csv")


def test_reimport_by_external_id_updates_and_never_doubles(store, tmp_path):
    path = write(tmp_path, GOOD)
    assert member_import.import_csv(store, path, rewards=False).created == 3  # opening balances alone
    before = counts(store)
    again = member_import.import_csv(store, path)
    assert (again.created, again.updated, again.unchanged, again.points_fen) == (0, 0, 3, 0)
    assert counts(store) == before
    m = member(store, "13800138000")
    assert balances(store, m.id)[:2] == (1200, 5000)
    # the old system's numbers changed: the difference is posted, the profile updated
    changed = GOOD[0].replace(",1200,", ",1500,").replace(",5000,", ",3000,").replace("王小明", "王晓明")
    r = member_import.import_csv(store, write(tmp_path, [changed]))
    assert (r.created, r.updated, r.points_fen, r.stored_value_fen) == (0, 1, 300, -2000), r.errors
    assert balances(store, m.id) == (1500, 3000, 1500)
    assert member(store, "13800138000").name == "王晓明"
    lower = changed.replace(",1500,", ",1000,")
    assert member_import.import_csv(store, write(tmp_path, [lower])).points_fen == -500
    assert balances(store, m.id)[0] == 1000
    with store.read() as s:
        kinds = s.scalars(select(PointsEntry.kind).where(PointsEntry.member_id == m.id)).all()
        assert set(kinds) == {"opening"} and len(kinds) == 3  # append-only: +1200, +300, −500
        assert ledger.find_drift(s) == []


def test_duplicate_phones_reported_or_merged(store, tmp_path):
    twice = [GOOD[0], "13800138000,,,,,,,20000,100,,700,新客,,,"]
    report = member_import.import_csv(store, write(tmp_path, twice))
    assert report.errors == [(3, "phone 138****8000 already on line 2")]
    assert counts(store)[0] == 0
    merged = member_import.import_csv(store, write(tmp_path, twice), duplicates="merge")
    assert (merged.ok, merged.created, merged.merged, merged.points_fen, merged.stored_value_fen) == (True, 1, 1, 1300, 5700)
    m = member(store, "13800138000")
    assert m.name == "王小明"  # the first non-empty value wins
    with store.read() as s:
        assert {t.tag for t in s.scalars(select(MemberTag).where(MemberTag.member_id == m.id))} == {"常客", "咖啡", "新客"}
        assert s.get(MemberImport, m.id).qualifying_spend_fen == 70000
    # a phone the store already has under another member (no external_id link)
    existing = members.register(store, "13600136000", name="赵六")
    row = ["13600136000,赵六六,,,,,,,400,,,,,OLD-9,,"]
    r = member_import.import_csv(store, write(tmp_path, row))
    assert r.errors == [(2, f"phone 136****6000 already belongs to member {existing.member_code}")]
    r = member_import.import_csv(store, write(tmp_path, row), duplicates="merge")
    assert (r.created, r.merged, r.updated) == (0, 1, 1)
    with store.read() as s:
        assert ledger.points_balance(s, uuid.UUID(existing.id)) == 400
        assert s.get(MemberImport, uuid.UUID(existing.id)).external_id == "OLD-9"


def test_card_code_and_external_id_clashes(store, tmp_path):
    members.add_card(store, members.register(store, "13600136000").id, "C0001")
    r = member_import.import_csv(store, write(tmp_path, GOOD[:1]))
    assert r.errors == [(2, "card_no C0001 belongs to another member")]
    r = member_import.import_csv(store, write(tmp_path, [GOOD[1], GOOD[1].replace("13900139000", "13500135000").replace("139 0013 9000", "13500135000")]))
    assert r.errors == [(3, "external_id OLD-2 already on line 2")]
    assert counts(store)[0] == 1


def test_dry_run_checks_against_the_store_and_writes_nothing(store, tmp_path):
    before = counts(store)
    report = member_import.import_csv(store, write(tmp_path, GOOD), dry_run=True)
    assert (report.ok, report.dry_run, report.created, report.points_fen) == (True, True, 3, 1500)
    assert counts(store) == before
    members.register(store, "13800138000")
    r = member_import.import_csv(store, write(tmp_path, GOOD), dry_run=True)
    assert not r.ok and "already belongs to member" in r.errors[0][1]


def test_carried_tier_spend_counts_at_the_next_sale(store, tmp_path, clock):
    """Vancl: VIP at 2,000 yuan qualifying spend. 1,800 carried over + a 200 yuan
    sale reach it; without the carried spend the same sale does not."""
    tee = ean13("690555000004")
    cat = tmp_path / "catalog.csv"
    cat.write_text(f"barcode,name,category,price_fen,kind\n{tee},T恤,服装,10000,regular\n", encoding="utf-8")
    assert import_csv(store, cat).ok
    rows = ["13800138000,,,,,member,,180000,,,,,,A,,", "13900139000,,,,,member,,,,,,,,B,,"]
    assert member_import.import_csv(store, write(tmp_path, rows)).ok
    clock.set(dt.datetime(2026, 11, 23, 15, 0))  # the first sale after the import
    for phone, tier in (("13800138000", "vip"), ("13900139000", "member")):
        co = Checkout(store)
        co.add(tee, 2)
        co.attach_member_id(str(member(store, phone).id))
        co.pay([Tender("cash", co.quote().net_fen)])
        assert member(store, phone).tier_code == tier
    # a tier change starts a new counter: the carried spend no longer counts
    from pos.loyalty import tiers
    with store.read() as s:
        assert tiers.carried_spend(s, member(store, "13800138000")) == 0


def test_enrolled_till_refuses_and_points_to_hq(store, tmp_path):
    store.set_setting("sync.hq_url", "http://127.0.0.1:9")
    store.set_setting("sync.token", "t")
    with pytest.raises(DomainError) as exc:
        member_import.import_csv(store, write(tmp_path, GOOD))
    assert exc.value.code == "member_import.enrolled" and "hq member import" in exc.value.message("en")


def test_cli_reports_bad_rows_and_imports_good_ones(tmp_path):
    db = tmp_path / "cli.sqlite3"
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db), *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    assert run("program", "install", str(ROOT / "pos" / "resources" / "presets" / "vancl.json")).returncode == 0
    bad = run("member", "import", str(write(tmp_path, [GOOD[0], "12345"])))
    assert bad.returncode != 0 and "line 3: phone" in bad.stderr and "nothing imported" in bad.stderr
    assert "Traceback" not in bad.stderr
    import json
    good = run("member", "import", str(write(tmp_path, GOOD)), "--json")
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["created"] == 3
    garbage = tmp_path / "x.csv"
    garbage.write_bytes(bytes(range(256)) * 4)
    out = run("member", "import", str(garbage))
    assert out.returncode != 0 and "Traceback" not in out.stderr and out.stderr.strip()


def test_phone_fast_path_agrees_with_phonenumbers(db):
    """The import checks a plain 11-digit mobile once per 7-digit prefix; on every
    number it must say what `phones.normalize` says."""
    import random

    from pos.rules import phones

    program_store.ensure_default(db)
    ctx = member_import._Context(db, program_store.active(db))
    rng = random.Random(7)
    for _ in range(4000):
        text = "1" + "".join(rng.choice("0123456789") for _ in range(10))
        try:
            want = phones.normalize(text, "CN")
        except DomainError as exc:
            want = exc.code
        try:
            got = member_import._phone(ctx, text)
        except DomainError as exc:
            got = exc.code
        assert got == want, text
