"""Integer money arithmetic: half-up rounding at the fen and largest-remainder
spreading, so lines always add up to the total."""
from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Sequence


@lru_cache(maxsize=1024)
def _pct_ratio(pay_pct: Decimal) -> tuple[int, int]:
    """`pay_pct` / 100 as an exact integer fraction (num, den), den > 0. Safe to cache:
    a Decimal is immutable and a program holds a handful of distinct percentages."""
    num, den = pay_pct.as_integer_ratio()
    return num, den * 100


def pct_of(amount_fen: int, pay_pct: Decimal) -> int:
    """What is paid of `amount_fen` at `pay_pct` percent, half-up at the fen.

    In integers: exactly `(Decimal(amount_fen) * pay_pct / 100).quantize(1, ROUND_HALF_UP)`
    (half away from zero), without building Decimals on every line of every pass."""
    num, den = _pct_ratio(pay_pct)
    q, r = divmod(abs(amount_fen * num), den)
    q += 2 * r >= den
    return q if amount_fen * num >= 0 else -q


def round_points(value: Decimal, mode: str = "floor") -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP if mode == "half_up" else ROUND_FLOOR))


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` over `weights` in proportion, by largest remainder.

    Shares add up to `total` exactly; ties go to the earlier line. With
    0 <= total <= sum(weights) no share exceeds its weight."""
    n = len(weights)
    whole = sum(weights)
    if total == 0 or n == 0:
        return [0] * n
    if whole <= 0:
        raise ValueError("cannot spread over zero weights")
    shares = [total * w // whole for w in weights]
    left = total - sum(shares)  # >= 0: the shares are floors
    if left > 0:
        # Largest remainder first, the earlier line on a tie: one int per line sorts as the
        # pair (remainder, -index) would, and much faster (0 <= last - i < n).
        last = n - 1
        keys = [total * w % whole * n + last - i for i, w in enumerate(weights)]
        keys.sort(reverse=True)
        for k in keys[:left]:
            shares[last - k % n] += 1
    return shares


def spread_exact(total: int, exact: Sequence[Decimal]) -> list[int]:
    """Split an integer `total` over Decimal exact shares (e.g. points per line)
    by largest remainder: floors first, then the biggest fractions get +1."""
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = total - sum(floors)
    out = floors[:]
    if left > 0:
        # Biggest fraction first, the earlier line on a tie: a stable sort of the indexes
        # by the negated fraction orders them as the key (-fraction, index) would.
        neg_fraction = [f - x for x, f in zip(exact, floors)]
        for i in sorted(range(len(exact)), key=neg_fraction.__getitem__)[:left]:
            out[i] += 1
    return out


def yuan(fen: int, grouping: bool = False) -> str:
    """Integer fen as yuan text, 1234567 -> "12345.67" ("12,345.67" with `grouping`);
    the one formatter for screens, receipts, the pole display and the CLI. No float
    anywhere near money: anything but an int is a TypeError."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError(f"amounts are integer fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    q, r = divmod(abs(fen), 100)
    return f"{sign}{q:,}.{r:02d}" if grouping else f"{sign}{q}.{r:02d}"
