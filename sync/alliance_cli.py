"""`python main.py hq merchant ...`, `hq alliance ...`, `hq member consent` (issue 17: the alliance card).

    python main.py hq merchant add CODE --name NAME              a merchant of the alliance
    python main.py hq merchant list [--json]                     merchants, their stores and active programs
    python main.py hq merchant program publish M FILE [--no-activate]   a merchant's own loyalty program
    python main.py hq alliance program publish FILE [--no-activate]     the alliance's shared rules (coins, fee)
    python main.py hq alliance settle --from D --to D [--tz Z] [--json] [--xlsx FILE] [--pdf FILE]
                                                                 close a settlement period
    python main.py hq alliance statement M --from D --to D [--tz Z] [--json] [--pdf FILE]
                                                                 one merchant's statement, with its rows
    python main.py hq alliance expire [--date D] [--tz Z] [--json]   coin lots past their expiry (idempotent)
    python main.py hq alliance coins PHONE [--json]              a member's coins, by issuer
    python main.py hq alliance coupon PHONE --template T --funded-by M|ALLIANCE [--days N]   a funded coupon
    python main.py hq member consent PHONE --merchant M on|off   the member's choice: M sees their personal fields

The commands, options and JSON fields are a public interface like the rest of the CLI;
errors exit 2 with one line on stderr (1: not found).
"""
from __future__ import annotations

import argparse
import os

from pos.cli.common import CliError, out, parse_date

from .cli import _admin, _hq


@_admin
def cmd_merchant_add(args) -> int:
    from .server import alliance

    got = alliance.merchant_add(_hq(args), args.code, args.name)
    out(args, got, f"merchant {got['merchant']} ({got['name']})" + ("" if got["created"] else ": already there"))
    return 0


@_admin
def cmd_merchant_list(args) -> int:
    from .server import alliance

    got = alliance.merchant_list(_hq(args))
    out(args, got, lambda: "\n".join(f"{m['merchant']}  {m['name']}  stores: {', '.join(m['stores']) or '-'}  "
                                     f"program: {m['program'] or '-'}" for m in got) or "no merchants")
    return 0


@_admin
def cmd_merchant_program_publish(args) -> int:
    from .server import admin

    got = admin.program_publish(_hq(args), args.file, activate=not args.no_activate, merchant=args.merchant)
    out(args, got, f"published {got['version']} for merchant {got['merchant']}" + (" (active)" if got["active"] else ""))
    return 0


@_admin
def cmd_alliance_program_publish(args) -> int:
    from .server import alliance

    got = alliance.alliance_program_publish(_hq(args), args.file, activate=not args.no_activate)
    c = got["coins"]
    out(args, got, f"published alliance rules {got['version']}" + (" (active)" if got["active"] else "") +
        f": 1 coin = {c['value_fen']} fen, merchants earn at most {c['earn_per_yuan_max']} coins per yuan, "
        f"coins pay at most {c['pay_pct_max']}% of a sale, lots live {c['expiry_days']} days, "
        f"fee {got['settlement']['fee_bps'] / 100:.2f}% of cross-merchant value")
    return 0


@_admin
def cmd_member_consent(args) -> int:
    from .server import alliance

    got = alliance.consent_set(_hq(args), args.phone, args.merchant, args.choice == "on")
    out(args, got, f"member {got['member_code']} ({got['phone_masked']}): merchant {got['merchant']} "
                   + ("sees the member's personal fields" if got["consent"] else "sees the card and shared balances only"))
    return 0


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _net(fen: int) -> str:
    """A net: + receives, - pays."""
    return f"{fen / 100:+,.2f}"


def _settle_call(fn, *args, **kw):
    from .server.settlement import SettlementError

    try:
        return fn(*args, **kw)
    except SettlementError as exc:
        raise CliError(str(exc), 1 if exc.status == 404 else 2) from None


def settlement_text(doc: dict) -> str:
    p = doc["period"]
    lines = [f"alliance settlement {p['from']} .. {p['to']} ({p['tz']}), fee {doc['fee_bps'] / 100:.2f}%"
             + (" — closed" if doc.get("closed") else "") + (" (closed before)" if doc.get("already_closed") else "")]
    for r in doc["pairs"]:
        lines.append(f"  {r['debtor']} owes {r['creditor']}: {_yuan(r['total_fen'])} yuan (coins {_yuan(r['coins_fen'])}, "
                     f"coupons {_yuan(r['coupons_fen'])}" + (f", adjustments {_yuan(r['adjustments_fen'])}"
                                                           if r['adjustments_fen'] else "") +
                     f"), fee {_yuan(r['fee_fen'])}")
    lines.append("  net per merchant (+ receives, - pays):")
    for m, b in doc["merchants"].items():
        lines.append(f"    {m:<10} {_net(b['net_fen']):>12}  (receivable {_yuan(b['receivable_fen'])}, payable "
                     f"{_yuan(b['payable_fen'])}, fee {_yuan(b['fee_fen'])})")
    return "\n".join(lines)


