"""Tier calibration (issue 15 §4): thresholds that size tiers 60 / 30 / 10 % of members
by spend, on a generated long-tailed distribution, within 1 percentage point."""
from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pos.analytics import calibration
from pos.errors import DomainError
from pos.rules import program
from pos.services import history_import, member_import
from pos.store import program_store

ROOT = Path(__file__).resolve().parents[2]
N = 1200


def _store(db, tmp_path, doc=None, seed=3):
    if doc is None:
        program_store.ensure_default(db)
    else:
        program_store.install(db, doc)
    rng = random.Random(seed)
    (tmp_path / "m.csv").write_text("phone,external_id\n" + "".join(f"1380{i:07d},E{i}\n" for i in range(N)),
                                    encoding="utf-8")
    assert member_import.import_csv(db, tmp_path / "m.csv").ok
    rows = ["receipt_no,sold_at,member,sku,qty,amount_fen"]
    day = db.clock.today()
    for i in range(N):
        if rng.random() < 0.25:
            continue  # a quarter never bought in the window
        for k in range(int(rng.paretovariate(2.0))):  # most buy once, a few often
            when = day - dt.timedelta(days=rng.randrange(1, 300))
            amount = int(rng.lognormvariate(9.5, 1.1))  # median ~130 yuan, a long tail
            rows.append(f"C{i}-{k},{when} 12:00,E{i},SKU1,1,{max(amount, 100)}")
    (tmp_path / "h.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = history_import.import_csv(db, tmp_path / "h.csv", points="none")
    assert r.ok, r.errors[:3]
    return db


def test_cumulative_proposal_hits_the_target(db, tmp_path):
    _store(db, tmp_path)
    p = calibration.propose(db, (60, 30, 10), 365)
    assert p.members == N
    got = [p.proposed["by_spend"][c]["share_pct"] for c in p.tiers]
    assert all(abs(g - t) <= 1.0 for g, t in zip(got, (60, 30, 10))), got
    # in the program's terms: the first upgrade is the first threshold, the next the spend beyond it
    th = list(p.proposed["thresholds_fen"].values())
    levels = p.proposed["program"]["levels"]
    assert levels[1]["upgrade_spend_fen"] == th[0] and levels[2]["upgrade_spend_fen"] == th[1] - th[0]
    # today's Vancl thresholds (2,000 and +2,500 yuan) on the same spend: the manager sees where they stand
    today = p.current["by_spend"]
    assert sum(d["members"] for d in today.values()) == N
    assert p.current["thresholds_fen"] == {"vip": 200000, "svip": 450000}
    assert p.moves["up"] + p.moves["down"] + p.moves["same"] == N
    # everyone was imported at the base tier: those the proposal lifts move up, nobody down
    assert p.moves["down"] == 0
    assert p.moves["up"] == p.proposed["by_spend"]["vip"]["members"] + p.proposed["by_spend"]["svip"]["members"]


def test_apply_installs_a_version_the_tiers_use(db, tmp_path):
    _store(db, tmp_path)
    before = program_store.active(db).version
    p = calibration.propose(db, (70, 20, 10), 180)
    version = calibration.apply(db, p)
    doc = program_store.active(db)
    assert doc.version == version != before
    assert [lv.upgrade_spend_fen for lv in doc.tiers.levels[1:]] == [
        lv["upgrade_spend_fen"] for lv in p.proposed["program"]["levels"][1:]]


def test_window_program_and_bad_targets(db, tmp_path):
    _store(db, tmp_path, program.preset("hdcrm"))
    tiers = program_store.active(db).tiers
    assert tiers.qualification == "window"
    n = len(tiers.levels)
    target = tuple([100 - 10 * (n - 1)] + [10] * (n - 1))
    p = calibration.propose(db, target, 365)
    got = [p.proposed["by_spend"][c]["share_pct"] for c in p.tiers]
    assert all(abs(g - t) <= 1.0 for g, t in zip(got, target)), got
    spends = [lv["window_spend_fen"] for lv in p.proposed["program"]["levels"][1:]]
    assert spends == sorted(spends) and spends == list(p.proposed["thresholds_fen"].values())
    for bad in ("60/30", "50/30/30", "a/b/c", "100/0/0"):
        with pytest.raises(DomainError):
            calibration.parse_target(bad, 3)


def test_cli(tmp_path):
    db = tmp_path / "cli.sqlite3"
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "main.py"), "--db", str(db), *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=180)
    assert run("program", "install", str(ROOT / "pos" / "resources" / "presets" / "vancl.json")).returncode == 0
    (tmp_path / "m.csv").write_text("phone,external_id\n" + "".join(f"1380{i:07d},E{i}\n" for i in range(50)),
                                    encoding="utf-8")
    assert run("member", "import", str(tmp_path / "m.csv")).returncode == 0
    (tmp_path / "h.csv").write_text("receipt_no,sold_at,member,sku,qty,amount_fen\n" + "".join(
        f"R{i},2026-10-01 12:00,E{i},S,1,{(i + 1) * 1000}\n" for i in range(50)), encoding="utf-8")
    assert run("history", "import", str(tmp_path / "h.csv")).returncode == 0
    out = run("tiers", "calibrate", "--target", "60/30/10", "--window", "365d", "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["proposed"]["by_spend"]["svip"]["members"] == 5 and body["applied_version"] is None
    bad = run("tiers", "calibrate", "--target", "90/20")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    applied = run("tiers", "calibrate", "--apply", "--json")
    assert applied.returncode == 0 and json.loads(applied.stdout)["applied_version"]
