"""Input limits: the one place for how long a text and how big a number may be.

The text lengths are the String(n) sizes of HQ's columns (`sync/server/models.py`,
the same on the till, `pos/store/models.py`), so whatever a till accepts HQ can store
and serve back. The number bounds keep every amount HQ keeps in an INTEGER
(32-bit) column inside it: a price, a tender, a top-up and a sale's total are at
most SALE_MAX_FEN, so its points, coupon amounts and change fit too.

Validate once, at the edge where data enters (catalog import, member fields,
tags, notes, program documents, the checkout JSON, HQ's push): `check_text`
and `check_int` raise DomainError("input.*", field=..., ...) whose message
names the field and the reason and never echoes the value itself.
"""
from __future__ import annotations

import unicodedata
from typing import Any

from pos.errors import DomainError

# -- database integer bounds -------------------------------------------------
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1  # PostgreSQL INTEGER: fen, points and qty columns
INT64_MAX = 2**63 - 1  # SQLite INTEGER / PostgreSQL BIGINT

# -- sane business bounds ---------------------------------------------------------
QTY_MAX = 9999  # units of one line (the till's MAX_QTY)
PRICE_MAX_FEN = 10_000_000  # ¥100,000.00 per unit
SALE_MAX_FEN = 1_000_000_000  # ¥10,000,000.00: a basket's total, one tender, a top-up
POINTS_MAX = 1_000_000_000  # points in one entry / one redemption / one program number
LINES_MAX = 500  # lines in one basket
TENDERS_MAX = 20  # tenders in one payment

# -- text lengths: the HQ column sizes (String(n)) ----------------------------
TEXT_MAX: dict[str, int] = {
    # products
    "sku": 32,
    "barcode": 32,
    "product_name": 100,
    "category": 64,
    "points_class": 8,
    # members
    "member_code": 24,
    "phone": 20,
    "name": 64,
    "gender": 1,
    "region": 64,
    "address": 200,
    "occupation": 64,
    "income_band": 32,
    "channel": 16,
    "tier_code": 16,
    "card_no": 32,
    "tag": 32,
    "note": 2000,  # notes are Text columns; bounded so a note stays a note
    "actor": 32,
    "reason": 200,
    # codes
    "store_code": 16,
    "store_name": 64,
    "register_no": 8,
    "coupon_code": 32,
    "coupon_template": 32,
    "program_version": 40,
    "receipt_no": 40,
    "line_code": 40,
    "tender": 16,
    "reference": 64,
    "reward": 48,
    # program documents: names and descriptions shown to cashiers
    "label": 64,
    "description": 500,
}

# Characters that are never part of a name, a category or a note: C0/C1 controls
# (NUL breaks PostgreSQL), lone surrogates (not encodable in UTF-8) and the bidi
# overrides that make a receipt line read differently from what it holds.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\t")


def bad_char(text: str, *, multiline: bool = False) -> str | None:
    """The first forbidden character of `text` (None when all are fine)."""
    for ch in text:
        if multiline and ch in _LINE_BREAKS:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs") or ch in _BIDI or (not multiline and cat in ("Zl", "Zp")):
            return ch
    return None


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check_text(value: Any, field: str, max_len: int | None = None, *, required: bool = True,
               multiline: bool = False, strip: bool = True) -> str | None:
    """`value` as a clean NFC string of at most `max_len` characters (default:
    TEXT_MAX[field]); None only when not `required` and the value is empty.

    Refuses non-strings, control characters and over-long texts with
    DomainError('input.*', field=...)."""
    if max_len is None:
        max_len = TEXT_MAX[field]
    if value is None:
        if required:
            raise DomainError("input.empty", field=field)
        return None
    if not isinstance(value, str):
        raise DomainError("input.not_text", field=field)
    ch = bad_char(value, multiline=multiline)
    if ch is not None:
        raise DomainError("input.control", field=field, char=_char_name(ch))
    text = unicodedata.normalize("NFC", value)
    if strip:
        text = text.strip()
    if not text:
        if required:
            raise DomainError("input.empty", field=field)
        return None
    if len(text) > max_len:
        raise DomainError("input.too_long", field=field, max=max_len, length=len(text))
    return text


def is_int(value: Any) -> bool:
    """A real integer: not a bool, not a float, not a numeric string."""
    return isinstance(value, int) and not isinstance(value, bool)


def shown_int(value: int) -> str:
    """An integer as an error may show it: huge ones by their size only."""
    s = str(value)
    return s if len(s) <= 20 else f"a {len(s.lstrip('-'))}-digit number"


def check_int(value: Any, field: str, lo: int = INT32_MIN, hi: int = INT32_MAX) -> int:
    """`value` if it is a strict int (no bool, float or string) in [lo, hi]."""
    if not is_int(value):
        raise DomainError("input.not_int", field=field)
    if not lo <= value <= hi:
        raise DomainError("input.range", field=field, min=lo, max=hi, value=shown_int(value))
    return int(value)


def check_fen(value: Any, field: str, hi: int = SALE_MAX_FEN, lo: int = 0) -> int:
    """A money amount in fen within [lo, hi]."""
    return check_int(value, field, lo, hi)


def fits_int32(value: int) -> bool:
    return INT32_MIN <= value <= INT32_MAX