def _xlsx(doc: dict, path: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "pairs"
    ws.append(["debtor", "creditor", "coins_fen", "coupons_fen", "adjustments_fen", "total_fen", "fee_fen"])
    for r in doc["pairs"]:
        ws.append([r["debtor"], r["creditor"], r["coins_fen"], r["coupons_fen"], r["adjustments_fen"], r["total_fen"],
                   r["fee_fen"]])
    ws = wb.create_sheet("merchants")
    ws.append(["merchant", "receivable_fen", "payable_fen", "fee_fen", "net_fen", "own_redemptions_fen"])
    for m, b in doc["merchants"].items():
        ws.append([m, b["receivable_fen"], b["payable_fen"], b["fee_fen"], b["net_fen"], b["own_redemptions_fen"]])
    try:
        wb.save(path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _pdf_ready(path: str | None) -> None:
    """Before anything is closed: reportlab is there and the file's directory takes a new file
    (so a typo in --pdf does not close the period and then fail)."""
    if not path:
        return
    from .server import settlement_pdf

    try:
        settlement_pdf.require()
    except settlement_pdf.PdfUnavailable as exc:
        raise CliError(str(exc)) from None
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"cannot write {path}: no such directory {directory}")
    if os.path.isdir(path):
        raise CliError(f"cannot write {path}: it is a directory")
    if not os.access(directory, os.W_OK):
        raise CliError(f"cannot write {path}: the directory {directory} is not writable")


def _pdf(render: str, hq, doc: dict, path: str, hint: str = "") -> None:
    """`doc` (the dict --json prints) rendered by settlement_pdf.<render>, written atomically."""
    from .server import alliance, settlement_pdf

    names = {m["merchant"]: m["name"] for m in alliance.merchant_list(hq)}
    data = getattr(settlement_pdf, render)(doc, names)
    try:
        settlement_pdf.write(path, data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}{hint}") from None


def _written(*paths: str | None) -> str:
    return "".join(f"\nwritten to {p}" for p in paths if p)


def cmd_alliance_settle(args) -> int:
    from .server import settlement

    _pdf_ready(args.pdf)
    hq = _hq(args)
    got = _settle_call(settlement.settle, hq, parse_date(getattr(args, "from")), parse_date(args.to), args.tz)
    if args.pdf:  # from the dict as settled, before the file names are added to it
        _pdf("settlement_pdf", hq, got, args.pdf,
             "" if got["already_closed"] else " (the period is closed: the same settle again writes the file)")
    if args.xlsx:
        _xlsx(got, args.xlsx)
        got["xlsx"] = args.xlsx
    if args.pdf:
        got["pdf"] = args.pdf
    out(args, got, lambda: settlement_text(got) + _written(args.xlsx, args.pdf))
    return 0


def cmd_alliance_statement(args) -> int:
    from .server import settlement

    _pdf_ready(args.pdf)
    hq = _hq(args)
    got = _settle_call(settlement.statement, hq, args.merchant, parse_date(getattr(args, "from")),
                       parse_date(args.to), args.tz)
    if args.pdf:
        _pdf("statement_pdf", hq, got, args.pdf)
        got["pdf"] = args.pdf

    def text() -> str:
        lines = [f"statement of {got['merchant']} {got['from']} .. {got['to']}"]
        for p in got["periods"] + ([got["open"]] if got["open"] else []):
            a = p["account"]
            lines.append(f"  {p['period']['from']} .. {p['period']['to']} {'closed' if p['closed'] else 'open (not closed)'}: "
                         f"net {_net(a['net_fen'])} (receivable {_yuan(a['receivable_fen'])}, payable "
                         f"{_yuan(a['payable_fen'])}, fee {_yuan(a['fee_fen'])}), {len(p['entries'])} row(s)")
        return "\n".join(lines) + _written(args.pdf)

    out(args, got, text)
    return 0


@_admin
def cmd_alliance_expire(args) -> int:
    import datetime as dt

    from .server import alliance

    day = parse_date(args.date) if args.date else dt.date.today()
    got = alliance.coins_expire(_hq(args), day, args.tz)
    out(args, got, f"{got['day']}: {got['coins']} coins of {got['lots']} lot(s) expired for {got['members']} member(s); "
                   "the tills get them with their next sync")
    return 0


@_admin
def cmd_alliance_coins(args) -> int:
    from .server import alliance

    got = alliance.member_coins(_hq(args), args.phone)
    out(args, got, f"{got['member_code']} ({got['phone_masked']}): {got['coins']} coins, {got['spendable']} spendable; "
                   "by issuer: " + (", ".join(f"{k} {v}" for k, v in got["lots_by_issuer"].items()) or "-"))
    return 0


@_admin
def cmd_alliance_coupon(args) -> int:
    from .server import alliance

    got = alliance.coupon_issue(_hq(args), args.phone, args.template, args.funded_by, days=args.days)
    out(args, got, f"coupon {got['code']} ({got['template']}) for {got['member_code']} ({got['phone_masked']}), "
                   f"funded by {got['funded_by']}, valid until {got['valid_to'][:10]}, taken at: {', '.join(got['merchants'])}")
    return 0


def register(hs: argparse._SubParsersAction, ms: argparse._SubParsersAction, h: argparse.ArgumentParser) -> None:
    """Under `hq` (`hs`) and `hq member` (`ms`); `h` carries --db and --json."""
    mp = hs.add_parser("merchant", help="the alliance's merchants (issue 17)")
    mps = mp.add_subparsers(dest="merchant_cmd", required=True)
    p = mps.add_parser("add", parents=[h], help="add a merchant to the alliance")
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_merchant_add)
    p = mps.add_parser("list", parents=[h], help="merchants, their stores and active programs")
    p.set_defaults(func=cmd_merchant_list)
    pp = mps.add_parser("program", help="a merchant's own loyalty program")
    pps = pp.add_subparsers(dest="merchant_program_cmd", required=True)
    p = pps.add_parser("publish", parents=[h], help="publish (and activate) a program file for the merchant's stores")
    p.add_argument("merchant")
    p.add_argument("file")
    p.add_argument("--no-activate", action="store_true")
    p.set_defaults(func=cmd_merchant_program_publish)

    ap = hs.add_parser("alliance", help="the alliance's shared rules, coins and settlement (issue 17)")
    aps = ap.add_subparsers(dest="alliance_cmd", required=True)
    pp = aps.add_parser("program", help="the alliance's shared rules")
    pps = pp.add_subparsers(dest="alliance_program_cmd", required=True)
    p = pps.add_parser("publish", parents=[h], help="publish (and activate) the alliance's rules: coins, caps, fee")
    p.add_argument("file")
    p.add_argument("--no-activate", action="store_true")
    p.set_defaults(func=cmd_alliance_program_publish)
    p = aps.add_parser("settle", parents=[h], help="close a settlement period: per merchant pair, fee, net per merchant")
    p.add_argument("--from", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--tz", default="Asia/Shanghai")
    p.add_argument("--xlsx", help="also write the statement to this .xlsx file")
    p.add_argument("--pdf", help="also write the statement to this PDF file (needs reportlab)")
    p.set_defaults(func=cmd_alliance_settle)
    p = aps.add_parser("statement", parents=[h], help="one merchant's statement with the rows underneath")
    p.add_argument("merchant")
    p.add_argument("--from", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--tz", default="Asia/Shanghai")
    p.add_argument("--pdf", help="also write the statement and its rows to this PDF file (needs reportlab)")
    p.set_defaults(func=cmd_alliance_statement)
    p = aps.add_parser("expire", parents=[h], help="coin lots past their expiry (idempotent)")
    p.add_argument("--date")
    p.add_argument("--tz", default="Asia/Shanghai")
    p.set_defaults(func=cmd_alliance_expire)
    p = aps.add_parser("coupon", parents=[h], help="a coupon for one member, funded by a merchant or ALLIANCE")
    p.add_argument("phone")
    p.add_argument("--template", required=True)
    p.add_argument("--funded-by", required=True, help="the paying merchant's code, or ALLIANCE")
    p.add_argument("--days", type=int, default=30)
    p.set_defaults(func=cmd_alliance_coupon)
    p = aps.add_parser("coins", parents=[h], help="a member's shared coins, by issuing merchant")
    p.add_argument("phone")
    p.set_defaults(func=cmd_alliance_coins)

    p = ms.add_parser("consent", parents=[h], help="the member's choice: does a merchant see their personal fields")
    p.add_argument("phone")
    p.add_argument("--merchant", required=True)
    p.add_argument("choice", choices=("on", "off"))
    p.set_defaults(func=cmd_member_consent)

