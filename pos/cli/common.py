"""What every package's commands share (`pos.cli.main`, `pos.cli.reports`,
`devices.cli`, `sync.cli`): the common options, opening the store, printing
text or JSON, parsing dates and amounts as typed, and `run`, which turns a
refusal into one line on stderr and an exit code; and naming a member by id, code,
card or phone (`resolve_member`).

Exit codes: 0 ok, 1 not found, 2 bad input (a package may add its own, e.g.
sync's 3 for an unreachable HQ).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import uuid
from typing import TYPE_CHECKING, Any, Callable

from pos.errors import DomainError, card_like, echo
from pos.rules import limits

if TYPE_CHECKING:  # the store (SQLAlchemy, pydantic) is loaded by the commands that open one
    from pos.store.database import Database

EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.exit_code = code


def common() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after its own arguments."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--db", default=argparse.SUPPRESS, help="SQLite file of the store (default: user data dir, or $POS_DB)")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    p.add_argument("--lang", default=argparse.SUPPRESS, help="zh_CN (default) or en, for messages")
    return p


def lang_of(args) -> str:
    return getattr(args, "lang", None) or os.environ.get("POS_LANG") or "zh_CN"


def db_of(args) -> "Database":
    from pos.store.database import default_db_path, open_db

    return open_db(getattr(args, "db", None) or default_db_path())


def out(args, data: Any, text: str | Callable[[], str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text() if callable(text) else text)


def import_out(args, report, summary: Callable[[], str]) -> int:
    """What an import (catalog, members, history) answers: every bad row by line on
    stderr and exit 2, nothing imported — or, with --json, the whole report on stdout."""
    def text() -> str:
        if report.ok:
            return summary()
        return "\n".join(f"line {n}: {r}" for n, r in report.errors) + \
            f"\n{len(report.errors)} bad row(s); nothing imported"

    if not report.ok and not getattr(args, "json", False):
        print(text(), file=sys.stderr)
        return EXIT_BAD_INPUT
    out(args, report.as_dict(), text)
    return 0 if report.ok else EXIT_BAD_INPUT


def parse_date(text: str) -> dt.date:
    """An ISO date as typed (YYYY-MM-DD), or a CliError saying it is not one."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"not an ISO date: {text!r}") from None


def strict_fen(text: str, what: str = "amount_fen") -> int:
    """A whole number of fen as typed: ASCII digits only (int() would take " 2 ", "1_000", "٣"),
    1 to limits.SALE_MAX_FEN."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12 or not 1 <= int(text) <= limits.SALE_MAX_FEN:
        raise CliError(f"{what} must be a whole number of fen from 1 to {limits.SALE_MAX_FEN}, got {echo(text, 24)!r}")
    return int(text)


def program_or_none(db):
    """The store's active program, or None when none is installed."""
    from pos.store import program_store

    try:
        return program_store.active(db)
    except DomainError:
        return None


def find_exact(db: "Database", query: str) -> list:
    """Members whose phone, last 4 digits, card number or member code is `query`."""
    from pos.services import members  # only the commands about members need the index

    return members.find_exact(db, query)


def resolve_member(db: "Database", ref: str) -> str:
    """A member id, member code, card number or phone -> the member's id."""
    if card_like(ref, bare=False):
        raise DomainError("input.bank_card")
    try:
        return str(uuid.UUID(ref))
    except ValueError:
        pass
    found = find_exact(db, ref)
    if len(found) == 1:
        return found[0].id
    if not found:
        raise CliError(f"no member matches {echo(ref)!r}", EXIT_NOT_FOUND)
    raise CliError(f"{len(found)} members match {echo(ref)!r}; give a full phone, card or member code")


def run(args) -> int:
    """Run a parsed command; turn refusals into one line and an exit code."""
    try:
        return args.func(args)
    except DomainError as exc:
        print(f"error: {exc.message(lang_of(args))} [{exc.code}]", file=sys.stderr)
        return EXIT_NOT_FOUND if exc.code.endswith("not_found") else EXIT_BAD_INPUT
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:  # e.g. POS_CLOCK unparseable
        print(f"error: {echo(' '.join(str(exc).split()), 200)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OverflowError:  # last line of defence: inputs are bounded before they reach SQLite
        print("error: a number is too large", file=sys.stderr)
        return EXIT_BAD_INPUT
