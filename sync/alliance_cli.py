"""`python main.py hq merchant ...`, `hq alliance ...`, `hq member consent` (issue 17: the alliance card).

    python main.py hq merchant add CODE --name NAME              a merchant of the alliance
    python main.py hq merchant list [--json]                     merchants, their stores and active programs
    python main.py hq merchant program publish M FILE [--no-activate]   a merchant's own loyalty program
    python main.py hq alliance program publish FILE [--no-activate]     the alliance's shared rules (coins, fee)
    python main.py hq member consent PHONE --merchant M on|off   the member's choice: M sees their personal fields

The commands, options and JSON fields are a public interface like the rest of the CLI;
errors exit 2 with one line on stderr (1: not found).
"""
from __future__ import annotations

import argparse

from pos.cli.common import out

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

    p = ms.add_parser("consent", parents=[h], help="the member's choice: does a merchant see their personal fields")
    p.add_argument("phone")
    p.add_argument("--merchant", required=True)
    p.add_argument("choice", choices=("on", "off"))
    p.set_defaults(func=cmd_member_consent)

