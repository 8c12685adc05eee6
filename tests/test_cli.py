"""The CLI as host POS systems and store IT use it: real processes, real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pos.demo import store as demo

ROOT = Path(__file__).resolve().parent.parent


def run(*args, db=None, env=None, check=None):
    cmd = [sys.executable, str(ROOT / "main.py"), *args]
    if db is not None:
        cmd += ["--db", str(db)]
    e = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en", **(env or {})}
    p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=120)
    if check is not None:
        assert p.returncode == check, (p.stdout, p.stderr)
    return p


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "store.sqlite3"
    run("demo", "--members", "500", "--products", "40", "--seed", "3", db=db, check=0)
    return db


def test_demo_is_deterministic_and_refuses_a_second_run(store, tmp_path):
    other = tmp_path / "again.sqlite3"
    run("demo", "--members", "500", "--products", "40", "--seed", "3", db=other, check=0)
    a = json.loads(run("member", "find", demo.demo_phone(7, 3)[3:], "--json", db=store, check=0).stdout)
    b = json.loads(run("member", "find", demo.demo_phone(7, 3)[3:], "--json", db=other, check=0).stdout)
    assert a == b and len(a) == 1
    p = run("demo", "--members", "10", db=store, check=2)
    assert "already has 500 members" in p.stderr


def test_member_add_find_show(store):
    p = run("member", "add", "--phone", "+86 138 0013 8000", "--name", "O'Brien\"; DROP TABLE members;--",
            "--gender", "F", "--card", "9123456789", "--json", db=store, check=0)
    added = json.loads(p.stdout)
    assert added["phone_masked"] == "138****8000"
    for query in ("13800138000", "１３８００１３８０００", "9123456789", added["member_code"].lower()):
        found = json.loads(run("member", "find", query, "--json", db=store, check=0).stdout)
        assert [m["id"] for m in found] == [added["id"]], query
    shown = json.loads(run("member", "show", added["member_code"], "--json", db=store, check=0).stdout)
    assert shown["name"] == "O'Brien\"; DROP TABLE members;--"
    assert shown["cards"][0]["card_no"] == "9123456789"
    assert "13800138000" not in json.dumps(shown)  # only the masked phone leaves the store
    last4 = json.loads(run("member", "find", "8000", "--json", db=store, check=0).stdout)
    assert added["id"] in [m["id"] for m in last4]


def test_bad_inputs_exit_non_zero_with_one_line(store):
    p = run("member", "add", "--phone", "1380013800", db=store, check=2)
    assert p.stderr.count("\n") == 1 and "phone.invalid" in p.stderr
    assert "1380013800" not in p.stderr  # the rejected number is echoed masked
    run("member", "add", "--phone", "13800138000", db=store)  # there, whichever test ran first (xdist)
    p = run("member", "add", "--phone", "13800138000", db=store, check=2)
    assert "already belongs to member" in p.stderr
    p = run("member", "find", "13999999999", db=store, check=1)
    assert "no member" in p.stdout
    p = run("member", "add", "--phone", "13700137000", "--birthday", "2999-01-01", db=store, check=2)
    assert "birthday" in p.stderr
    p = run("member", "add", "--phone", "13700137000", "--lang", "zh_CN", "--gender", "X", db=store, check=2)
    assert "gender" in p.stderr and "无效" in p.stderr


def test_member_merge_cli(store):
    a = json.loads(run("member", "add", "--phone", "13600136000", "--name", "甲", "--card", "9000099991", "--json", db=store, check=0).stdout)
    b = json.loads(run("member", "add", "--phone", "13600136001", "--region", "上海", "--card", "9000099992", "--json", db=store, check=0).stdout)
    r = json.loads(run("member", "merge", a["member_code"], b["member_code"], "--actor", "mgr01", "--json", db=store, check=0).stdout)
    assert r["cards_moved"] == 1 and "region" in r["fields_filled"]
    found = json.loads(run("member", "find", "9000099992", "--json", db=store, check=0).stdout)
    assert found[0]["id"] == a["id"]
    found = json.loads(run("member", "find", "13600136001", "--json", db=store, check=0).stdout)
    assert found[0]["id"] == a["id"]  # the merged member's phone answers as the survivor
    run("member", "merge", a["member_code"], a["member_code"], db=store, check=2)
    v = json.loads(run("ledger", "verify", "--json", db=store, check=0).stdout)
    assert v["ok"] is True


def test_catalog_import_all_or_nothing(store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("barcode,name,category,price_fen,kind\n"
                   "6901234567892,洗发水,洗护,3990,regular\n"
                   "6901234567893,坏码,洗护,100,regular\n"
                   "96385074,毛巾,家纺,12.5,regular\n", encoding="utf-8")
    p = run("catalog", "import", str(bad), db=store, check=2)
    assert "line 3: bad barcode" in p.stderr and "line 4: price_fen must be a whole number" in p.stderr
    assert "nothing imported" in p.stderr
    good = tmp_path / "good.csv"
    good.write_text("barcode,name,category,price_fen,kind,member_price_fen\n"
                    "6901234567892,洗发水,洗护,3990,regular,3590\n", encoding="utf-8")
    r = json.loads(run("catalog", "import", str(good), "--json", db=store, check=0).stdout)
    assert r["created"] == 1 and r["ok"]


def test_program_check(tmp_path):
    p = run("program", "check", str(ROOT / "pos/resources/presets/vancl.json"), "--json", check=0)
    assert json.loads(p.stdout)["tiers"] == ["member", "vip", "svip"]
    doc = json.loads((ROOT / "pos/resources/presets/vancl.json").read_text(encoding="utf-8"))
    doc["earn"]["rates"]["special"] = "-0.5"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    p = run("program", "check", str(bad), check=2)
    assert "earn.rates.special" in p.stderr and p.stderr.count("\n") == 1
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    p = run("program", "check", str(broken), check=2)
    assert "not valid JSON" in p.stderr


def test_ledger_verify_reports_and_repairs_drift(store):
    import sqlite3
    conn = sqlite3.connect(store)
    conn.execute("UPDATE member_balances SET points = points + 7 WHERE rowid = 1")
    conn.commit()
    conn.close()
    p = run("ledger", "verify", db=store, check=3)
    assert "drift" in p.stdout
    run("ledger", "verify", "--repair", db=store, check=0)
    run("ledger", "verify", db=store, check=0)


def test_bad_pos_clock(store):
    p = run("member", "find", "8000", db=store, env={"POS_CLOCK": "yesterday"}, check=2)
    assert "POS_CLOCK" in p.stderr
