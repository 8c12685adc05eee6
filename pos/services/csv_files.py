"""Reading the CSV files a chain exports from Excel or an old system."""
from __future__ import annotations

from pathlib import Path

from pos.errors import DomainError


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
