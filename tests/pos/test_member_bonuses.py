"""Member-action bonuses and sign-up rewards (issue 14) on a real SQLite store, with the
presets' numbers (pos/resources/presets): vancl signs up with 100 points + welcome-10,
completes a profile for 200, refers for 300; hdcrm signs up with 200 points +
new-pack-50 + nt-10, completes a profile for 100, checks in for 5 and reviews for 10.
Settings a preset leaves at 0 are set in the test's copy of the program. Each award
once: per person (sign-up, profile), per new member (referral), per member, store and
business date (check-in), per sale (review)."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from pos.demo.store import ean13
from pos.errors import DomainError
from pos.loyalty import ledger
from pos.rules import program as program_rules
from pos.services import joining, member_bonuses, member_import, members, sync_apply
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store
from pos.store.models import AuditEntry, Coupon, Member, OutboxEvent, PointsEntry

ROOT = Path(__file__).resolve().parents[2]
REG = ean13("690123400002")  # 100 yuan regular
CATALOG = f"barcode,name,category,price_fen,kind\n{REG},T恤,服装,10000,regular\n"


def with_(doc, version: str, **sections):
    """A copy of a preset with some settings changed: with_(doc, "v", bonuses={"checkin": 5})."""
    update = {k: getattr(doc, k).model_copy(update=v) for k, v in sections.items()}
    return doc.model_copy(update={"version": version, **update})


def store_with(db, tmp_path, doc):
    program_store.install(db, doc)
    path = tmp_path / "catalog.csv"
    path.write_text(CATALOG, encoding="utf-8")
    assert import_csv(db, path).ok
    return doc


@pytest.fixture
def vancl(db, tmp_path):
    return store_with(db, tmp_path, program_rules.preset("vancl"))


@pytest.fixture
def hdcrm(db, tmp_path):
    doc = program_rules.preset("hdcrm")
    return store_with(db, tmp_path, with_(doc, doc.version + "-ref", membership={"referral_points": 50},
                                          issuance={"referral": ["nt-10"]}))


def points(db, member_id) -> int:
    with db.read() as s:
        return ledger.points_balance(s, uuid.UUID(str(member_id)))


def coupon_templates(db, member_id) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(Coupon.template).where(Coupon.member_id == uuid.UUID(str(member_id)))))


def bonus_reasons(db, member_id) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(PointsEntry.reason).where(
            PointsEntry.member_id == uuid.UUID(str(member_id)), PointsEntry.kind == "bonus")))


def buy(db, doc, member_id) -> str:
    co = Checkout(db, program=doc)
    co.add(REG)
    co.attach_member_id(str(member_id))
    return co.pay([Tender("cash", co.quote().net_fen)]).receipt_no


# --- sign-up ---------------------------------------------------------------------------------------

def test_join_gives_vancl_signup_rewards_once(db, vancl):
    got: list = []
    m = joining.join(db, vancl, "13800138000", rewards=got)
    assert points(db, m.id) == 100 and coupon_templates(db, m.id) == ["welcome-10"]
    assert [a.as_dict() for a in got] == [{"rule": "signup", "points": 100, "coupons": got[0].coupons, "already": False}]
    with db.transaction() as s:  # asked again (another way in for the same person): nothing more
        again = member_bonuses.signup(s, db, vancl, s.get(Member, uuid.UUID(m.id)))
    assert again.already and again.points == 0
    assert points(db, m.id) == 100 and coupon_templates(db, m.id) == ["welcome-10"]


def test_hdcrm_signup_and_a_full_form_also_completes_the_profile(db, hdcrm):
    m = joining.join(db, hdcrm, "13800138001", name="王小明", gender="M", birthday=dt.date(1990, 5, 1), region="上海")
    assert points(db, m.id) == 200 + 100  # sign-up + profile completion (hdcrm)
    assert coupon_templates(db, m.id) == ["new-pack-50", "nt-10"]
    assert bonus_reasons(db, m.id) == ["profile complete", "sign-up bonus"]


def test_signup_rewards_travel_as_ledger_rows_and_coupon_events(db, vancl):
    m = joining.join(db, vancl, "13800138002")
    with db.transaction() as s:
        assert sync_apply.capture_ledger(s, db) >= 1
    with db.read() as s:
        kinds = [e.kind for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))]
        rows = [r for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "ledger.entries"))
                for r in e.payload["points"]]
    assert kinds.index("member.registered") < kinds.index("coupon.issued")
    assert [(r["member_id"], r["points"], r["reason"]) for r in rows] == [(m.id, 100, "sign-up bonus")]


def test_import_gives_signup_rewards_by_default_and_never_again(db, vancl, tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("phone,points,external_id\n13900139000,50,A1\n13900139001,,A2\n", encoding="utf-8")
    r = member_import.import_csv(db, csv)
    assert (r.created, r.signup_points, r.signup_coupons) == (2, 200, 2)
    mid = members.MemberIndex(str(db.path)).by_phone("13900139000")[0].id
    assert points(db, mid) == 50 + 100 and coupon_templates(db, mid) == ["welcome-10"]
    again = member_import.import_csv(db, csv)  # the same people again: updated, never rewarded twice
    assert (again.created, again.signup_points) == (0, 0)
    assert points(db, mid) == 150 and coupon_templates(db, mid) == ["welcome-10"]
    with db.read() as s:
        assert ledger.find_drift(s) == []
        assert s.scalars(select(OutboxEvent.kind)).all().count("coupon.issued") == 2


def test_import_no_rewards_opts_out(db, vancl, tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("phone,points\n13900139002,50\n", encoding="utf-8")
    r = member_import.import_csv(db, csv, rewards=False)
    assert (r.created, r.signup_points, r.signup_coupons) == (1, 0, 0)
    mid = members.MemberIndex(str(db.path)).by_phone("13900139002")[0].id
    assert points(db, mid) == 50 and coupon_templates(db, mid) == []


# --- profile completion ------------------------------------------------------------------------------

def test_profile_completion_vancl_200_once(db, vancl):
    m = joining.join(db, vancl, "13800138003", name="李红")
    assert points(db, m.id) == 100
    _, award = member_bonuses.update_profile(db, vancl, m.id, gender="F", birthday=dt.date(1992, 1, 2))
    assert award is None and points(db, m.id) == 100  # region still missing
    _, award = member_bonuses.update_profile(db, vancl, m.id, region="北京")
    assert award is not None and award.points == 200 and points(db, m.id) == 300
    member_bonuses.update_profile(db, vancl, m.id, region=None)  # emptied and filled again: once per person
    _, award = member_bonuses.update_profile(db, vancl, m.id, region="天津")
    assert award is None and points(db, m.id) == 300


def test_profile_fields_required_is_read(db, tmp_path):
    doc = with_(program_rules.preset("vancl"), "vancl-occ", membership={"profile_fields_required": ["occupation"]})
    store_with(db, tmp_path, doc)
    m = joining.join(db, doc, "13800138004", name="甲", gender="M", birthday=dt.date(1990, 1, 1), region="上海")
    assert points(db, m.id) == 100  # the default four fields do not count here
    _, award = member_bonuses.update_profile(db, doc, m.id, occupation="教师")
    assert award.points == 200 and points(db, m.id) == 300


def test_a_completed_profile_arriving_by_pull_awards_nothing(db, vancl):
    m = joining.join(db, vancl, "13800138005")
    with db.read() as s:
        row = members.member_payload(s.get(Member, uuid.UUID(m.id)))
    row |= {"name": "张三", "gender": "M", "birthday": "1990-01-01", "region": "上海", "tags": [],
            "status": "active", "tier_code": "member", "tier_since": row["joined_at"], "created_at": row["joined_at"],
            "updated_at": row["joined_at"], "test_clock": False}
    sync_apply.apply_page(db, [{"kind": "member", "id": m.id, "data": row}], "c1")
    assert members.detail(db, m.id).region == "上海"
    assert points(db, m.id) == 100  # the store where the profile was completed awarded it; its row comes by pull


# --- referral -------------------------------------------------------------------------------------

def test_referral_vancl_300_on_the_first_purchase_only(db, vancl):
    referrer = joining.join(db, vancl, "13800138006")
    new = joining.join(db, vancl, "13800138007", referrer_id=referrer.id)
    assert points(db, referrer.id) == 100  # joining alone credits nobody
    receipt = buy(db, vancl, new.id)
    assert points(db, referrer.id) == 100 + 300
    with db.read() as s:
        e = s.scalar(select(PointsEntry).where(PointsEntry.member_id == uuid.UUID(referrer.id),
                                               PointsEntry.reason == f"referral {new.member_code}"))
        assert e.points == 300 and e.sale_id is not None
        assert s.scalar(select(AuditEntry.details).where(AuditEntry.action == "member.referral"))["receipt"] == receipt
    buy(db, vancl, new.id)  # the second purchase
    assert points(db, referrer.id) == 400
    other = joining.join(db, vancl, "13800138008", referrer_id=referrer.id)
    buy(db, vancl, other.id)  # another new member: once per new member
    assert points(db, referrer.id) == 700


def test_referral_coupon_is_issued_and_a_member_without_referrer_credits_nobody(db, hdcrm):
    referrer = joining.join(db, hdcrm, "13800138009")
    alone = joining.join(db, hdcrm, "13800138010")
    buy(db, hdcrm, alone.id)
    assert points(db, referrer.id) == 200
    new = joining.join(db, hdcrm, "13800138011", referrer_id=referrer.id)
    buy(db, hdcrm, new.id)
    assert points(db, referrer.id) == 200 + 50
    assert coupon_templates(db, referrer.id) == ["new-pack-50", "nt-10", "nt-10"]  # sign-up + the referral's


# --- check-in ----------------------------------------------------------------------------------------

def test_checkin_hdcrm_5_once_per_business_date(db, hdcrm, clock):
    m = joining.join(db, hdcrm, "13800138012")
    first = member_bonuses.checkin(db, hdcrm, m.id)
    assert (first.points, first.already, first.balance, first.date) == (5, False, 205, "2026-11-23")
    second = member_bonuses.checkin(db, hdcrm, m.id)
    assert (second.points, second.already, second.balance) == (0, True, 205)
    clock.advance(days=1)
    third = member_bonuses.checkin(db, hdcrm, m.id)
    assert (third.points, third.date, third.balance) == (5, "2026-11-24", 210)
    with db.read() as s:
        assert len(s.scalars(select(AuditEntry).where(AuditEntry.action == "member.checkin")).all()) == 3


def test_checkin_is_per_store(db, hdcrm):
    m = joining.join(db, hdcrm, "13800138013")
    with db.transaction() as s:  # another store's check-in today, pulled: this store's is still due
        ledger.credit(s, uuid.UUID(m.id), "bonus", 5, now=db.clock.now(), expires_at=None, store_code="S999",
                      reason=member_bonuses.checkin_reason(db.clock.today()))
    assert member_bonuses.checkin(db, hdcrm, m.id).points == 5
    assert points(db, m.id) == 210


def test_checkin_without_bonus_is_recorded_with_no_points(db, vancl):
    m = joining.join(db, vancl, "13800138014")
    r = member_bonuses.checkin(db, vancl, m.id)  # vancl: bonuses.checkin = 0
    assert (r.points, r.already, r.balance) == (0, False, 100)


# --- review ------------------------------------------------------------------------------------------

def test_review_hdcrm_10_once_per_sale(db, hdcrm):
    m = joining.join(db, hdcrm, "13800138015")
    receipt = buy(db, hdcrm, m.id)
    before = points(db, m.id)
    award = member_bonuses.add_note(db, hdcrm, m.id, "衣服很好", kind="review", receipt_no=receipt)
    assert (award.points, award.already) == (10, False) and points(db, m.id) == before + 10
    again = member_bonuses.add_note(db, hdcrm, m.id, "再评一次", kind="review", receipt_no=receipt)
    assert again.already and points(db, m.id) == before + 10  # the note is kept, the bonus is not given twice
    assert [n["kind"] for n in members.detail(db, m.id).notes] == ["review", "review"]
    second = buy(db, hdcrm, m.id)
    assert member_bonuses.add_note(db, hdcrm, m.id, "也不错", kind="review", receipt_no=second).points == 10
    assert member_bonuses.add_note(db, hdcrm, m.id, "没有小票", kind="review") is None  # no sale named: no bonus
    with db.read() as s:
        notes = [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.kind == "member.note"))]
    assert notes[0]["receipt_no"] == receipt and notes[0]["kind"] == "review"


def test_review_of_someone_elses_sale_or_an_unknown_receipt_is_refused(db, hdcrm):
    a = joining.join(db, hdcrm, "13800138016")
    b = joining.join(db, hdcrm, "13800138017")
    receipt = buy(db, hdcrm, a.id)
    before = points(db, b.id)
    for ref, code in ((receipt, "review.not_members_sale"), ("S001-NOPE", "return.no_sale")):
        with pytest.raises(DomainError) as exc:
            member_bonuses.add_note(db, hdcrm, b.id, "x", kind="review", receipt_no=ref)
        assert exc.value.code == code
    with pytest.raises(DomainError) as exc:
        member_bonuses.add_note(db, hdcrm, a.id, "x", kind="note", receipt_no=receipt)
    assert exc.value.code == "review.receipt_kind"
    assert points(db, b.id) == before and members.detail(db, b.id).notes == []  # nothing kept of a refusal


# --- the commands ------------------------------------------------------------------------------------

def cli(*args, db, check=0):
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--db", str(db.path), "--json"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert p.returncode == check, (p.stdout, p.stderr)
    return json.loads(p.stdout) if check == 0 else p


def test_cli_member_add_referrer_checkin_and_review(db, hdcrm):
    ref = cli("member", "add", "--phone", "13700137000", db=db)
    assert ref["rewards"]["points"] == 200 and len(ref["rewards"]["coupons"]) == 2
    new = cli("member", "add", "--phone", "13700137001", "--referrer", ref["member_code"], db=db)
    assert new["referrer_id"] == ref["id"]
    got = cli("member", "checkin", new["member_code"], db=db)
    assert (got["points"], got["already"], got["balance"]) == (5, False, 205)
    receipt = buy(db, hdcrm, new["id"])
    assert points(db, ref["id"]) == 250
    note = cli("member", "note", new["member_code"], "好", "--kind", "review", "--receipt", receipt, db=db)
    assert (note["points"], note["already"]) == (10, False)
    p = cli("member", "note", new["member_code"], "x", "--receipt", receipt, db=db, check=2)
    assert p.stderr.count("\n") == 1 and "review.receipt_kind" in p.stderr


def test_cli_member_import_no_rewards(db, vancl, tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("phone\n13600136000\n", encoding="utf-8")
    r = cli("member", "import", str(csv), "--no-rewards", db=db)
    assert (r["created"], r["signup_points"], r["signup_coupons"]) == (1, 0, 0)
