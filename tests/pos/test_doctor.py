"""`python main.py doctor [--json]`: what IT asks first, with stable field names (issue 19 item 3)."""
from __future__ import annotations

import json
import sqlite3

from pos.cli import ops
from pos.store import backup as bk
from pos.store.database import open_db

from .test_backup import run_main

FIELDS = {"format", "ok", "problems", "version", "python", "platform", "store", "schema", "database", "backup", "sync",
          "devices", "program_version", "clock", "log"}


def test_doctor_json_names_the_state_of_the_till(tmp_path, clock):
    path = tmp_path / "store.sqlite3"
    env = {"POS_DEVICES_CONFIG": str(tmp_path / "devices.json"), "MEMBERPOS_LOG_DIR": str(tmp_path / "log")}
    db = open_db(path, clock=clock)
    from pos.store import program_store
    program_store.ensure_default(db)
    from pos.services import members
    members.register(db, "13912345678")
    members.register(db, "13912345679")
    db.close()
    got = json.loads(run_main("doctor", "--db", str(path), "--json", env=env, check=0).stdout)
    assert FIELDS <= set(got)
    assert got["ok"] is False and any("no backup yet" in p for p in got["problems"])
    assert got["schema"]["up_to_date"] is True and got["schema"]["revision"] == got["schema"]["head"]
    assert got["database"]["path"] == str(path) and got["database"]["bytes"] == path.stat().st_size
    assert got["database"]["free_disk_bytes"] > 0 and got["database"]["wal_bytes"] >= 0
    assert got["backup"] == {"dir": str(tmp_path / "backups"), "keep": bk.KEEP_DEFAULT, "copies": 0, "last": None}
    assert got["sync"]["enrolled"] is False and got["sync"]["events_refused"] == 0
    assert got["store"] == {"code": "S001", "name": "Demo store", "register": "01"}
    assert got["clock"]["timezone"] == "Asia/Shanghai" and got["clock"]["local"].endswith("+08:00")
    assert got["devices"]["state"] == "defaults" and got["devices"]["scanner"] == "wedge"
    assert got["program_version"] and got["log"]["file"] == str(tmp_path / "log" / "memberpos.log")

    # a backup, an event HQ refused and a broken device file: each shows
    run_main("backup", "--db", str(path), env=env, check=0)
    c = sqlite3.connect(path)
    waiting = c.execute("SELECT count(*) FROM outbox WHERE status = 'pending'").fetchone()[0]
    assert waiting >= 2 and got["sync"]["events_waiting"] == waiting
    c.execute("UPDATE outbox SET status = 'rejected' WHERE seq = (SELECT min(seq) FROM outbox)")
    c.commit()
    c.close()
    (tmp_path / "devices.json").write_text("{not json", encoding="utf-8")
    got = json.loads(run_main("doctor", "--db", str(path), "--json", env=env, check=0).stdout)
    assert got["backup"]["copies"] == 1 and got["backup"]["last"]["file"].startswith(str(tmp_path / "backups" / "S001-01-"))
    assert got["sync"]["events_refused"] == 1 and got["sync"]["events_waiting"] == waiting - 1
    assert got["devices"]["state"] == "invalid"
    assert not any("no backup yet" in p for p in got["problems"])
    assert any("refused by HQ" in p for p in got["problems"]) and any("device settings" in p for p in got["problems"])
    text = run_main("doctor", "--db", str(path), env=env, check=0).stdout
    assert "last backup: 20" in text and "1 refused" not in text and "problem: 1 event(s) refused by HQ" in text
    assert ops.report_text(got).splitlines()[0].startswith("memberpos ")


def test_version_is_the_same_in_the_option_and_the_doctor(tmp_path):
    p = run_main("--version", check=0)
    assert p.stdout.strip() == f"memberpos {ops.version()}" and ops.version() != "unknown"
    got = json.loads(run_main("doctor", "--db", str(tmp_path / "s.sqlite3"), "--json", check=0).stdout)
    assert got["version"] == ops.version()
