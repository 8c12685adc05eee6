"""Integer money arithmetic: half-up rounding at the fen and largest-remainder
spreading, so lines always add up to the total."""
from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Sequence


def pct_of(amount_fen: int, pay_pct: Decimal) -> int:
    """What is paid of `amount_fen` at `pay_pct` percent, half-up at the fen."""
    return int((Decimal(amount_fen) * pay_pct / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
    rema = [(total * w % whole, -i) for i, w in enumerate(weights)]
    left = total - sum(shares)
    for _, neg_i in sorted(rema, reverse=True)[:left]:
        shares[-neg_i] += 1
    return shares


def spread_exact(total: int, exact: Sequence[Decimal]) -> list[int]:
    """Split an integer `total` over Decimal exact shares (e.g. points per line)
    by largest remainder: floors first, then the biggest fractions get +1."""
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    out = floors[:]
    for i in order[: max(left, 0)]:
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
