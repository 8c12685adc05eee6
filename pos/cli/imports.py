"""Bringing a chain in: `member import`, `history import`, `daily --since` (issue 15)."""
from __future__ import annotations

import sys


def cmd_member_import(args) -> int:
    from pos.cli.common import db_of, import_out
    from pos.rules.money import yuan
    from pos.services import member_import

    db = db_of(args)
    r = member_import.import_csv(db, args.file, duplicates=args.duplicates, dry_run=args.dry_run, actor=args.actor,
                                 rewards=not args.no_rewards)
    return import_out(args, r, lambda: (
        f"{'would import' if r.dry_run else 'imported'} {r.rows} row(s): {r.created} new, {r.updated} updated, "
        f"{r.unchanged} unchanged, {r.merged} merged; opening points {r.points_fen}, "
        f"opening stored value {yuan(r.stored_value_fen)} yuan" + (" (dry run: nothing written)" if r.dry_run else "")))


def register_member(ms, common) -> None:
    """`member import` under the `member` command."""
    from pos.services.import_formats import COLUMNS, DUPLICATES

    p = ms.add_parser("import", parents=[common],
                      help=f"members from a CSV (UTF-8 or GB18030); columns: {', '.join(COLUMNS)} (phone required)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row against the store; write nothing")
    p.add_argument("--duplicates", choices=DUPLICATES, default="report",
                   help="the same phone twice, or a phone the store has: report it (default) or merge into one member")
    p.add_argument("--no-rewards", action="store_true",
                   help="give the new members no sign-up rewards (points, coupons); by default they get them once")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_import)


def cmd_history_import(args) -> int:
    from pos.cli.common import db_of, import_out
    from pos.rules.money import yuan
    from pos.services import history_import

    db = db_of(args)
    r = history_import.import_csv(db, args.file, points=args.points, dry_run=args.dry_run)
    return import_out(args, r, lambda: (
        f"{'would import' if r.dry_run else 'imported'} {r.rows} line(s): {r.sales} sale(s), {r.returns} return(s), "
        f"{r.skipped} receipt(s) already imported, net {yuan(r.net_fen)} yuan, points {r.points}, "
        f"unknown products {r.unknown_products}" + (" (dry run: nothing written)" if r.dry_run else "")
        + ("\nnext: python main.py daily --since DATE (the first sale's date) to run the daily jobs along the history"
           if r.sales and not r.dry_run else "")))


def register_history(sub, common) -> None:
    from pos.services.import_formats import OPTIONAL, POINTS, REQUIRED

    hp = sub.add_parser("history", help="sales history from another system")
    hs = hp.add_subparsers(dest="history_cmd", required=True)
    p = hs.add_parser("import", parents=[common],
                      help=f"one row per sale line; columns {', '.join(REQUIRED)}, barcode or sku; "
                           f"optional {', '.join(o for o in OPTIONAL if o not in ('barcode', 'sku'))}")
    p.add_argument("file")
    p.add_argument("--points", choices=POINTS, default="recorded",
                   help="recorded (the points_earned column), recompute (the installed program), none")
    p.add_argument("--dry-run", action="store_true", help="check every row; write nothing")
    p.set_defaults(func=cmd_history_import)


def catch_up(args, db) -> int:
    from pos.cli.common import out, parse_date
    from pos.services.catch_up import catch_up as run

    def progress(day, done, total):
        if not getattr(args, "json", False) and (done % 30 == 0 or done == total):
            print(f"{day}: {done}/{total} day(s)", file=sys.stderr, flush=True)

    r = run(db, parse_date(args.since), progress)
    out(args, r, lambda: ("caught up at HQ (this till is enrolled)" if r.get("at") == "HQ" else
                          f"replayed {r['days']} day(s) from {r.get('from')}: {r['expired_lots']} lot(s) expired "
                          f"({r['expired_points']} points), {r['reviewed']} tier review(s), {r['changed']} changed"))
    return 0


def cmd_tiers_calibrate(args) -> int:
    from pos.analytics import calibration
    from pos.cli.common import CliError, db_of, out
    from pos.rules.money import yuan
    from pos.store import program_store

    db = db_of(args)
    codes = [lv.code for lv in program_store.active(db).tiers.levels]
    target = calibration.parse_target(args.target, len(codes)) if args.target else None
    window = args.window.strip().lower().removesuffix("d")
    if not window.isdigit():
        raise CliError(f"--window must be a number of days such as 365d, got {args.window[:16]!r}")
    p = calibration.propose(db, target, int(window))
    if args.apply:
        calibration.apply(db, p, actor=args.actor)

    def text() -> str:
        rows = [f"{p.members} members ({p.buyers} bought) over {p.window_days} days to {p.as_of}; target "
                + " / ".join(f"{c} {t}%" for c, t in zip(p.tiers, p.target))]
        for label, part in (("today", p.current), ("proposed", p.proposed)):
            th = ", ".join(f"{c} from {yuan(v)} yuan" for c, v in part["thresholds_fen"].items())
            dist = ", ".join(f"{c} {d['share_pct']}%" for c, d in part["by_spend"].items())
            rows.append(f"{label}: {th} -> {dist}")
        rows.append(f"would move {p.moves['up']} up, {p.moves['down']} down, {p.moves['same']} unchanged")
        rows.append(f"installed as program version {p.applied}" if p.applied else "(not applied: --apply installs it)")
        return "\n".join(rows)

    out(args, p.as_dict(), text)
    return 0


def register_calibrate(ts, common) -> None:
    p = ts.add_parser("calibrate", parents=[common],
                      help="propose tier thresholds that give a target share of members per tier (e.g. 60/30/10)")
    p.add_argument("--target", help="percent of members per tier, lowest first (default 60/30/10 for three tiers)")
    p.add_argument("--window", default="365d", help="spend over the last N days (default 365d)")
    p.add_argument("--apply", action="store_true", help="install the proposal as a new program version")
    p.add_argument("--actor", default="manager")
    p.set_defaults(func=cmd_tiers_calibrate)
