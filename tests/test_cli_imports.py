"""Headless commands load only their own part (issue 20, start-up): real processes
(`python -X importtime main.py ...`) on a real store file; what each imported is read
from the interpreter's own import log. A host POS calls `checkout --quote` once per
sale: Qt, the HQ server (FastAPI, uvicorn), Alembic (the store is at head), the
reports and the device drivers stay unloaded. The speed itself is a benchmark
(tests/bench/test_cli_start_bench.py), never timed here."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from pos.demo import store as demo
from pos.store.database import open_db

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")

# never in a headless command of the till
NEVER = ("PySide6", "shiboken6", "fastapi", "uvicorn", "starlette", "app", "sync.server", "openpyxl", "segno", "PIL",
         "serial", "requests")
# not in the per-sale path: reports, fuzzy duplicates, migrations of a store already at head, program files in TOML
NOT_PER_SALE = NEVER + ("alembic", "mako", "pos.analytics.reports", "pos.analytics.segments", "pos.analytics.export",
                        "rapidfuzz", "tomllib", "pos.demo", "pos.services.member_import", "pos.services.history_import")
# registering the commands (`--help`) loads no store at all
NOT_FOR_HELP = NOT_PER_SALE + ("sqlalchemy", "pydantic", "pos.store", "pos.services.checkout", "phonenumbers",
                               "importlib.metadata", "devices.config")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("imports") / "store.sqlite3"
    db = open_db(path)
    demo.build(db, 40, 20, 11)
    with db.read() as s:
        code = s.execute(text("SELECT b.barcode FROM product_barcodes b JOIN products p ON p.id = b.product_id "
                              "WHERE p.price_fen BETWEEN 100 AND 100000 ORDER BY b.barcode LIMIT 1")).scalar()
        member = s.execute(text("SELECT member_code FROM members ORDER BY member_code LIMIT 1")).scalar()
    db.close()
    return path, code, member


def imported(*argv: str, stdin: str = "", check: int | None = 0) -> tuple[set[str], subprocess.CompletedProcess]:
    env = {**os.environ, "POS_CLOCK": "2026-11-23T10:00", "POS_LANG": "en"}
    p = subprocess.run([sys.executable, "-X", "importtime", str(ROOT / "main.py"), *argv], input=stdin,
                       capture_output=True, text=True, env=env, timeout=120)
    if check is not None:
        assert p.returncode == check, (p.stdout, [ln for ln in p.stderr.splitlines() if not ln.startswith("import time:")])
    names = {m.group(1) for ln in p.stderr.splitlines() if (m := LINE.match(ln))}
    assert "argparse" in names, "the import log was read"
    return names, p


def loaded(names: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in packages))


def test_help_and_version_load_no_store(store):
    names, p = imported("--help")
    assert "checkout" in p.stdout and "serve" in p.stdout and "argparse" in names
    assert not loaded(names, NOT_FOR_HELP)
    names, p = imported("--version")
    assert p.stdout.startswith("memberpos ") and not loaded(names, NOT_FOR_HELP[:-2])  # the version is a metadata read


def test_a_quote_and_a_sale_load_only_the_sale(store):
    path, code, member = store
    basket = json.dumps({"member": member, "lines": [{"code": code, "qty": 2}],
                         "tenders": [{"type": "cash", "amount_fen": 1_000_000}]})
    names, p = imported("checkout", "--quote", "--json", "--db", str(path), stdin=basket)
    assert json.loads(p.stdout)["receipt_no"] is None
    assert {"sqlalchemy", "pos.services.checkout", "pos.services.host_pos"} <= names  # it did price the basket
    assert not loaded(names, NOT_PER_SALE)
    names, p = imported("checkout", "--json", "--db", str(path), stdin=basket)
    sale = json.loads(p.stdout)
    assert sale["receipt_no"] and not loaded(names, NOT_PER_SALE)
    names, p = imported("return", "--receipt", sale["receipt_no"], "--json", "--db", str(path))
    assert json.loads(p.stdout)["plan"]["receipt_no"] == sale["receipt_no"] and not loaded(names, NOT_PER_SALE)
    names, p = imported("member", "find", member, "--json", "--db", str(path))
    assert json.loads(p.stdout)[0]["member_code"] == member and not loaded(names, NOT_PER_SALE)


def test_reports_and_doctor_load_their_parts_but_never_qt_or_the_hq_server(store):
    path, _, _ = store
    names, p = imported("report", "daily", "--json", "--db", str(path))
    assert "pos.analytics.reports" in names and not loaded(names, NEVER)
    names, p = imported("doctor", "--json", "--db", str(path))
    assert json.loads(p.stdout)["schema"]["up_to_date"] and not loaded(names, NEVER)


def test_alembic_loads_when_a_store_needs_migrating(tmp_path):
    """The other side of the quick head check: a new file is migrated through Alembic."""
    names, p = imported("ledger", "verify", "--json", "--db", str(tmp_path / "new.sqlite3"))
    assert json.loads(p.stdout)["ok"] and "alembic" in names
    names, p = imported("ledger", "verify", "--json", "--db", str(tmp_path / "new.sqlite3"))
    assert "alembic" not in names  # at head now
