"""`member import`: members from another system (pos.services.member_import)."""
from __future__ import annotations

import sys


def cmd_member_import(args) -> int:
    from pos.cli.common import EXIT_BAD_INPUT, db_of, out
    from pos.services import member_import

    db = db_of(args)
    report = member_import.import_csv(db, args.file, duplicates=args.duplicates, dry_run=args.dry_run,
                                      actor=args.actor)

    def text() -> str:
        if not report.ok:
            return "\n".join(f"line {n}: {r}" for n, r in report.errors) + \
                f"\n{len(report.errors)} bad row(s); nothing imported"
        verb = "would import" if report.dry_run else "imported"
        return (f"{verb} {report.rows} row(s): {report.created} new, {report.updated} updated, "
                f"{report.unchanged} unchanged, {report.merged} merged; opening points {report.points_fen}, "
                f"opening stored value {report.stored_value_fen / 100:.2f} yuan"
                + (" (dry run: nothing written)" if report.dry_run else ""))

    if not report.ok and not getattr(args, "json", False):
        print(text(), file=sys.stderr)
        return EXIT_BAD_INPUT
    out(args, report.as_dict(), text)
    return 0 if report.ok else EXIT_BAD_INPUT


def register_member(ms, common) -> None:
    """`member import` under the `member` command."""
    from pos.services.member_import import COLUMNS, DUPLICATES

    p = ms.add_parser("import", parents=[common],
                      help=f"members from a CSV (UTF-8 or GB18030); columns: {', '.join(COLUMNS)} (phone required)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check every row against the store; write nothing")
    p.add_argument("--duplicates", choices=DUPLICATES, default="report",
                   help="the same phone twice, or a phone the store has: report it (default) or merge into one member")
    p.add_argument("--actor", default="cli")
    p.set_defaults(func=cmd_member_import)
