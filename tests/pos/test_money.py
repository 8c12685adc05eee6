"""Integer money arithmetic: half-up percentages at the fen, points rounding,
and largest-remainder spreading (lines always add up to the total)."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.rules.money import pct_of, round_points, spread, spread_exact, yuan

PROPS = settings(max_examples=200, deadline=None)


# --- pct_of: what is paid at a percentage, half-up at the fen -----------------

@pytest.mark.parametrize(
    ("amount", "pct", "paid"),
    [
        (999, "95", 949),      # 999 × 0.95 = 949.05 → 949
        (10, "95", 10),        # 10 × 0.95 = 9.5 → 10 (half-up, not down)
        (5, "50", 3),          # 2.5 → 3 (banker's rounding would give 2)
        (7, "50", 4),          # 3.5 → 4
        (1, "50", 1),          # 0.5 → 1
        (1, "49", 0),          # 0.49 → 0
        (999, "98", 979),      # 979.02 → 979
        (10526, "95", 10000),  # 9999.7 → 10000
        (38000, "90", 34200),  # exact
        (3, "97.5", 3),        # 2.925 → 3
        (0, "95", 0),
        (12345, "100", 12345),
    ],
)
def test_pct_of_rounds_half_up(amount, pct, paid):
    assert pct_of(amount, Decimal(pct)) == paid


@PROPS
@given(st.integers(0, 10**10), st.integers(1, 10000))
def test_pct_of_is_within_half_a_fen_and_never_above_the_amount(amount, pct_hundredths):
    pct = Decimal(pct_hundredths) / 100  # 0.01 % … 100 %
    paid = pct_of(amount, pct)
    exact = Decimal(amount) * pct / 100
    assert 0 <= paid <= amount
    assert abs(Decimal(paid) - exact) <= Decimal("0.5")
    if abs(Decimal(paid) - exact) == Decimal("0.5"):
        assert paid > exact  # an exact half goes up


# --- round_points ------------------------------------------------------------------

def test_round_points_floor_and_half_up():
    assert round_points(Decimal("459.6")) == 459  # default floor
    assert round_points(Decimal("2.5"), "floor") == 2
    assert round_points(Decimal("2.5"), "half_up") == 3
    assert round_points(Decimal("2.49"), "half_up") == 2
    assert round_points(Decimal("0.99")) == 0


# --- spread: largest remainder ------------------------------------------------------

@pytest.mark.parametrize(
    ("total", "weights", "shares"),
    [
        # 1000 × 3333/10000 = 333.3, 333.3, 333.4 → floors 333×3 = 999; the one left
        # goes to the biggest remainder (3334000 mod 10000 = 4000 > 3000)
        (1000, [3333, 3333, 3334], [333, 333, 334]),
        # 1000 over three equal lines: 333.33 each, one fen left → the earliest line
        (1000, [1000, 1000, 1000], [334, 333, 333]),
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (7, [1, 1, 1], [3, 2, 2]),        # 2.33 each → 2,2,2 + 1 to the first
        (100, [1, 2, 3, 4], [10, 20, 30, 40]),
        (10, [0, 5, 5], [0, 5, 5]),       # a zero weight gets nothing
        # 6000 over 40000/25000: 3692.31 / 2307.69 → floors 3692+2307 = 5999,
        # remainders 20000 vs 45000 → the second line gets the fen
        (6000, [40000, 25000], [3692, 2308]),
        (0, [5, 6], [0, 0]),
        (5, [], []),
    ],
)
def test_spread_examples(total, weights, shares):
    assert spread(total, weights) == shares
    assert sum(shares) == total or not weights


def test_spread_over_zero_weights_is_an_error():
    with pytest.raises(ValueError):
        spread(5, [0, 0])


@PROPS
@given(st.lists(st.integers(0, 10**7), min_size=1, max_size=40).filter(lambda w: sum(w) > 0), st.data())
def test_spread_adds_up_and_never_exceeds_a_weight(weights, data):
    total = data.draw(st.integers(0, sum(weights)))
    shares = spread(total, weights)
    assert len(shares) == len(weights)
    assert sum(shares) == total
    whole = sum(weights)
    for w, s in zip(weights, shares):
        assert 0 <= s <= w
        # each share is the floor or the ceiling of its exact proportion
        assert total * w // whole <= s <= -(-total * w // whole)
    # ties go to earlier lines: equal weights never get less than a later one
    for i in range(len(weights)):
        for j in range(i + 1, len(weights)):
            if weights[i] == weights[j]:
                assert shares[i] >= shares[j]


@PROPS
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=20).filter(lambda w: sum(w) > 0),
       st.integers(0, 10**8))
def test_spread_adds_up_even_above_the_weights(weights, total):
    assert sum(spread(total, weights)) == total


# --- spread_exact -------------------------------------------------------------------

def test_spread_exact_examples():
    # 13.32 + 13.34 + 13.34 = 40: floors 13,13,13 = 39, the one left goes to the
    # biggest fraction (.34), the earlier of the two
    assert spread_exact(40, [Decimal("13.32"), Decimal("13.34"), Decimal("13.34")]) == [13, 14, 13]
    # two points+cash cups at 59.7 each = 119.4 → floored at order level to 119
    assert spread_exact(119, [Decimal("59.7"), Decimal("59.7")]) == [60, 59]
    assert spread_exact(459, [Decimal(380), Decimal("79.6")]) == [380, 79]
    assert spread_exact(3, [Decimal("0.5")] * 4) == [1, 1, 1, 0]
    assert spread_exact(0, [Decimal("0.9"), Decimal("0.1")]) == [0, 0]
    assert spread_exact(0, []) == []


@PROPS
@given(st.lists(st.decimals(0, 10**6, places=4, allow_nan=False, allow_infinity=False), min_size=1, max_size=30),
       st.sampled_from(["floor", "half_up"]))
def test_spread_exact_sums_to_the_rounded_total(exact, mode):
    total = round_points(sum(exact, Decimal(0)), mode)
    out = spread_exact(total, exact)
    assert sum(out) == total
    for x, o in zip(exact, out):
        assert int(x) <= o <= int(x) + 1  # floor or floor + 1 (x >= 0)


def test_yuan_formats_fen():
    assert yuan(5000) == "50.00"
    assert yuan(550) == "5.50"
    assert yuan(7) == "0.07"
    assert yuan(-5) == "-0.05"
