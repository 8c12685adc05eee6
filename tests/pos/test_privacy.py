"""A member's rights (SPEC §12; issue 15 §5): export everything, erase the person
while ledgers and sales stay for accounting, anonymous."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pos.demo.store import ean13
from pos.errors import DomainError
from pos.loyalty import ledger
from pos.services import members, privacy
from pos.services.catalog import import_csv
from pos.services.checkout import Checkout, Tender
from pos.store import program_store
from pos.store.models import AuditEntry, Member, MemberCard, OutboxEvent, Sale

ROOT = Path(__file__).resolve().parents[2]
TEE = ean13("690555000004")


@pytest.fixture
def shopper(db, tmp_path):
    program_store.ensure_default(db)
    (tmp_path / "c.csv").write_text(f"barcode,name,category,price_fen,kind\n{TEE},T恤,服装,10000,regular\n",
                                    encoding="utf-8")
    assert import_csv(db, tmp_path / "c.csv").ok
    m = members.register(db, "13800138000", name="王小明", gender="M", region="上海", card_no="C0001",
                         tags=["常客"], marketing_consent=True)
    members.add_note(db, m.id, "喜欢蓝色", kind="note", actor="C01")
    co = Checkout(db)
    co.add(TEE, 2)
    co.attach_member_id(m.id)
    sale = co.pay([Tender("cash", co.quote().net_fen)])
    return m, sale


def test_export_holds_everything(db, shopper):
    m, sale = shopper
    doc = privacy.export(db, m.id)
    assert doc["member"]["name"] == "王小明" and doc["member"]["phone"] == "+8613800138000"
    assert [c["card_no"] for c in doc["cards"]] == ["C0001"] and doc["tags"] == ["常客"]
    assert doc["notes"][0]["text"] == "喜欢蓝色"
    assert [x["receipt_no"] for x in doc["sales"]] == [sale.receipt_no]
    assert doc["sales"][0]["lines"][0]["name"] == "T恤"
    assert doc["points"]["balance"] == sale.points["earned"] > 0
    assert sum(e["points"] for e in doc["points"]["entries"]) == doc["points"]["balance"]
    json.dumps(doc, ensure_ascii=False)  # one JSON document


def test_erase_removes_the_person_and_keeps_the_books(db, shopper):
    m, sale = shopper
    mid = uuid.UUID(m.id)
    with db.read() as s:
        points_before = ledger.points_balance(s, mid)
    r = privacy.erase(db, m.id, actor="M01")
    assert (r["cards_retired"], r["tags_removed"], r["notes_removed"]) == (1, 1, 1)
    with db.read() as s:
        row = s.get(Member, mid)
        assert row.status == "erased" and row.member_code == m.member_code
        assert all(getattr(row, c) is None for c in privacy.PERSONAL)
        assert (row.phone, row.phone_hash, row.phone_last4, row.phone_masked, row.marketing_consent) == (
            None, None, None, None, False)
        assert s.scalar(select(MemberCard.card_no).where(MemberCard.member_id == mid)) != "C0001"
        assert s.scalar(select(Sale.member_id).where(Sale.receipt_no == sale.receipt_no)) == mid  # the books stay
        assert ledger.points_balance(s, mid) == points_before and ledger.find_drift(s) == []
        assert s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.kind == "member.erased")) == 1
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "member.erase")) == "M01"
    idx = members.MemberIndex(str(db.path))
    assert idx.by_phone("13800138000") == [] and idx.by_card("C0001") == [] and idx.by_code(m.member_code) == []
    assert idx.by_last4("8000") == []
    with pytest.raises(DomainError) as exc:
        privacy.erase(db, m.id, actor="M01")
    assert exc.value.code == "member.erased"
    with pytest.raises(DomainError):
        members.update_profile(db, m.id, name="又来了")
    again = members.register(db, "13800138000")  # the person may join again, as someone new
    assert again.id != m.id
    assert privacy.export(db, m.id)["member"]["name"] is None


def test_cli_needs_yes(tmp_path):
    db = tmp_path / "cli.sqlite3"
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db), *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    assert run("member", "add", "--phone", "13900139000", "--name", "李红").returncode == 0
    out = run("member", "export", "13900139000", "--out", str(tmp_path / "me.json"))
    assert out.returncode == 0 and json.loads((tmp_path / "me.json").read_text(encoding="utf-8"))["member"]["name"] == "李红"
    no = run("member", "erase", "13900139000")
    assert no.returncode != 0 and "--yes" in no.stderr
    yes = run("member", "erase", "13900139000", "--yes", "--json")
    assert yes.returncode == 0 and json.loads(yes.stdout)["status"] == "erased"
    gone = run("member", "show", "13900139000")
    assert gone.returncode != 0 and "Traceback" not in gone.stderr
