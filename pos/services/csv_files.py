"""Reading the CSV files a chain exports from Excel or an old system."""
from __future__ import annotations

from pathlib import Path

from pos.errors import DomainError, echo
from pos.rules import limits


def read_text(path: Path, error: str) -> str:
    """The file's text: UTF-8 (with or without BOM) or GB18030 — what Excel in
    China writes by default. Any failure is DomainError(`error`, reason=…)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DomainError(error, reason=exc.strerror or str(exc)) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(error, reason="neither UTF-8 nor GB18030 text")


def whole_number(value: str, name: str, hi: int, *, signed: bool = False) -> int:
    """A cell that must be a whole number (ASCII digits: `int` would also take
    "1_000" and "٣"), not negative unless `signed`, at most `hi` in size; else
    ValueError naming the column — the reason an import reports for its line."""
    digits = value.removeprefix("-")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"{name} must be a whole number, got {echo(value, 24)!r}")
    number = int(value)
    if number < 0 and not signed:
        raise ValueError(f"{name} must not be negative, got {number}")
    if abs(number) > hi:
        raise ValueError(f"{name} is above the limit of {hi}: {limits.shown_int(number)}")
    return number
