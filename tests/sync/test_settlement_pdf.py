"""Issue 17: the settlement and a merchant's statement as a PDF (`hq alliance settle ... --pdf FILE`,
`hq alliance statement M ... --pdf FILE`). A real SQLite HQ with coins earned at the bakery and
redeemed (and refunded) at the supermarket, coupons funded by the pharmacy and by the alliance;
the real CLI writes the PDF; pypdf reads it back: its figures are the --json output's, to the
fen, the same on a second settle of the closed period; Chinese renders; a bad path is one line,
exit 2, no file and nothing closed; without reportlab the same, and no other command imports it."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from pos.loyalty import coins as coin_ledger
from pos.rules import program as pos_program
from sync.server import admin, alliance, settlement_pdf
from sync.server.alliance_models import ALLIANCE
from sync.server.db import HQDatabase

from .conftest import ROOT, run_main
from .test_alliance_settlement import ZONE, fund_coupon, new_member, store

pytest.importorskip("reportlab", reason="the PDF writer: pip install reportlab (hq and test extras)")
pypdf = pytest.importorskip("pypdf", reason="the PDF reader of these tests: pip install pypdf (test extra)")

RULES = pos_program.parse_alliance({"version": "east-1", "name": {"zh": "城东联盟", "en": "East Side Alliance"},
                                    "coins": {"value_fen": 1}, "settlement": {"fee_bps": 200}})
NAMES = {"bakery": "麦香面包", "market": "万家超市", "pharmacy": "康宁药房"}
MARCH = ("2028-03-01", "2028-03-31")
MONEY = re.compile(r"[-+]?\d{1,3}(?:,\d{3})*\.\d{2}(?!\d)")


def at(day: int, month: int = 3, hour: int = 12) -> dt.datetime:
    return dt.datetime(2028, month, day, hour, tzinfo=ZONE).astimezone(dt.timezone.utc)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """An HQ file: three merchants (Chinese names), March's rows and one of April 5."""
    path = tmp_path_factory.mktemp("pdfhq") / "hq.sqlite3"
    db = HQDatabase(f"sqlite:///{path}")
    try:
        rules = path.parent / "alliance.json"
        rules.write_text(json.dumps(pos_program.alliance_json(RULES), ensure_ascii=False), encoding="utf-8")
        alliance.alliance_program_publish(db, str(rules))
        for code, name in NAMES.items():
            alliance.merchant_add(db, code, name)
            admin.store_add(db, store(code), f"{name} 一号店", merchant=code)
        with db.transaction() as s:
            mid = new_member(s, at(1))
            coin_ledger.earn(s, mid, 3000, RULES, now=at(2), merchant="bakery", store="BAK1")
            spent = coin_ledger.spend(s, mid, 1200, RULES, now=at(5), merchant="market", store="MAR1")
            s.flush()
            coin_ledger.refund(s, spent, 200, now=at(6), store="MAR1")  # bakery owes market 1000 coins net
            coin_ledger.spend(s, mid, 100, RULES, now=at(7), merchant="bakery", store="BAK1")  # the bakery's own
            fund_coupon(s, mid, "pharmacy", "market", 200, at(8))
            fund_coupon(s, mid, ALLIANCE, "bakery", 123456, at(9))
            s.flush()
            coin_ledger.spend(s, mid, 300, RULES, now=at(5, month=4), merchant="pharmacy", store="PHA1")
    finally:
        db.close()
    return path


@pytest.fixture
def db(template, tmp_path):
    """A fresh copy per test: settling closes periods for good."""
    path = tmp_path / "hq.sqlite3"
    shutil.copy(template, path)
    return path


def hq(db, *args, check=0):
    return run_main("hq", *args, "--db", str(db), check=check)


def settle(db, *args, period=MARCH, check=0):
    return hq(db, "alliance", "settle", "--from", period[0], "--to", period[1], *args, check=check)


def pdf_text(path) -> str:
    return "\n".join(page.extract_text(extraction_mode="layout") for page in pypdf.PdfReader(str(path)).pages)


def fen(s: str) -> int:
    whole, frac = s.replace(",", "").lstrip("+").split(".")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int(frac))


def figures(text: str, codes) -> tuple[dict, dict]:
    """From the PDF's text: {(debtor, creditor): [fen, ...]} of the pairs table and
    {merchant: [fen, ...]} of the net table, the amounts in the order the row prints them."""
    pairs, merchants = {}, {}
    for line in text.splitlines():
        amounts = MONEY.findall(line)
        if not amounts:
            continue
        words = [w for w in MONEY.sub(" ", line).split() if w in codes]
        if len(words) == 2:
            assert tuple(words) not in pairs, line
            pairs[tuple(words)] = [fen(a) for a in amounts]
        elif len(words) == 1:
            assert words[0] not in merchants, line
            merchants[words[0]] = [fen(a) for a in amounts]
    return pairs, merchants


