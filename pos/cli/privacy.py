"""`member export` / `member erase`: a member's rights over their data (pos.services.privacy)."""
from __future__ import annotations

import json
from pathlib import Path


def cmd_member_export(args) -> int:
    from pos.cli.common import CliError, db_of, out, resolve_member
    from pos.services import privacy

    db = db_of(args)
    doc = privacy.export(db, resolve_member(db, args.member))
    if args.out:
        try:
            Path(args.out).write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        out(args, {"file": args.out, "member": doc["member"]["member_code"]},
            lambda: f"exported member {doc['member']['member_code']} to {args.out}")
        return 0
    print(json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def cmd_member_erase(args) -> int:
    from pos.cli.common import CliError, db_of, out, resolve_member
    from pos.services import privacy

    if not args.yes:
        raise CliError("erasing a member cannot be undone: repeat with --yes (a manager action, audited)")
    db = db_of(args)
    r = privacy.erase(db, resolve_member(db, args.member), actor=args.actor, reason=args.reason)
    out(args, r, lambda: f"member {r['member_code']} erased: {r['cards_retired']} card(s) retired, "
                         f"{r['tags_removed']} tag(s) and {r['notes_removed']} note(s) removed; ledgers and sales kept")
    return 0


def register(ms, common) -> None:
    p = ms.add_parser("export", parents=[common], help="everything the store holds about a member, as JSON")
    p.add_argument("member", help="member id, code, card or phone")
    p.add_argument("--out", help="write to this file instead of the screen")
    p.set_defaults(func=cmd_member_export)
    p = ms.add_parser("erase", parents=[common], help="erase a member's personal data at their request (manager)")
    p.add_argument("member", help="member id, code, card or phone")
    p.add_argument("--yes", action="store_true", help="confirm: it cannot be undone")
    p.add_argument("--reason", default="member request")
    p.add_argument("--actor", default="manager")
    p.set_defaults(func=cmd_member_erase)
