"""A receipt line never clips the unit price to fit the paper (a walk-through printed
"6900100000037 x1 @187.5 150.95" on 58 mm for ¥187.50): when barcode, quantity, price
and amount do not fit one line, the barcode gets a line of its own."""
from __future__ import annotations

import pytest

from devices.columns import width
from devices.receipt import COLUMNS, layout, receipt_from_sale, render_text


def sale(unit_fen: int, qty: int = 1) -> dict:
    net = unit_fen * qty - 1500
    return {
        "sale_id": "0190f0e0-0000-7000-8000-000000000002", "receipt_no": "S001-01-20261202-0004", "kind": "sale",
        "member": None,
        "lines": [{"code": "6900100000037", "name": "浴巾 4号", "qty": qty, "unit_fen": unit_fen, "gross_fen": unit_fen * qty,
                   "net_fen": net, "discounts": [{"kind": "promotion", "code": "mr-300-30", "amount_fen": 1500}],
                   "points": 0, "reward": False}],
        "totals": {"gross_fen": unit_fen * qty, "discount_fen": 1500, "net_fen": net, "paid_fen": net, "change_fen": 0},
        "points": {"earned": 0, "redeemed": 0, "balance_after": 0},
        "payments": [{"tender": "cash", "amount_fen": net}], "coupons": [], "promotions": [], "refusals": [],
        "member_saved_fen": 0, "program_version": "vancl-1",
    }


@pytest.mark.parametrize("paper", [58, 80])
@pytest.mark.parametrize("unit_fen,qty", [(18750, 1), (123450, 12), (550, 1)])
def test_the_unit_price_and_amount_are_printed_whole(paper, unit_fen, qty):
    from pos.rules.money import yuan

    cols = COLUMNS[paper]
    text = render_text(layout(receipt_from_sale(sale(unit_fen, qty)), cols), cols)
    assert all(width(line) <= cols for line in text.splitlines())
    assert f"x{qty} @{yuan(unit_fen)} " in text, text
    assert yuan(unit_fen * qty - 1500) in text
    assert "6900100000037" in text
