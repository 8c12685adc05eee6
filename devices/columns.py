"""Fixed-column text for receipts and the pole display.

Thermal printers and pole displays print a CJK character two columns wide
(GB18030 double-byte, 24x24 dots beside 12x24 for ASCII), so every width here
counts display columns, not characters. Amounts are formatted by pos.rules.money.yuan.
"""
from __future__ import annotations

import unicodedata


def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    return sum(char_width(c) for c in text)


def clip(text: str, cols: int) -> str:
    """The longest prefix of `text` that fits in `cols` columns (never half a CJK character)."""
    out, used = [], 0
    for c in text:
        w = char_width(c)
        if used + w > cols:
            break
        out.append(c)
        used += w
    return "".join(out)


def wrap(text: str, cols: int) -> list[str]:
    """Hard-wrap to `cols` columns (receipt item names: no word boundaries in Chinese)."""
    lines, rest = [], text
    while rest:
        part = clip(rest, cols) or rest[0]  # a character wider than the line still advances
        lines.append(part)
        rest = rest[len(part):]
    return lines or [""]


def pad(text: str, cols: int, align: str = "left") -> str:
    text = clip(text, cols)
    gap = cols - width(text)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def spread(left: str, right: str, cols: int) -> str:
    """`left ... right` on one line; the left part is clipped so the right (an amount) always shows."""
    right = clip(right, cols)
    room = cols - width(right) - (1 if left else 0)
    left = clip(left, max(room, 0))
    return left + " " * (cols - width(left) - width(right)) + right