def json_figures(doc: dict) -> tuple[dict, dict]:
    """The same from --json, in the PDF's column order."""
    pairs = {(p["debtor"], p["creditor"]): [p["total_fen"], p["coins_fen"], p["coupons_fen"], p["adjustments_fen"],
                                            p["fee_fen"]] for p in doc["pairs"]}
    merchants = {m: [b["net_fen"], b["receivable_fen"], b["payable_fen"], b["fee_fen"], b["own_redemptions_fen"]]
                 for m, b in doc["merchants"].items()}
    return pairs, merchants


def test_settle_pdf_holds_the_json_figures(db, tmp_path):
    out = tmp_path / "march.pdf"
    doc = json.loads(settle(db, "--json", "--pdf", str(out)).stdout)
    assert doc["pdf"] == str(out) and doc["closed"] and not doc["already_closed"]
    # the figures themselves, independently of settlement.py: 1000 coins of 1 fen, 2% fee; coupons
    assert {(p["debtor"], p["creditor"]): (p["total_fen"], p["fee_fen"]) for p in doc["pairs"]} == {
        (ALLIANCE, "bakery"): (123456, 0), ("bakery", "market"): (1000, 20), ("pharmacy", "market"): (200, 4)}
    text = pdf_text(out)
    for s in ("12.00", "+12.00", "-2.04", "+1,224.36", "-1,234.32", "1,234.56", "10.00", "0.20", "0.04",
              "bakery", "market", "pharmacy", "main", ALLIANCE, "2028-03-01 .. 2028-03-31", "Asia/Shanghai", "2.00%",
              "east-1", doc["id"], doc["closed_at"]):
        assert s in text, s
    # Chinese renders (CID font): headings first in Chinese, then English; the merchants' names
    for s in ("联盟结算单 Alliance settlement statement", "各商户净额 Net per merchant", "已结 closed",
              "麦香面包", "万家超市", "康宁药房", "联盟运营方"):
        assert s in text, s
    assert "closed before" not in text
    pairs, merchants = figures(text, set(doc["merchants"]))
    assert (pairs, merchants) == json_figures(doc)
    assert merchants["market"][0] == 1200 and merchants["pharmacy"][0] == -204  # "+12.00", "-2.04"
    totals = doc["totals"]
    for label, key in (("跨商户金额 Cross-merchant", "cross_fen"), ("手续费 Fees", "fees_fen"),
                       ("净额合计 Net sum", "net_sum_fen")):
        line = next(ln for ln in text.splitlines() if label in ln)
        assert [fen(a) for a in MONEY.findall(line)] == [totals[key]], line
    assert sorted(os.listdir(tmp_path)) == ["hq.sqlite3", "march.pdf"]  # no temp file left


def test_settling_the_closed_period_again_writes_the_same_figures(db, tmp_path):
    first, again, sheet = tmp_path / "first.pdf", tmp_path / "again.pdf", tmp_path / "again.xlsx"
    p = settle(db, "--pdf", str(first))
    assert p.stdout.rstrip().endswith(f"written to {first}") and "closed before" not in p.stdout
    p = settle(db, "--pdf", str(again), "--xlsx", str(sheet))  # --pdf with --xlsx: both written
    assert "(closed before)" in p.stdout and f"written to {sheet}\nwritten to {again}" in p.stdout
    doc = json.loads(settle(db, "--json").stdout)
    assert doc["already_closed"]
    codes = set(doc["merchants"])
    a, b = pdf_text(first), pdf_text(again)
    assert figures(a, codes) == figures(b, codes) == json_figures(doc)
    assert "此前已结 closed before" in b and "closed before" not in a
    assert doc["id"] in a and doc["id"] in b  # the one closed statement, twice
    from openpyxl import load_workbook

    rows = list(load_workbook(sheet)["pairs"].iter_rows(min_row=2, values_only=True))
    assert {(r[0], r[1]): r[5] for r in rows} == {k: v[0] for k, v in json_figures(doc)[0].items()}


