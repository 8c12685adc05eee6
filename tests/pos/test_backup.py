"""Backups of a till that is selling, a backup killed half-way, restores (issue 19 item 1).
Real SQLite files, real processes (a writer committing sales, a backup killed with SIGKILL)."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pos.demo import store as demo
from pos.services import daily, staff
from pos.store import backup as bk
from pos.store.database import open_db

from .test_crash import ROOT, WRITER


def run_main(*args, env=None, check=None):
    e = {**os.environ, "POS_LANG": "en", **(env or {})}
    e.pop("POS_CLOCK", None)
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True, env=e, timeout=180)
    if check is not None:
        assert p.returncode == check, (args, p.stdout, p.stderr)
    return p


def whole_sales(path: Path) -> int:
    """Every sale in the file is whole (lines, payment, its event, the receipt counter); their count."""
    c = sqlite3.connect(path)
    try:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sales = c.execute("SELECT id, receipt_no FROM sales WHERE kind = 'sale'").fetchall()
        for sale_id, _ in sales:
            assert c.execute("SELECT count(*) FROM sale_lines WHERE sale_id = ?", (sale_id,)).fetchone()[0] >= 1
            assert c.execute("SELECT count(*) FROM payments WHERE sale_id = ?", (sale_id,)).fetchone()[0] >= 1
        receipts = {json.loads(r[0])["sale"]["receipt_no"] for r in c.execute(
            "SELECT payload FROM outbox WHERE kind = 'sale.committed'")}
        assert {r for _, r in sales} <= receipts
        return len(sales)
    finally:
        c.close()


@pytest.fixture
def store(tmp_path, clock):
    path = tmp_path / "till.sqlite3"
    db = open_db(path, clock=clock)
    demo.build(db, 200, 20, seed=1)
    db.close()
    return path


def test_backup_while_another_process_sells_is_a_consistent_copy(store, tmp_path, clock):
    proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(store))],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        db = open_db(store, clock=clock)
        got = []
        for _ in range(4):
            time.sleep(0.4)
            got.append(bk.backup(db, to=tmp_path / "copies", keep=10))
        db.close()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    counts = []
    for r in got:
        f = Path(r["file"])
        assert f.name.startswith("S001-01-") and f.name.endswith("Z.sqlite3")
        assert bk.ledger_drift(f) == 0
        assert not Path(str(f) + "-wal").exists()  # one self-contained file
        counts.append(whole_sales(f))
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # the writer kept selling meanwhile
    assert whole_sales(store) >= counts[-1]


def test_keeps_the_last_n_copies_named_by_store_and_time(db, tmp_path):
    made = [bk.backup(db, to=tmp_path / "b", keep=3)["file"] for _ in range(5)]
    left = bk.kept(tmp_path / "b", "S001", "01")
    assert [str(p) for p in left] == made[-3:]
    db.set_setting(bk.KEEP_KEY, 2)
    r = bk.backup(db, to=tmp_path / "b")
    assert r["kept"] == 2 and len(bk.kept(tmp_path / "b", "S001", "01")) == 2
    assert db.settings[bk.LAST_KEY]["file"] == r["file"]


def test_sigkill_mid_backup_leaves_every_kept_copy_restorable(tmp_path, clock):
    path = tmp_path / "till.sqlite3"
    db = open_db(path, clock=clock)
    demo.build(db, 400, 30, seed=2, sales=600)
    copies = tmp_path / "copies"
    first = bk.backup(db, to=copies, keep=5)
    from pos.services import checkout
    from pos.rules.pricing import Tender

    code = sqlite3.connect(path).execute("SELECT barcode FROM product_barcodes LIMIT 1").fetchone()[0]
    co = checkout.Checkout(db)
    co.add(code)
    co.pay([Tender("cash", co.quote().net_fen)])
    second = bk.backup(db, to=copies, keep=5)
    db.close()
    env = {**os.environ, "POS_LANG": "en"}
    env.pop("POS_CLOCK", None)
    for attempt in range(5):  # kill it while its copy is still a .partial
        before = set(copies.iterdir())
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "backup", "--db", str(path), "--to", str(copies),
                                 "--keep", "5"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        killed = False
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if any(p.name.endswith(bk.PARTIAL) for p in copies.iterdir()):
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.001)
        proc.wait()
        if killed:
            break
        for p in set(copies.iterdir()) - before:  # it finished first: try again
            p.unlink()
    assert killed, "the backup always finished before it could be killed"
    assert any(p.name.endswith(bk.PARTIAL) for p in copies.iterdir())
    kept = bk.kept(copies, "S001", "01")
    assert [str(p) for p in kept] == [first["file"], second["file"]]  # the killed one is not taken for a backup
    db = open_db(path, clock=clock)
    third = bk.backup(db, to=copies, keep=5)  # clears what the killed one left
    db.close()
    assert not any(p.name.endswith(bk.PARTIAL) for p in copies.iterdir())
    expected = {first["file"]: 600, second["file"]: 601, third["file"]: 601}
    for f, sales in expected.items():
        got = run_main("restore", f, "--db", str(path), "--json", check=0)
        assert json.loads(got.stdout)["store"] == "S001"
        assert run_main("ledger", "verify", "--db", str(path), check=0).returncode == 0
        c = sqlite3.connect(path)
        assert c.execute("SELECT count(*) FROM sales WHERE kind = 'sale'").fetchone()[0] == sales
        c.close()
    aside = sorted(tmp_path.glob("till.sqlite3.before-restore-*"))
    assert len([p for p in aside if not p.name.endswith(("-wal", "-shm"))]) >= 1  # the replaced databases kept


def test_restore_refuses_garbage_and_another_stores_file(tmp_path, clock, store):
    db = open_db(store, clock=clock)
    mine = bk.backup(db, to=tmp_path / "b")
    db.close()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(8192))
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(Path(mine["file"]).read_bytes()[: 40 * 4096])
    other_path = tmp_path / "other.sqlite3"
    other = open_db(other_path, clock=clock)
    other.set_setting("store_code", "S777")
    theirs = bk.backup(other, to=tmp_path / "o")
    other.close()
    before = whole_sales(store)
    for f, words in ((garbage, "not an SQLite database"), (truncated, "damaged"),
                     (Path(theirs["file"]), "belongs to store S777 register 01; this till is store S001"),
                     (tmp_path / "missing.sqlite3", "no such file")):
        p = run_main("restore", str(f), "--db", str(store))
        assert p.returncode == 2, p.stderr
        assert words in p.stderr and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert whole_sales(store) == before
    assert not list(tmp_path.glob("till.sqlite3.before-restore-*"))  # nothing moved aside


def test_restore_onto_a_new_machine_and_over_a_blank_till(tmp_path, clock, store):
    db = open_db(store, clock=clock)
    r = bk.backup(db, to=tmp_path / "b")
    sales = whole_sales(store)
    db.close()
    fresh = tmp_path / "new" / "store.sqlite3"
    got = bk.restore(r["file"], fresh)  # no database there yet
    assert got["kept_aside"] is None and whole_sales(fresh) == sales
    blank = tmp_path / "blank.sqlite3"
    open_db(blank).close()  # a reinstalled till: default store code, nothing in it
    got = bk.restore(r["file"], blank)
    assert Path(got["kept_aside"]).exists() and whole_sales(blank) == sales
    assert got["resync"] is False  # never enrolled: nothing to fetch from HQ


def test_the_app_backs_up_at_shift_close_and_daily(db):
    from pos.store import program_store

    program_store.ensure_default(db)
    staff.add(db, "C09", "Cashier", "cashier", "1234")
    shift = staff.open_shift(db, "C09", 10000)
    staff.close_shift(db, shift, 10000)
    for t in threading.enumerate():
        if t.name == "backup-shift close":
            t.join(60)
    folder = db.path.parent / "backups"
    assert len(bk.kept(folder, "S001", "01")) == 1
    assert db.settings[bk.LAST_KEY]["reason"] == "shift close"
    r = daily.run_due(db, force=True)
    assert r["backup"] is True and len(bk.kept(folder, "S001", "01")) == 2
    assert db.settings[bk.LAST_KEY]["reason"] == "daily"


def test_restore_refuses_while_the_store_is_open_in_another_program(tmp_path, clock, store):
    db = open_db(store, clock=clock)
    r = bk.backup(db, to=tmp_path / "b")
    db.close()
    holder = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(store))],
                              stdout=subprocess.PIPE, text=True)  # the till app, selling
    try:
        assert holder.stdout.readline().strip() == "ready"
        p = run_main("restore", r["file"], "--db", str(store))
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert p.returncode == 2 and "is open in another program" in p.stderr and "Traceback" not in p.stderr, p.stderr
    assert not list(tmp_path.glob("till.sqlite3.before-restore-*"))
    assert run_main("restore", r["file"], "--db", str(store)).returncode == 0  # once it is closed
