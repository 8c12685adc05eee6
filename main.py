"""memberpos: `python main.py` opens the till; subcommands do headless work.

    python main.py                      the cashier app on the embedded store
    python main.py demo --members N     deterministic demo data
    python main.py member find QUERY    ... see `python main.py --help`
"""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from pos import cli as pos_cli

    parser = argparse.ArgumentParser(prog="main.py", description="Membership companion for the checkout counter")
    parser.add_argument("--db", help="SQLite file of the store (default: user data dir, or $POS_DB)")
    parser.add_argument("--lang", help="zh_CN (default) or en")
    sub = parser.add_subparsers(dest="command")
    app = sub.add_parser("app", help="open the till (the default)")
    app.add_argument("--db", default=argparse.SUPPRESS)
    app.add_argument("--lang", default=argparse.SUPPRESS)
    pos_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "app"):
        from app.application import run_app

        return run_app(db_path=args.db, lang=args.lang)
    from pos import cli as pos_cli

    return pos_cli.run(args)


if __name__ == "__main__":
    sys.exit(main())