def one_line_error(p: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_an_unwritable_pdf_path_is_one_line_exit_2_no_file_and_nothing_closed(db, tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "march.pdf"
    err = one_line_error(settle(db, "--pdf", str(missing), check=2))
    assert err.startswith(f"error: cannot write {missing}:") and "no such directory" in err
    assert not missing.parent.exists() and not (tmp_path / "no").exists()
    err = one_line_error(settle(db, "--pdf", str(tmp_path), check=2))  # a directory, not a file
    assert err == f"error: cannot write {tmp_path}: it is a directory"
    err = one_line_error(hq(db, "alliance", "statement", "bakery", "--from", MARCH[0], "--to", MARCH[1],
                            "--pdf", str(missing), check=2))
    assert "cannot write" in err and not missing.parent.exists()
    # the period was not closed by the commands that failed
    assert json.loads(settle(db, "--json").stdout)["already_closed"] is False
    assert sorted(os.listdir(tmp_path)) == ["hq.sqlite3"]


def test_write_is_atomic(tmp_path):
    target = tmp_path / "s.pdf"
    target.write_bytes(b"old")
    settlement_pdf.write(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError):  # os.replace onto a directory fails: no half file, no temp file left
        settlement_pdf.write(tmp_path / "d", b"%PDF-x")
    assert sorted(os.listdir(tmp_path)) == ["d", "s.pdf"] and os.listdir(tmp_path / "d") == []
    with pytest.raises(FileNotFoundError):
        settlement_pdf.write(tmp_path / "nope" / "s.pdf", b"%PDF-x")
    assert sorted(os.listdir(tmp_path)) == ["d", "s.pdf"]


def test_statement_pdf_periods_nets_and_rows(db, tmp_path):
    settle(db)  # March closed; April 5's row is the open preview
    out = tmp_path / "bakery.pdf"
    doc = json.loads(hq(db, "alliance", "statement", "bakery", "--from", "2028-03-01", "--to", "2028-04-30",
                        "--json", "--pdf", str(out)).stdout)
    assert doc["pdf"] == str(out)
    assert [(p["period"]["from"], p["period"]["to"], p["closed"], p["account"]["net_fen"])
            for p in doc["periods"] + [doc["open"]]] == [("2028-03-01", "2028-03-31", True, 122436),
                                                          ("2028-04-01", "2028-04-30", False, -306)]
    text = pdf_text(out)
    for s in ("商户结算明细 Merchant settlement statement", "bakery 麦香面包", "2028-03-01 .. 2028-04-30",
              "2028-03-01 .. 2028-03-31 (Asia/Shanghai) 已结 closed",
              "2028-04-01 .. 2028-04-30 (Asia/Shanghai) 未结预览 open (not closed)", "+1,224.36", "-3.06",
              "2028-03-05 12:00:00", "2028-04-05 12:00:00"):  # the rows' times in the period's zone (noon)
        assert s in text, s
    # each period's net line and each row (kind, store, issuer -> redeemer, amount), as --json has them
    nets = [fen(MONEY.findall(ln)[0]) for ln in text.splitlines() if ln.strip().endswith("2.00%")]
    assert nets == [p["account"]["net_fen"] for p in doc["periods"] + [doc["open"]]]
    row = re.compile(r"(coins_spend|coins_refund|coupon)\s+(\S+)\s+(\S+) -> (\S+)\s+(-?\d+)\s+(" + MONEY.pattern + ")")
    got = sorted(m.groups()[:5] + (fen(m.group(6)),) for m in map(row.search, text.splitlines()) if m)
    want = sorted((e["kind"], e["store"], e["debtor"], e["creditor"], str(e["coins"]), e["amount_fen"])
                  for p in doc["periods"] + [doc["open"]] for e in p["entries"])
    # March: the spend and refund at the market, the own spend, the alliance's coupon; April: the pharmacy's spend
    assert got == want and len(want) == 5
    assert ("coins_refund", "MAR1", "bakery", "market", "-200", -200) in want
    # the text output says where it wrote
    p = hq(db, "alliance", "statement", "bakery", "--from", "2028-03-01", "--to", "2028-04-30",
           "--pdf", str(tmp_path / "again.pdf"))
    assert p.stdout.rstrip().endswith(f"written to {tmp_path / 'again.pdf'}")
    assert (tmp_path / "again.pdf").read_bytes() == out.read_bytes()  # the same dict, the same bytes


def in_process(db, *args, block_reportlab: bool) -> subprocess.CompletedProcess:
    """main.main() in a fresh interpreter; stderr's last line says whether reportlab was imported."""
    code = ("import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            + ("sys.modules['reportlab'] = None\n" if block_reportlab else "") +
            "import main\n"
            f"rc = main.main({['hq', *args, '--db', str(db)]!r})\n"
            "print('reportlab imported:', sys.modules.get('reportlab') is not None, file=sys.stderr)\n"
            "sys.exit(rc)\n")
    env = {**os.environ, "POS_LANG": "en"}
    env.pop("POS_CLOCK", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)


def test_without_reportlab_pdf_is_refused_and_other_commands_never_import_it(db, tmp_path):
    out = tmp_path / "march.pdf"
    p = in_process(db, "alliance", "settle", "--from", MARCH[0], "--to", MARCH[1], "--pdf", str(out),
                   block_reportlab=True)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines() == ['error: --pdf needs reportlab (pip install "memberpos[hq]")',
                                     "reportlab imported: False"]
    assert not out.exists()
    p = in_process(db, "alliance", "settle", "--from", MARCH[0], "--to", MARCH[1], "--json", block_reportlab=False)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["already_closed"] is False  # the refused --pdf closed nothing
    assert p.stderr.splitlines()[-1] == "reportlab imported: False"
    p = in_process(db, "alliance", "statement", "bakery", "--from", MARCH[0], "--to", MARCH[1], "--json",
                   block_reportlab=False)
    assert p.returncode == 0 and p.stderr.splitlines()[-1] == "reportlab imported: False"
    p = in_process(db, "alliance", "settle", "--from", MARCH[0], "--to", MARCH[1], "--pdf", str(out),
                   block_reportlab=False)
    assert p.returncode == 0 and p.stderr.splitlines()[-1] == "reportlab imported: True" and out.exists()
