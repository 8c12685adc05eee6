"""memberpos: `python main.py` opens the till; subcommands do headless work.

    python main.py                      the cashier app on the embedded store
    python main.py demo --members N     deterministic demo data
    python main.py member find QUERY    ... see `python main.py --help`
"""
from __future__ import annotations

import argparse
import sys


class _Version(argparse.Action):
    """`--version`, as argparse's own, the version read only when asked (importlib.metadata
    costs every other command its start-up)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from pos.cli import ops

        formatter = parser._get_formatter()
        formatter.add_text(f"memberpos {ops.version()}")
        parser._print_message(formatter.format_help(), sys.stdout)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    from pos.cli import main as pos_cli
    from devices import cli as devices_cli
    from sync import cli as sync_cli

    parser = argparse.ArgumentParser(prog="main.py", description="Membership companion for the checkout counter")
    parser.add_argument("--db", help="SQLite file of the store (default: user data dir, or $POS_DB)")
    parser.add_argument("--lang", help="zh_CN (default) or en")
    parser.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command")
    app = sub.add_parser("app", help="open the till (the default)")
    app.add_argument("--db", default=argparse.SUPPRESS)
    app.add_argument("--lang", default=argparse.SUPPRESS)
    shot = sub.add_parser("screenshot", help="render a screen offscreen over demo data to a PNG")
    shot.add_argument("--screen", default="checkout", choices=["signin", "checkout", "member", "payment", "returns", "join", "reports",
                                                                "reports-rfm", "reports-pyramid", "reports-churn"])
    shot.add_argument("--lang", default="zh_CN", choices=["zh_CN", "en"])
    shot.add_argument("--out", required=True)
    shot.add_argument("--db", default=argparse.SUPPRESS, help="a store to render (default: a fresh demo store)")
    shot.add_argument("--size", default="1024x768", help="WIDTHxHEIGHT")
    pos_cli.register(sub)
    devices_cli.register(sub)
    sync_cli.register(sub)
    return parser


def _till_args(argv: list[str]) -> argparse.Namespace | None:
    """The till's own options when argv names no subcommand: then the app starts
    (and shows its first window) without loading every command's module first."""
    p = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    p.add_argument("--db")
    p.add_argument("--lang")
    p.add_argument("command", nargs="?")
    try:
        ns, rest = p.parse_known_args(argv)
    except (argparse.ArgumentError, SystemExit):  # the full parser says what is wrong
        return None
    return ns if not rest and ns.command in (None, "app") else None


def _hq_authority(db):
    from sync.authority import HQAuthority  # imported when an enrolled till first asks HQ

    return HQAuthority(db)


def main(argv: list[str] | None = None) -> int:
    from pos.services import hq_port  # light: the app's first window is not delayed

    hq_port.install(_hq_authority)  # an enrolled till asks HQ to hold spending and unmask phones
    till = _till_args(sys.argv[1:] if argv is None else list(argv))
    if till is not None:
        from app.application import run_app

        return run_app(db_path=till.db, lang=till.lang)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in (None, "app"):
        from app.application import run_app

        return run_app(db_path=args.db, lang=args.lang)
    if args.command == "screenshot":
        from app.screenshot import render

        width, _, height = args.size.partition("x")
        print(render(args.screen, args.lang, args.out, getattr(args, "db", None), (int(width), int(height))))
        return 0
    from pos.cli import main as pos_cli
    from pos.logs import run_logged

    global _headless
    _headless = True
    return run_logged(args, pos_cli.run)


_headless = False  # a headless command ran (not the app): see _before_exit


def _before_exit() -> None:
    """A headless command has returned: what is garbage now is collected (and finalized:
    files, connections) once, then everything left — modules, classes, the caches that live
    until exit — is frozen, so the interpreter's shutdown does not walk it again in each of
    its collections (~200 ms of a one-shot command on this machine, a quarter of a
    `checkout --quote`). atexit handlers and the flushing of stdout/stderr run as usual."""
    import gc

    gc.collect()
    gc.freeze()


if __name__ == "__main__":
    import os

    # memberpos uses no pydantic plugin: without this, the first model scans every installed
    # distribution's entry points for one (tens of ms of every command's start-up); set it to override
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = main()
        if _headless:
            _before_exit()
        sys.exit(code)
    except BrokenPipeError:  # `report ... | head`: the reader left early; nothing went wrong here
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
