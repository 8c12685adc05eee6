"""Operations commands: `backup`, `restore`, `doctor` (issue 19).

    python main.py backup [--to DIR] [--keep N] [--json]
    python main.py restore FILE [--json]
    python main.py doctor [--json]

The JSON fields of `doctor` are a public interface (README "Backup, restore,
logs, doctor"): extend, never rename."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

# the store and its diagnostics load with the command that runs (`--help`, `--version` load neither)


def __getattr__(name: str):
    if name == "DOCTOR_FORMAT":
        from pos.services import diagnostics

        return diagnostics.DOCTOR_FORMAT
    raise AttributeError(name)


def _db_path(args) -> Path:
    from pos.store.database import default_db_path

    return Path(getattr(args, "db", None) or default_db_path())


def _fail(exc) -> int:
    print(f"error: {exc} [{exc.code}]", file=sys.stderr)
    return 2


def cmd_backup(args) -> int:
    from pos.store import backup as bk
    from pos.cli.common import db_of, out

    if args.keep is not None and args.keep < 1:
        print("error: --keep must be 1 or more", file=sys.stderr)
        return 2
    db = db_of(args)
    try:
        r = bk.backup(db, to=args.to, keep=args.keep)
    except bk.BackupError as exc:
        return _fail(exc)
    finally:
        db.close()
    out(args, r, lambda: f"backup {r['file']} ({r['bytes']} bytes, verified) in {r['seconds']} s; "
                         f"{r['kept']} kept in {r['dir']}" + (f", removed {len(r['removed'])} older" if r["removed"] else ""))
    return 0


def cmd_restore(args) -> int:
    from pos.store import backup as bk
    from pos.cli.common import out

    try:
        r = bk.restore(args.file, _db_path(args))
    except bk.BackupError as exc:
        return _fail(exc)
    except OSError as exc:
        print(f"error: restore failed: {exc.strerror or exc}", file=sys.stderr)
        return 2
    out(args, r, lambda: f"restored {r['restored']} (taken {r['backup_at'] or '?'}) into {r['db']}"
        + (f"; the database it replaced is kept as {r['kept_aside']}" if r["kept_aside"] else "")
        + ("; this till re-syncs with HQ at the next sync (`python main.py sync --once`): what HQ has comes back"
           if r["resync"] else ""))
    return 0


def _devices() -> dict[str, Any]:
    try:
        from devices import config
    except ImportError:
        return {"config_file": None, "state": "unavailable"}
    return config.state()


def diagnose(db) -> dict[str, Any]:
    from pos.services import diagnostics

    return diagnostics.diagnose(db, _devices())


def report_text(d: dict[str, Any]) -> str:
    from pos.services import diagnostics

    return diagnostics.report_text(d)


def version() -> str:
    """This program's version (pos.services.diagnostics.version)."""
    from pos.services import diagnostics

    return diagnostics.version()


class _KeepDefault:
    """The default of setting backup.keep, read when `backup --help` is shown (the settings
    load the store's stack; registering the command should not)."""

    def __str__(self) -> str:
        from pos.store import backup as bk

        return str(bk.KEEP_DEFAULT)


def cmd_doctor(args) -> int:
    from pos.cli.common import db_of, out

    db = db_of(args)
    try:
        d = diagnose(db)
    finally:
        db.close()
    out(args, d, lambda: report_text(d))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[common], help="an online, verified copy of the store; keeps the last N")
    p.add_argument("--to", help="folder for the copy (default: setting backup.dir, else backups/ beside the database)")
    keep = p.add_argument("--keep", type=int, help="copies to keep (default: setting backup.keep, else %(keep_default)s)")
    keep.keep_default = _KeepDefault()  # argparse fills %(name)s from the action's attributes
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", parents=[common], help="put a backup in place of the store (the app closed); "
                                                         "the current database is kept aside")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("doctor", parents=[common], help="version, schema, database, backup, sync, devices, clock")
    p.set_defaults(func=cmd_doctor)
